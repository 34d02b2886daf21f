// The library's reading of a target's log: every run, or one, as `pgclone status --json` gives them.
import type pg from 'pg';
import { MalformedEventError } from '../../events/codec.js';
import { foldRun } from '../../events/fold.js';
import { classifyRun, DEFAULT_STALL_THRESHOLD_MS } from '../../events/liveness.js';
import { readRunLocks } from '../../events/lock.js';
import type { RunState } from '../../events/state.js';
import { readAllRuns } from '../../events/store.js';
import { runSummary, type RunSummary } from '../../events/summary.js';
import { PgcloneError } from '../errors.js';
import { pickRun } from '../pick-run.js';
import { closeClient, openClient } from '../pg/connect.js';
import { connInfoOf, type Connection } from './connection.js';

export interface ReadOptions {
  /** how long a run that holds its lock may be silent before it reads as stalled (default 60 s) */
  stallThresholdMs?: number;
}

/** A client on the target for reading the log; a log that does not parse is a typed error. */
export async function readingTarget<T>(target: Connection, read: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = await openClient(connInfoOf(target, 'target'), { side: 'target', purpose: 'status' });
  try {
    return await read(db);
  } catch (e) {
    if (e instanceof MalformedEventError) throw new PgcloneError('corrupt-log', e.message, null, { cause: e });
    throw e;
  } finally {
    await closeClient(db);
  }
}

async function summaries(db: pg.Client, states: RunState[], opts: ReadOptions): Promise<RunSummary[]> {
  const locks = await readRunLocks(
    db,
    states.map((s) => s.runId),
  );
  const now = new Date();
  return states.map((s) => runSummary(s, classifyRun(s, locks.get(s.runId) ?? null, now, opts.stallThresholdMs ?? DEFAULT_STALL_THRESHOLD_MS)));
}

/** Every run in the target's log, oldest first. */
export async function runs(target: Connection, opts: ReadOptions = {}): Promise<RunSummary[]> {
  return readingTarget(target, async (db) => summaries(db, [...(await readAllRuns(db)).values()].map(foldRun), opts));
}

/** One run: the one named (a unique prefix will do), else the newest; null when the log holds no run. */
export async function status(target: Connection, runId?: string, opts: ReadOptions = {}): Promise<RunSummary | null> {
  return readingTarget(target, async (db) => {
    const state = runId !== undefined ? await pickRun(db, runId, 'any') : newestOf([...(await readAllRuns(db)).values()].map(foldRun));
    return state ? ((await summaries(db, [state], opts))[0] ?? null) : null;
  });
}

/** The run whose last event is the newest. */
export function newestOf(states: RunState[]): RunState | null {
  return [...states].sort((a, b) => b.lastEventAt.localeCompare(a.lastEventAt))[0] ?? null;
}
