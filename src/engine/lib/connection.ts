// The library's connections: a connection string or a pg-style config, completed without the libpq environment.
import { parseConnString, type ConnInfo, type SslMode } from '../pg/conninfo.js';
import type { RunState } from '../../events/state.js';
import { UsageError } from '../errors.js';

/** The fields of a `pg` client config the library understands (a password as a string; SSL as pg or libpq says it). */
export interface ConnectionConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** as pg takes it: false = no SSL, true = SSL without checking the certificate, an object = checked unless rejectUnauthorized is false */
  ssl?: boolean | { rejectUnauthorized?: boolean };
  /** as libpq takes it; wins over `ssl` */
  sslmode?: SslMode;
}

/** A connection string (URL or key=value) or a config object. Nothing is read from process.env, nor from ~/.pgpass. */
export type Connection = string | ConnectionConfig;

function sslModeOf(ssl: ConnectionConfig['ssl']): SslMode | undefined {
  if (ssl === undefined) return undefined;
  if (ssl === false) return 'disable';
  if (ssl === true || ssl.rejectUnauthorized === false) return 'require';
  return 'verify-full';
}

/** A config object's own checks, for a whole connection and for one that completes a recorded source alike. */
function checkedConfig(c: unknown, what: 'source' | 'target'): ConnectionConfig {
  if (c === null || typeof c !== 'object') throw new UsageError(`${what}: a connection string or a config object is required`);
  const cfg = c as ConnectionConfig;
  if (cfg.password !== undefined && typeof cfg.password !== 'string') throw new UsageError(`${what}: password must be a string`);
  return cfg;
}

function checkedPort(port: number, what: 'source' | 'target'): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${what}: invalid port "${String(port)}"`);
  return port;
}

export function connInfoOf(given: Connection, what: 'source' | 'target'): ConnInfo {
  if (typeof given === 'string') return { ...parseConnString(given, what, {}), passfile: false };
  const c = checkedConfig(given, what);
  const base = parseConnString(c.connectionString ?? '', what, {});
  const port = checkedPort(c.port ?? base.port, what);
  const user = c.user ?? base.user;
  return {
    ...base,
    host: c.host ?? base.host,
    port,
    user,
    // libpq's default database is the user's name: the parsed base took the OS user's
    database: c.database ?? (c.connectionString !== undefined || c.user === undefined ? base.database : user),
    password: c.password ?? base.password,
    sslmode: c.sslmode ?? sslModeOf(c.ssl) ?? base.sslmode,
    passfile: false,
  };
}

/**
 * The source of a run being resumed. A string, or a config with a connectionString, is the whole connection; a
 * config without one completes the run's recorded source (host, port, database, user) with what it gives —
 * usually only `{ password }`, which the log never holds; left out, the recorded source without a password.
 */
export function resumeSourceOf(given: Connection | undefined, recorded: RunState): ConnInfo {
  if (typeof given === 'string') return connInfoOf(given, 'source');
  // checked before its fields are read: a null source is a usage error, not a TypeError
  const c = given === undefined ? {} : checkedConfig(given, 'source');
  if (c.connectionString !== undefined) return connInfoOf(c, 'source');
  const port = checkedPort(c.port ?? recorded.source.port, 'source');
  return {
    host: c.host ?? recorded.source.host,
    port,
    database: c.database ?? recorded.source.database,
    user: c.user ?? recorded.source.user,
    password: c.password,
    sslmode: c.sslmode ?? sslModeOf(c.ssl) ?? 'prefer',
    sslrootcert: undefined,
    connectTimeoutSec: undefined,
    passfile: false,
  };
}
