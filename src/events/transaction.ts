// One way to run work in a transaction: BEGIN, the work, COMMIT checked by its tag, ROLLBACK on any failure.
import type { ClientBase } from 'pg';

/** COMMIT answered with something else (ROLLBACK after a failed COPY, say): nothing of the transaction is in. */
export class CommitLost extends Error {
  constructor(readonly tag: string) {
    super(`the target answered ${tag} to COMMIT: the transaction was lost`);
    this.name = 'CommitLost';
  }
}

/**
 * Run `work` in a transaction on `db`. When `rollbackIf` says so of its result, the transaction is rolled back
 * without an error (an append that found its step already recorded, a dry run).
 */
export async function inTransaction<T>(db: ClientBase, work: () => Promise<T>, opts: { rollbackIf?: (result: T) => boolean } = {}): Promise<T> {
  await db.query('BEGIN');
  let result: T;
  try {
    result = await work();
    if (opts.rollbackIf?.(result)) {
      await db.query('ROLLBACK');
      return result;
    }
    const done = await db.query('COMMIT');
    if (done.command !== 'COMMIT') throw new CommitLost(String(done.command));
  } catch (e) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return result;
}

export type SavepointResult<T> = { ok: true; value: T } | { ok: false; sqlstate: string; error: unknown };

/**
 * Run `work` inside the caller's transaction under a savepoint. An error whose SQLSTATE `tolerated` accepts is
 * rolled back to the savepoint — the transaction goes on — and returned; any other is rethrown.
 */
export async function inSavepoint<T>(db: ClientBase, work: () => Promise<T>, tolerated: (sqlstate: string) => boolean): Promise<SavepointResult<T>> {
  await db.query('SAVEPOINT pgclone_step');
  try {
    const value = await work();
    await db.query('RELEASE SAVEPOINT pgclone_step');
    return { ok: true, value };
  } catch (e) {
    const sqlstate = (e as { code?: unknown }).code;
    if (typeof sqlstate === 'string' && tolerated(sqlstate)) {
      await db.query('ROLLBACK TO SAVEPOINT pgclone_step');
      return { ok: false, sqlstate, error: e };
    }
    throw e;
  }
}
