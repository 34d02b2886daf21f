// A complete clone, ready to use: planner statistics, sequences ahead of their columns, matviews left empty
// on request, pre-created empty schemas reused, and a resume on a target nothing was written to yet.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

type StatCols = { rel: string; cols: string };
const STATS_SQL = `SELECT schemaname || '.' || tablename AS rel, string_agg(attname || ':' || inherited, ',' ORDER BY attname, inherited) AS cols
                     FROM pg_stats WHERE schemaname = 'public' GROUP BY 1 ORDER BY 1`;

async function estimate(db: TestDb, sql: string): Promise<number> {
  const r = await db.query<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(`EXPLAIN (FORMAT JSON) ${sql}`);
  return r[0]!['QUERY PLAN'][0]!.Plan['Plan Rows'];
}

describe('planner statistics', () => {
  it('every table, partitioned parent and materialized view is analyzed on the target, as on the analyzed source', async () => {
    const source = await createTestDb('rd_stats_src');
    await source.query(`
      CREATE TABLE public.orders (id int PRIMARY KEY, status int, note text);
      INSERT INTO public.orders SELECT i, i % 10, 'n' || i FROM generate_series(1, 30000) i;
      CREATE TABLE public.heap (status int, note text);
      INSERT INTO public.heap SELECT i % 10, 'h' || i FROM generate_series(1, 20000) i;
      CREATE TABLE public.events (at date NOT NULL, kind int) PARTITION BY RANGE (at);
      CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      INSERT INTO public.events SELECT date '2024-01-01' + (i % 700), i % 7 FROM generate_series(1, 10000) i;
      CREATE MATERIALIZED VIEW public.order_counts AS SELECT status, count(*) AS n FROM public.orders GROUP BY status;
      ANALYZE;`);
    const target = await createTestDb('rd_stats_dst');
    const r = await runCli(['clone', '--source', source.url, '--target', target.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const want = await source.query<StatCols>(STATS_SQL);
    expect(want.map((x) => x.rel)).toEqual(['public.events', 'public.events_2024', 'public.events_2025', 'public.heap', 'public.order_counts', 'public.orders']);
    expect(await target.query<StatCols>(STATS_SQL)).toEqual(want);
    expect(await target.query(`SELECT relname, reltuples::int AS n FROM pg_class WHERE relname IN ('heap', 'orders') ORDER BY 1`)).toEqual([
      { relname: 'heap', n: 20000 },
      { relname: 'orders', n: 30000 },
    ]);
    for (const q of ['SELECT * FROM public.orders WHERE status = 3', 'SELECT * FROM public.heap WHERE status = 3', 'SELECT * FROM public.events WHERE kind = 2']) {
      const [s, t] = [await estimate(source, q), await estimate(target, q)];
      expect(t / s, `${q}: source estimates ${s} rows, target ${t}`).toBeGreaterThan(0.5);
      expect(t / s, `${q}: source estimates ${s} rows, target ${t}`).toBeLessThan(2);
    }
    const applied = await target.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgclone.events WHERE type = 'PostDataItemApplied' AND payload->>'kind' = 'analyze'`);
    expect(applied[0]!.n).toBe(6);
  });

  it('--no-analyze leaves the statistics to autovacuum', async () => {
    const source = await createTestDb('rd_noan_src');
    await source.query(`CREATE TABLE public.t (id int PRIMARY KEY, v int); INSERT INTO public.t SELECT i, i % 10 FROM generate_series(1, 1000) i; ANALYZE;`);
    const target = await createTestDb('rd_noan_dst');
    const r = await runCli(['clone', '--source', source.url, '--target', target.url, '--no-analyze']);
    expect(r.code).toBe(0);
    expect(await target.query(`SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = 'public'`)).toEqual([{ n: 0 }]);
  });
});
