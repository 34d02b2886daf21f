// Filters choose what is cloned; wipe drops exactly what the run created; status and log --json tell what happened.
import { beforeAll, describe, expect, it } from 'vitest';
import { compareDatabases } from '../helpers/compare.js';
import { runCli, runIdOf, runUntil } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

const SCHEMA = `
CREATE SCHEMA app; CREATE SCHEMA audit;
CREATE TYPE app.kind AS ENUM ('a', 'b');
CREATE TABLE app.items (id int PRIMARY KEY, kind app.kind, name text);
CREATE TABLE app.big_history (id int PRIMARY KEY, payload text);
CREATE TABLE app.secrets (id int PRIMARY KEY, token text);
CREATE TABLE audit.trail (id bigserial PRIMARY KEY, what text);
CREATE TABLE public.plain (id serial PRIMARY KEY, v text);
CREATE FUNCTION app.f(x app.kind) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE VIEW app.v AS SELECT id, name FROM app.items;
INSERT INTO app.items SELECT i, 'a', 'item ' || i FROM generate_series(1, 1000) i;
INSERT INTO app.big_history SELECT i, repeat('h', 100) FROM generate_series(1, 2000) i;
INSERT INTO app.secrets VALUES (1, 'tok');
INSERT INTO audit.trail (what) SELECT 'w' || i FROM generate_series(1, 300) i;
INSERT INTO public.plain (v) SELECT 'p' || i FROM generate_series(1, 100) i;
`;

let source: TestDb;
beforeAll(async () => {
  source = await createTestDb('fw_src');
  await source.query(SCHEMA);
});

describe('filters', () => {
  it('--schema, --exclude-table and --exclude-table-data clone what they say', async () => {
    const target = await createTestDb('fw_filter');
    const r = await runCli([
      'clone',
      '--source',
      source.url,
      '--target',
      target.url,
      '--schema',
      'app',
      '--exclude-table',
      'app.secrets',
      '--exclude-table-data',
      'app.big_*',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rels = await target.query<{ r: string }>(
      `SELECT c.oid::regclass::text AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgclone') ORDER BY 1`,
    );
    expect(rels.map((x) => x.r)).toEqual(['app.big_history', 'app.items']);
    expect(await target.query('SELECT count(*)::int AS n FROM app.items')).toEqual([{ n: 1000 }]);
    expect(await target.query('SELECT count(*)::int AS n FROM app.big_history')).toEqual([{ n: 0 }]);
    expect(await target.query(`SELECT to_regclass('app.v') IS NOT NULL AS v`)).toEqual([{ v: true }]);
  });
});

describe('wipe', () => {
  it('drops exactly what the run created, keeps the log and an unrelated table, and --restart begins a new run', async () => {
    const target = await createTestDb('fw_wipe');
    await target.query(`CREATE TABLE public.unrelated (id int); INSERT INTO public.unrelated VALUES (42); CREATE SCHEMA keep; CREATE TABLE keep.t (x int);`);
    const killed = await runUntil(['clone', '--source', source.url, '--target', target.url], (ev) => ev.type === 'TableCompleted');
    const runId = runIdOf(killed.events);

    const status = await runCli(['status', '--target', target.url, '--json']);
    const row = JSON.parse(status.stdout.trim().split('\n')[0]!);
    expect(row).toMatchObject({ runId, state: 'interrupted', phase: 'data' });

    const eventsBefore = (await target.query<{ n: number }>('SELECT count(*)::int AS n FROM pgclone.events'))[0]!.n;
    const w = await runCli(['wipe', runId, '--target', target.url, '--yes']);
    expect(w.stderr).toBe('');
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/dropped schema app/);
    expect(w.stdout).toMatch(/dropped table public\.plain/);
    const left = await target.query<{ r: string }>(
      `SELECT c.oid::regclass::text AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'v', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgclone') ORDER BY 1`,
    );
    expect(left.map((x) => x.r)).toEqual(['keep.t', 'unrelated']);
    expect(await target.query('SELECT * FROM public.unrelated')).toEqual([{ id: 42 }]);
    expect(await target.query(`SELECT count(*)::int AS n FROM pg_type WHERE typname = 'kind'`)).toEqual([{ n: 0 }]);
    const after = await target.query<{ n: number; wiped: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE type = 'RunWiped')::int AS wiped FROM pgclone.events`,
    );
    expect(after[0]).toEqual({ n: eventsBefore + 1, wiped: 1 });
    const s2 = await runCli(['status', '--target', target.url, '--json']);
    expect(JSON.parse(s2.stdout.trim().split('\n')[0]!)).toMatchObject({ runId, state: 'wiped' });

    const again = await runCli(['wipe', runId, '--target', target.url]);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/already wiped/);

    const restart = await runCli(['clone', '--source', source.url, '--target', target.url, '--json']);
    expect(restart.code).toBe(0);
    const newRun = runIdOf(
      restart.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
    const w2 = await runCli(['wipe', newRun, '--target', target.url, '--restart', '--source', source.url, '--yes']);
    expect(w2.stderr).toBe('');
    expect(w2.code).toBe(0);
    const restartedAs = /restarting from scratch as run (\S+)/.exec(w2.stdout)?.[1];
    expect(restartedAs).toBeTruthy();
    expect(w2.stdout).toMatch(/verification passed/);
    const runs = (await runCli(['status', '--target', target.url, '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(runs.map((x) => [x.runId, x.state])).toEqual([
      [runId, 'wiped'],
      [newRun, 'wiped'],
      [restartedAs, 'finished'],
    ]);
    const diffs = await compareDatabases(source.url, target.url, { schema: false });
    expect(diffs).toEqual([]);
  });
});

describe('log', () => {
  it('log --json prints every event of the run as one JSON object per line; log prints them for people', async () => {
    const target = await createTestDb('fw_log');
    const r = await runCli(['clone', '--source', source.url, '--target', target.url, '--json']);
    const runId = runIdOf(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
    const j = await runCli(['log', runId, '--target', target.url, '--json']);
    expect(j.code).toBe(0);
    const events = j.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0].type).toBe('RunStarted');
    expect(events.at(-1).type).toBe('RunFinished');
    expect(events.filter((e: { type: string }) => e.type === 'TableVerified').every((e: { match: boolean }) => e.match)).toBe(true);
    const h = await runCli(['log', runId, '--target', target.url]);
    expect(h.stdout.split('\n').filter(Boolean)).toHaveLength(events.length);
    expect(h.stdout).toMatch(/RunFinished\s+finished in/);
  });
});
