// The source's side of catch-up: what it allows, and the publication and logical replication slot a run makes, reads and drops.
import type pg from 'pg';
import { quoteIdent, tableKey } from '../../events/names.js';
import type { TableRef } from '../../events/schemas.js';
import type { SourceTable } from './catalog.js';
import { compareLsn } from '../../events/lsn.js';

export const CATCH_UP_PLUGIN = 'pgoutput';

/**
 * The one name of a run's slot and publication, from its id alone (lowercase letters, digits and _, as slot names
 * must be): a process killed between creating them and recording them leaves objects anyone can name and drop.
 */
export function catchUpName(runId: string): string {
  return `pgclone_${runId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

/**
 * SQL true for a publication name catch-up made (any run's: run ids are 21 letters and digits): the schema engine
 * neither clones such a publication nor lets it change a run's schema hash.
 */
export function notCatchUpPublication(column: string): string {
  return `${column} !~ '^pgclone_[0-9a-z]{21}$'`;
}

/** Why the source cannot keep a slot for this run, or null when it can. */
export interface SourceDecodingFacts {
  walLevel: string;
  /** superuser, REPLICATION, or RDS's rds_replication */
  mayReplicate: boolean;
  maySlot: boolean;
  slotsUsed: number;
  maxSlots: number;
  mayCreateInDatabase: boolean;
  /** max_slot_wal_keep_size (13+), as the server prints it; -1 means unlimited */
  maxSlotWalKeep: string | null;
}

export async function sourceDecodingFacts(db: pg.ClientBase): Promise<SourceDecodingFacts> {
  const r = await db.query<{
    wal: string;
    su: boolean;
    repl: boolean;
    rds: boolean;
    used: number;
    max: number;
    cr: boolean;
    keep: string | null;
  }>(
    `SELECT current_setting('wal_level') AS wal, r.rolsuper AS su, r.rolreplication AS repl,
            EXISTS (SELECT 1 FROM pg_roles x WHERE x.rolname = 'rds_replication' AND pg_has_role(current_user, x.oid, 'MEMBER')) AS rds,
            (SELECT count(*)::int FROM pg_replication_slots) AS used, current_setting('max_replication_slots')::int AS max,
            has_database_privilege(current_database(), 'CREATE') AS cr,
            current_setting('max_slot_wal_keep_size', true) AS keep
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = r.rows[0];
  if (!row) throw new Error('cannot read the source role');
  const mayReplicate = row.su || row.repl || row.rds;
  return {
    walLevel: row.wal,
    mayReplicate,
    maySlot: mayReplicate,
    slotsUsed: row.used,
    maxSlots: row.max,
    mayCreateInDatabase: row.cr || row.su,
    maxSlotWalKeep: row.keep,
  };
}

/** Why logical decoding is not to be had from this source (one clause), or null. */
export function decodingRefusal(f: SourceDecodingFacts): string | null {
  if (f.walLevel !== 'logical') return `the source's wal_level is ${f.walLevel}, not logical`;
  if (!f.mayReplicate) return 'the source role has neither REPLICATION nor SUPERUSER (nor rds_replication), so it may not create a replication slot';
  if (f.slotsUsed >= f.maxSlots) return `the source has no free replication slot (${f.slotsUsed} of max_replication_slots = ${f.maxSlots} in use)`;
  if (!f.mayCreateInDatabase) return 'the source role may not CREATE in the database, so it may not create a publication';
  return null;
}

/** A table catch-up applies by key: the replica identity's columns (what pgoutput sends for an old row). */
export interface CaughtUpTable {
  table: TableRef;
  key: string[];
}

export interface CatchUpSelection {
  tables: CaughtUpTable[];
  excluded: { table: TableRef; reason: string }[];
}

/**
 * Which planned tables catch-up can keep exact, and why not the others. A table joins the publication only with a
 * replica identity PostgreSQL can send and pgclone can apply by key: publishing one without (REPLICA IDENTITY
 * NOTHING, or DEFAULT with no primary key) would make the source refuse every UPDATE and DELETE on it, and pgclone
 * never changes the source's replica identity itself.
 */
export async function selectCaughtUp(db: pg.ClientBase, tables: SourceTable[]): Promise<CatchUpSelection> {
  if (tables.length === 0) return { tables: [], excluded: [] };
  const r = await db.query<{ oid: number; ident: string; persistence: string; owned: boolean; pk: string[] | null; ri: string[] | null }>(
    `SELECT c.oid::int AS oid, c.relreplident::text AS ident, c.relpersistence::text AS persistence,
            pg_has_role(c.relowner, 'USAGE') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS owned,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum WHERE i.indrelid = c.oid AND i.indisprimary) AS pk,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum WHERE i.indrelid = c.oid AND i.indisreplident) AS ri
       FROM pg_class c WHERE c.oid = ANY($1::oid[])`,
    [tables.map((t) => t.oid)],
  );
  const byOid = new Map(r.rows.map((x) => [x.oid, x]));
  const out: CatchUpSelection = { tables: [], excluded: [] };
  for (const t of tables) {
    const x = byOid.get(t.oid);
    const exclude = (reason: string) => out.excluded.push({ table: t.table, reason });
    if (!x) exclude('not found in the source catalog');
    else if (x.persistence === 'u') exclude('unlogged: logical decoding never sees its changes');
    else if (!x.owned) exclude('not owned by the source role, which may publish only tables it owns');
    else if (x.ident === 'n') exclude('REPLICA IDENTITY NOTHING: its updates and deletes name no row');
    else if (x.ident === 'd' && !x.pk)
      exclude('no primary key and REPLICA IDENTITY DEFAULT: publishing it would make the source refuse its updates and deletes');
    else if (x.ident === 'i' && x.ri) out.tables.push({ table: t.table, key: x.ri });
    else if (x.ident === 'd' && x.pk) out.tables.push({ table: t.table, key: x.pk });
    else if (x.ident === 'f' && (x.pk || t.key.length > 0)) out.tables.push({ table: t.table, key: x.pk ?? t.key.map((k) => k.name) });
    else if (x.ident === 'f') exclude('REPLICA IDENTITY FULL but no unique not-null key: an insert could not be applied idempotently');
    else exclude(`replica identity ${x.ident} without its index`);
  }
  return out;
}

/**
 * The publication of the run's tables, then the slot. PostgreSQL makes the slot consistent only once every
 * transaction running when it was asked for has ended, so this waits for those. Returns the consistent point.
 */
export async function createSlotAndPublication(db: pg.ClientBase, name: string, tables: TableRef[]): Promise<string> {
  await db.query(`CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${tables.map((t) => `ONLY ${tableKey(t)}`).join(', ')}`);
  try {
    const r = await db.query<{ lsn: string }>(`SELECT lsn::text AS lsn FROM pg_catalog.pg_create_logical_replication_slot($1, $2)`, [name, CATCH_UP_PLUGIN]);
    const lsn = r.rows[0]?.lsn;
    if (!lsn) throw new Error('pg_create_logical_replication_slot returned no LSN');
    return lsn;
  } catch (e) {
    await db.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(name)}`).catch(() => undefined);
    throw e;
  }
}

/** Drop the slot and the publication when they exist; what was dropped. A slot in use by another session is an error. */
export async function dropSlotAndPublication(db: pg.ClientBase, slot: string, publication = slot): Promise<string[]> {
  const dropped: string[] = [];
  const s = await db.query(`SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`, [slot]);
  if ((s.rowCount ?? 0) > 0) dropped.push(`replication slot ${slot}`);
  const p = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_catalog.pg_publication WHERE pubname = $1`, [publication]);
  if ((p.rows[0]?.n ?? 0) > 0) {
    await db.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(publication)}`);
    dropped.push(`publication ${publication}`);
  }
  return dropped;
}

export interface SlotState {
  name: string;
  confirmedFlushLsn: string | null;
  /** WAL the slot keeps on the source, in bytes (from its restart_lsn to the source's position now) */
  retainedBytes: number;
  /** 13+: reserved, extended, unreserved, lost */
  walStatus: string | null;
  /** 13+: how much more WAL may be written before max_slot_wal_keep_size takes the slot's; null when unlimited */
  safeWalBytes: number | null;
  /** a session is reading it now */
  active: boolean;
  /** the source's WAL position when this was read */
  sourceLsn: string;
}

/** The slots of these names that exist on the source, each with what it holds (wal_status and safe_wal_size on 13+). */
export async function readSlots(db: pg.ClientBase, names: string[]): Promise<SlotState[]> {
  if (names.length === 0) return [];
  const r = await db.query<{
    name: string;
    confirmed: string | null;
    retained: string | null;
    status: string | null;
    safe: string | null;
    active: boolean;
    now: string;
  }>(
    `SELECT s.slot_name::text AS name, s.confirmed_flush_lsn::text AS confirmed,
            pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.restart_lsn)::bigint::text AS retained,
            to_jsonb(s) ->> 'wal_status' AS status, to_jsonb(s) ->> 'safe_wal_size' AS safe, s.active,
            pg_catalog.pg_current_wal_lsn()::text AS now
       FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = ANY($1::text[]) ORDER BY s.slot_name`,
    [names],
  );
  return r.rows.map((row) => ({
    name: row.name,
    confirmedFlushLsn: row.confirmed,
    retainedBytes: Number(row.retained ?? 0),
    walStatus: row.status,
    safeWalBytes: row.safe === null ? null : Number(row.safe),
    active: row.active,
    sourceLsn: row.now,
  }));
}

export async function slotState(db: pg.ClientBase, name: string): Promise<SlotState | null> {
  return (await readSlots(db, [name]))[0] ?? null;
}

/**
 * A digest of what decoded rows depend on in these schemas: every relation with its kind, its columns (name, type,
 * not-null, position) and its constraints. Any DDL that changes the meaning of a row — a column added, dropped,
 * retyped, a table created or dropped, a key changed — changes it; a follower compares it with the run's.
 */
export async function catalogFingerprint(db: pg.ClientBase, schemas: string[]): Promise<string> {
  const r = await db.query<{ h: string | null }>(
    `SELECT md5(string_agg(x, E'\\n' ORDER BY x)) AS h FROM (
       SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' ||
              coalesce((SELECT string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || ' ' || a.attnum::text, ', ' ORDER BY a.attnum)
                          FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') || ':' ||
              coalesce((SELECT string_agg(k.conname || ' ' || pg_catalog.pg_get_constraintdef(k.oid), ', ' ORDER BY k.conname)
                          FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid), '') AS x
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'f', 'v', 'm')) s`,
    [schemas],
  );
  return r.rows[0]?.h ?? '';
}

/** The source's WAL position now, once what was written up to it is flushed (a change decoding can read). */
export async function currentLsn(db: pg.ClientBase, waitMs = 10_000): Promise<string> {
  const r = await db.query<{ lsn: string }>('SELECT pg_catalog.pg_current_wal_lsn()::text AS lsn');
  const lsn = r.rows[0]?.lsn as string;
  const until = Date.now() + waitMs;
  for (;;) {
    const f = await db.query<{ lsn: string }>('SELECT pg_catalog.pg_current_wal_flush_lsn()::text AS lsn');
    if (compareLsn(f.rows[0]?.lsn as string, lsn) >= 0 || Date.now() > until) return lsn;
    await new Promise((res) => setTimeout(res, 50));
  }
}

export interface ChangeRow {
  lsn: string;
  data: Buffer;
}

/**
 * The slot's next transactions that commit before `upto`, whole (decoding stops after the transaction in which
 * `maxChanges` is passed), without consuming them: the slot moves only when advanceSlot says so.
 */
export async function peekChanges(db: pg.ClientBase, name: string, upto: string, maxChanges: number): Promise<ChangeRow[]> {
  const r = await db.query<ChangeRow>(
    `SELECT lsn::text AS lsn, data FROM pg_catalog.pg_logical_slot_peek_binary_changes($1, $2::pg_lsn, $3, 'proto_version', '1', 'publication_names', $4)`,
    [name, upto, maxChanges, name],
  );
  return r.rows;
}

/** Move the slot's confirmed position to `lsn` (never back): the source may then let go of the WAL before it. */
export async function advanceSlot(db: pg.ClientBase, name: string, lsn: string): Promise<void> {
  await db.query(
    `SELECT pg_catalog.pg_replication_slot_advance(slot_name, $2::pg_lsn) FROM pg_catalog.pg_replication_slots
      WHERE slot_name = $1 AND (confirmed_flush_lsn IS NULL OR confirmed_flush_lsn < $2::pg_lsn)`,
    [name, lsn],
  );
}
