// The feed on a real log: it follows appended events, sees the lock, and redraws at most ten times a second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { appendStandalone, ensureLog, type NewEvent } from '../../src/events/index.js';
import { tryLockRun } from '../../src/events/lock.js';
import { createFeed } from '../../src/ui/feed.js';
import type { DashboardModel } from '../../src/ui/model.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { interruptedAt29 } from '../fixtures/stories.js';

let db: TestDb;
let writer: pg.Client;
let reader: pg.Client;
beforeAll(async () => {
  db = await createTestDb('feed');
  [writer, reader] = await Promise.all([db.client(), db.client()]);
  await ensureLog(writer);
});
afterAll(async () => {
  await Promise.all([writer.end(), reader.end()]);
});

describe('feed', () => {
  it('folds what is appended, knows the run is running while its lock is held, and coalesces redraws', async () => {
    const runId = 'run_feed_01';
    expect(await tryLockRun(writer, runId)).toBe(true);
    const feed = createFeed(reader, { mode: 'watch', pollMs: 20, catalogMs: 50 });
    const snapshots: DashboardModel[] = [];
    feed.subscribe((m) => snapshots.push(m));
    const t0 = Date.now();
    const events = interruptedAt29(runId).build();
    for (const e of events) {
      const { id: _id, v: _v, ...rest } = e;
      await appendStandalone(writer, [{ ...rest, at: new Date().toISOString() } as NewEvent]);
    }
    await new Promise((r) => setTimeout(r, 400));
    const elapsed = Date.now() - t0;
    await feed.stop();
    const last = feed.get();
    expect(last.runs).toHaveLength(1);
    expect(last.runs[0]!.events).toHaveLength(events.length);
    expect(last.runs[0]!.state.rowsDone).toBe(707 + 160);
    expect(last.runs[0]!.liveness.state).toBe('running');
    expect(last.runs[0]!.liveness.holder?.backendPid).toBeGreaterThan(0);
    // ≤ 10 snapshots a second, however many events arrive
    expect(snapshots.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
  });

  it('its final snapshot, after stop, holds the last events and error even inside the redraw interval', async () => {
    const runId = 'run_feed_02';
    const feed = createFeed(reader, { mode: 'engine', pollMs: 60_000, minIntervalMs: 60_000, runId });
    const events = interruptedAt29(runId).build();
    for (const e of events) {
      const { id: _id, v: _v, ...rest } = e;
      await appendStandalone(writer, [{ ...rest, at: new Date().toISOString() } as NewEvent]);
    }
    // nothing polls or redraws for a minute: only stop() can bring these in
    feed.setError('the preflight refused');
    await feed.stop();
    const last = feed.get();
    expect(last.error).toBe('the preflight refused');
    expect(last.runs[0]?.events).toHaveLength(events.length);
  });
  it('a run that appears after the first read shows as running when its lock is held, not as interrupted until the next lock read', async () => {
    const runId = 'run_feed_03';
    const feed = createFeed(reader, { mode: 'engine', pollMs: 20, catalogMs: 60_000, minIntervalMs: 10 });
    await new Promise((r) => setTimeout(r, 150));
    expect(await tryLockRun(writer, runId)).toBe(true);
    for (const e of interruptedAt29(runId).build().slice(0, 2)) {
      const { id: _id, v: _v, ...rest } = e;
      await appendStandalone(writer, [{ ...rest, at: new Date().toISOString() } as NewEvent]);
    }
    const deadline = Date.now() + 5000;
    while (!feed.get().runs.some((r) => r.state.runId === runId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const run = feed.get().runs.find((r) => r.state.runId === runId);
    await feed.stop();
    expect(run?.liveness.state).toBe('running');
  });

  it('a stopped run that a resume takes over shows as running at its next event, not as interrupted until the next lock read', async () => {
    const runId = 'run_feed_04';
    const events = interruptedAt29(runId).build();
    const append = async (e: (typeof events)[number]) => {
      const { id: _id, v: _v, ...rest } = e;
      await appendStandalone(writer, [{ ...rest, at: new Date().toISOString() } as NewEvent]);
    };
    // written with no lock held: the feed reads the run as interrupted
    for (const e of events.slice(0, -1)) await append(e);
    const feed = createFeed(reader, { mode: 'engine', pollMs: 20, catalogMs: 60_000, minIntervalMs: 10 });
    const seen = async (state: string) => {
      const deadline = Date.now() + 5000;
      while (feed.get().runs.find((r) => r.state.runId === runId)?.liveness.state !== state && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      return feed.get().runs.find((r) => r.state.runId === runId)?.liveness.state;
    };
    expect(await seen('interrupted')).toBe('interrupted');
    // a resume takes the lock and writes: the next catalog read is a minute away, the event is not
    expect(await tryLockRun(writer, runId)).toBe(true);
    await append(events.at(-1)!);
    const state = await seen('running');
    await feed.stop();
    await writer.query('SELECT pg_advisory_unlock_all()');
    expect(state).toBe('running');
  });
});
