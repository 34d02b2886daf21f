// The library's connections, pure: what resume() connects to when the caller gives the source, part of it, or none.
import { describe, expect, it } from 'vitest';
import { resumeSourceOf } from '../../src/engine/lib/connection.js';
import { UsageError } from '../../src/engine/errors.js';
import type { RunState } from '../../src/events/state.js';

const recorded = {
  source: { host: 'db.example.com', port: 6432, database: 'prod', user: 'app', serverVersion: '15.8', fingerprint: 'f' },
} as unknown as RunState;

describe('resumeSourceOf', () => {
  it('left out: the recorded host, port, database and user, with no password and no libpq environment', () => {
    expect(resumeSourceOf(undefined, recorded)).toEqual({
      host: 'db.example.com',
      port: 6432,
      database: 'prod',
      user: 'app',
      password: undefined,
      sslmode: 'prefer',
      sslrootcert: undefined,
      connectTimeoutSec: undefined,
      passfile: false,
    });
  });

  it('a config without a connection string completes the recorded source: { password } is the usual call', () => {
    expect(resumeSourceOf({ password: 's3cret' }, recorded)).toMatchObject({ host: 'db.example.com', port: 6432, user: 'app', password: 's3cret' });
    expect(resumeSourceOf({ host: 'replica.example.com', ssl: true }, recorded)).toMatchObject({
      host: 'replica.example.com',
      database: 'prod',
      sslmode: 'require',
    });
  });

  it('a string, or a config with a connection string, is the whole connection', () => {
    expect(resumeSourceOf('postgresql://other@h2:5433/x', recorded)).toMatchObject({ host: 'h2', port: 5433, database: 'x', user: 'other', passfile: false });
    expect(resumeSourceOf({ connectionString: 'postgresql://other@h2/x', password: 'p' }, recorded)).toMatchObject({ host: 'h2', password: 'p' });
  });

  it('bad parts are usage errors', () => {
    expect(() => resumeSourceOf({ port: 0 }, recorded)).toThrow(/invalid port/);
    expect(() => resumeSourceOf({ password: 1 as unknown as string }, recorded)).toThrow(/password must be a string/);
    // null is a caller's mistake, said as one — not a TypeError from reading its fields
    expect(() => resumeSourceOf(null as unknown as string, recorded)).toThrow(UsageError);
  });
});
