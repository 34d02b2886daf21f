// The run lock, the liveness protocol: a session-level advisory lock per run on the target, and how its holder is named.
import { hostname } from 'node:os';
import type { ClientBase } from 'pg';
import type { LockFact } from './decide.js';
import type { LockHolder } from './liveness.js';

/** The advisory-lock key of a run, as SQL over a text parameter: taken by the engine, looked up by readers. */
const lockKeySql = (param: string) => `hashtextextended('pgclone run ' || ${param}, 0)`;

/** application_name of every engine session: "pgclone <pid>@<host>", so a reader of the lock can name the process. */
export function applicationName(): string {
  return `pgclone ${process.pid}@${hostname()}`.slice(0, 63);
}

function parseApplicationName(name: string | null): { pid: number; host: string } | null {
  const m = /^pgclone (\d+)@(.*)$/.exec(name ?? '');
  return m ? { pid: Number(m[1]), host: m[2] ?? '' } : null;
}

/** Take the run's lock if nobody holds it. Session-level: it goes away the moment this connection does. */
export async function tryLockRun(lockConn: ClientBase, runId: string): Promise<boolean> {
  const r = await lockConn.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${lockKeySql('$1')}) AS ok`, [runId]);
  return r.rows[0]?.ok === true;
}

/** Take the run's lock, or say who holds it (the holder may be unknown: it let go between the two reads). */
export async function takeRunLock(lockConn: ClientBase, runId: string): Promise<LockFact> {
  if (await tryLockRun(lockConn, runId)) return { held: 'by-us' };
  return { held: 'by-another', holder: (await readRunLocks(lockConn, [runId])).get(runId) ?? null };
}

/** Who holds the locks of these runs in this database, by run id (runs nobody holds are absent). */
export async function readRunLocks(db: ClientBase, runIds: string[]): Promise<Map<string, LockHolder>> {
  const out = new Map<string, LockHolder>();
  if (runIds.length === 0) return out;
  const r = await db.query<{
    run_id: string;
    pid: number;
    application_name: string | null;
    client_addr: string | null;
    backend_start: Date | null;
  }>(
    `WITH keys AS (SELECT run_id, ${lockKeySql('run_id')} AS k FROM unnest($1::text[]) AS run_id)
     SELECT keys.run_id, l.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start
       FROM keys
       JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND l.classid::bigint = ((keys.k >> 32) & 4294967295)
                      AND l.objid::bigint = (keys.k & 4294967295)
       LEFT JOIN pg_stat_activity a ON a.pid = l.pid`,
    [runIds],
  );
  for (const row of r.rows) {
    const app = parseApplicationName(row.application_name);
    out.set(row.run_id, {
      backendPid: row.pid,
      clientPid: app ? app.pid : null,
      clientHost: app ? app.host : null,
      clientAddr: row.client_addr,
      since: row.backend_start ? row.backend_start.toISOString() : null,
    });
  }
  return out;
}
