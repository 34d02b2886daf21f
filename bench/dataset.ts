// Builds the source database of a run: pgbench at the chosen scale plus the app schema, and records its size.
import pg from 'pg';
import { appSchemaSql } from './app-schema.js';
import { must } from './proc.js';
import { client, createDb, sideEnv, type Clusters } from './servers.js';

export type Size = 'small' | 'medium' | 'large';
export const SCALES: Record<Size, number> = { small: 10, medium: 50, large: 200 };

export interface Dataset {
  database: string;
  size: Size;
  scale: number;
  bytes: number;
  tables: number;
  rows: number;
  buildS: number;
}

export async function buildDataset(c: Clusters, database: string, size: Size, log: (t: string) => void): Promise<Dataset> {
  const t0 = Date.now();
  const scale = SCALES[size];
  await createDb(c.source, database);
  log(`  pgbench -i -q -s ${scale} …`);
  await must('pgbench', ['-i', '-q', '-s', String(scale)], { env: sideEnv(c, c.source, database) });
  log('  app schema (enums, jsonb, bytea, partitions, foreign keys, a no-key table) …');
  const db = await client(c.source, database);
  try {
    for (const sql of appSchemaSql(scale)) await db.query(sql);
    await db.query('VACUUM (ANALYZE)');
    const r = await db.query<{ bytes: string; tables: string; rows: string | null }>(
      `SELECT pg_database_size(current_database())::text AS bytes,
              count(*)::text AS tables,
              sum(c.reltuples)::bigint::text AS rows
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
    );
    const row = r.rows[0];
    return {
      database,
      size,
      scale,
      bytes: Number(row?.bytes ?? 0),
      tables: Number(row?.tables ?? 0),
      rows: Number(row?.rows ?? 0),
      buildS: (Date.now() - t0) / 1000,
    };
  } finally {
    await db.end();
  }
}

/** Identifier of a table for SQL: "schema"."name". */
export function qualified(schema: string, name: string): string {
  return `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`;
}
