// step(): the serverless primitive — as much of the target's clone as fits in a budget, then a clean stop; call again to go on.
import type pg from 'pg';
import { MalformedEventError } from '../../events/codec.js';
import { foldRun } from '../../events/fold.js';
import type { LockHolder } from '../../events/liveness.js';
import { readRunLocks, tryLockRun } from '../../events/lock.js';
import { Filters, RunOptions } from '../../events/schemas.js';
import type { RunState } from '../../events/state.js';
import { readAllRuns, readRun } from '../../events/store.js';
import { progressOf, type RunProgress } from '../../events/summary.js';
import { DEFAULT_SETTINGS, type EngineSettings, type RunResult } from '../context.js';
import { errorInfo, PgcloneError, UsageError, type ErrorKind } from '../errors.js';
import { newRunId } from '../operator.js';
import { closeClient, openClient } from '../pg/connect.js';
import type { ConnInfo } from '../pg/conninfo.js';
import { defaultRunOptions } from '../run-options.js';
import { resumeRun, startClone } from '../start.js';
import { connInfoOf, type Connection } from './connection.js';
import { readingTarget } from './reading.js';
import { newestOf } from './runs.js';

/** A new run's options; what is left out takes the CLI's defaults. */
export type StepOptions = Partial<Omit<RunOptions, 'filters'>> & { filters?: Partial<Filters> };

export interface StepRequest {
  source: Connection;
  target: Connection;
  /** wall time from the call: the run stops at the first batch or item boundary after it, once it has committed something */
  budgetMs: number;
  /** aborted: stop at the next boundary, as when the budget is spent (a string reason is recorded in RunSuspended) */
  signal?: AbortSignal;
  /** for the run this call starts when the target's log has none; a run already under way keeps its own */
  options?: StepOptions;
  /** the engine's patience: a silent connection is cut after ioTimeoutMs; transient failures are retried maxRetries times, from retryBaseMs */
  settings?: { ioTimeoutMs?: number; maxRetries?: number; retryBaseMs?: number };
}

/**
 * finished: the newest run is done and verified (or verification was off). suspended: the budget or the signal
 * stopped it at a boundary; call again. mismatch: finished, but verification found a difference. locked: another
 * process holds the run (or is starting one); nothing was done. failed: the run stopped on an error it recorded.
 */
export type StepOutcome = 'finished' | 'suspended' | 'mismatch' | 'locked' | 'failed';

export interface StepResult {
  /** null only when another caller is starting the first run and has not recorded it yet */
  runId: string | null;
  outcome: StepOutcome;
  /** from the run's log; null when there is no run yet */
  progress: RunProgress | null;
  /** locked: who holds the lock (null when it let go between two reads) */
  holder?: LockHolder | null;
  /** failed: what stopped it */
  error?: { message: string; sqlstate: string | null; kind: string };
}

/**
 * The advisory-lock name a caller holds from choosing to start a run until its RunStarted commits, so two
 * overlapping first calls start one run. Run ids are letters and digits: no run is ever called this.
 */
const STARTING = 'step: starting';

/** Errors that say nothing ran, or cannot run: the caller's to handle, thrown. */
const THROWN: ReadonlySet<ErrorKind> = new Set(['usage', 'connect', 'preflight', 'resume-refused', 'corrupt-log']);

export function runOptionsOf(o: StepOptions | undefined): RunOptions {
  const d = defaultRunOptions();
  const merged = { ...d, ...o, filters: { ...d.filters, ...o?.filters } };
  const r = RunOptions.safeParse(merged);
  if (!r.success) throw new UsageError(`options: ${r.error.issues.map((i) => `${i.path.join('.') || 'options'} ${i.message}`).join('; ')}`);
  return r.data;
}

function settingsOf(req: StepRequest): EngineSettings {
  const s = req.settings ?? {};
  return {
    ...DEFAULT_SETTINGS,
    ...(s.ioTimeoutMs !== undefined ? { ioTimeoutMs: s.ioTimeoutMs } : {}),
    ...(s.maxRetries !== undefined ? { maxRetries: s.maxRetries } : {}),
    ...(s.retryBaseMs !== undefined ? { retryBaseMs: s.retryBaseMs } : {}),
    maxDurationMs: req.budgetMs,
    ...(req.signal ? { stopSignal: req.signal } : {}),
  };
}

async function newestRun(db: pg.Client): Promise<RunState | null> {
  try {
    return newestOf([...(await readAllRuns(db)).values()].map(foldRun));
  } catch (e) {
    if (e instanceof MalformedEventError) throw new PgcloneError('corrupt-log', e.message, null, { cause: e });
    throw e;
  }
}

function ended(s: RunState): StepResult | null {
  if (s.outcome.kind !== 'finished') return null;
  return { runId: s.runId, outcome: s.outcome.verification === 'mismatch' ? 'mismatch' : 'finished', progress: progressOf(s) };
}

const resultOf = (r: RunResult): StepResult => ({ runId: r.runId, outcome: r.outcome, progress: progressOf(r.state) });

/** The run's state and lock holder as the log tells them now; null when the log holds no such run or cannot be read (it may be what failed). */
async function lookAgain(target: ConnInfo, runId: string): Promise<{ state: RunState; holder: LockHolder | null } | null> {
  try {
    return await readingTarget(target, async (db) => ({
      state: foldRun(await readRun(db, runId)),
      holder: (await readRunLocks(db, [runId])).get(runId) ?? null,
    }));
  } catch {
    return null;
  }
}

/** A failure after the run was chosen: locked and mismatch are answers, a recorded failure an outcome; the rest is thrown. */
async function afterFailure(e: unknown, target: ConnInfo, runId: string): Promise<StepResult> {
  const kind = e instanceof PgcloneError ? e.kind : null;
  if (kind !== null && THROWN.has(kind)) throw e;
  const now = await lookAgain(target, runId);
  const progress = now ? progressOf(now.state) : null;
  if (kind === 'locked') return { runId, outcome: 'locked', progress, holder: now?.holder ?? null };
  if (kind === 'mismatch') return { runId, outcome: 'mismatch', progress };
  if (kind === 'nothing-to-do' && now && ended(now.state)) return ended(now.state) as StepResult;
  return { runId, outcome: 'failed', progress, error: errorInfo(e) };
}

async function resumeStep(req: StepRequest, source: ConnInfo, target: ConnInfo, runId: string): Promise<StepResult> {
  try {
    return resultOf(await resumeRun({ target, source, runId, settings: settingsOf(req) }));
  } catch (e) {
    return afterFailure(e, target, runId);
  }
}

/** Take the newest unfinished run in the target's log and work on it for the budget; with none, start one. */
export async function step(req: StepRequest): Promise<StepResult> {
  const source = connInfoOf(req.source, 'source');
  const target = connInfoOf(req.target, 'target');
  if (typeof req.budgetMs !== 'number' || !Number.isFinite(req.budgetMs) || req.budgetMs <= 0)
    throw new UsageError('budgetMs must be a number of milliseconds above zero');
  const options = runOptionsOf(req.options);
  const gate = await openClient(target, { side: 'target', purpose: 'step' });
  let closing: Promise<void> | null = null;
  const release = (): Promise<void> => (closing ??= closeClient(gate));
  try {
    const first = await newestRun(gate);
    const goOn = (s: RunState | null) => s !== null && s.outcome.kind !== 'finished' && s.outcome.kind !== 'wiped';
    if (first && ended(first)) return ended(first) as StepResult;
    if (first && goOn(first)) {
      await release();
      return await resumeStep(req, source, target, first.runId);
    }
    // no run, or the newest was wiped: start one — one starter at a time
    if (!(await tryLockRun(gate, STARTING))) {
      return { runId: null, outcome: 'locked', progress: null, holder: (await readRunLocks(gate, [STARTING])).get(STARTING) ?? null };
    }
    // a starter that let go just now has recorded its run: go on with that one
    const again = await newestRun(gate);
    if (again && again.runId !== first?.runId) {
      await release();
      return ended(again) ?? (await resumeStep(req, source, target, again.runId));
    }
    const runId = newRunId();
    try {
      const r = await startClone(
        { source, target, options, settings: settingsOf(req), runId },
        {
          // RunStarted is committed and the run's own lock taken: the next starter will find it
          onEvents: () => void release(),
        },
      );
      return resultOf(r);
    } catch (e) {
      // before RunStarted nothing was written: a refusal (preflight, connect) is the caller's
      const written = await lookAgain(target, runId);
      if (!written) throw e;
      return afterFailure(e, target, runId);
    }
  } finally {
    await release();
  }
}
