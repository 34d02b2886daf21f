// "Clone in progress", visible on the target itself: a database-level setting any new session reads with
// current_setting('pgclone.state', true), changed in the transaction of the event that changes it.
import type pg from 'pg';
import { inSavepoint } from '../events/transaction.js';
import { setSql } from './phases/database.js';

export const STATE_SETTING = 'pgclone.state';

/** What a new session of the target reads while a run is not finished (left as it is by a kill: that is the point). */
export function cloningText(runId: string, startedAt: string): string {
  return `cloning: run ${runId} started ${startedAt} and has not finished; this database is incomplete`;
}

export function finishedText(runId: string, at: string, verification: 'passed' | 'mismatch' | 'skipped'): string {
  return verification === 'mismatch'
    ? `mismatched: run ${runId} finished ${at} but verification found tables that differ from the source`
    : `finished: run ${runId} finished ${at}, verification ${verification}`;
}

async function alterDatabase(db: pg.ClientBase, value: string | null): Promise<void> {
  await db.query(await setSql(db, STATE_SETTING, value));
}

/**
 * Set (or, with null, reset) the marker inside the caller's transaction. A role that does not own the
 * database may not (42501): the clone goes on without the marker, and false says so.
 */
export async function markTarget(db: pg.ClientBase, value: string | null): Promise<boolean> {
  return (
    await inSavepoint(
      db,
      () => alterDatabase(db, value),
      (code) => code === '42501',
    )
  ).ok;
}

/** The marker as the database holds it for new sessions (pg_db_role_setting), or null. */
export async function readTargetMark(db: pg.ClientBase): Promise<string | null> {
  const r = await db.query<{ v: string | null }>(
    `SELECT substr(c, length($1) + 2) AS v
       FROM pg_db_role_setting s, unnest(s.setconfig) c
      WHERE s.setrole = 0 AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND c LIKE $1 || '=%'`,
    [STATE_SETTING],
  );
  return r.rows[0]?.v ?? null;
}

/** Wiping a run: the marker goes when it names that run (a marker of another run is not this wipe's to remove). */
export async function clearTargetMark(db: pg.ClientBase, runId: string): Promise<void> {
  const current = await readTargetMark(db);
  if (current !== null && current.includes(`run ${runId} `)) await markTarget(db, null);
}
