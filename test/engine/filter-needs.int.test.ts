// Filters the peers accept (issue 15): what a selection needs that pg_dump's filters leave out. --schema takes the
// extension a column's type belongs to; --table takes its tables' schema. Objects pulled in are recorded, so wipe drops them.
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
