// resume(): continue a stopped run from where its log says it stopped, as `pgclone resume` — for a budget, or to its end.
import { foldRun } from '../../events/fold.js';
import type { RunState } from '../../events/state.js';
import { readAllRuns } from '../../events/store.js';
import { progressOf } from '../../events/summary.js';
import { PgcloneError } from '../errors.js';
import { pickRun } from '../pick-run.js';
import type { ConnInfo } from '../pg/conninfo.js';
import { connInfoOf, resumeSourceOf, type Connection } from './connection.js';
import { readingTarget } from './reading.js';
import { resumeOrThrow } from './calls.js';
import { afterFailure, checkControls, cpuNow, resultOf } from './request.js';
import type { RunControls, StepResult } from './types.js';
import { newestOf } from './runs.js';

export interface ResumeRequest extends RunControls {
  target: Connection;
  /**
   * A string, or a config with a connectionString: the whole source connection. A config without one completes
   * the source the run recorded (host, port, database, user) — pass `{ password }` when it needs one, since the
   * log never holds a password. Left out: the recorded source, without a password. Resume refuses a source that
   * is not the same database, or whose schema changed.
   */
  source?: Connection;
  /** the run to resume (a unique prefix will do); default: the newest one that stopped without finishing */
  runId?: string;
}

/** The run a resume would take, read first: for its recorded source, and to answer locked or mismatch about it. */
async function chooseRun(target: ConnInfo, runId: string | undefined): Promise<{ state: RunState; mismatched: boolean }> {
  return readingTarget(target, async (db) => {
    try {
      return { state: await pickRun(db, runId, 'resumable'), mismatched: false };
    } catch (e) {
      // the newest run finished with a mismatch: that is the answer about it, as step() gives it
      if (!(e instanceof PgcloneError && e.kind === 'mismatch') || runId !== undefined) throw e;
      const newest = newestOf([...(await readAllRuns(db)).values()].map(foldRun));
      if (!newest) throw e;
      return { state: newest, mismatched: true };
    }
  });
}

/**
 * `pgclone resume`: the log, the lock, the same source and schema, RunResumed, then what the log does not record.
 * Refusals (a different source, a changed schema, a finished or wiped run: nothing to do) are thrown; locked,
 * mismatch and a recorded failure are outcomes, as step() gives them.
 */
export async function resume(req: ResumeRequest): Promise<StepResult> {
  const cpuFrom = cpuNow(req);
  const target = connInfoOf(req.target, 'target');
  if (req.runId !== undefined && (typeof req.runId !== 'string' || req.runId === '')) throw new PgcloneError('usage', 'runId must be a run id');
  checkControls(req);
  // a log that does not parse is thrown as corrupt-log by readingTarget
  const chosen = await chooseRun(target, req.runId);
  const { state } = chosen;
  if (chosen.mismatched) return { runId: state.runId, outcome: 'mismatch', progress: progressOf(state) };
  const source = resumeSourceOf(req.source, state);
  try {
    return resultOf(await resumeOrThrow({ ...req, target, source, runId: state.runId, cpuFrom }));
  } catch (e) {
    return afterFailure(e, target, state.runId, 'thrown');
  }
}
