// The fast subset of the torture suite (npm run torture has the full one): kills, a stall, twin resumes, a cut network, a restart, a live source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUrl } from '../helpers/db.js';
import {
  concurrentResumes,
  dropDb,
  killTrials,
  networkCut,
  stalledThenContinued,
  targetRestart,
  variedSource,
  type Db,
  type TortureEnv,
} from '../torture/scenarios.js';
import { liveSource } from '../torture/live.js';

let env: TortureEnv;
let source: Db;

beforeAll(async () => {
  env = { serverUrl: serverUrl(), log: () => undefined };
  source = await variedSource(env, 60_000);
});
afterAll(async () => {
  await dropDb(env, source);
});

describe('faults (fast subset)', () => {
  it('random SIGKILLs (fixed seed): nothing lost, nothing duplicated, schema equal, log and target agree', async () => {
    const r = await killTrials(env, source, { trials: 3, seed: 20261128 });
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ trials: 3, rowsLost: 0, rowsDuplicated: 0, schemaDifferences: 0, sequenceDifferences: 0, logDisagreements: 0 });
    expect(Object.values(r.kills).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 180_000);

  it('a stopped engine is stalled, not dead, and finishes when continued', async () => {
    const r = await stalledThenContinued(env, source);
    expect(r.detail).toMatch(/stalled/);
    expect(r.ok).toBe(true);
  }, 120_000);

  it('two resumes at once: one proceeds, one refuses naming the holder', async () => {
    const r = await concurrentResumes(env, source);
    expect(r.ok, r.detail).toBe(true);
  }, 120_000);

  it('a source network cut mid-COPY is noticed within the timeout and survived', async () => {
    const r = await networkCut(env, source, 'source', { ioTimeoutMs: 1500, cutMs: 4000 });
    expect(r.ok, r.detail).toBe(true);
    expect(r.noticedMs).toBeLessThan(1500 * 3 + 5000);
  }, 120_000);

  it('the target server restarted mid-data: retried in-process, equal', async () => {
    const r = await targetRestart(env, source);
    expect(r.ok, r.detail).toBe(true);
  }, 120_000);

  it('a live source (wal_level=logical, its own server): writers through SIGKILLs and slices, then kills in catch-up; equal, every change applied once, nothing left on the source', async () => {
    const r = await liveSource(env, { seed: 20261128, bulkRows: 40_000, writerProcesses: 4, catchUpProcesses: 3, minWrites: 6000 });
    expect(r.ok, r.detail).toBe(true);
    expect(r.outcome).toMatchObject({ rowsLost: 0, rowsDuplicated: 0, schemaDifferences: 0, sequenceDifferences: 0 });
    expect(r.logDisagreements).toBe(0);
    expect(r.kills['catch-up']).toBeGreaterThan(0);
    expect(r.figures.applied.transactions).toBe(r.figures.wrote.transactions);
    expect(r.figures.wrote.transactions).toBeGreaterThanOrEqual(2000);
  }, 180_000);
});
