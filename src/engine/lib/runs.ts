// The library's reading of a target's log: every run, or one, as `pgclone status --json` gives them.
import type pg from 'pg';
import { foldRun } from '../../events/fold.js';
import { classifyRun, DEFAULT_STALL_THRESHOLD_MS } from '../../events/liveness.js';
import { readRunLocks } from '../../events/lock.js';
import type { RunState } from '../../events/state.js';
import { readAllRuns } from '../../events/store.js';
import { runSummary, type RunSummary } from '../../events/summary.js';
import { pickRun } from '../pick-run.js';
import { connInfoOf, type Connection } from './connection.js';
import { readingTarget } from './reading.js';

export interface ReadOptions {
  /** how long a run that holds its lock may be silent before it reads as stalled (default 60 s) */
  stallThresholdMs?: number;
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
  return readingTarget(connInfoOf(target, 'target'), async (db) => summaries(db, [...(await readAllRuns(db)).values()].map(foldRun), opts));
}

/** One run: the one named (a unique prefix will do), else the newest; null when the log holds no run. */
export async function status(target: Connection, runId?: string, opts: ReadOptions = {}): Promise<RunSummary | null> {
  return readingTarget(connInfoOf(target, 'target'), async (db) => {
    const state = runId !== undefined ? await pickRun(db, runId, 'any') : newestOf([...(await readAllRuns(db)).values()].map(foldRun));
    return state ? ((await summaries(db, [state], opts))[0] ?? null) : null;
  });
}

/** The run whose last event is the newest. */
export function newestOf(states: RunState[]): RunState | null {
  return [...states].sort((a, b) => b.lastEventAt.localeCompare(a.lastEventAt))[0] ?? null;
}
