// events(): a run's events (or every run's) as an async iterator over the target's log — the tail, late commits never skipped.
import type pg from 'pg';
import { MalformedEventError } from '../../events/codec.js';
import type { LoggedEvent } from '../../events/schemas.js';
import { logExists } from '../../events/store.js';
import { createFollower, type Follower } from '../../events/tail.js';
import { isTransient, PgcloneError, UsageError } from '../errors.js';
import { resolveRunId } from '../pick-run.js';
import { closeClient, destroyClient, openClient } from '../pg/connect.js';
import type { ConnInfo } from '../pg/conninfo.js';
import { connInfoOf, type Connection } from './connection.js';

export interface EventsRequest {
  target: Connection;
  /** one run's events (a unique prefix will do); default: every run's */
  runId?: string;
  /**
   * keep waiting for new commits, each yielded as it becomes readable, until `signal` aborts; without it the
   * iterator ends once it has yielded what is readable now
   */
  follow?: boolean;
  /** aborted: the iterator ends (no error) before its next event */
  signal?: AbortSignal;
  /** following: how often the log is read while nothing new is there (default 250 ms) */
  pollMs?: number;
}

/** Following, a read that fails on a cut connection is tried again on a new one this many times in a row before it is thrown. */
const RECONNECTS = 5;

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The full id of the run asked for; a follower may wait for a run (named in full) that has not written yet. */
async function runIdOf(db: pg.Client, given: string, follow: boolean): Promise<string> {
  if (!(await logExists(db))) {
    if (follow) return given;
    throw new PgcloneError('usage', `there is no run ${given} in the target's pgclone log (pgclone status lists them)`);
  }
  try {
    return await resolveRunId(db, given);
  } catch (e) {
    if (follow && e instanceof PgcloneError && e.kind === 'usage' && !/ambiguous/.test(e.message)) return given;
    throw e;
  }
}

const open = (target: ConnInfo) => openClient(target, { side: 'target', purpose: 'events' });

/**
 * The log's events in commit order — by (transaction, id), the order `pgclone watch` folds them in: an event
 * whose transaction commits late with a smaller id is yielded once it commits, never skipped. Errors are typed
 * (connect, usage for an unknown run, corrupt-log for an event that does not parse). Breaking out of the loop
 * closes its connection.
 */
export async function* events(req: EventsRequest): AsyncGenerator<LoggedEvent, void, undefined> {
  const target = connInfoOf(req.target, 'target');
  const pollMs = req.pollMs ?? 250;
  if (typeof pollMs !== 'number' || !Number.isFinite(pollMs) || pollMs <= 0) throw new UsageError('pollMs must be a number of milliseconds above zero');
  const follow = req.follow === true;
  const signal = req.signal;
  if (signal?.aborted) return;
  let db: pg.Client | null = await open(target);
  try {
    const runId = req.runId === undefined ? undefined : await runIdOf(db, req.runId, follow);
    let follower: Follower = createFollower(db, { runId });
    let failures = 0;
    for (;;) {
      let batch: LoggedEvent[];
      try {
        batch = await follower.poll();
        failures = 0;
      } catch (e) {
        if (e instanceof MalformedEventError) throw new PgcloneError('corrupt-log', e.message, null, { cause: e });
        if (!follow || !isTransient(e) || failures >= RECONNECTS || signal?.aborted) throw e;
        // a new connection goes on from the cursor: what was yielded stays yielded, nothing after it is lost
        const cursor = follower.cursor;
        for (;;) {
          failures++;
          if (db) destroyClient(db);
          db = null;
          await pause(Math.min(4000, 250 * 2 ** (failures - 1)), signal);
          if (signal?.aborted) return;
          try {
            db = await open(target);
            break;
          } catch (again) {
            if (failures >= RECONNECTS || !isTransient(again)) throw again;
          }
        }
        follower = createFollower(db, { runId, from: cursor });
        continue;
      }
      for (const ev of batch) {
        if (signal?.aborted) return;
        yield ev;
      }
      if (!follow || signal?.aborted) return;
      if (batch.length === 0) await pause(pollMs, signal);
      if (signal?.aborted) return;
    }
  } finally {
    await closeClient(db);
  }
}
