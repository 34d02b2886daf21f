// step(), the library's serverless primitive, on a real server: small budgets in a loop to a verified finish, the lock, abort, typed errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { PgcloneError, runs, status, step, type StepResult } from '../../src/lib.js';
import { tryLockRun } from '../../src/events/lock.js';
import { bulkSql } from '../fixtures/fidelity.js';
import { compareDatabases } from '../helpers/compare.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

let source: TestDb;
// ~4.5 MB in 256 kB batches: many boundaries for a budget to stop at
const options = { batchBytes: 256 << 10, jobs: 1 };

beforeAll(async () => {
  source = await createTestDb('step_src');
  await source.query(bulkSql(20_000));
});

async function eventsOf(target: TestDb): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return target.query(`SELECT type, payload AS data FROM pgclone.events ORDER BY id`);
}

async function stepToEnd(target: TestDb, budgetMs: number): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (let i = 0; i < 300; i++) {
    const r = await step({ source: source.url, target: target.url, budgetMs, options });
    results.push(r);
    if (r.outcome !== 'suspended') break;
  }
  return results;
}

describe('step()', () => {
  it('a 1 ms budget, called again and again: each call suspends after some work, progress rises, the last one finishes; the clone is equal', async () => {
    const target = await createTestDb('step_loop');
    const results = await stepToEnd(target, 1);
    const last = results.at(-1)!;
    expect(last.outcome).toBe('finished');
    expect(results.slice(0, -1).every((r) => r.outcome === 'suspended')).toBe(true);
    // one run throughout, every call on it
    expect(new Set(results.map((r) => r.runId)).size).toBe(1);
    const rows = results.map((r) => r.progress!.rowsDone);
    for (let i = 1; i < rows.length; i++) expect(rows[i]).toBeGreaterThanOrEqual(rows[i - 1]!);
    // the data phase itself was cut, more than once, between batches
    const midData = results.filter((r) => r.progress!.phase === 'data' && r.progress!.rowsDone > 0 && r.progress!.rowsDone < r.progress!.rowsTotal);
    expect(midData.length).toBeGreaterThan(3);
    expect(midData[0]!.progress!.currentTable?.table).toBe('public.bulk');
    expect(last.progress).toMatchObject({ rowsDone: 20_000, rowsTotal: 20_000 });
    expect(last.progress!.bytesDone).toBeGreaterThan(4_000_000);
    const events = await eventsOf(target);
    expect(events.filter((e) => e.type === 'RunSuspended')).toHaveLength(results.length - 1);
    expect(events.filter((e) => e.type === 'RunResumed')).toHaveLength(results.length - 1);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);

    // a finished target: answered at once, nothing written
    const again = await step({ source: source.url, target: target.url, budgetMs: 1, options });
    expect(again).toMatchObject({ runId: last.runId, outcome: 'finished' });
    expect(await eventsOf(target)).toHaveLength(events.length);
    // status and runs: status --json's objects
    const [summary] = await runs(target.url);
    expect(summary).toMatchObject({ runId: last.runId, state: 'finished', verification: 'passed', rowsDone: 20_000, holder: null });
    expect(await status({ connectionString: target.url })).toEqual({ ...summary, silentForMs: expect.any(Number) });
  }, 240_000);

  it('a run whose lock another session holds: locked with that holder, at once and without writing; free again, it goes on', async () => {
    const target = await createTestDb('step_locked');
    const first = await step({ source: source.url, target: target.url, budgetMs: 1, options });
    expect(first.outcome).toBe('suspended');
    const holder = await target.client();
    try {
      expect(await tryLockRun(holder, first.runId!)).toBe(true);
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const before = (await eventsOf(target)).length;
      const r = await step({ source: source.url, target: target.url, budgetMs: 60_000, options });
      expect(r).toMatchObject({ runId: first.runId, outcome: 'locked', holder: { backendPid: pid } });
      expect(r.progress!.phase).toBe(first.progress!.phase);
      expect(await eventsOf(target)).toHaveLength(before);
    } finally {
      await holder.end();
    }
    const done = await step({ source: source.url, target: target.url, budgetMs: 120_000, options });
    expect(done).toMatchObject({ runId: first.runId, outcome: 'finished' });
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
  }, 240_000);

  it('two first calls at once start one run: each is answered (suspended or locked), neither throws', async () => {
    const target = await createTestDb('step_overlap');
    const both = await Promise.all([0, 1].map(() => step({ source: source.url, target: target.url, budgetMs: 1, options })));
    for (const r of both) expect(['suspended', 'locked']).toContain(r.outcome);
    expect(both.some((r) => r.outcome === 'suspended')).toBe(true);
    expect(await runs(target.url)).toHaveLength(1);
  }, 120_000);

  it('an aborted signal stops the call at its first boundary, recording the reason; the next call finishes it', async () => {
    const target = await createTestDb('step_abort');
    const stop = new AbortController();
    stop.abort('the platform is ending this invocation');
    const r = await step({ source: source.url, target: target.url, budgetMs: 600_000, signal: stop.signal, options });
    expect(r.outcome).toBe('suspended');
    expect(r.progress!.rowsDone).toBeLessThan(20_000);
    const last = (await eventsOf(target)).at(-1)!;
    expect(last).toMatchObject({ type: 'RunSuspended', data: { reason: 'the platform is ending this invocation' } });
    const done = await step({ source: source.url, target: target.url, budgetMs: 600_000, options });
    expect(done).toMatchObject({ runId: r.runId, outcome: 'finished' });
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
  }, 240_000);

  it('bad input is a typed error: a connection string pgclone cannot read (usage), a server that is not there (connect), bad options', async () => {
    const target = await createTestDb('step_bad');
    const call = (s: string, t: string, extra: object = {}) => step({ source: s, target: t, budgetMs: 1000, ...extra });
    await expect(call('mysql://x/y', target.url)).rejects.toMatchObject({ name: 'UsageError', kind: 'usage', exitCode: 2 });
    await expect(call(source.url, 'postgresql://postgres@127.0.0.1:1/nothing')).rejects.toMatchObject({ kind: 'connect', exitCode: 6 });
    await expect(call(source.url, target.url, { options: { jobs: 0 } })).rejects.toBeInstanceOf(PgcloneError);
    await expect(call(source.url, target.url, { budgetMs: 0 })).rejects.toMatchObject({ kind: 'usage' });
    expect(await runs(target.url)).toEqual([]);
  }, 60_000);
});
