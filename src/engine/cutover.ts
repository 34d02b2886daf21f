// Cutover from anywhere: CutoverRequested appended to the run's log, and the wait for the run that follows to act on it.
import type { EngineObserver } from './context.js';
import { MalformedEventError } from '../events/codec.js';
import { suggest } from '../events/commands.js';
import { evolve, foldRun } from '../events/fold.js';
import type { LockHolder } from '../events/liveness.js';
import { readRunLocks } from '../events/lock.js';
import type { RunState } from '../events/state.js';
import { appendStandalone, readRun } from '../events/store.js';
import { createFollower } from '../events/tail.js';
import { PgcloneError } from './errors.js';
import { operator } from './operator.js';
import { pickRun } from './pick-run.js';
import { closeClient, openClient } from './pg/connect.js';
import type { ConnInfo } from './pg/conninfo.js';
import { guardMessage } from './wal-guard.js';

export interface CutoverAsked {
  state: RunState;
  /** the process that holds the run's lock (the follower), or null: nobody works on the run now */
  holder: LockHolder | null;
  /** the log already held a request (this one changed nothing) */
  already: boolean;
}

/** Pure: why a run cannot be cut over, or null. */
export function cutoverRefusal(s: RunState): PgcloneError | null {
  if (s.outcome.kind === 'finished') return new PgcloneError('nothing-to-do', `run ${s.runId} already finished at ${s.outcome.at}; nothing to cut over`);
  if (s.outcome.kind === 'wiped') return new PgcloneError('nothing-to-do', `run ${s.runId} was wiped at ${s.outcome.at}; nothing to cut over`);
  const c = s.catchUp;
  if (!c)
    return new PgcloneError(
      'usage',
      `run ${s.runId} does not catch up through a replication slot (${s.catchUpOff ?? 'its options say so'}), so there is nothing to cut over: ${suggest('resume', s)} finishes it`,
    );
  if (c.released?.by === 'guard' && s.phases['catch-up'].status !== 'done')
    return new PgcloneError('wal-guard', guardMessage(s, c.slot, c.released.reason ?? "it held too much of the source's WAL"));
  return null;
}

/**
 * Record that the operator asks the run to cut over. The request is an event in the run's log, not a signal to a
 * process: the follower (any process, any host) sees it at its next pass; a run nobody follows finds it when it is
 * resumed; and the log keeps who asked and when. It records no change to the target, so it needs no lock.
 */
export async function requestCutover(target: ConnInfo, runId: string | undefined): Promise<CutoverAsked> {
  const db = await openClient(target, { side: 'target', purpose: 'cutover' });
  try {
    let state: RunState;
    try {
      state = await pickRun(db, runId, 'resumable');
    } catch (e) {
      if (e instanceof MalformedEventError) throw new PgcloneError('corrupt-log', e.message);
      throw e;
    }
    const refusal = cutoverRefusal(state);
    if (refusal) throw refusal;
    const r = await appendStandalone(db, [{ type: 'CutoverRequested', runId: state.runId, operator: operator() }]);
    const holder = (await readRunLocks(db, [state.runId])).get(state.runId) ?? null;
    return { state: foldRun(await readRun(db, state.runId)), holder, already: !r.ok };
  } finally {
    await closeClient(db);
  }
}

export type CutoverWait = { ended: true; state: RunState } | { ended: false; state: RunState };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Follow the run's log while another process holds its lock: its events go to the observer as they commit. Ends
 * when the run finishes, fails or is suspended (ended), or when its lock is let go without any of them — the
 * follower died — so the caller can resume it.
 */
export async function awaitCutover(target: ConnInfo, runId: string, observer: EngineObserver = {}, pollMs = 250): Promise<CutoverWait> {
  const db = await openClient(target, { side: 'target', purpose: 'cutover wait' });
  try {
    const events = await readRun(db, runId);
    let state = foldRun(events);
    // the tail starts at the log's beginning (late commits are never skipped); what was read above is passed over
    const seen = new Set(events.map((e) => e.id));
    const follower = createFollower(db, { runId });
    let lockSeenAt = Date.now();
    for (;;) {
      for (const ev of await follower.poll()) {
        if (seen.has(ev.id)) continue;
        state = evolve(state, ev);
        observer.onEvents?.([ev], state);
        if (ev.type === 'RunFinished' || ev.type === 'RunFailed' || ev.type === 'RunSuspended') return { ended: true, state };
      }
      if (Date.now() - lockSeenAt >= 1000) {
        const held = (await readRunLocks(db, [runId])).has(runId);
        if (!held) {
          // one more read: what committed just before the lock went
          for (const ev of await follower.poll()) {
            if (seen.has(ev.id)) continue;
            state = evolve(state, ev);
            observer.onEvents?.([ev], state);
          }
          return { ended: state.outcome.kind !== 'open', state };
        }
        lockSeenAt = Date.now();
      }
      await sleep(pollMs);
    }
  } finally {
    await closeClient(db);
  }
}
