// The run lock: a session-level advisory lock on the target, held on one connection for the engine's life.
import type { ClientBase } from 'pg';
import { RUN_LOCK_KEY_SQL } from '../events/store.js';

/** Take the run's lock if nobody holds it. Session-level: it goes away the moment this connection does. */
export async function tryLockRun(lockConn: ClientBase, runId: string): Promise<boolean> {
  const r = await lockConn.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${RUN_LOCK_KEY_SQL('$1')}) AS ok`, [runId]);
  return r.rows[0]?.ok === true;
}

export async function unlockRun(lockConn: ClientBase, runId: string): Promise<void> {
  await lockConn.query(`SELECT pg_advisory_unlock(${RUN_LOCK_KEY_SQL('$1')})`, [runId]);
}
