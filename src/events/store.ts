// The log's storage in the target: create it, append (in the caller's transaction), read, tail. The lock's SQL is in lock.ts.
import type { ClientBase } from 'pg';
import { parseEventRow, type EventRow } from './codec.js';
import { tableKey } from './names.js';
import { inSavepoint, inTransaction } from './transaction.js';
import { EVENT_VERSION, PgcloneEvent, type LoggedEvent, type NewEvent } from './schemas.js';

const EVENTS = 'pgclone.events';

/** A connection to the target as the log's readers take it (the UI passes one along without speaking pg itself). */
export type LogDb = ClientBase;

const ENSURE_SQL = `
CREATE SCHEMA IF NOT EXISTS pgclone;
REVOKE ALL ON SCHEMA pgclone FROM PUBLIC;
COMMENT ON SCHEMA pgclone IS 'pgclone: the append-only event log of clone runs into this database';
CREATE TABLE IF NOT EXISTS pgclone.events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL,
  type text NOT NULL,
  version integer NOT NULL,
  at timestamptz NOT NULL,
  tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
  unique_key text,
  payload jsonb NOT NULL,
  CONSTRAINT events_unique_step UNIQUE (run_id, unique_key)
);
CREATE INDEX IF NOT EXISTS events_run_idx ON pgclone.events (run_id, id);
CREATE INDEX IF NOT EXISTS events_tail_idx ON pgclone.events (tx, id);
COMMENT ON TABLE pgclone.events IS 'pgclone event log v1: append-only (UPDATE, DELETE and TRUNCATE are rejected)';
CREATE OR REPLACE FUNCTION pgclone.reject_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $fn$
BEGIN
  RAISE EXCEPTION 'pgclone.events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'the clone log is an audit trail; use "pgclone wipe" to retire a run';
END
$fn$;
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'pgclone.events'::regclass AND tgname = 'events_append_only') THEN
    CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON pgclone.events
      FOR EACH STATEMENT EXECUTE FUNCTION pgclone.reject_change();
  END IF;
  -- fires under session_replication_role = replica too (catch-up applies changes in such sessions): no session of
  -- pgclone's may skip it; a log made by an older version and owned by another role keeps its ordinary trigger
  IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'pgclone.events'::regclass AND tgname = 'events_append_only' AND tgenabled <> 'A') THEN
    BEGIN
      ALTER TABLE pgclone.events ENABLE ALWAYS TRIGGER events_append_only;
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
  END IF;
END
$do$;
REVOKE ALL ON TABLE pgclone.events FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.reject_change() FROM PUBLIC;
DO $do$
DECLARE g record;
BEGIN
  -- default privileges (common on managed platforms) may have granted the new table to API roles: take them back
  FOR g IN SELECT DISTINCT a.grantee::regrole AS role FROM pg_class c, aclexplode(c.relacl) a
           WHERE c.oid = 'pgclone.events'::regclass AND a.grantee <> 0 AND a.grantee <> c.relowner LOOP
    EXECUTE format('REVOKE ALL ON TABLE pgclone.events FROM %s', g.role);
  END LOOP;
  FOR g IN SELECT DISTINCT a.grantee::regrole AS role FROM pg_namespace n, aclexplode(n.nspacl) a
           WHERE n.nspname = 'pgclone' AND a.grantee <> 0 AND a.grantee <> n.nspowner LOOP
    EXECUTE format('REVOKE ALL ON SCHEMA pgclone FROM %s', g.role);
  END LOOP;
END
$do$;
`;

/** Is the log already there? (Reads only; used where nothing may be written.) */
export async function logExists(db: ClientBase): Promise<boolean> {
  const r = await db.query<{ ok: boolean }>(
    `SELECT to_regclass('pgclone.events') IS NOT NULL
        AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass('pgclone.events') AND tgname = 'events_append_only') AS ok`,
  );
  return r.rows[0]?.ok === true;
}

/** Create the log schema and table if missing. Idempotent and safe to race. */
export async function ensureLog(db: ClientBase): Promise<void> {
  if (await logExists(db)) return;
  await inTransaction(db, async () => {
    await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('pgclone ensure log', 0))`);
    await db.query(ENSURE_SQL);
  });
}

/** The step an event records, when at most one such event may exist per run (the log's own exactly-once check). */
export function uniqueKeyOf(ev: NewEvent): string | null {
  switch (ev.type) {
    case 'RunStarted':
      return 'run-started';
    case 'SchemaApplied':
      return 'schema';
    case 'TableStarted':
      return `table-started ${tableKey(ev.table)}`;
    case 'BatchCopied':
      return `batch ${tableKey(ev.table)} ${ev.batch}`;
    case 'TableCompleted':
      return `table-completed ${tableKey(ev.table)}`;
    case 'PostDataItemApplied':
      return `post-data ${ev.itemId}`;
    case 'SequencesSynced':
      return 'sequences';
    case 'LargeObjectsCopied':
      // a batch starts at the first oid after the committed ones: the same batch twice has the same start
      return `large-objects ${ev.fromOid}`;
    case 'LargeObjectsVerified':
      return 'large-objects-verified';
    case 'RunFinished':
      return 'finished';
    case 'CutoverRequested':
      return 'cutover-requested';
    case 'CutoverCompleted':
      return 'cutover-completed';
    case 'RunWiped':
      return 'wiped';
    default:
      return null;
  }
}

export type AppendResult = { ok: true; events: LoggedEvent[] } | { ok: false; conflict: string };

/**
 * Append events inside the caller's open transaction, so the change they record commits with them.
 * A step already recorded for the run is a conflict (returned, not thrown); the caller must roll back.
 */
export async function appendEvents(tx: ClientBase, events: NewEvent[], now: () => Date = () => new Date()): Promise<AppendResult> {
  if (events.length === 0) return { ok: true, events: [] };
  const values: string[] = [];
  const params: unknown[] = [];
  const fulls: PgcloneEvent[] = [];
  for (const e of events) {
    const full = PgcloneEvent.parse({ ...e, v: EVENT_VERSION, at: e.at ?? now().toISOString() });
    fulls.push(full);
    const n = params.length;
    values.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}::timestamptz, $${n + 5}, $${n + 6}::jsonb)`);
    params.push(full.runId, full.type, full.v, full.at, uniqueKeyOf(e), JSON.stringify(full));
  }
  const r = await inSavepoint(
    tx,
    () => tx.query<{ id: string }>(`INSERT INTO ${EVENTS} (run_id, type, version, at, unique_key, payload) VALUES ${values.join(', ')} RETURNING id`, params),
    (code) => code === '23505',
  );
  if (!r.ok)
    return {
      ok: false,
      conflict: events
        .map(uniqueKeyOf)
        .filter((k) => k !== null)
        .join(', '),
    };
  return { ok: true, events: fulls.map((f, i) => ({ ...f, id: Number(r.value.rows[i]?.id) })) };
}

/** Append outside any wider transaction; `change`, when given, commits in the same transaction (RunStarted's marker on the target). */
export async function appendStandalone(db: ClientBase, events: NewEvent[], change?: () => Promise<unknown>): Promise<AppendResult> {
  return inTransaction(
    db,
    async () => {
      await change?.();
      return appendEvents(db, events);
    },
    { rollbackIf: (r) => !r.ok },
  );
}

const COLUMNS = 'id, run_id, type, version, payload';

/** One run's events in log order. Empty when the log or the run does not exist. */
export async function readRun(db: ClientBase, runId: string): Promise<LoggedEvent[]> {
  if (!(await logExists(db))) return [];
  const r = await db.query<EventRow>(`SELECT ${COLUMNS} FROM ${EVENTS} WHERE run_id = $1 ORDER BY id`, [runId]);
  return r.rows.map(parseEventRow);
}

/** One run's events of one type, in log order (a follower looks for CutoverRequested without reading the whole run). */
export async function readEventsOfType(db: ClientBase, runId: string, type: LoggedEvent['type']): Promise<LoggedEvent[]> {
  const r = await db.query<EventRow>(`SELECT ${COLUMNS} FROM ${EVENTS} WHERE run_id = $1 AND type = $2 ORDER BY id`, [runId, type]);
  return r.rows.map(parseEventRow);
}

/** The runs whose id starts with `prefix` (an abbreviated id, as git takes one), at most `limit`, sorted. */
export async function runIdsStartingWith(db: ClientBase, prefix: string, limit = 10): Promise<string[]> {
  if (!(await logExists(db))) return [];
  const r = await db.query<{ run_id: string }>(
    `SELECT DISTINCT run_id FROM ${EVENTS} WHERE type = 'RunStarted' AND starts_with(run_id, $1) ORDER BY run_id LIMIT $2`,
    [prefix, limit],
  );
  return r.rows.map((x) => x.run_id);
}

export interface RunSummaryRow {
  runId: string;
  first: LoggedEvent;
  last: LoggedEvent;
  count: number;
}

/** Every run in the log with its first and last events, oldest first. */
export async function listRuns(db: ClientBase): Promise<RunSummaryRow[]> {
  if (!(await logExists(db))) return [];
  const r = await db.query<EventRow & { role: 'first' | 'last'; n: string }>(
    `WITH bounds AS (SELECT run_id, min(id) AS first_id, max(id) AS last_id, count(*) AS n FROM ${EVENTS} GROUP BY run_id)
     SELECT e.id, e.run_id, e.type, e.version, e.payload, b.n,
            CASE WHEN e.id = b.first_id THEN 'first' ELSE 'last' END AS role
       FROM bounds b JOIN ${EVENTS} e ON e.id IN (b.first_id, b.last_id)
      ORDER BY b.first_id, e.id`,
  );
  const out = new Map<string, RunSummaryRow>();
  for (const row of r.rows) {
    const ev = parseEventRow(row);
    const cur = out.get(row.run_id);
    if (!cur) out.set(row.run_id, { runId: row.run_id, first: ev, last: ev, count: Number(row.n) });
    else cur.last = ev;
  }
  return [...out.values()];
}

/** Every run's events, grouped by run, runs oldest first. */
export async function readAllRuns(db: ClientBase): Promise<Map<string, LoggedEvent[]>> {
  const out = new Map<string, LoggedEvent[]>();
  if (!(await logExists(db))) return out;
  const r = await db.query<EventRow>(`SELECT ${COLUMNS} FROM ${EVENTS} ORDER BY id`);
  for (const row of r.rows) {
    const ev = parseEventRow(row);
    const list = out.get(ev.runId);
    if (list) list.push(ev);
    else out.set(ev.runId, [ev]);
  }
  return out;
}

/** Where a follower has read up to: transaction id and event id of the last event it saw. */
export interface TailCursor {
  tx: string;
  id: number;
}

export const TAIL_START: TailCursor = { tx: '0', id: 0 };

/**
 * The oldest transaction still running that could write this log, as of the statement's snapshot: every
 * in-progress xid except those known to belong to sessions of other databases (which cannot write here).
 * An xid that cannot be attributed — its session just ended, or is hidden from this role — counts as
 * ours, so the horizon errs towards waiting, never towards skipping. Without this, one long transaction
 * anywhere on the target's cluster would freeze every follower.
 */
const HORIZON_SQL = `
  SELECT coalesce(
           (SELECT min(x) FROM pg_snapshot_xip(s.snap) AS x
             WHERE x::xid NOT IN (SELECT a.backend_xid FROM pg_stat_activity a
                                   WHERE a.backend_xid IS NOT NULL
                                     AND a.datid IS DISTINCT FROM (SELECT oid FROM pg_database WHERE datname = current_database()))),
           pg_snapshot_xmax(s.snap)) AS h
    FROM (SELECT pg_current_snapshot() AS snap) s`;

/**
 * Events after the cursor, in (transaction, id) order, from transactions older than every one still running.
 * A transaction that commits late with a smaller id is still running when a newer one is read, so it holds
 * the horizon back and is read later, never skipped. The log must exist (see logExists).
 */
export async function readAfter(
  db: ClientBase,
  cursor: TailCursor,
  opts: { runId?: string; limit?: number } = {},
): Promise<{ events: LoggedEvent[]; cursor: TailCursor }> {
  const params: unknown[] = [cursor.tx, cursor.id, opts.limit ?? 5000];
  const runFilter = opts.runId === undefined ? '' : `AND run_id = $${params.push(opts.runId)}`;
  // ORDER BY names the table's xid8 column: an output column called tx (text) would sort '1000' before '998',
  // and a follower whose log crossed such a boundary read events out of order and failed on them
  const r = await db.query<EventRow & { tx_text: string }>(
    `WITH horizon AS (${HORIZON_SQL})
     SELECT ${COLUMNS}, e.tx::text AS tx_text FROM ${EVENTS} e, horizon
      WHERE (e.tx, e.id) > ($1::xid8, $2::bigint)
        AND e.tx < horizon.h
        ${runFilter}
      ORDER BY e.tx, e.id
      LIMIT $3`,
    params,
  );
  const events = r.rows.map(parseEventRow);
  const last = r.rows[r.rows.length - 1];
  return { events, cursor: last ? { tx: last.tx_text, id: Number(last.id) } : cursor };
}
