// On PostgreSQL 18 → 18 the source's planner statistics are carried (pg_restore_*_stats), not recomputed; never-analyzed
// relations and those with extended statistics are analyzed on the target instead.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { majorServer } from '../helpers/majors.js';

const pg18 = majorServer(18);

// every column of pg_stats, as text: equal means the same statistics, value for value
const STATS_SQL = `SELECT tablename, attname, inherited, null_frac::text, avg_width, n_distinct::text, most_common_vals::text,
                          most_common_freqs::text, histogram_bounds::text, correlation::text, most_common_elems::text,
                          most_common_elem_freqs::text, elem_count_histogram::text, range_length_histogram::text,
                          range_empty_frac::text, range_bounds_histogram::text
                     FROM pg_stats WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY tablename, attname, inherited`;

async function estimate(db: TestDb, sql: string): Promise<number> {
  const r = await db.query<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(`EXPLAIN (FORMAT JSON) ${sql}`);
  return r[0]!['QUERY PLAN'][0]!.Plan['Plan Rows'];
}

describe('planner statistics on PostgreSQL 18', () => {
  it("carries the source's statistics exactly, and analyzes what has none to carry", async () => {
    const source = await createTestDb('st18_src', pg18.url);
    await source.query(`
      CREATE TABLE public.orders (id int PRIMARY KEY, status int, note text, tags int[], span int4range, at date);
      ALTER TABLE public.orders ALTER COLUMN status SET STATISTICS 1000;
      -- more rows than ANALYZE samples (300 × 100): a fresh ANALYZE on the target would draw other histograms
      INSERT INTO public.orders
        SELECT i, (i * 7919) % 97 * (i % 3), CASE WHEN i % 11 = 0 THEN NULL ELSE md5(i::text) END,
               ARRAY[i % 5, i % 13], int4range(i % 100, i % 100 + i % 17), date '2024-01-01' + (i * 31) % 900
          FROM generate_series(1, 120000) i;
      CREATE INDEX orders_note_lower ON public.orders (lower(note));
      CREATE TABLE public.events (at date NOT NULL, kind int) PARTITION BY RANGE (at);
      CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      INSERT INTO public.events SELECT date '2024-01-01' + (i % 700), (i * 13) % 29 FROM generate_series(1, 60000) i;
      CREATE MATERIALIZED VIEW public.order_counts AS SELECT status, count(*) AS n FROM public.orders GROUP BY status;
      CREATE TABLE public.pairs (a int, b int);
      INSERT INTO public.pairs SELECT i % 50, i % 50 FROM generate_series(1, 5000) i;
      CREATE STATISTICS public.pairs_ab (ndistinct, dependencies) ON a, b FROM public.pairs;
      ANALYZE;
      -- created after the ANALYZE, no index build: never analyzed (reltuples -1, no pg_stats rows)
      CREATE TABLE public.fresh (v int);
      INSERT INTO public.fresh SELECT i % 4 FROM generate_series(1, 2000) i;`);
    const target = await createTestDb('st18_dst', pg18.url);
    const r = await runCli(['clone', '--source', source.url, '--target', target.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const applied = await target.query<{ name: string; statistics: string | null }>(
      `SELECT payload->>'name' AS name, payload->>'statistics' AS statistics FROM pgclone.events
        WHERE type = 'PostDataItemApplied' AND payload->>'kind' = 'analyze' ORDER BY 1`,
    );
    expect(applied).toEqual([
      { name: 'public.events', statistics: 'carried' },
      { name: 'public.events_2024', statistics: 'carried' },
      { name: 'public.events_2025', statistics: 'carried' },
      { name: 'public.fresh', statistics: 'analyzed' },
      { name: 'public.order_counts', statistics: 'carried' },
      { name: 'public.orders', statistics: 'carried' },
      { name: 'public.pairs', statistics: 'analyzed' },
    ]);

    const carried = ['orders', 'orders_note_lower', 'events', 'events_2024', 'events_2025', 'order_counts'];
    const want = await source.query<{ tablename: string; attname: string }>(STATS_SQL, [carried]);
    // every column of every carried relation, the expression index's and the parent's inherited ones included
    expect(new Set(want.map((x) => `${x.tablename}.${x.attname}`))).toEqual(
      new Set([
        ...['id', 'status', 'note', 'tags', 'span', 'at'].map((c) => `orders.${c}`),
        'orders_note_lower.lower',
        ...['events', 'events_2024', 'events_2025'].flatMap((t) => [`${t}.at`, `${t}.kind`]),
        'order_counts.status',
        'order_counts.n',
      ]),
    );
    expect(want.filter((x) => x.tablename === 'events').every((x) => (x as unknown as { inherited: boolean }).inherited)).toBe(true);
    expect(await target.query(STATS_SQL, [carried])).toEqual(want);
    const relStats = `SELECT relname, reltuples FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1) ORDER BY 1`;
    expect(await target.query(relStats, [carried.filter((c) => c !== 'orders_note_lower')])).toEqual(
      await source.query(relStats, [carried.filter((c) => c !== 'orders_note_lower')]),
    );
    for (const q of [
      'SELECT * FROM public.orders WHERE status = 3',
      "SELECT * FROM public.orders WHERE at < date '2024-01-20'",
      "SELECT * FROM public.orders WHERE lower(note) < '0a'",
      'SELECT * FROM public.events WHERE kind = 2',
    ]) {
      expect(await estimate(target, q), q).toBe(await estimate(source, q));
    }

    // what had nothing to carry, or data only ANALYZE computes, was analyzed on the target
    expect(await source.query(`SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'fresh'`)).toEqual([{ n: 0 }]);
    expect(await target.query(`SELECT attname, null_frac FROM pg_stats WHERE tablename = 'fresh'`)).toEqual([{ attname: 'v', null_frac: 0 }]);
    expect(await target.query(`SELECT reltuples::int AS n FROM pg_class WHERE oid = 'public.fresh'::regclass`)).toEqual([{ n: 2000 }]);
    expect(await target.query(`SELECT statistics_name, n_distinct IS NOT NULL AS has_ndistinct FROM pg_stats_ext WHERE tablename = 'pairs'`)).toEqual([
      { statistics_name: 'pairs_ab', has_ndistinct: true },
    ]);
  });
});
