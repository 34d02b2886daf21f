// What every command shares: parsing durations, sizes and connection flags; output that never shows a secret.
import type { Filters, RunOptions, VerifyMode } from '../events/schemas.js';
import { DEFAULT_SETTINGS, type EngineSettings } from '../engine/context.js';
import { parseConnString, type ConnInfo } from '../engine/pg/conninfo.js';
import { UsageError } from '../engine/errors.js';
import type { RoleMapping } from '../engine/role-map.js';
import { DEFAULT_STALL_THRESHOLD_MS } from '../events/liveness.js';
import { DEFAULT_BATCH_BYTES } from '../engine/plan.js';
import { DEFAULT_MAX_RETAINED_WAL_BYTES, RUN_DEFAULTS } from '../engine/run-options.js';

export type Flags = Record<string, string | boolean | string[] | undefined>;

export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${what}: "${text}" is not a duration (e.g. 30s, 1.5m, 500ms)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'h' ? n * 3_600_000 : n * 60_000;
  if (ms <= 0) throw new UsageError(`${what} must be more than zero`);
  return ms;
}

/** --max-retained-wal: a size (kB, MB, GB, TB of 1024), or none / 0 for no limit (0 bytes). */
export function parseWalLimit(text: string, what = '--max-retained-wal'): number {
  const t = text.trim().toLowerCase();
  if (t === 'none' || t === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)\s*(tb|t)$/.exec(t);
  if (m) return Math.round(Number(m[1]) * 1024 ** 4);
  if (!/^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.test(t)) throw new UsageError(`${what}: "${text}" is not a size (e.g. 10GB, 500MB) or none`);
  return parseSize(text, what);
}

export function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${what}: "${text}" is not a size (e.g. 64MB)`);
  const n = Number(m[1]);
  const u = (m[2] ?? 'b').toLowerCase();
  const mult = u.startsWith('g') ? 1 << 30 : u.startsWith('m') ? 1 << 20 : u.startsWith('k') ? 1 << 10 : 1;
  const bytes = Math.round(n * mult);
  if (bytes < 1024) throw new UsageError(`${what} must be at least 1kB`);
  return bytes;
}

function positiveInt(v: unknown, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`${what} must be a whole number from 1 to 64`);
  return n;
}

function list(v: Flags[string]): string[] {
  if (v === undefined || typeof v === 'boolean') return [];
  return Array.isArray(v) ? v : [v];
}

export function connFlag(flags: Flags, name: 'source' | 'target', required: true): ConnInfo;
export function connFlag(flags: Flags, name: 'source' | 'target', required: false): ConnInfo | undefined;
export function connFlag(flags: Flags, name: 'source' | 'target', required: boolean): ConnInfo | undefined {
  const v = flags[name];
  if (v === undefined) {
    if (required) throw new UsageError(`--${name} is required (a postgresql:// URL or key=value connection string)`);
    return undefined;
  }
  return parseConnString(String(v), name);
}

export { RUN_DEFAULTS };

export function runOptionsFrom(flags: Flags): RunOptions {
  const filters: Filters = {
    schemas: list(flags.schema),
    excludeSchemas: list(flags['exclude-schema']),
    tables: list(flags.table),
    excludeTables: list(flags['exclude-table']),
    excludeTableData: list(flags['exclude-table-data']),
  };
  const verify = String(flags.verify ?? 'count') as VerifyMode;
  const schemaEngine = String(flags['schema-engine'] ?? 'builtin');
  if (schemaEngine !== 'builtin' && schemaEngine !== 'pg_dump') throw new UsageError('--schema-engine must be builtin or pg_dump');
  if (!['none', 'count', 'checksum'].includes(verify)) throw new UsageError('--verify must be count, checksum or none');
  if (flags.follow === true && flags['no-catch-up'] === true)
    throw new UsageError("--follow keeps applying the source's changes through catch-up: it cannot go with --no-catch-up");
  return {
    filters,
    jobs: positiveInt(flags.jobs, '--jobs', RUN_DEFAULTS.jobs),
    indexJobs: positiveInt(flags['index-jobs'], '--index-jobs', RUN_DEFAULTS.indexJobs),
    verify,
    batchBytes: flags['batch-size'] !== undefined ? parseSize(String(flags['batch-size']), '--batch-size') : DEFAULT_BATCH_BYTES,
    noOwner: flags['no-owner'] === true,
    noAcl: flags['no-acl'] === true,
    binary: flags.text !== true,
    noAnalyze: flags['no-analyze'] === true,
    schemaEngine,
    catchUp: flags['no-catch-up'] !== true,
    ...(flags.follow === true ? { follow: true } : {}),
    maxRetainedWalBytes: flags['max-retained-wal'] !== undefined ? parseWalLimit(String(flags['max-retained-wal'])) : DEFAULT_MAX_RETAINED_WAL_BYTES,
    ...(flags.roles === true ? { roles: true } : {}),
    ...(list(flags['role-map']).length ? { roleMap: roleMapFrom(list(flags['role-map'])) } : {}),
    maintenanceWorkMemBytes:
      flags['maintenance-work-mem'] !== undefined
        ? parseSize(String(flags['maintenance-work-mem']), '--maintenance-work-mem')
        : RUN_DEFAULTS.maintenanceWorkMemBytes,
  };
}

/** --role-map SRC=DST, repeatable: one target name per source name, never a role PostgreSQL reserves. */
export function roleMapFrom(args: string[]): RoleMapping[] {
  const out: RoleMapping[] = [];
  for (const a of args) {
    const at = a.indexOf('=');
    const from = a.slice(0, at);
    const to = a.slice(at + 1);
    if (at <= 0 || to === '') throw new UsageError(`--role-map takes SRC=DST (role names as they are, unquoted), not ${a}`);
    if (to.startsWith('pg_'))
      throw new UsageError(
        `--role-map ${a}: ${to} is one of PostgreSQL's predefined roles (pg_*); objects are not given to them — map ${from} to a role of your own`,
      );
    if (out.some((m) => m.from === from)) throw new UsageError(`--role-map names ${from} twice`);
    out.push({ from, to });
  }
  return out;
}

export function settingsFrom(flags: Flags): EngineSettings {
  return {
    ...DEFAULT_SETTINGS,
    maxDurationMs: flags['max-duration'] !== undefined ? parseDuration(String(flags['max-duration']), '--max-duration') : null,
    ioTimeoutMs: flags['io-timeout'] !== undefined ? parseDuration(String(flags['io-timeout']), '--io-timeout') : DEFAULT_SETTINGS.ioTimeoutMs,
    maxRetries: flags.retries !== undefined ? Math.max(0, Number(flags.retries)) : DEFAULT_SETTINGS.maxRetries,
    // resume's: this process's limit over the run's recorded one (clone records its own in the run's options)
    ...(flags['max-retained-wal'] !== undefined ? { maxRetainedWalBytes: parseWalLimit(String(flags['max-retained-wal'])) } : {}),
  };
}

/** --stall-threshold: how long a run that holds its lock may be silent before it reads as stalled. */
export function stallThresholdFrom(flags: Flags): number {
  return flags['stall-threshold'] !== undefined ? parseDuration(String(flags['stall-threshold']), '--stall-threshold') : DEFAULT_STALL_THRESHOLD_MS;
}

/** Every password the process knows of; anything written is scrubbed of them. */
export function secretsOf(...infos: (ConnInfo | undefined)[]): string[] {
  const out = new Set<string>();
  for (const i of infos) if (i?.password) out.add(i.password);
  if (process.env.PGPASSWORD) out.add(process.env.PGPASSWORD);
  return [...out].filter((s) => s.length >= 3);
}

export function redact(text: string, secrets: string[]): string {
  let t = text;
  for (const s of secrets) {
    t = t.split(s).join('***');
    const enc = encodeURIComponent(s);
    if (enc !== s) t = t.split(enc).join('***');
  }
  return t;
}

export interface Output {
  line(text: string): void;
  error(text: string): void;
  /** add secrets discovered after start (connection flags are parsed by the command) */
  addSecrets(s: string[]): void;
}

/**
 * stdout and stderr, best-effort: a reader that closes its end (`pgclone … | head -3`) makes the next write
 * fail with EPIPE, emitted as an 'error' event that would otherwise end the process — and a clone with it.
 * From then on that stream's lines are dropped and `onClosed` is told once (cli.ts decides what that means).
 */
export function stdOutput(onClosed: (stream: 'stdout' | 'stderr') => void = () => undefined): Output {
  const secrets: string[] = secretsOf();
  const closed = { stdout: false, stderr: false };
  const listen = (name: 'stdout' | 'stderr', stream: NodeJS.WriteStream) =>
    stream.on('error', () => {
      // EPIPE, EIO (a terminal hung up) or any other: output is best-effort, never a reason to stop the work
      if (closed[name]) return;
      closed[name] = true;
      onClosed(name);
    });
  listen('stdout', process.stdout);
  listen('stderr', process.stderr);
  const write = (name: 'stdout' | 'stderr', t: string) => {
    if (closed[name]) return;
    const stream = name === 'stdout' ? process.stdout : process.stderr;
    if (stream.destroyed || stream.writableEnded) return;
    stream.write(`${redact(t, secrets)}\n`);
  };
  return {
    line: (t) => write('stdout', t),
    error: (t) => write('stderr', t),
    addSecrets: (s) => secrets.push(...s.filter((x) => !secrets.includes(x))),
  };
}

export type OutputMode = 'dashboard' | 'plain' | 'json';

/** Chosen once: the dashboard only on a terminal that can take keys, outside CI. */
export function outputMode(flags: Flags): OutputMode {
  if (flags.json === true) return 'json';
  if (flags.plain === true) return 'plain';
  // the same test as Ink's own (is-in-ci), so pgclone and Ink never disagree about being in CI
  const set = (k: string) => k in process.env && process.env[k] !== '0' && process.env[k] !== 'false';
  const ci = set('CI') || set('CONTINUOUS_INTEGRATION');
  // a dumb terminal (TERM=dumb: Emacs shells, some CI consoles) cannot move the cursor: the full-screen UI would smear
  const dumb = process.env.TERM === 'dumb';
  return process.stdout.isTTY && process.stdin.isTTY && !ci && !dumb ? 'dashboard' : 'plain';
}
