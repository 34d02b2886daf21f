// pg_dump and pg_restore: finding them, checking their version, running them without a password on argv.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ConnInfo } from './conninfo.js';
import { PgcloneError } from '../errors.js';

export interface PgTools {
  pgDump: string;
  pgRestore: string;
  /** major version of pg_dump, e.g. 15 */
  major: number;
  version: string;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Debian/Ubuntu keep every installed major in /usr/lib/postgresql/<major>/bin: prefer the newest. */
function debianCandidates(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(b) - Number(a))
    .map((d) => join(root, d, 'bin'));
}

async function run(
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
  timeoutMs?: number,
): Promise<{ code: number | null; stdout: Buffer; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs)
      : null;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err, timedOut });
    });
  });
}

export async function toolVersion(path: string): Promise<{ major: number; version: string }> {
  const r = await run(path, ['--version']);
  const m = /(\d+)(?:\.(\d+))?/.exec(r.stdout.toString());
  if (r.code !== 0 || !m) throw new PgcloneError('preflight', `${path} --version did not answer with a version`);
  return { major: Number(m[1]), version: m[0] };
}

/**
 * Find pg_dump and pg_restore: $PGCLONE_PG_BIN, then the newest Debian-style install, then PATH.
 * The pair must come from one directory so their archive formats match.
 */
export async function findPgTools(env: NodeJS.ProcessEnv = process.env): Promise<PgTools> {
  const dirs: string[] = [];
  if (env.PGCLONE_PG_BIN) dirs.push(env.PGCLONE_PG_BIN);
  else {
    dirs.push(...debianCandidates());
    const dump = onPath('pg_dump', env);
    if (dump) dirs.push(join(dump, '..'));
  }
  for (const dir of dirs) {
    const pgDump = join(dir, 'pg_dump');
    const pgRestore = join(dir, 'pg_restore');
    if (existsSync(pgDump) && existsSync(pgRestore)) {
      const v = await toolVersion(pgDump);
      return { pgDump, pgRestore, ...v };
    }
  }
  const where = env.PGCLONE_PG_BIN ? `in PGCLONE_PG_BIN (${env.PGCLONE_PG_BIN})` : 'on PATH or in /usr/lib/postgresql/*/bin';
  throw new PgcloneError('preflight', `pg_dump and pg_restore were not found ${where}; ${installHint()}`);
}

/** Where the client tools come from on the common systems, in one clause. */
export function installHint(major?: number): string {
  const v = major ? `-${major}` : '';
  return (
    `install the PostgreSQL client tools${major ? ` ${major} or newer` : ''}: apt install postgresql-client${v} (Debian, Ubuntu; PGDG's apt.postgresql.org for versions the system lacks) · ` +
    `dnf install postgresql${major ?? ''} (Fedora, RHEL with PGDG) · apk add postgresql${major ?? ''}-client (Alpine) · brew install libpq (macOS; add its bin to PATH) — or point PGCLONE_PG_BIN at their folder`
  );
}

/**
 * Environment for a libpq child: the connection in PG* variables, so no password appears on a command line.
 * Keepalives and a TCP user timeout have no PG* variable: dbnameArg() carries them, as --dbname.
 */
export function libpqEnv(info: ConnInfo): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env.PGHOST = info.host;
  env.PGPORT = String(info.port);
  env.PGUSER = info.user;
  env.PGDATABASE = info.database;
  env.PGSSLMODE = info.sslmode;
  if (info.sslrootcert) env.PGSSLROOTCERT = info.sslrootcert;
  if (info.password !== undefined) env.PGPASSWORD = info.password;
  if (process.env.PGPASSFILE) env.PGPASSFILE = process.env.PGPASSFILE;
  env.PGCONNECT_TIMEOUT = String(info.connectTimeoutSec ?? 10);
  env.PGAPPNAME = 'pgclone pg_dump';
  return env;
}

/** --dbname as a conninfo string: where to connect (no password) and how to notice a silent peer. */
export function dbnameArg(info: ConnInfo, ioTimeoutMs: number): string {
  const q = (v: string | number) => `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const idle = Math.max(1, Math.round(ioTimeoutMs / 3000));
  return [
    `host=${q(info.host)}`,
    `port=${q(info.port)}`,
    `dbname=${q(info.database)}`,
    `user=${q(info.user)}`,
    `sslmode=${q(info.sslmode)}`,
    `keepalives=1 keepalives_idle=${idle} keepalives_interval=1 keepalives_count=3`,
    `tcp_user_timeout=${Math.max(1000, ioTimeoutMs)}`,
  ].join(' ');
}

export async function runTool(path: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<Buffer> {
  const r = await run(path, args, env, timeoutMs);
  const tool = path.split('/').pop();
  if (r.timedOut) throw new PgcloneError('transient', `${tool} did not finish within ${Math.round((timeoutMs ?? 0) / 1000)} s: the connection may be cut`);
  if (r.code !== 0) {
    const msg = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ') || `exit code ${r.code}`;
    throw new PgcloneError('failed', `${tool} failed: ${msg}`);
  }
  return r.stdout;
}

/** Plain SQL from pg_restore, without the psql-only \restrict lines (random per run). */
export function stripPsqlMeta(sql: string): string {
  return sql
    .split('\n')
    .filter((l) => !/^\\(un)?restrict\b/.test(l))
    .join('\n');
}
