// Bad input: each case is one clear line, its documented exit code, no stack trace, no secret, and nothing written to the target.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type EmbeddedServer } from '../../src/local/embedded.js';
import { catalogPicture } from '../helpers/compare.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { connect, createLoginRole, createTestDb, type TestDb, type TestRole } from '../helpers/db.js';

let source: TestDb;
let target: TestDb;
let limited: TestRole;
let rlsReader: TestRole;

beforeAll(async () => {
  source = await createTestDb('bad_src');
  await source.query(`CREATE TABLE items (id int PRIMARY KEY, v text); INSERT INTO items SELECT i, 'v' || i FROM generate_series(1, 100) i;
                      CREATE TABLE hidden (id int PRIMARY KEY); CREATE TABLE guarded (id int PRIMARY KEY, owner text);
                      INSERT INTO guarded VALUES (1, 'a'), (2, 'b'); ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
                      CREATE POLICY only_a ON guarded USING (owner = 'a');`);
  target = await createTestDb('bad_dst');
  limited = await createLoginRole('pgclone_limited');
  rlsReader = await createLoginRole('pgclone_rls');
  await source.query(`GRANT SELECT ON items TO ${limited.name}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${rlsReader.name};`);
});
afterAll(async () => {
  await limited.drop();
  await rlsReader.drop();
});

/** Run the CLI and check the contract every bad input shares; returns the one line for further checks. */
async function refused(args: string[], code: number, env: NodeJS.ProcessEnv = {}, t: TestDb = target): Promise<string> {
  const before = await catalogPicture(t.url);
  const r: CliResult = await runCli(args, env);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pgclone: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(code);
  expect(await catalogPicture(t.url)).toBe(before);
  expect(await t.query(`SELECT to_regnamespace('pgclone') IS NULL AS none`)).toEqual([{ none: true }]);
  return lines[0] as string;
}

const clone = (src: string, dst: string = target.url) => ['clone', '--source', src, '--target', dst];

describe('bad input', () => {
  it('malformed URL → exit 2', async () => {
    expect(await refused(clone('postgresql://u@host:port/db'), 2)).toMatch(/source: invalid port "port"/);
    expect(await refused(clone('postgresql://[::1/db'), 2)).toMatch(/source: malformed connection URL/);
    expect(await refused(clone(source.url, 'mysql://x/y'), 2)).toMatch(/target: unsupported URL scheme/);
  });

  it('unknown host → exit 6', async () => {
    expect(await refused(clone('postgresql://postgres@no-such-host.invalid:5432/x'), 6)).toMatch(/cannot resolve host "no-such-host.invalid"/);
  });

  it('refused port → exit 6', async () => {
    expect(await refused(clone('postgresql://postgres@127.0.0.1:1/x'), 6)).toMatch(/connection refused by 127.0.0.1:1/);
  });

  it('missing database → exit 6', async () => {
    const u = new URL(source.url);
    u.pathname = '/pgclone_no_such_db';
    expect(await refused(clone(u.toString()), 6)).toMatch(/database "pgclone_no_such_db" does not exist \(source/);
  });

  it('non-empty target → exit 7, naming the object', async () => {
    const busy = await createTestDb('bad_busy');
    await busy.query('CREATE TABLE items (x int)');
    expect(await refused(clone(source.url, busy.url), 7, {}, busy)).toMatch(/the target is not empty: relation "items" already exists/);
  });

  it('source = target, spelled the same and spelled differently → exit 7', async () => {
    expect(await refused(clone(target.url, target.url), 7)).toMatch(/the source and the target are the same database/);
    const u = new URL(target.url);
    const kv = `host=${u.hostname} port=${u.port || 5432} dbname=${target.name} user=${decodeURIComponent(u.username)}${u.password ? ` password=${decodeURIComponent(u.password)}` : ''}`;
    expect(await refused(clone(kv, target.url), 7)).toMatch(/same database/);
    if (u.hostname === '127.0.0.1' && (u.port === '' || u.port === '5432')) {
      const viaLocalhost = new URL(target.url);
      viaLocalhost.hostname = 'localhost';
      expect(await refused(clone(viaLocalhost.toString(), target.url), 7)).toMatch(/same database/);
    }
  });

  it('an object the built-in engine cannot reproduce → exit 7, naming it and its kind', async () => {
    const odd = await createTestDb('bad_lang');
    await odd.query(`CREATE TABLE t (id int PRIMARY KEY);
      CREATE FUNCTION k_handler() RETURNS language_handler AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE c;
      CREATE LANGUAGE k_lang HANDLER k_handler;`);
    const line = await refused(clone(odd.url), 7);
    expect(line).toMatch(
      /the built-in schema engine cannot reproduce this object: language k_lang \(.*extension.*\); exclude them with a filter, or use --schema-engine pg_dump \(nothing was written\)$/,
    );
  });

  it('--schema-engine other than builtin or pg_dump → exit 2', async () => {
    const r = await runCli([...clone(source.url), '--schema-engine', 'pgdelta']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--schema-engine must be builtin or pg_dump/);
  });

  it('--schema-engine pg_dump with pg_dump missing → exit 7', async () => {
    expect(await refused([...clone(source.url), '--schema-engine', 'pg_dump'], 7, { PGCLONE_PG_BIN: '/nonexistent/bin' })).toMatch(
      /pg_dump and pg_restore were not found/,
    );
  });

  it('--schema-engine pg_dump with a pg_dump older than the source → exit 7', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgclone-oldtools-'));
    for (const tool of ['pg_dump', 'pg_restore']) {
      await writeFile(join(dir, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) 11.22"\n`);
      await chmod(join(dir, tool), 0o755);
    }
    try {
      expect(await refused([...clone(source.url), '--schema-engine', 'pg_dump'], 7, { PGCLONE_PG_BIN: dir })).toMatch(
        /pg_dump is version 11.22, older than the source server \(15/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a source role without SELECT on a table → exit 7, naming it', async () => {
    expect(await refused(clone(limited.url(source.name)), 7)).toMatch(
      /the source role cannot read everything to be cloned: no SELECT on .*public.guarded.*public.hidden/,
    );
  });

  it('a target role that may not create → exit 7', async () => {
    const line = await refused(clone(source.url, limited.url(target.name)), 7);
    expect(line).toMatch(/the target role pgclone_limited_\w+ may not create schemas/);
  });

  it('a source role subject to row-level security → exit 7', async () => {
    expect(await refused(clone(rlsReader.url(source.name)), 7)).toMatch(/subject to row-level security on "public"."guarded".*BYPASSRLS/);
  });
});

describe('passwords', () => {
  let server: EmbeddedServer;
  beforeAll(async () => {
    server = await startEmbedded({ label: 'auth' });
  });
  afterAll(async () => {
    await server.stop();
  });

  const url = (db: string, password: string) => `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${server.port}/${db}`;

  it('wrong password → exit 6, and the wrong password is not echoed', async () => {
    const wrong = 'Wr0ng-Secret!';
    const r = await runCli(clone(url('postgres', wrong), url('postgres', server.password)));
    expect(r.code).toBe(6);
    expect(r.stderr.trim()).toMatch(/^pgclone: password authentication failed for user "postgres" \(source postgres@127.0.0.1:\d+\/postgres\)$/);
    expect(r.stderr + r.stdout).not.toContain(wrong);
    expect(r.stderr + r.stdout).not.toContain(server.password);
  });

  it('a password from a passfile (PGPASSFILE) is used, with no warning on stderr; without it the message says what is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgclone-passfile-'));
    try {
      const passfile = join(dir, 'pgpass');
      await writeFile(passfile, `127.0.0.1:${server.port}:*:postgres:${server.password}\n`, { mode: 0o600 });
      const target = `postgresql://postgres@127.0.0.1:${server.port}/postgres`;
      const ok = await runCli(['status', '--target', target], { PGPASSFILE: passfile });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      const none = await runCli(['status', '--target', target], { PGPASSFILE: join(dir, 'missing') });
      expect(none.code).toBe(6);
      expect(none.stderr.trim()).toMatch(/^pgclone: the server asks for a password for user "postgres" and none was given/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a password given by URL or by PGPASSWORD appears nowhere: output, log table, status, log --json', async () => {
    const admin = await connect(server.url);
    await admin.query('CREATE DATABASE s1');
    await admin.query('CREATE DATABASE t1');
    await admin.query('CREATE DATABASE t2');
    await admin.end();
    const s = await connect(url('s1', server.password));
    await s.query(`CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 1000) i;`);
    await s.end();
    const outputs: string[] = [];
    const viaUrl = await runCli(['clone', '--source', url('s1', server.password), '--target', url('t1', server.password)]);
    expect(viaUrl.code).toBe(0);
    outputs.push(viaUrl.stdout, viaUrl.stderr);
    const noPw = (db: string) => `postgresql://postgres@127.0.0.1:${server.port}/${db}`;
    const viaEnv = await runCli(['clone', '--source', noPw('s1'), '--target', noPw('t2'), '--json'], { PGPASSWORD: server.password });
    expect(viaEnv.code).toBe(0);
    outputs.push(viaEnv.stdout, viaEnv.stderr);
    const runId = JSON.parse(viaEnv.stdout.split('\n')[0]!).runId as string;
    for (const args of [
      ['status', '--target', noPw('t2')],
      ['status', '--target', noPw('t2'), '--json'],
      ['log', runId, '--target', noPw('t2'), '--json'],
      ['log', runId, '--target', noPw('t2')],
    ]) {
      const r = await runCli(args, { PGPASSWORD: server.password });
      expect(r.code).toBe(0);
      outputs.push(r.stdout, r.stderr);
    }
    const refusedAgain = await runCli(['clone', '--source', url('s1', server.password), '--target', url('t1', server.password)]);
    expect(refusedAgain.code).toBe(7);
    outputs.push(refusedAgain.stdout, refusedAgain.stderr);
    for (const db of ['t1', 't2']) {
      const c = await connect(url(db, server.password));
      const log = await c.query<{ t: string }>("SELECT string_agg(payload::text, E'\\n') AS t FROM pgclone.events");
      outputs.push(log.rows[0]!.t);
      await c.end();
    }
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain(server.password);
    expect(all).not.toContain(encodeURIComponent(server.password));
  });
});
