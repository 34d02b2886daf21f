// Which failures are retried: connection-class ones only. Pure.
import { describe, expect, it } from 'vitest';
import { connectError } from '../../src/engine/pg/connect.js';
import { parseConnString } from '../../src/engine/pg/conninfo.js';
import { isTransient, PgcloneError, sqlstateOf } from '../../src/engine/errors.js';

const socketError = (code: string) => Object.assign(new Error(`write ${code}`), { code, errno: -32, syscall: 'write' });
const serverError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'ERROR' });

describe('isTransient', () => {
  it('retries socket failures — EPIPE too, whose code looks like a SQLSTATE (found by the retry test)', () => {
    expect(sqlstateOf(socketError('EPIPE'))).toBeNull();
    for (const c of ['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']) expect(isTransient(socketError(c))).toBe(true);
    expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
    // node-postgres's own connect timeout (connectionTimeoutMillis) destroys the socket with this
    expect(isTransient(new Error('timeout expired'))).toBe(true);
  });

  it('retries connection-class SQLSTATEs, shutdowns, serialization failures and deadlocks', () => {
    for (const c of ['08006', '57P01', '57P03', '40001', '40P01']) expect(isTransient(serverError(c))).toBe(true);
  });

  it('does not retry real errors: a bad value, a missing table, a permission, a bug', () => {
    for (const c of ['22P02', '42P01', '42501', '23505', 'XX000']) expect(isTransient(serverError(c))).toBe(false);
    expect(isTransient(new TypeError('undefined is not a function'))).toBe(false);
    expect(isTransient(new PgcloneError('preflight', 'no'))).toBe(false);
    expect(isTransient(new PgcloneError('connect', 'refused', null, { retryable: true }))).toBe(true);
  });
});

describe('connectError', () => {
  const info = parseConnString('postgres://app:s3cret@db.example:5433/prod', 'target');
  it('a server that closes a new connection at once (restarting) is retryable during a run, still exit 6 before one', () => {
    const e = connectError(new Error('Connection terminated unexpectedly'), info, 'target');
    expect(e.retryable).toBe(true);
    expect(e.exitCode).toBe(6);
    expect(e.message).not.toContain('s3cret');
  });
  it('a wrong password or a missing database is not retried', () => {
    expect(connectError(serverError('28P01', 'password authentication failed'), info, 'target').retryable).toBe(false);
    expect(connectError(serverError('3D000', 'database "prod" does not exist'), info, 'target').retryable).toBe(false);
  });
});
