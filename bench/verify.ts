// Verifies a clone: per table row count and ordered md5, every sequence, and the index/constraint definitions.
import pg from 'pg';
import { qualified } from './dataset.js';
import { client, type Cluster } from './servers.js';

export interface Digest {
  /** "schema"."table" → "rows:md5" */
  tables: Map<string, string>;
  /** sequence → "last_value/is_called" */
  sequences: Map<string, string>;
  /** sorted index and constraint definitions */
  objects: string[];
}

export interface Verdict {
  ok: boolean;
  problems: string[];
  tables: number;
  rows: number;
}

/** Rows are hashed in chunks of this many (in key order) so that no aggregated string nears 1 GB. */
const CHUNK = 1_000_000;

const SESSION = [
  `SET search_path = pg_catalog`,
  `SET TimeZone = 'UTC'`,
  `SET DateStyle = 'ISO, YMD'`,
  `SET IntervalStyle = 'postgres'`,
  `SET extra_float_digits = 3`,
  `SET bytea_output = 'hex'`,
  `SET work_mem = '256MB'`,
  `SET statement_timeout = 0`,
];

const EXCLUDED = `('pg_catalog', 'information_schema', 'pgclone')`;

async function tables(c: pg.Client): Promise<{ schema: string; name: string; key: string[] }[]> {
  const r = await c.query<{ nspname: string; relname: string; key: string[] | null }>(
    `SELECT n.nspname, c.relname,
            (SELECT array_agg(a.attname::text ORDER BY k.o) FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(n, o)
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.n WHERE i.indrelid = c.oid AND i.indisprimary) AS key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ${EXCLUDED} AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
      ORDER BY 1, 2`,
  );
  return r.rows.map((x) => ({ schema: x.nspname, name: x.relname, key: x.key ?? [] }));
}

async function tableDigest(c: pg.Client, t: { schema: string; name: string; key: string[] }): Promise<string> {
  const order = t.key.length > 0 ? t.key.map((k) => `x.${pg.escapeIdentifier(k)}`).join(', ') : `x::text COLLATE "C"`;
  const r = await c.query<{ n: string; h: string | null }>(
    `WITH r AS (SELECT md5(x::text) AS rh, row_number() OVER (ORDER BY ${order}) AS rn FROM ONLY ${qualified(t.schema, t.name)} x)
     SELECT coalesce(sum(cnt), 0)::text AS n, md5(string_agg(h, '' ORDER BY g)) AS h
       FROM (SELECT (rn - 1) / ${CHUNK} AS g, count(*) AS cnt, md5(string_agg(rh, '' ORDER BY rn)) AS h FROM r GROUP BY 1) s`,
  );
  return `${r.rows[0]?.n ?? '?'}:${r.rows[0]?.h ?? 'empty'}`;
}

async function sequences(c: pg.Client): Promise<Map<string, string>> {
  const r = await c.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'S' AND n.nspname NOT IN ${EXCLUDED} ORDER BY 1, 2`,
  );
  const out = new Map<string, string>();
  for (const s of r.rows) {
    const q = qualified(s.schema, s.name);
    const v = await c.query<{ v: string; c: boolean }>(`SELECT last_value::text AS v, is_called AS c FROM ${q}`);
    out.set(q, `${v.rows[0]?.v}/${v.rows[0]?.c}`);
  }
  return out;
}

async function objects(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ d: string }>(
    `SELECT 'index ' || pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END AS d
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ${EXCLUDED} AND n.nspname NOT LIKE 'pg_toast%'
     UNION ALL
     SELECT 'constraint ' || n.nspname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)
       FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
      WHERE n.nspname NOT IN ${EXCLUDED}`,
  );
  return r.rows.map((x) => x.d).sort();
}

export async function digest(side: Cluster, database: string): Promise<Digest> {
  const c = await client(side, database);
  try {
    for (const s of SESSION) await c.query(s);
    const out = new Map<string, string>();
    for (const t of await tables(c)) out.set(qualified(t.schema, t.name), await tableDigest(c, t));
    return { tables: out, sequences: await sequences(c), objects: await objects(c) };
  } finally {
    await c.end();
  }
}

export function compare(source: Digest, target: Digest): Verdict {
  const problems: string[] = [];
  let rows = 0;
  for (const [t, d] of source.tables) {
    rows += Number(d.split(':')[0]);
    const got = target.tables.get(t);
    if (got === undefined) problems.push(`table ${t} missing`);
    else if (got !== d) problems.push(`table ${t}: source ${d} target ${got}`);
  }
  for (const t of target.tables.keys()) if (!source.tables.has(t)) problems.push(`table ${t} not in the source`);
  for (const [s, v] of source.sequences) {
    const got = target.sequences.get(s);
    if (got !== v) problems.push(`sequence ${s}: source ${v} target ${got ?? 'missing'}`);
  }
  const tgt = new Set(target.objects);
  const src = new Set(source.objects);
  for (const o of source.objects) if (!tgt.has(o)) problems.push(`missing ${o}`);
  for (const o of target.objects) if (!src.has(o)) problems.push(`extra ${o}`);
  return { ok: problems.length === 0, problems, tables: source.tables.size, rows };
}

export async function verifyTarget(source: Digest, target: Cluster, database: string): Promise<Verdict> {
  return compare(source, await digest(target, database));
}
