// step(): the serverless primitive — as much of the target's clone as fits in a budget, then a clean stop; call again to go on.
import type pg from 'pg';
import { MalformedEventError } from '../../events/codec.js';
import { foldRun } from '../../events/fold.js';
import { readRunLocks, tryLockRun } from '../../events/lock.js';
import type { RunState } from '../../events/state.js';
import { readAllRuns } from '../../events/store.js';
import { PgcloneError } from '../errors.js';
import { newRunId } from '../operator.js';
import { closeClient, openClient } from '../pg/connect.js';
import type { ConnInfo } from '../pg/conninfo.js';
import { cloneOrThrow, resumeOrThrow } from './calls.js';
import { connInfoOf, type Connection } from './connection.js';
import { runOptionsOf, type StepOptions } from './options.js';
import { afterFailure, checkControls, cpuNow, ended, lookAgain, resultOf } from './request.js';
import type { RunControls, StepResult } from './types.js';
import { newestOf } from './runs.js';

export type { StepOptions } from './options.js';
export type { StepOutcome, StepResult } from './types.js';

export interface StepRequest extends RunControls {
  source: Connection;
  target: Connection;
  /** wall time from the call: the run stops at the first batch or item boundary after it, once it has committed something */
  budgetMs: number;
  /** for the run this call starts when the target's log has none; a run already under way keeps its own */
  options?: StepOptions;
}

/**
 * The advisory-lock name a caller holds from choosing to start a run until its RunStarted commits, so two
 * overlapping first calls start one run. Run ids are letters and digits: no run is ever called this.
 */
const STARTING = 'step: starting';

async function newestRun(db: pg.Client): Promise<RunState | null> {
  try {
    return newestOf([...(await readAllRuns(db)).values()].map(foldRun));
  } catch (e) {
    if (e instanceof MalformedEventError) throw new PgcloneError('corrupt-log', e.message, null, { cause: e });
    throw e;
  }
}

async function resumeStep(req: StepRequest, source: ConnInfo, target: ConnInfo, runId: string, cpuFrom: number | null): Promise<StepResult> {
  try {
    return resultOf(await resumeOrThrow({ ...req, target, source, runId, cpuFrom }));
  } catch (e) {
    return afterFailure(e, target, runId);
  }
}

/** Take the newest unfinished run in the target's log and work on it for the budget; with none, start one. */
export async function step(req: StepRequest): Promise<StepResult> {
  const cpuFrom = cpuNow(req);
  const source = connInfoOf(req.source, 'source');
  const target = connInfoOf(req.target, 'target');
  checkControls(req, { budgetRequired: true });
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
      return await resumeStep(req, source, target, first.runId, cpuFrom);
    }
    // no run, or the newest was wiped: start one — one starter at a time
    if (!(await tryLockRun(gate, STARTING))) {
      return { runId: null, outcome: 'locked', progress: null, holder: (await readRunLocks(gate, [STARTING])).get(STARTING) ?? null };
    }
    // a starter that let go just now has recorded its run: go on with that one
    const again = await newestRun(gate);
    if (again && again.runId !== first?.runId) {
      await release();
      return ended(again) ?? (await resumeStep(req, source, target, again.runId, cpuFrom));
    }
    const runId = newRunId();
    try {
      const r = await cloneOrThrow(
        { ...req, source, target, options, runId, cpuFrom },
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
