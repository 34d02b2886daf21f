// The library's entry points on a real server: clone, resume, wipe and events, with progress callbacks and a CPU budget.
import { beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { clone, events, PgcloneError, resume, step, wipe, type LoggedEvent, type RunProgress, type StepResult } from '../../src/lib.js';
import { appendEvents } from '../../src/events/store.js';
import { tryLockRun } from '../../src/events/lock.js';
import type { NewEvent } from '../../src/events/schemas.js';
import { bulkSql } from '../fixtures/fidelity.js';
import { compareDatabases } from '../helpers/compare.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

let source: TestDb;
// ~4.5 MB in 128 kB batches: some 35 batches, many commits for the coalescer to fold together
const options = { batchBytes: 128 << 10 };

beforeAll(async () => {
  source = await createTestDb('entries_src');
  await source.query(bulkSql(20_000));
});

async function eventsOf(target: TestDb): Promise<{ id: number; type: string; data: Record<string, unknown> }[]> {
  return target.query(`SELECT id::int AS id, type, payload AS data FROM pgclone.events ORDER BY id`);
}

async function tablesOf(db: TestDb): Promise<string[]> {
  const r = await db.query<{ t: string }>(`SELECT relname AS t FROM pg_class WHERE relname IN ('bulk', 'bulk_grp_idx') ORDER BY 1`);
  return r.map((x) => x.t);
}

const pidOf = async (c: pg.Client): Promise<number> => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

/** Wait for a condition, polling; a generous limit, never a fixed sleep. */
async function until(what: string, ok: () => Promise<boolean> | boolean, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('clone()', () => {
  it('clones to a verified finish; onProgress is coalesced: fewer calls than batches, rows never go back, the last call is the final progress', async () => {
    const target = await createTestDb('entries_clone');
    const seen: RunProgress[] = [];
    const r = await clone({ source: source.url, target: target.url, options, onProgress: (p) => seen.push(p), progressIntervalMs: 500 });
    expect(r.outcome).toBe('finished');
    expect(r.progress).toMatchObject({ rowsDone: 20_000, rowsTotal: 20_000 });
    expect(await compareDatabases(source.url, target.url)).toEqual([]);

    const batches = (await eventsOf(target)).filter((e) => e.type === 'BatchCopied').length;
    expect(batches).toBeGreaterThan(20);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(batches);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.rowsDone).toBeGreaterThanOrEqual(seen[i - 1]!.rowsDone);
    expect(seen.at(-1)).toEqual(r.progress);

    // a second clone into the same target: refused in preflight (the objects are there), thrown, nothing written
    const before = (await eventsOf(target)).length;
    await expect(clone({ source: source.url, target: target.url, options })).rejects.toMatchObject({ kind: 'preflight', exitCode: 7 });
    expect(await eventsOf(target)).toHaveLength(before);
  }, 240_000);

  it('stopped by its signal: suspended at the first boundary; resume() with the recorded source finishes it, equal', async () => {
    const target = await createTestDb('entries_abort');
    const stop = new AbortController();
    stop.abort('the caller stopped it');
    const first = await clone({ source: source.url, target: target.url, options, signal: stop.signal });
    expect(first.outcome).toBe('suspended');
    expect(first.progress!.rowsDone).toBeLessThan(20_000);
    expect((await eventsOf(target)).at(-1)).toMatchObject({ type: 'RunSuspended', data: { reason: 'the caller stopped it' } });

    // another session holds the run's lock: locked, with the holder, nothing written
    const holder = await target.client();
    try {
      expect(await tryLockRun(holder, first.runId!)).toBe(true);
      const before = (await eventsOf(target)).length;
      expect(await resume({ target: target.url })).toMatchObject({ runId: first.runId, outcome: 'locked', holder: { backendPid: await pidOf(holder) } });
      expect(await eventsOf(target)).toHaveLength(before);
    } finally {
      await holder.end();
    }

    // no source given: the run's recorded one (host, port, database, user); this server trusts, so no password
    const seen: RunProgress[] = [];
    const done = await resume({ target: target.url, onProgress: (p) => seen.push(p) });
    expect(done).toMatchObject({ runId: first.runId, outcome: 'finished', progress: { rowsDone: 20_000 } });
    expect(seen.at(-1)).toEqual(done.progress);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);

    // resuming a finished run is a refusal, as pgclone resume's exit 5
    await expect(resume({ target: target.url, runId: first.runId! })).rejects.toMatchObject({ kind: 'nothing-to-do', exitCode: 5 });
    // a source that is not the run's database: refused, thrown
    const other = await createTestDb('entries_other');
    await expect(resume({ target: target.url, source: other.url })).rejects.toBeInstanceOf(PgcloneError);
  }, 240_000);
});

describe('cpuBudgetMs', () => {
  it('a small CPU budget suspends each call at a boundary, saying so; called again and again, the clone finishes equal', async () => {
    const target = await createTestDb('entries_cpu');
    const results: StepResult[] = [];
    for (let i = 0; i < 300; i++) {
      const r = await step({ source: source.url, target: target.url, budgetMs: 600_000, cpuBudgetMs: 1, options: { ...options, batchBytes: 512 << 10 } });
      results.push(r);
      if (r.outcome !== 'suspended') break;
    }
    expect(results.at(-1)!.outcome).toBe('finished');
    expect(results.length).toBeGreaterThan(3);
    const suspended = (await eventsOf(target)).filter((e) => e.type === 'RunSuspended');
    expect(suspended).toHaveLength(results.length - 1);
    for (const e of suspended) expect(String(e.data.reason)).toMatch(/^CPU budget of 1 ms spent \(\d+ ms used\)$/);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);

    // resume() takes it too
    const t2 = await createTestDb('entries_cpu_resume');
    const stop = new AbortController();
    stop.abort('first slice');
    const first = await clone({ source: source.url, target: t2.url, options, signal: stop.signal });
    const again = await resume({ target: t2.url, source: source.url, cpuBudgetMs: 1 });
    expect(again).toMatchObject({ runId: first.runId, outcome: 'suspended' });
    expect((await eventsOf(t2)).at(-1)!.data.reason).toMatch(/CPU budget/);
    await expect(resume({ target: t2.url, cpuBudgetMs: 0 })).rejects.toMatchObject({ kind: 'usage' });
  }, 300_000);
});

describe('wipe()', () => {
  it('a dry run lists the drops and writes nothing; the wipe drops them and appends RunWiped', async () => {
    const target = await createTestDb('entries_wipe');
    const stop = new AbortController();
    stop.abort('stop early');
    const r = await clone({ source: source.url, target: target.url, options: { ...options, jobs: 1 }, signal: stop.signal });
    expect(r.outcome).toBe('suspended');
    const before = await eventsOf(target);

    const dry = await wipe({ target: target.url, runId: r.runId!.slice(0, 8), dryRun: true });
    expect(dry).toMatchObject({ runId: r.runId, dryRun: true, kept: [] });
    expect(dry.dropped).toContain('table public.bulk');
    expect(await eventsOf(target)).toEqual(before);
    expect(await tablesOf(target)).toContain('bulk');

    const w = await wipe({ target: target.url, runId: r.runId! });
    expect(w.dryRun).toBe(false);
    expect(w.dropped).toEqual(expect.arrayContaining(dry.dropped));
    const after = await eventsOf(target);
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({ type: 'RunWiped', data: { dropped: w.dropped } });
    expect(await tablesOf(target)).toEqual([]);

    // again: nothing to do, thrown as the CLI's kind
    await expect(wipe({ target: target.url, runId: r.runId! })).rejects.toMatchObject({ kind: 'nothing-to-do', exitCode: 5 });
    await expect(wipe({ target: target.url, runId: 'nosuchrun' })).rejects.toMatchObject({ kind: 'usage' });
  }, 240_000);
});

describe('events()', () => {
  it('without follow: every event of the run, in commit order, then it ends', async () => {
    const target = await createTestDb('entries_events');
    const r = await clone({ source: source.url, target: target.url, options });
    const logged = await target.query<{ id: string }>(`SELECT id FROM pgclone.events WHERE run_id = $1 ORDER BY tx, id`, [r.runId]);
    const got: LoggedEvent[] = [];
    for await (const ev of events({ target: target.url, runId: r.runId! })) got.push(ev);
    expect(got.map((e) => e.id)).toEqual(logged.map((x) => Number(x.id)));
    expect(got[0]!.type).toBe('RunStarted');
    expect(got.at(-1)!.type).toBe('RunFinished');
  }, 240_000);

  it('following: what commits while it iterates arrives too — a wipe, and two transactions committing in reverse id order — and it ends on abort', async () => {
    const target = await createTestDb('entries_follow');
    const stop = new AbortController();
    stop.abort('stop early');
    const r = await clone({ source: source.url, target: target.url, options: { ...options, jobs: 1 }, signal: stop.signal });
    const runId = r.runId!;
    const existing = (await eventsOf(target)).length;

    const done = new AbortController();
    const got: LoggedEvent[] = [];
    const reading = (async () => {
      for await (const ev of events({ target: target.url, runId, follow: true, signal: done.signal, pollMs: 20 })) got.push(ev);
    })();
    await until('the existing events', () => got.length === existing);

    // a concurrent append: the wipe's RunWiped
    await wipe({ target: target.url, runId });
    await until('RunWiped', () => got.some((e) => e.type === 'RunWiped'));

    // a late commit: A appends first (smaller id) but commits after B
    const [a, b, watcher] = await Promise.all([target.client(), target.client(), target.client()]);
    try {
      const retry = (attempt: number): NewEvent => ({
        type: 'RetryScheduled',
        runId,
        phase: 'data',
        error: { message: 'test', sqlstate: null, kind: 'transient' },
        attempt,
        delayMs: 0,
        snapshotLost: false,
      });
      const appendIn = async (c: pg.Client, e: NewEvent): Promise<number> => {
        const x = await appendEvents(c, [e]);
        if (!x.ok) throw new Error('conflict');
        return x.events[0]!.id;
      };
      await a.query('BEGIN');
      const idA = await appendIn(a, retry(1));
      await b.query('BEGIN');
      const idB = await appendIn(b, retry(2));
      await b.query('COMMIT');
      expect(idA).toBeLessThan(idB);
      // the follower has read the log at least once since B committed (its connection ran a query that began later)
      const t = (await watcher.query<{ t: string }>('SELECT clock_timestamp()::text AS t')).rows[0]!.t;
      const pids = await Promise.all([a, b, watcher].map(pidOf));
      await until('a read of the log after B committed', async () => {
        const rows = await watcher.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> ALL($1::int[])
              AND query LIKE '%pgclone.events%' AND state = 'idle' AND query_start > $2::timestamptz`,
          [pids, t],
        );
        return rows.rowCount! > 0;
      });
      expect(got.map((e) => e.id)).not.toContain(idB);
      await a.query('COMMIT');
      await until('both late events', () => got.filter((e) => e.type === 'RetryScheduled').length === 2);
      expect(got.filter((e) => e.type === 'RetryScheduled').map((e) => e.id)).toEqual([idA, idB]);
    } finally {
      await Promise.all([a, b, watcher].map((c) => c.end()));
    }

    // every event of the run, each once
    const all = await target.query<{ id: string }>(`SELECT id FROM pgclone.events WHERE run_id = $1 ORDER BY tx, id`, [runId]);
    expect(got.map((e) => e.id)).toEqual(all.map((x) => Number(x.id)));
    done.abort();
    await reading;
  }, 240_000);
});
