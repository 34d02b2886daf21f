// The target's activity views, read for the dashboard: an index build in flight shows with its table, name and phase.
import { describe, expect, it } from 'vitest';
import { liveIndexBuilds } from '../../src/events/activity.js';
import { createTestDb } from '../helpers/db.js';

describe('liveIndexBuilds (pg_stat_progress_create_index)', () => {
  it('Given a CREATE INDEX CONCURRENTLY waiting for an older snapshot, Then it is listed with its table, index and phase', async () => {
    const db = await createTestDb('activity');
    await db.query('CREATE TABLE orders_2025_03 (id int PRIMARY KEY, v int); INSERT INTO orders_2025_03 SELECT i, i FROM generate_series(1, 1000) i');
    const holder = await db.client();
    const builder = await db.client();
    const reader = await db.client();
    try {
      // a transaction with a snapshot holds the concurrent build in its wait: no timing, it waits until we let go
      await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await holder.query('SELECT count(*) FROM orders_2025_03');
      const build = builder.query('CREATE INDEX CONCURRENTLY orders_2025_03_v_idx ON orders_2025_03 (v)').catch((e: unknown) => e);
      // it passes through its build phases to the wait for our snapshot, and stays there
      let seen: Awaited<ReturnType<typeof liveIndexBuilds>> = [];
      for (let i = 0; i < 400 && !(seen[0]?.phase ?? '').startsWith('waiting for'); i++) {
        seen = await liveIndexBuilds(reader);
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ table: 'public.orders_2025_03', index: 'orders_2025_03_v_idx', command: 'CREATE INDEX CONCURRENTLY' });
      expect(seen[0]!.phase).toMatch(/^waiting for/);
      await holder.query('COMMIT');
      expect(await build).not.toBeInstanceOf(Error);
      expect(await liveIndexBuilds(reader)).toEqual([]);
    } finally {
      await Promise.all([holder.end(), builder.end(), reader.end()]);
    }
  });
});
