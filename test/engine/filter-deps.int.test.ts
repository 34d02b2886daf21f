// Filters take what the selected tables need: a sequence a selected table's default calls joins a --table dump;
// a sequence --exclude-table names on purpose is refused in one preflight line naming table, column and sequence.
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

let source: TestDb;
beforeAll(async () => {
  source = await createTestDb('fd_src');
  // a sequence not owned by the column (pg_dump --table leaves it out), as pagila's actor_actor_id_seq
  await source.query(`
    CREATE SEQUENCE public.actor_actor_id_seq;
    CREATE TABLE public.actor (actor_id int NOT NULL DEFAULT nextval('public.actor_actor_id_seq') PRIMARY KEY, name text);
    CREATE TABLE public.other (id int PRIMARY KEY);
    INSERT INTO public.actor (name) SELECT 'a' || g FROM generate_series(1, 20) g;`);
});

describe('filters and what the selection needs', () => {
  it('--table actor clones the sequence its default uses, set to the source value', async () => {
    const target = await createTestDb('fd_table');
    const r = await runCli(['clone', '--source', source.url, '--target', target.url, '--table', 'actor', '--plain']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await target.query(`SELECT count(*)::int AS n FROM public.actor`)).toEqual([{ n: 20 }]);
    expect(await target.query(`SELECT to_regclass('public.other') IS NULL AS gone`)).toEqual([{ gone: true }]);
    expect(await target.query(`SELECT nextval('public.actor_actor_id_seq')::int AS v`)).toEqual([{ v: 21 }]);
  });

  it('--exclude-table of that sequence is refused in one line naming the table, column and sequence (exit 7)', async () => {
    const target = await createTestDb('fd_excl');
    const r = await runCli(['clone', '--source', source.url, '--target', target.url, '--exclude-table', 'public.actor_actor_id_seq', '--plain']);
    expect(r.code).toBe(7);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/public\.actor\.actor_id uses sequence public\.actor_actor_id_seq in its default, but --exclude-table leaves the sequence out/);
    expect(await target.query(`SELECT to_regclass('public.actor') IS NULL AS none`)).toEqual([{ none: true }]);
  });
});
