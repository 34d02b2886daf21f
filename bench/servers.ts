// The source and target clusters of a benchmark run (two embedded clusters, or the local server), and their databases.
import pg from 'pg';
import { startEmbedded, type EmbeddedServer } from '../src/local/embedded.js';

export interface Cluster {
  label: 'source' | 'target';
  host: string;
  port: number;
  user: string;
  /** kept in memory only; children get it through PGPASSWORD */
  password: string | undefined;
  stop(): Promise<void>;
}

export interface Clusters {
  mode: 'embedded' | 'local';
  source: Cluster;
  target: Cluster;
}

/** Settings for a benchmark: room for a GB-sized clone without checkpoints in the middle of a run. */
const BENCH_SETTINGS: Record<string, string> = {
  shared_buffers: '512MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '30min',
  max_connections: '50',
};

function fromEmbedded(s: EmbeddedServer, label: Cluster['label']): Cluster {
  return { label, host: '127.0.0.1', port: s.port, user: 'postgres', password: s.password, stop: () => s.stop() };
}

export async function client(c: Cluster, database: string): Promise<pg.Client> {
  const cl = new pg.Client({ host: c.host, port: c.port, user: c.user, password: c.password, database, application_name: 'pgclone-bench' });
  cl.on('error', () => undefined);
  await cl.connect();
  return cl;
}

export async function admin<T extends pg.QueryResultRow = pg.QueryResultRow>(c: Cluster, sql: string, params: unknown[] = []): Promise<T[]> {
  const cl = await client(c, 'postgres');
  try {
    return (await cl.query<T>(sql, params)).rows;
  } finally {
    await cl.end();
  }
}

/**
 * Two embedded clusters (separate buffers, separate WAL). The target's postgres password is set to the
 * source's so that one PGPASSWORD in the children's environment serves both sides; it is never printed.
 */
export async function provision(mode: 'embedded' | 'local', localUrl: string, onStop: (f: () => Promise<void>) => void): Promise<Clusters> {
  if (mode === 'local') {
    const u = new URL(localUrl);
    const local: Cluster = {
      label: 'source',
      host: u.hostname,
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username || 'postgres'),
      password: u.password ? decodeURIComponent(u.password) : undefined,
      stop: async () => undefined,
    };
    return { mode, source: local, target: { ...local, label: 'target' } };
  }
  const src = await startEmbedded({ label: 'bench-src', settings: BENCH_SETTINGS });
  onStop(() => src.stop());
  const tgt = await startEmbedded({ label: 'bench-tgt', settings: BENCH_SETTINGS });
  onStop(() => tgt.stop());
  const target = fromEmbedded(tgt, 'target');
  await admin(target, `ALTER ROLE postgres PASSWORD ${pg.escapeLiteral(src.password)}`);
  target.password = src.password;
  return { mode, source: fromEmbedded(src, 'source'), target };
}

/** Environment for a libpq or pgclone child: no inherited PG* variables, the password only in PGPASSWORD. */
export function childEnv(c: Clusters): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  if (c.source.password !== undefined) env.PGPASSWORD = c.source.password;
  env.PGCONNECT_TIMEOUT = '10';
  return env;
}

/** key=value conninfo without a password (libpq tools take it from PGPASSWORD). */
export function conninfo(c: Cluster, database: string): string {
  const q = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `host=${q(c.host)} port=${c.port} user=${q(c.user)} dbname=${q(database)} sslmode=disable`;
}

/** postgresql:// URL without a password. */
export function url(c: Cluster, database: string): string {
  return `postgresql://${encodeURIComponent(c.user)}@${c.host}:${c.port}/${encodeURIComponent(database)}?sslmode=disable`;
}

/** PG* variables naming one side, for tools such as pgbench that take no connection string. */
export function sideEnv(c: Clusters, side: Cluster, database: string): NodeJS.ProcessEnv {
  return { ...childEnv(c), PGHOST: side.host, PGPORT: String(side.port), PGUSER: side.user, PGDATABASE: database };
}

export async function createDb(c: Cluster, name: string): Promise<void> {
  await admin(c, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await admin(c, `CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
}

export async function dropDb(c: Cluster, name: string): Promise<void> {
  await admin(c, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
}

export async function checkpoint(c: Clusters): Promise<void> {
  await admin(c.source, 'CHECKPOINT');
  if (c.mode === 'embedded') await admin(c.target, 'CHECKPOINT');
}

export async function serverVersion(c: Cluster): Promise<string> {
  const r = await admin<{ v: string }>(c, `SELECT current_setting('server_version') AS v`);
  return r[0]?.v ?? 'unknown';
}
