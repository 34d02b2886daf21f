// Connection strings as psql users write them, completed from the libpq environment; pure.
import { describe, expect, it } from 'vitest';
import { describeConn, parseConnString, toSafeUrl } from '../../src/engine/pg/conninfo.js';
import { parseDuration, parseSize, redact } from '../../src/commands/common.js';
import { parseNamePattern, matchesAny } from '../../src/engine/patterns.js';

describe('parseConnString', () => {
  it('reads a URL with percent-encoding, IPv6 and query parameters', () => {
    const c = parseConnString('postgresql://us%40er:p%3Ass@[::1]:6543/my%20db?sslmode=require&connect_timeout=5', 'source', {});
    expect(c).toMatchObject({ host: '::1', port: 6543, user: 'us@er', password: 'p:ss', database: 'my db', sslmode: 'require', connectTimeoutSec: 5 });
    expect(describeConn(c)).toBe('us@er@[::1]:6543/my db');
    expect(toSafeUrl(c)).not.toContain('p:ss');
  });

  it('reads key=value with quotes and escapes', () => {
    const c = parseConnString(`host=db.internal port=5433 dbname='app data' user=me password='it\\'s'`, 'target', {});
    expect(c).toMatchObject({ host: 'db.internal', port: 5433, database: 'app data', user: 'me', password: "it's" });
  });

  it('fills what is missing from PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, like libpq', () => {
    const env = { PGHOST: 'envhost', PGPORT: '7777', PGUSER: 'envuser', PGDATABASE: 'envdb', PGPASSWORD: 'envpw', PGSSLMODE: 'disable' };
    expect(parseConnString('', 'source', env)).toMatchObject({
      host: 'envhost',
      port: 7777,
      user: 'envuser',
      database: 'envdb',
      password: 'envpw',
      sslmode: 'disable',
    });
    expect(parseConnString('postgresql:///other', 'source', env)).toMatchObject({ host: 'envhost', database: 'other' });
    expect(parseConnString('justadb', 'source', env)).toMatchObject({ database: 'justadb', host: 'envhost' });
    // the database defaults to the user name, the host to the local socket directory
    expect(parseConnString('user=alice', 'source', {})).toMatchObject({ database: 'alice', host: '/var/run/postgresql', port: 5432, sslmode: 'prefer' });
  });

  it('rejects what it cannot read, saying which side', () => {
    expect(() => parseConnString('postgresql://h:99999/db', 'source', {})).toThrow(/source: invalid port "99999"/);
    expect(() => parseConnString('postgresql://h/db?sslmode=maybe', 'target', {})).toThrow(/target: invalid sslmode "maybe"/);
    expect(() => parseConnString('postgresql://h/db?bogus=1', 'target', {})).toThrow(/unsupported connection parameter "bogus"/);
    expect(() => parseConnString("host='unterminated", 'source', {})).toThrow(/unterminated/);
    expect(() => parseConnString('postgresql://a,b/db', 'source', {})).toThrow(/several hosts/);
  });
});

describe('command-line values', () => {
  it('durations and sizes', () => {
    expect(parseDuration('1s', 'x')).toBe(1000);
    expect(parseDuration('1.5m', 'x')).toBe(90_000);
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration('2', 'x')).toBe(2000);
    expect(() => parseDuration('soon', '--max-duration')).toThrow(/--max-duration: "soon" is not a duration/);
    expect(parseSize('64MB', 'x')).toBe(64 << 20);
    expect(parseSize('128kB', 'x')).toBe(128 << 10);
    expect(() => parseSize('12', '--batch-size')).toThrow(/at least 1kB/);
  });

  it('redacts passwords, raw and percent-encoded', () => {
    expect(redact('postgresql://u:p%40ss@h/db and p@ss', ['p@ss'])).toBe('postgresql://u:***@h/db and ***');
  });
});

describe('pg_dump name patterns', () => {
  it('folds case, honours quotes, wildcards and the schema dot', () => {
    const p = (s: string) => parseNamePattern(s);
    expect(matchesAny({ schema: 'app', name: 'big_history' }, [p('app.big_*')])).toBe(true);
    expect(matchesAny({ schema: 'app', name: 'big_history' }, [p('APP.BIG_*')])).toBe(true);
    expect(matchesAny({ schema: 'app', name: 'Big' }, [p('app.Big')])).toBe(false);
    expect(matchesAny({ schema: 'app', name: 'Big' }, [p('app."Big"')])).toBe(true);
    expect(matchesAny({ schema: 'public', name: 'a.b' }, [p('"a.b"')])).toBe(true);
    expect(matchesAny({ schema: 'other', name: 'logs' }, [p('logs')])).toBe(false);
    expect(matchesAny({ schema: 'public', name: 'logs' }, [p('log?')])).toBe(true);
    expect(matchesAny({ schema: 'public', name: 'l.gs' }, [p('l.gs')])).toBe(false);
  });
});

describe('run ids', () => {
  it('never start with "-" (it would read as an option) and use only letters and digits', async () => {
    const { newRunId } = await import('../../src/engine/operator.js');
    for (let i = 0; i < 2000; i++) expect(newRunId()).toMatch(/^[0-9A-Za-z]{21}$/);
  });
});
