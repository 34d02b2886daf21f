// clone(): a new run from the source into the target, as `pgclone clone` — for a budget, or to its end.
import { newRunId } from '../operator.js';
import { cloneOrThrow } from './calls.js';
import { connInfoOf, type Connection } from './connection.js';
import { runOptionsOf, type StepOptions } from './options.js';
import { afterFailure, cpuNow, lookAgain, resultOf } from './request.js';
import type { RunControls, StepResult } from './types.js';

export interface CloneRequest extends RunControls {
  source: Connection;
  target: Connection;
  /** what is left out takes the CLI's defaults */
  options?: StepOptions;
}
/**
 * `pgclone clone`: preflight (refusals thrown, nothing written), RunStarted, then the steps until the end or the
 * budget. Once the run is recorded, locked, mismatch and a recorded failure are outcomes, as step() gives them.
 */
export async function clone(req: CloneRequest): Promise<StepResult> {
  const cpuFrom = cpuNow(req);
  const source = connInfoOf(req.source, 'source');
  const target = connInfoOf(req.target, 'target');
  const options = runOptionsOf(req.options);
  const runId = newRunId();
  try {
    return resultOf(await cloneOrThrow({ ...req, source, target, options, runId, cpuFrom }));
  } catch (e) {
    // before RunStarted nothing was written: a refusal (preflight, connect) is the caller's
    if (!(await lookAgain(target, runId))) throw e;
    return afterFailure(e, target, runId);
  }
}
