// Opening connections: libpq-like SSL modes, the engine's own session settings, one clear message per failure.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import pgPass from 'pgpass';
import { applicationName } from '../../events/lock.js';
import { describeConn, type ConnInfo } from './conninfo.js';
import { isTransient, PgcloneError, sqlstateOf, within } from '../errors.js';

export type Side = 'source' | 'target';

/** How long opening a connection, and applying its session settings, may take unless the caller says otherwise. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface OpenOptions {
  side: Side;
  /** e.g. "lock", "worker 2" — shown in application_name */
  purpose: string;
  /** extra session settings, applied with the engine's defaults */
  settings?: Record<string, string>;
  connectTimeoutMs?: number;
}

/** Settings every engine session needs, whatever the server's or the role's defaults (see DESIGN "Managed platforms"). */
const COMMON_SETTINGS: Record<string, string> = {
  // every name the engine writes is schema-qualified; catalog types print qualified in format_type
  search_path: 'pg_catalog',
  standard_conforming_strings: 'on',
  statement_timeout: '0',
  idle_in_transaction_session_timeout: '0',
  lock_timeout: '0',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  extra_float_digits: '3',
};

const SOURCE_SETTINGS: Record<string, string> = {
  // a role subject to RLS would otherwise read a silent subset; with this off such reads fail instead
  row_security: 'off',
};

function sslConfig(info: ConnInfo, attempt: 'ssl' | 'plain'): pg.ClientConfig['ssl'] {
  if (attempt === 'plain') return false;
  switch (info.sslmode) {
    case 'disable':
      return false;
    case 'allow':
    case 'prefer':
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full': {
      const ca = info.sslrootcert ? readFileSync(info.sslrootcert, 'utf8') : undefined;
      return {
        rejectUnauthorized: true,
        ...(ca ? { ca } : {}),
        ...(info.sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
      };
    }
  }
}

/** The passfile's password for this host, port, database and user; none (undefined) is taken by pg as no password. */
function passwordFromPassfile(info: ConnInfo): Promise<string> {
  const params = { host: info.host, port: info.port, database: info.database, user: info.user };
  return new Promise((resolve) => pgPass(params, (pass) => resolve(pass as string)));
}

function clientConfig(info: ConnInfo, opts: OpenOptions, attempt: 'ssl' | 'plain'): pg.ClientConfig {
  return {
    host: info.host,
    port: info.port,
    database: info.database,
    user: info.user,
    // no password given: ~/.pgpass or PGPASSFILE, read here (pg's own lookup is deprecated and says so on stderr)
    // passfile false: a function that gives none, since pg itself would fall back to PGPASSWORD for a missing one
    password: info.password ?? (info.passfile === false ? () => Promise.resolve(undefined as unknown as string) : () => passwordFromPassfile(info)),
    ssl: info.host.startsWith('/') ? false : sslConfig(info, attempt),
    application_name: applicationName(),
    connectionTimeoutMillis: opts.connectTimeoutMs ?? (info.connectTimeoutSec ? info.connectTimeoutSec * 1000 : CONNECT_TIMEOUT_MS),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

/** Turn a failure to connect into one line naming the problem; never the password. */
export function connectError(e: unknown, info: ConnInfo, side: Side): PgcloneError {
  const where = `${side} ${describeConn(info)}`;
  const err = e as { code?: string; message?: string };
  const code = err?.code;
  const state = sqlstateOf(e);
  const msg = String(err?.message ?? e);
  let text: string;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') text = `cannot resolve host "${info.host}" (${where})`;
  else if (code === 'ECONNREFUSED') text = `connection refused by ${info.host}:${info.port} (${where}): is PostgreSQL running and listening there?`;
  else if (code === 'ENOENT' && info.host.startsWith('/')) text = `no PostgreSQL socket in ${info.host} for port ${info.port} (${where})`;
  else if (code === 'ETIMEDOUT' || /timeout/i.test(msg)) text = `timed out connecting to ${info.host}:${info.port} (${where})`;
  else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') text = `host ${info.host} is unreachable (${where})`;
  else if (state === '28P01') text = `password authentication failed for user "${info.user}" (${where})`;
  else if (state === '3D000') text = `database "${info.database}" does not exist (${where})`;
  else if (state === '28000') text = `the server refused the connection: ${msg} (${where})`;
  else if (state === '53300') text = `the server has no free connection slots (${where})`;
  else if (/client password must be a string|password must be a string/i.test(msg))
    text = `the server asks for a password for user "${info.user}" and none was given (${where}); put it in the URL, PGPASSWORD or ~/.pgpass (or the file PGPASSFILE names)`;
  else if (/does not support SSL/i.test(msg)) text = `the server does not support SSL but sslmode=${info.sslmode} requires it (${where})`;
  else text = `cannot connect (${where}): ${msg}`;
  const kind = state === '57P03' || state === '53300' ? 'transient' : 'connect';
  // still exit 6 before a run; once one is under way, a server that refuses, does not answer, or takes the
  // connection and closes it at once is most likely restarting or unreachable for a while: the engine's
  // one classification of transient failures decides (found by the restart fault)
  return new PgcloneError(kind, text, state, { cause: e, retryable: kind === 'transient' || isTransient(e) });
}

async function attemptConnect(info: ConnInfo, opts: OpenOptions, attempt: 'ssl' | 'plain'): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(info, opts, attempt));
  // an idle client's socket error must never crash the process; the next query reports it
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
}

/** Open a client with the engine's session settings. Errors are PgcloneError('connect' | 'transient'). */
export async function openClient(info: ConnInfo, opts: OpenOptions): Promise<pg.Client> {
  let client: pg.Client;
  try {
    const tryPlainFirst = info.sslmode === 'disable' || info.sslmode === 'allow' || info.host.startsWith('/');
    try {
      client = await attemptConnect(info, opts, tryPlainFirst ? 'plain' : 'ssl');
    } catch (e) {
      const msg = String((e as Error)?.message ?? '');
      if (info.sslmode === 'prefer' && /does not support SSL/i.test(msg)) client = await attemptConnect(info, opts, 'plain');
      else if (info.sslmode === 'allow' && sqlstateOf(e) === '28000') client = await attemptConnect(info, opts, 'ssl');
      else throw e;
    }
  } catch (e) {
    throw connectError(e, info, opts.side);
  }
  const settings = { ...COMMON_SETTINGS, ...(opts.side === 'source' ? SOURCE_SETTINGS : {}), ...opts.settings };
  const sql = Object.entries(settings)
    .map(([k, v]) => `SELECT pg_catalog.set_config('${k}', '${v.replace(/'/g, "''")}', false)`)
    .join('; ');
  // bounded like the connect itself: a network cut right after the handshake would otherwise leave this
  // wait — on a client nobody tracks yet, so no watchdog can cut it — hanging forever (found by the torture suite)
  const timeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  try {
    await within(
      client.query(sql),
      timeoutMs,
      () =>
        new PgcloneError('connect', `the ${opts.side} did not answer for ${Math.round(timeoutMs / 1000)} s after connecting (${describeConn(info)})`, null, {
          retryable: true,
        }),
    );
  } catch (e) {
    destroyClient(client);
    if (e instanceof PgcloneError) throw e;
    throw new PgcloneError('connect', `cannot apply session settings on the ${opts.side}: ${(e as Error).message}`, sqlstateOf(e), {
      cause: e,
      retryable: isTransient(e),
    });
  }
  return client;
}

/** End a client, and if it does not end promptly (a dead peer), drop its socket. */
export async function closeClient(client: pg.Client | null | undefined): Promise<void> {
  if (!client) return;
  const ended = client.end().catch(() => undefined);
  const timeout = new Promise<void>((r) => setTimeout(r, 2000).unref());
  await Promise.race([ended, timeout]);
  destroyClient(client);
}

/** Cut a client's socket at once (used when a peer stops answering). */
export function destroyClient(client: pg.Client): void {
  const conn = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection;
  conn?.stream?.destroy();
}
