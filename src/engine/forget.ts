// Forget: the one module that removes the log — schema pgclone and the pgclone.state setting — from a target whose
// runs are all finished or wiped, so that the finished target is the operator's (no pgclone schema in its pg_dump).
import type pg from 'pg';
import { suggest } from '../events/commands.js';
import { foldRun } from '../events/fold.js';
import { describeHolder } from '../events/liveness.js';
import { takeRunLock } from '../events/lock.js';
import type { LoggedEvent } from '../events/schemas.js';
import { logExists, readAllRuns } from '../events/store.js';
import { inTransaction } from '../events/transaction.js';
import { PgcloneError } from './errors.js';
import { closeClient, openClient } from './pg/connect.js';
import type { ConnInfo } from './pg/conninfo.js';
import { markTarget, readTargetMark } from './target-state.js';

export interface ForgetPlan {
  /** every run in the log, oldest first, with how it ended */
  runs: { runId: string; ended: 'finished' | 'mismatched' | 'wiped' }[];
  events: number;
}

export interface ForgetResult extends ForgetPlan {
  /** the pgclone.state setting was there and is reset */
  markReset: boolean;
}

/**
 * Every run's events, or the refusal: a run some process holds (stop it first), or one not finished (resume or
 * wipe it). The locks are taken on `db`'s session, so no engine can take one of them until it closes.
 */
async function readFinishedRuns(db: pg.ClientBase): Promise<{ plan: ForgetPlan; events: LoggedEvent[] }> {
  if (!(await logExists(db))) throw new PgcloneError('nothing-to-do', 'this database holds no pgclone log (schema pgclone): nothing to forget');
  const all = await readAllRuns(db);
  const locked: string[] = [];
  const unfinished: string[] = [];
  const runs: ForgetPlan['runs'] = [];
  for (const events of all.values()) {
    const state = foldRun(events);
    const fact = await takeRunLock(db, state.runId);
    if (fact.held === 'by-another') {
      locked.push(`run ${state.runId} is being worked on by ${fact.holder ? describeHolder(fact.holder) : 'another process'}: let it finish or stop it first`);
      continue;
    }
    const o = state.outcome;
    if (o.kind === 'wiped') runs.push({ runId: state.runId, ended: 'wiped' });
    else if (o.kind === 'finished') runs.push({ runId: state.runId, ended: o.verification === 'mismatch' ? 'mismatched' : 'finished' });
    else
      unfinished.push(
        `run ${state.runId} is not finished (${o.kind === 'failed' ? 'failed' : 'interrupted'}): finish it with ${suggest('resume', state)} or drop what it made with ${suggest('wipe', state)}`,
      );
  }
  if (locked.length > 0 || unfinished.length > 0) {
    const lines = [...locked, ...unfinished];
    throw new PgcloneError(
      locked.length > 0 ? 'locked' : 'preflight',
      `forget refused: the log is kept while a run is unfinished or locked (nothing dropped)\n  ${lines.join('\n  ')}`,
    );
  }
  const events = [...all.values()].flat().sort((a, b) => a.id - b.id);
  return { plan: { runs, events: events.length }, events };
}

/** What forget would remove, read only (the locks are released with the connection). */
export async function planForget(target: ConnInfo): Promise<ForgetPlan> {
  const db = await openClient(target, { side: 'target', purpose: 'forget' });
  try {
    return (await readFinishedRuns(db)).plan;
  } finally {
    await closeClient(db);
  }
}

/**
 * Remove the log in one transaction that holds it exclusively, so no event can be appended between the check,
 * the export and the drop; `exportTo` receives every event (oldest first) and must have them safe before it returns.
 */
export async function forgetLog(target: ConnInfo, opts: { exportTo?: (events: LoggedEvent[]) => Promise<void> } = {}): Promise<ForgetResult> {
  const db = await openClient(target, { side: 'target', purpose: 'forget' });
  try {
    if (!(await logExists(db))) throw new PgcloneError('nothing-to-do', 'this database holds no pgclone log (schema pgclone): nothing to forget');
    return await inTransaction(db, async () => {
      await db.query('LOCK TABLE pgclone.events IN ACCESS EXCLUSIVE MODE');
      const { plan, events } = await readFinishedRuns(db);
      if (opts.exportTo) await opts.exportTo(events);
      const marked = (await readTargetMark(db)) !== null;
      // the reason this module exists: after its last run the log is history the operator may take away
      await db.query('DROP SCHEMA pgclone CASCADE');
      const markReset = marked && (await markTarget(db, null));
      return { ...plan, markReset };
    });
  } finally {
    await closeClient(db);
  }
}
