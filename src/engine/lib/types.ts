// The library's public shapes shared by clone(), resume() and step(): budgets, stop signal, progress, and the answer.
// Types only, naming no pg: the package's declarations reach this file.
import type { LockHolder } from '../../events/liveness.js';
import type { RunProgress } from '../../events/summary.js';

/** The engine's patience: a silent connection is cut after ioTimeoutMs; transient failures are retried maxRetries times, from retryBaseMs. */
export interface RunSettings {
  ioTimeoutMs?: number;
  maxRetries?: number;
  retryBaseMs?: number;
  /** this call's retained-WAL limit for the run's slot, in bytes, over the one the run recorded (0: none) */
  maxRetainedWalBytes?: number;
}

/** How long a call may work, how to stop it, and how it reports (clone, resume and step take these). */
export interface RunControls {
  /** wall time from the call: the run stops at the first batch or item boundary after it, once it has committed something */
  budgetMs?: number;
  /**
   * CPU time of this process from the call (process.cpuUsage): the run stops at the boundary BEFORE it would be
   * spent — when what it used plus what the recent boundary-to-boundary stretches cost reaches it — once it has
   * committed something
   */
  cpuBudgetMs?: number;
  /** aborted: stop at the next boundary, as when the budget is spent (a string reason is recorded in RunSuspended) */
  signal?: AbortSignal;
  /**
   * the run's progress after commits, at most once per progressIntervalMs, and once more at the end; never per
   * row. It is called inside the engine: an exception it throws is ignored, and it should return quickly.
   */
  onProgress?: (progress: RunProgress) => void;
  /** the least time between two onProgress calls (default 250 ms) */
  progressIntervalMs?: number;
  settings?: RunSettings;
}

/**
 * finished: the run is done and verified (or verification was off). suspended: the budget or the signal stopped
 * it at a boundary; call again. mismatch: finished, but verification found a difference. locked: another process
 * holds the run (or is starting one); nothing was done. failed: the run stopped on an error it recorded.
 */
export type StepOutcome = 'finished' | 'suspended' | 'mismatch' | 'locked' | 'failed';

/** What step(), clone() and resume() answer. */
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
