// Connection strings as psql users write them (URL or key=value), completed from the libpq environment.
import { userInfo } from 'node:os';
import { UsageError } from '../errors.js';

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export interface ConnInfo {
  host: string;
  port: number;
  database: string;
  user: string;
  /** only from the URL or PGPASSWORD; .pgpass is read when the connection is made */
  password: string | undefined;
  sslmode: SslMode;
  sslrootcert: string | undefined;
  connectTimeoutSec: number | undefined;
  /** false: no password given means none, never ~/.pgpass or PGPASSFILE (the library's connections: no libpq environment) */
  passfile?: false;
}

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

type Params = Record<string, string>;

/** Parse a connection string (URL or key=value) and fill what it lacks from env, like libpq. */
export function parseConnString(input: string, what: string, env: NodeJS.ProcessEnv = process.env): ConnInfo {
  const trimmed = input.trim();
  let params: Params;
  if (/^postgres(ql)?:\/\//i.test(trimmed)) params = parseUrl(trimmed, what);
  else if (trimmed.includes('=')) params = parseKeywordValue(trimmed, what);
  else if (trimmed === '') params = {};
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) throw new UsageError(`${what}: unsupported URL scheme (use postgresql://…)`);
  else params = { dbname: trimmed };
  return complete(params, what, env);
}

function parseUrl(url: string, what: string): Params {
  const m = /^postgres(?:ql)?:\/\/(?:([^@/?#]*)@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?(?:\/([^?#]*))?(?:\?([^#]*))?$/i.exec(url);
  if (!m) throw new UsageError(`${what}: malformed connection URL (expected postgresql://user@host:port/database)`);
  const [, userinfo, rawHost, rawPort, rawDb, query] = m;
  if (rawHost?.startsWith('[') && !rawHost.endsWith(']')) throw new UsageError(`${what}: malformed connection URL (unclosed [ in the host)`);
  const params: Params = {};
  const dec = (s: string, part: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new UsageError(`${what}: malformed connection URL (bad percent-encoding in the ${part})`);
    }
  };
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':');
    const u = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (u !== '') params.user = dec(u, 'user name');
    if (colon >= 0) params.password = dec(userinfo.slice(colon + 1), 'password');
  }
  if (rawHost) {
    if (rawHost.includes(',')) throw new UsageError(`${what}: several hosts in one URL are not supported`);
    params.host = dec(rawHost.replace(/^\[(.*)\]$/, '$1'), 'host');
  }
  if (rawPort !== undefined && rawPort !== '') params.port = rawPort;
  if (rawDb !== undefined && rawDb !== '') params.dbname = dec(rawDb, 'database name');
  if (query) {
    for (const pair of query.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq < 0) throw new UsageError(`${what}: malformed connection URL (query parameter without a value)`);
      params[dec(pair.slice(0, eq), 'query')] = dec(pair.slice(eq + 1).replace(/\+/g, ' '), 'query');
    }
  }
  return params;
}

function parseKeywordValue(s: string, what: string): Params {
  const params: Params = {};
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && /\s/.test(s[i] as string)) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && /[A-Za-z0-9_]/.test(s[i] as string)) i++;
    const key = s.slice(keyStart, i);
    while (i < n && /\s/.test(s[i] as string)) i++;
    if (key === '' || s[i] !== '=') throw new UsageError(`${what}: malformed connection string (expected key=value pairs)`);
    i++;
    while (i < n && /\s/.test(s[i] as string)) i++;
    let value = '';
    if (s[i] === "'") {
      i++;
      let closed = false;
      while (i < n) {
        const c = s[i] as string;
        if (c === '\\' && i + 1 < n) {
          value += s[i + 1];
          i += 2;
        } else if (c === "'") {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) throw new UsageError(`${what}: malformed connection string (unterminated quoted value)`);
    } else {
      while (i < n && !/\s/.test(s[i] as string)) {
        if (s[i] === '\\' && i + 1 < n) i++;
        value += s[i];
        i++;
      }
    }
    params[key] = value;
  }
  return params;
}

function complete(p: Params, what: string, env: NodeJS.ProcessEnv): ConnInfo {
  const known = new Set(['host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'sslmode', 'sslrootcert', 'connect_timeout', 'application_name']);
  for (const k of Object.keys(p)) {
    if (!known.has(k)) throw new UsageError(`${what}: unsupported connection parameter "${k}"`);
  }
  const host = p.hostaddr || p.host || env.PGHOSTADDR || env.PGHOST || defaultSocketDir();
  const portText = p.port || env.PGPORT || '5432';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${what}: invalid port "${portText}"`);
  const user = p.user || env.PGUSER || safeOsUser();
  const database = p.dbname || env.PGDATABASE || user;
  const sslText = (p.sslmode || env.PGSSLMODE || 'prefer') as SslMode;
  if (!SSL_MODES.includes(sslText)) throw new UsageError(`${what}: invalid sslmode "${sslText}"`);
  const ct = p.connect_timeout || env.PGCONNECT_TIMEOUT;
  return {
    host,
    port,
    database,
    user,
    password: p.password ?? env.PGPASSWORD,
    sslmode: sslText,
    sslrootcert: p.sslrootcert || env.PGSSLROOTCERT,
    connectTimeoutSec: ct ? Math.max(2, Number(ct)) : undefined,
  };
}

function defaultSocketDir(): string {
  return '/var/run/postgresql';
}

function safeOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'postgres';
  }
}

/** host:port/database as user — what may be shown anywhere. Never the password. */
export function describeConn(c: ConnInfo): string {
  const host = c.host.includes(':') && !c.host.startsWith('/') ? `[${c.host}]` : c.host;
  return `${c.user}@${host}:${c.port}/${c.database}`;
}

/** A URL for this connection without its password: safe for argv, logs and events. */
export function toSafeUrl(c: ConnInfo): string {
  const enc = encodeURIComponent;
  const host = c.host.startsWith('/') ? '' : c.host.includes(':') ? `[${c.host}]` : enc(c.host);
  const q = c.host.startsWith('/') ? `?host=${enc(c.host)}` : '';
  return `postgresql://${enc(c.user)}@${host}:${c.port}/${enc(c.database)}${q}`;
}
