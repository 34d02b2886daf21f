// Internal to the library (its declarations name pg through the engine's): what clone(), resume() and step() share: budgets, the stop signal, progress callbacks and the engine's patience
// turned into the engine's settings and observer; and a failure turned into an outcome the way step() answers.
import type { LockHolder } from '../../events/liveness.js';
import { readRunLocks } from '../../events/lock.js';
import { foldRun } from '../../events/fold.js';
import type { RunState } from '../../events/state.js';
import { readRun } from '../../events/store.js';
import { progressOf, type RunProgress } from '../../events/summary.js';
import { processCpuClock } from '../budget.js';
import { DEFAULT_SETTINGS, type EngineObserver, type EngineSettings, type RunResult } from '../context.js';
import { errorInfo, PgcloneError, UsageError, type ErrorKind } from '../errors.js';
import type { ConnInfo } from '../pg/conninfo.js';
import { createCoalescer } from './progress.js';
import { readingTarget } from './reading.js';
import type { RunControls, StepResult } from './types.js';

function positive(v: unknown, what: string): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new UsageError(`${what} must be a number of milliseconds above zero`);
}

/** The controls' own checks, before anything connects. */
export function checkControls(c: RunControls, opts: { budgetRequired?: boolean } = {}): void {
  if (opts.budgetRequired && c.budgetMs === undefined) throw new UsageError('budgetMs must be a number of milliseconds above zero');
  positive(c.budgetMs, 'budgetMs');
  positive(c.cpuBudgetMs, 'cpuBudgetMs');
  positive(c.progressIntervalMs, 'progressIntervalMs');
  if (c.onProgress !== undefined && typeof c.onProgress !== 'function') throw new UsageError('onProgress must be a function');
  if (c.cpuBudgetMs !== undefined && processCpuClock() === null) throw new UsageError('cpuBudgetMs needs process.cpuUsage, which this runtime lacks');
}

/** The CPU clock's reading now, for a call that counts its CPU budget from here (null without a budget or a clock). */
export function cpuNow(c: RunControls): number | null {
  const clock = c.cpuBudgetMs !== undefined ? processCpuClock() : null;
  return clock ? clock() : null;
}

/** The engine's settings for a call; its CPU budget counts from `cpuFrom` (the entry point's start), else from now. */
export function engineSettingsOf(c: RunControls, cpuFrom: number | null = null): EngineSettings {
  const s = c.settings ?? {};
  const clock = c.cpuBudgetMs !== undefined ? processCpuClock() : null;
  return {
    ...DEFAULT_SETTINGS,
    ...(s.ioTimeoutMs !== undefined ? { ioTimeoutMs: s.ioTimeoutMs } : {}),
    ...(s.maxRetries !== undefined ? { maxRetries: s.maxRetries } : {}),
    ...(s.retryBaseMs !== undefined ? { retryBaseMs: s.retryBaseMs } : {}),
    ...(s.maxRetainedWalBytes !== undefined ? { maxRetainedWalBytes: s.maxRetainedWalBytes } : {}),
    maxDurationMs: c.budgetMs ?? null,
    ...(c.signal ? { stopSignal: c.signal } : {}),
    ...(clock && c.cpuBudgetMs !== undefined ? { cpuBudget: { budgetMs: c.cpuBudgetMs, clock, from: cpuFrom ?? clock() } } : {}),
  };
}

/** The CLI's settings (its flags, its stop signal) as the controls of a library call; engineSettingsOf gives them back. */
export function controlsOf(s: EngineSettings): RunControls {
  return {
    ...(s.maxDurationMs !== null ? { budgetMs: s.maxDurationMs } : {}),
    ...(s.stopSignal ? { signal: s.stopSignal } : {}),
    settings: {
      ioTimeoutMs: s.ioTimeoutMs,
      maxRetries: s.maxRetries,
      retryBaseMs: s.retryBaseMs,
      ...(s.maxRetainedWalBytes !== undefined ? { maxRetainedWalBytes: s.maxRetainedWalBytes } : {}),
    },
  };
}

/**
 * The engine's observer for a call: the caller's own (the CLI's printers), and onProgress coalesced. `finish`
 * gives onProgress its last call, with the state the last commit left.
 */
export function observerOf(c: RunControls, inner: EngineObserver = {}): { observer: EngineObserver; finish(): void } {
  const onProgress = c.onProgress;
  if (!onProgress) return { observer: inner, finish: () => undefined };
  const tell = (p: RunProgress) => {
    try {
      onProgress(p);
    } catch {
      // the caller's UI must not stop a copy whose batch has already committed
    }
  };
  const coalescer = createCoalescer(tell, { intervalMs: c.progressIntervalMs, now: () => performance.now() });
  let last: RunState | null = null;
  return {
    observer: {
      onNote: inner.onNote ? (t) => inner.onNote?.(t) : undefined,
      onEvents(events, state) {
        inner.onEvents?.(events, state);
        last = state;
        coalescer.offer(() => progressOf(state));
      },
    },
    finish() {
      if (last) coalescer.finish(progressOf(last));
    },
  };
}

/** Errors that say nothing ran, or cannot run: the caller's to handle, thrown. */
export const THROWN: ReadonlySet<ErrorKind> = new Set(['usage', 'connect', 'preflight', 'resume-refused', 'corrupt-log']);

export function ended(s: RunState): StepResult | null {
  if (s.outcome.kind !== 'finished') return null;
  return { runId: s.runId, outcome: s.outcome.verification === 'mismatch' ? 'mismatch' : 'finished', progress: progressOf(s) };
}

export const resultOf = (r: RunResult): StepResult => ({ runId: r.runId, outcome: r.outcome, progress: progressOf(r.state) });

/** The run's state and lock holder as the log tells them now; null when the log holds no such run or cannot be read (it may be what failed). */
export async function lookAgain(target: ConnInfo, runId: string): Promise<{ state: RunState; holder: LockHolder | null } | null> {
  try {
    return await readingTarget(target, async (db) => ({
      state: foldRun(await readRun(db, runId)),
      holder: (await readRunLocks(db, [runId])).get(runId) ?? null,
    }));
  } catch {
    return null;
  }
}

/**
 * A failure after the run was chosen: locked and mismatch are answers, a recorded failure an outcome; the rest is
 * thrown. `finishedIs`: what a run that turns out finished (nothing to do) reads as — step's answer, or resume's refusal.
 */
export async function afterFailure(e: unknown, target: ConnInfo, runId: string, finishedIs: 'answer' | 'thrown' = 'answer'): Promise<StepResult> {
  const kind = e instanceof PgcloneError ? e.kind : null;
  if (kind !== null && THROWN.has(kind)) throw e;
  if (kind === 'nothing-to-do' && finishedIs === 'thrown') throw e;
  const now = await lookAgain(target, runId);
  const progress = now ? progressOf(now.state) : null;
  if (kind === 'locked') return { runId, outcome: 'locked', progress, holder: now?.holder ?? null };
  if (kind === 'mismatch') return { runId, outcome: 'mismatch', progress };
  if (kind === 'nothing-to-do' && now && ended(now.state)) return ended(now.state) as StepResult;
  return { runId, outcome: 'failed', progress, error: errorInfo(e) };
}
