// Filters the peers accept (issue 15): what a selection needs that pg_dump's filters leave out. A view or
// materialized view that reads an excluded relation is refused in one preflight line naming both; a --table
// selection takes the relations its views read; --schema takes the extension a column's type belongs to;
// --table takes its tables' schema. Objects pulled in are recorded, so wipe drops them.
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

let source: TestDb;
beforeAll(async () => {
  source = await createTestDb('fn_src');
  // pgcopydb's filtering fixture: foo.matview_1_depending reads foo.matview_1_exclude_as_table
  await source.query(`
    CREATE SCHEMA foo;
    CREATE TABLE foo.base (id int PRIMARY KEY, v text);
    INSERT INTO foo.base SELECT g, 'v' || g FROM generate_series(1, 5) g;
    CREATE MATERIALIZED VIEW foo.matview_1_exclude_as_table AS SELECT id, v FROM foo.base;
    CREATE MATERIALIZED VIEW foo.matview_1_depending AS SELECT id FROM foo.matview_1_exclude_as_table;
    CREATE TABLE foo.hidden (id int PRIMARY KEY);
    CREATE VIEW foo.reads_hidden AS SELECT id FROM foo.hidden;
    CREATE SCHEMA rep;
    CREATE VIEW rep.v AS SELECT id FROM foo.base;
    CREATE EXTENSION citext WITH SCHEMA public;
    CREATE SCHEMA app;
    CREATE TABLE app.users (id int PRIMARY KEY, email public.citext NOT NULL);
    INSERT INTO app.users VALUES (1, 'A@x.org'), (2, 'b@x.org');`);
});

const clone = (target: TestDb, ...args: string[]) => runCli(['clone', '--source', source.url, '--target', target.url, ...args, '--plain']);
const wipe = async (target: TestDb) => {
  const status = await runCli(['status', '--target', target.url, '--json']);
  const runId = (JSON.parse(status.stdout.trim().split('\n')[0] as string) as { runId: string }).runId;
  return runCli(['wipe', runId, '--target', target.url, '--yes']);
};
const oneLine = (stderr: string) => expect(stderr.trim().split('\n')).toHaveLength(1);

describe('views and materialized views that read an excluded relation', () => {
  it('--exclude-table of a matview another reads is refused naming both (exit 7)', async () => {
    const target = await createTestDb('fn_mv');
    const r = await clone(target, '--exclude-table', 'foo.matview_1_exclude_as_table', '--exclude-table', 'foo.reads_hidden');
    expect(r.code).toBe(7);
    oneLine(r.stderr);
    expect(r.stderr).toContain(
      'materialized view foo.matview_1_depending reads foo.matview_1_exclude_as_table, which --exclude-table leaves out; exclude foo.matview_1_depending too, or keep foo.matview_1_exclude_as_table',
    );
    expect(await target.query(`SELECT to_regclass('foo.base') IS NULL AS none`)).toEqual([{ none: true }]);
  });

  it('--exclude-table of a table a view reads is refused naming both (exit 7)', async () => {
    const target = await createTestDb('fn_v');
    const r = await clone(target, '--exclude-table', 'foo.hidden');
    expect(r.code).toBe(7);
    oneLine(r.stderr);
    expect(r.stderr).toContain('view foo.reads_hidden reads foo.hidden, which --exclude-table leaves out; exclude foo.reads_hidden too, or keep foo.hidden');
  });

  it('--schema rep with a view reading outside it is refused naming both (exit 7)', async () => {
    const target = await createTestDb('fn_sch');
    const r = await clone(target, '--schema', 'rep');
    expect(r.code).toBe(7);
    oneLine(r.stderr);
    expect(r.stderr).toContain('view rep.v reads foo.base, which is outside the selected schemas; add --schema foo, or exclude rep.v');
  });

  it('excluding both clones the rest', async () => {
    const target = await createTestDb('fn_both');
    const r = await clone(target, '--exclude-table', 'foo.matview_1_*', '--exclude-table', 'foo.hidden', '--exclude-table', 'foo.reads_hidden');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await target.query(`SELECT to_regclass('foo.matview_1_depending') IS NULL AS gone, (SELECT count(*)::int FROM foo.base) AS n`)).toEqual([
      { gone: true, n: 5 },
    ]);
  });

  it('--table of a matview takes the relations it reads, filled, and its schema', async () => {
    const target = await createTestDb('fn_tmv');
    const r = await clone(target, '--table', 'foo.matview_1_depending');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await target.query(`SELECT count(*)::int AS n FROM foo.matview_1_depending`)).toEqual([{ n: 5 }]);
    expect(await target.query(`SELECT count(*)::int AS n FROM foo.base`)).toEqual([{ n: 5 }]);
  });
});

describe('what a selected table needs outside the selection', () => {
  it('--schema app takes the extension its column type belongs to, and wipe drops it', async () => {
    const target = await createTestDb('fn_ext');
    const r = await clone(target, '--schema', 'app');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await target.query(`SELECT count(*)::int AS n FROM app.users WHERE email = 'a@X.org'`)).toEqual([{ n: 1 }]);
    expect(await target.query(`SELECT extnamespace::regnamespace::text AS s FROM pg_extension WHERE extname = 'citext'`)).toEqual([{ s: 'public' }]);
    const w = await wipe(target);
    expect(w.stderr).toBe('');
    expect(w.code).toBe(0);
    expect(await target.query(`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'citext'`)).toEqual([{ n: 0 }]);
    expect(await target.query(`SELECT to_regnamespace('app') IS NULL AS gone`)).toEqual([{ gone: true }]);
  });

  it("--table 'app.*' takes the schema app (and the extension), and wipe drops them", async () => {
    const target = await createTestDb('fn_tschema');
    const r = await clone(target, '--table', 'app.*');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await target.query(`SELECT count(*)::int AS n FROM app.users`)).toEqual([{ n: 2 }]);
    const w = await wipe(target);
    expect(w.stderr).toBe('');
    expect(w.code).toBe(0);
    expect(
      await target.query(`SELECT to_regnamespace('app') IS NULL AS gone, (SELECT count(*)::int FROM pg_extension WHERE extname = 'citext') AS ext`),
    ).toEqual([{ gone: true, ext: 0 }]);
  });
});
