// Catalog reads: server identity, the tables and items of a dump by oid, keys, privileges. Reads only.
import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import type { TableRef } from '../../events/schemas.js';
import type { TocEntry } from './dump.js';

export interface ServerFacts {
  versionNum: number;
  version: string;
  /** sha-256 of the cluster's system identifier, the database oid and name: equal for the same database however reached */
  fingerprint: string;
  currentUser: string;
  superuser: boolean;
  bypassRls: boolean;
  database: string;
  encoding: string;
}

export async function serverFacts(db: ClientBase): Promise<ServerFacts> {
  const r = await db.query<{
    num: string;
    version: string;
    sysid: string;
    dboid: string;
    datname: string;
    usr: string;
    su: boolean;
    bypass: boolean;
    enc: string;
  }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version,
            (SELECT system_identifier::text FROM pg_control_system()) AS sysid,
            d.oid::text AS dboid, d.datname, current_user AS usr, r.rolsuper AS su, r.rolbypassrls AS bypass,
            pg_encoding_to_char(d.encoding) AS enc
       FROM pg_database d, pg_roles r
      WHERE d.datname = current_database() AND r.rolname = current_user`,
  );
  const row = r.rows[0];
  if (!row) throw new Error('cannot read the server identity');
  const fingerprint = createHash('sha256').update(`${row.sysid}:${row.dboid}:${row.datname}`).digest('hex').slice(0, 32);
  return {
    versionNum: Number(row.num),
    version: row.version.split(' ')[0] as string,
    fingerprint,
    currentUser: row.usr,
    superuser: row.su,
    bypassRls: row.bypass,
    database: row.datname,
    encoding: row.enc,
  };
}

export interface ColumnInfo {
  name: string;
  type: string;
  /** binary COPY is safe for this type: a built-in base type, or an enum (sent as its label); binary arrays and records carry type oids, which differ between servers */
  binaryOk: boolean;
}

export interface SourceTable {
  oid: number;
  table: TableRef;
  relkind: string;
  estRows: number;
  pages: number;
  bytes: number;
  /** columns COPY carries: all but dropped and generated ones, in attnum order */
  columns: ColumnInfo[];
  /** key columns of the primary key or a unique not-null index, with their SQL types; empty when none */
  key: { name: string; type: string }[];
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  ownedByMe: boolean;
}

/** The tables behind TABLE entries of the dump (plain and partition leaves; partitioned parents carry no rows). */
export async function sourceTables(db: ClientBase, oids: number[]): Promise<SourceTable[]> {
  if (oids.length === 0) return [];
  const r = await db.query<{
    oid: number;
    nspname: string;
    relname: string;
    relkind: string;
    reltuples: number;
    relpages: number;
    bytes: string;
    cols: { name: string; type: string; binary_ok: boolean }[] | null;
    key: { name: string; type: string }[] | null;
    rls: boolean;
    force_rls: boolean;
    mine: boolean;
  }>(
    `SELECT c.oid::int AS oid, n.nspname, c.relname, c.relkind::text AS relkind, c.reltuples::float8 AS reltuples,
            c.relpages::int AS relpages, pg_table_size(c.oid)::text AS bytes,
            c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls, pg_has_role(c.relowner, 'USAGE') AS mine,
            (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                               'binary_ok', t.typsend <> 0 AND t.typreceive <> 0
                                                            AND ((t.oid < 16384 AND t.typtype = 'b' AND (t.typelem = 0 OR t.typelem < 16384))
                                                                 OR t.typtype = 'e')) ORDER BY a.attnum)
               FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS cols,
            (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) ORDER BY k.ord)
               FROM (SELECT i.indexrelid, i.indkey
                       FROM pg_index i
                      WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indimmediate
                        AND i.indpred IS NULL AND i.indexprs IS NULL
                        AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey) col(n)
                                          JOIN pg_attribute a2 ON a2.attrelid = c.oid AND a2.attnum = col.n
                                         WHERE NOT a2.attnotnull)
                      ORDER BY i.indisprimary DESC, array_length(i.indkey, 1), i.indexrelid
                      LIMIT 1) best,
                    unnest(best.indkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) AS key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY($1::oid[]) AND c.relkind IN ('r', 'p')`,
    [oids],
  );
  return r.rows.map((row) => ({
    oid: row.oid,
    table: { schema: row.nspname, name: row.relname },
    relkind: row.relkind,
    estRows: row.reltuples,
    pages: row.relpages,
    bytes: Number(row.bytes),
    columns: (row.cols ?? []).map((c) => ({ name: c.name, type: c.type, binaryOk: c.binary_ok })),
    key: row.key ?? [],
    rowSecurity: row.rls,
    forceRowSecurity: row.force_rls,
    ownedByMe: row.mine,
  }));
}

export interface PostItemFacts {
  name: string;
  table: TableRef | null;
  /** for foreign keys: the referenced table */
  refTable: TableRef | null;
}

/** Names and tables of post-data items, from the catalogs their TOC entries point at. */
export async function postItemFacts(db: ClientBase, entries: TocEntry[]): Promise<Map<number, PostItemFacts>> {
  const out = new Map<number, PostItemFacts>();
  if (entries.length === 0) return out;
  const r = await db.query<{
    dump_id: number;
    name: string | null;
    tschema: string | null;
    tname: string | null;
    rschema: string | null;
    rname: string | null;
  }>(
    `WITH e(dump_id, classid, objid) AS (SELECT * FROM unnest($1::int[], $2::oid[], $3::oid[])),
     facts AS (
       SELECT e.dump_id, con.conname::text AS name, con.conrelid AS rel, NULLIF(con.confrelid, 0) AS ref
         FROM e JOIN pg_constraint con ON e.classid = 'pg_constraint'::regclass AND con.oid = e.objid
       UNION ALL
       SELECT e.dump_id, ic.relname::text, i.indrelid, NULL
         FROM e JOIN pg_class ic ON e.classid = 'pg_class'::regclass AND ic.oid = e.objid
                JOIN pg_index i ON i.indexrelid = ic.oid
       UNION ALL
       SELECT e.dump_id, tg.tgname::text, tg.tgrelid, NULL
         FROM e JOIN pg_trigger tg ON e.classid = 'pg_trigger'::regclass AND tg.oid = e.objid
       UNION ALL
       SELECT e.dump_id, p.polname::text, p.polrelid, NULL
         FROM e JOIN pg_policy p ON e.classid = 'pg_policy'::regclass AND p.oid = e.objid
       UNION ALL
       SELECT e.dump_id, rw.rulename::text, rw.ev_class, NULL
         FROM e JOIN pg_rewrite rw ON e.classid = 'pg_rewrite'::regclass AND rw.oid = e.objid
       UNION ALL
       SELECT e.dump_id, s.stxname::text, s.stxrelid, NULL
         FROM e JOIN pg_statistic_ext s ON e.classid = 'pg_statistic_ext'::regclass AND s.oid = e.objid
       UNION ALL
       SELECT e.dump_id, c.relname::text, c.oid, NULL
         FROM e JOIN pg_class c ON e.classid = 0 AND c.oid = e.objid
     )
     SELECT f.dump_id, f.name, tn.nspname AS tschema, t.relname AS tname, rn.nspname AS rschema, r.relname AS rname
       FROM facts f
       LEFT JOIN pg_class t ON t.oid = f.rel LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
       LEFT JOIN pg_class r ON r.oid = f.ref LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace`,
    [entries.map((e) => e.dumpId), entries.map((e) => e.tableoid), entries.map((e) => e.oid)],
  );
  for (const row of r.rows) {
    out.set(row.dump_id, {
      name: row.name ?? '',
      table: row.tschema !== null && row.tname !== null ? { schema: row.tschema, name: row.tname } : null,
      refTable: row.rschema !== null && row.rname !== null ? { schema: row.rschema, name: row.rname } : null,
    });
  }
  return out;
}

/** Sequences behind SEQUENCE entries of the dump, by schema and name. */
export async function sourceSequences(db: ClientBase, oids: number[]): Promise<TableRef[]> {
  if (oids.length === 0) return [];
  const r = await db.query<{ nspname: string; relname: string }>(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY($1::oid[]) AND c.relkind = 'S' ORDER BY n.nspname, c.relname`,
    [oids],
  );
  return r.rows.map((x) => ({ schema: x.nspname, name: x.relname }));
}

/** How many large objects a database holds, and the oid range they span (0–0 when none). */
export async function largeObjectSpan(db: ClientBase): Promise<{ count: number; minOid: number; maxOid: number }> {
  const r = await db.query<{ n: number; lo: string | null; hi: string | null }>(
    'SELECT count(*)::int AS n, min(oid::int8)::text AS lo, max(oid::int8)::text AS hi FROM pg_catalog.pg_largeobject_metadata',
  );
  const row = r.rows[0];
  return { count: row?.n ?? 0, minOid: Number(row?.lo ?? 0), maxOid: Number(row?.hi ?? 0) };
}
