// clone(): a new run from the source into the target, as `pgclone clone` — for a budget, or to its end.
import type { RunOptions } from '../../events/schemas.js';
import type { EngineObserver, RunResult } from '../context.js';
import { newRunId } from '../operator.js';
import type { ConnInfo } from '../pg/conninfo.js';
import { startClone } from '../start.js';
import { connInfoOf, type Connection } from './connection.js';
import { afterFailure, checkControls, engineSettingsOf, lookAgain, observerOf, resultOf, type RunControls, type StepResult } from './request.js';
import { runOptionsOf, type StepOptions } from './options.js';

export interface CloneRequest extends RunControls {
  source: Connection;
  target: Connection;
  /** what is left out takes the CLI's defaults */
  options?: StepOptions;
}

/** The CLI's form of a clone: connections already resolved (libpq's environment, ~/.pgpass), options complete, failures thrown. */
export interface CloneCall extends RunControls {
  source: ConnInfo;
  target: ConnInfo;
  options: RunOptions;
  /** a run id chosen in advance (wipe --restart announces it in RunWiped) */
  runId?: string;
}

/** A clone with every failure thrown as the engine throws it (the CLI maps them to exit codes); `observer` sees every commit. */
export async function cloneOrThrow(call: CloneCall, observer?: EngineObserver): Promise<RunResult> {
  checkControls(call);
  const settings = engineSettingsOf(call);
  const progress = observerOf(call, observer);
  try {
    return await startClone({ source: call.source, target: call.target, options: call.options, settings, runId: call.runId }, progress.observer);
  } finally {
    progress.finish();
  }
}

/**
 * `pgclone clone`: preflight (refusals thrown, nothing written), RunStarted, then the steps until the end or the
 * budget. Once the run is recorded, locked, mismatch and a recorded failure are outcomes, as step() gives them.
 */
export async function clone(req: CloneRequest): Promise<StepResult> {
  const source = connInfoOf(req.source, 'source');
  const target = connInfoOf(req.target, 'target');
  const options = runOptionsOf(req.options);
  const runId = newRunId();
  try {
    return resultOf(await cloneOrThrow({ ...req, source, target, options, runId }));
  } catch (e) {
    // before RunStarted nothing was written: a refusal (preflight, connect) is the caller's
    if (!(await lookAgain(target, runId))) throw e;
    return afterFailure(e, target, runId);
  }
}
