// Planner statistics carried from the source (pg_restore_relation_stats / pg_restore_attribute_stats, PostgreSQL 18+), as pg_dump 18 carries them.
import type pg from 'pg';
import type { TableRef } from '../../events/schemas.js';

/** Both sides must run 18 or newer: the restore functions (and relallfrozen) are 18's. */
export const CARRY_STATS_MIN_VERSION = 180000;

export function statisticsCarried(sourceVersionNum: number, targetVersionNum: number): boolean {
  return sourceVersionNum >= CARRY_STATS_MIN_VERSION && targetVersionNum >= CARRY_STATS_MIN_VERSION;
}

/** One pg_stats row of the relation or of one of its indexes (expression columns), values as the source prints them. */
interface AttributeStats {
  relname: string;
  /** an index's column is named by attnum (pg_dump does the same); a table's by name, its attnums may differ on the target */
  is_index: boolean;
  attnum: number;
  attname: string;
  inherited: boolean;
  [stat: string]: string | number | boolean | null;
}

export interface SourceStats {
  version: number;
  reltuples: string;
  relallvisible: number;
  relallfrozen: number;
  attributes: AttributeStats[];
}

/** The source's statistics of a relation, or why they cannot be carried (ANALYZE then). */
export type StatsReading = { carry: SourceStats } | { analyze: 'never analyzed' | 'extended statistics' };

// every stat is read as text: float4's text form round-trips exactly, and anyarray has no other portable form
const STATS: [name: string, type: string][] = [
  ['null_frac', 'real'],
  ['avg_width', 'integer'],
  ['n_distinct', 'real'],
  ['most_common_vals', 'text'],
  ['most_common_freqs', 'real[]'],
  ['histogram_bounds', 'text'],
  ['correlation', 'real'],
  ['most_common_elems', 'text'],
  ['most_common_elem_freqs', 'real[]'],
  ['elem_count_histogram', 'real[]'],
  ['range_length_histogram', 'text'],
  ['range_empty_frac', 'real'],
  ['range_bounds_histogram', 'text'],
];

/** Read in the run's snapshot (pg_class and pg_stats, as pg_dump 18's dumpRelationStats reads them). */
export async function readSourceStats(source: pg.ClientBase, t: TableRef, version: number): Promise<StatsReading> {
  const rel = await source.query<{ reltuples: string; relallvisible: number; relallfrozen: number; extended: boolean }>(
    `SELECT c.reltuples::text AS reltuples, c.relallvisible, c.relallfrozen,
            EXISTS (SELECT 1 FROM pg_catalog.pg_statistic_ext x WHERE x.stxrelid = c.oid) AS extended
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2`,
    [t.schema, t.name],
  );
  const r = rel.rows[0];
  if (!r) throw new Error(`relation ${t.schema}.${t.name} is not in the source's snapshot`);
  // their data is ANALYZE's to compute: 18 has no function that restores it
  if (r.extended) return { analyze: 'extended statistics' };
  if (Number(r.reltuples) < 0) return { analyze: 'never analyzed' };
  const atts = await source.query<AttributeStats>(
    `SELECT c.relname, c.relkind IN ('i', 'I') AS is_index, a.attnum, s.attname, s.inherited,
            ${STATS.map(([name]) => `s.${name}::text AS ${name}`).join(', ')}
       FROM pg_catalog.pg_class t
       JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_catalog.pg_class c ON c.oid = t.oid OR c.oid IN (SELECT i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid = t.oid)
       JOIN pg_catalog.pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname
      WHERE n.nspname = $1 AND t.relname = $2
      ORDER BY c.relname, s.attname, s.inherited`,
    [t.schema, t.name],
  );
  if (atts.rows.length === 0) return { analyze: 'never analyzed' };
  return { carry: { version, reltuples: r.reltuples, relallvisible: r.relallvisible, relallfrozen: r.relallfrozen, attributes: atts.rows } };
}

/**
 * Apply them on the target, in the caller's transaction: true when every value was restored (a false is the
 * server's WARNING about a value it skipped). relpages is the target's own page count: the planner scales reltuples
 * by actual pages / relpages, and the target's heap is not the source's size.
 */
export async function restoreStats(target: pg.ClientBase, t: TableRef, s: SourceStats): Promise<boolean> {
  const rel = await target.query<{ ok: boolean }>(
    `WITH p AS (SELECT (pg_catalog.pg_relation_size(c.oid) / current_setting('block_size')::int)::int AS pages
                  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = $1 AND c.relname = $2)
     SELECT pg_catalog.pg_restore_relation_stats('schemaname', $1::text, 'relname', $2::text, 'version', $3::int,
              'relpages', p.pages, 'reltuples', $4::real, 'relallvisible', least($5::int, p.pages), 'relallfrozen', least($6::int, p.pages)) AS ok
       FROM p`,
    [t.schema, t.name, s.version, s.reltuples, s.relallvisible, s.relallfrozen],
  );
  const atts = await target.query<{ ok: boolean }>(
    `SELECT coalesce(bool_and(pg_catalog.pg_restore_attribute_stats(
              'schemaname', $1::text, 'relname', x.relname, 'version', $2::int,
              'attname', CASE WHEN x.is_index THEN NULL ELSE x.attname END, 'attnum', CASE WHEN x.is_index THEN x.attnum END,
              'inherited', x.inherited, ${STATS.map(([name, type]) => `'${name}', x.${name}::${type}`).join(', ')})), true) AS ok
       FROM jsonb_to_recordset($3::jsonb) AS x(relname text, is_index boolean, attnum smallint, attname text, inherited boolean,
            ${STATS.map(([name]) => `${name} text`).join(', ')})`,
    [t.schema, s.version, JSON.stringify(s.attributes)],
  );
  return rel.rows[0]?.ok === true && atts.rows[0]?.ok === true;
}
