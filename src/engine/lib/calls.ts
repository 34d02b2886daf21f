// The library's entry points in the CLI's form: connections already resolved (libpq's environment, ~/.pgpass), options
// complete, every failure thrown as the engine throws it (the CLI maps them to exit codes). clone() and resume() are
// these calls with locked, mismatch and a recorded failure turned into outcomes. Internal: its declarations name pg.
import type { RunOptions } from '../../events/schemas.js';
import type { RunState } from '../../events/state.js';
import type { EngineObserver, RunResult } from '../context.js';
import type { ConnInfo } from '../pg/conninfo.js';
import { resumeRun, startClone } from '../start.js';
import { checkControls, engineSettingsOf, observerOf } from './request.js';
import type { RunControls } from './types.js';

export interface CloneCall extends RunControls {
  source: ConnInfo;
  target: ConnInfo;
  options: RunOptions;
  /** a run id chosen in advance (wipe --restart announces it in RunWiped) */
  runId?: string;
  /** the CPU clock when the caller's call began (cpuNow): the CPU budget counts from there */
  cpuFrom?: number | null;
}

/** A clone; `observer` sees every commit (the CLI's printers, the dashboard's notes). */
export async function cloneOrThrow(call: CloneCall, observer?: EngineObserver): Promise<RunResult> {
  checkControls(call);
  const settings = engineSettingsOf(call, call.cpuFrom ?? null);
  const progress = observerOf(call, observer);
  try {
    return await startClone({ source: call.source, target: call.target, options: call.options, settings, runId: call.runId }, progress.observer);
  } finally {
    progress.finish();
  }
}

export interface ResumeCall extends RunControls {
  target: ConnInfo;
  /** a function is given the run's state as the log records it; left out, the engine's default (the CLI's: libpq's environment) */
  source?: ConnInfo | ((recorded: RunState) => ConnInfo);
  runId?: string;
  cpuFrom?: number | null;
  /**
   * go on without catch-up when the run's slot can no longer serve it (the retained-WAL guard dropped it, or the
   * source lost it): the rest of the copy is then not exact if the source changed during the run
   */
  withoutCatchUp?: boolean;
}

/** A resume; `observer` sees every commit. */
export async function resumeOrThrow(call: ResumeCall, observer?: EngineObserver): Promise<RunResult> {
  checkControls(call);
  const settings = engineSettingsOf(call, call.cpuFrom ?? null);
  const progress = observerOf(call, observer);
  try {
    return await resumeRun(
      { target: call.target, source: call.source, runId: call.runId, settings, ...(call.withoutCatchUp ? { withoutCatchUp: true } : {}) },
      progress.observer,
    );
  } finally {
    progress.finish();
  }
}
