// Exactly once: the engine SIGKILLed mid-COPY, between batches, in post-data and in sequences, then resumed — equal every time.
import { beforeAll, describe, expect, it } from 'vitest';
import { compareDatabases, logVersusTarget } from '../helpers/compare.js';
import { runCli, runIdOf, runUntil, spawnCli, type JsonEvent } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { bulkSql, FIDELITY_SQL } from '../fixtures/fidelity.js';

let source: TestDb;
const cloneArgs = (target: TestDb) => ['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--jobs', '2'];

beforeAll(async () => {
  source = await createTestDb('kill_src');
  await source.query(FIDELITY_SQL);
  await source.query(bulkSql(120_000));
});

async function resumeToEnd(target: TestDb, runId: string): Promise<void> {
  const r = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/resumed .* from/);
  expect(r.stdout).toMatch(/verification passed/);
  expect(await compareDatabases(source.url, target.url)).toEqual([]);
}

describe('SIGKILL and resume', () => {
  it('mid-COPY: caught in pg_stat_progress_copy, killed, nothing half-written, resumed equal', async () => {
    const target = await createTestDb('kill_copy');
    const watcher = await target.client();
    const child = spawnCli([...cloneArgs(target), '--json']);
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    let caught = false;
    const exited = new Promise((r) => child.on('exit', r));
    const deadline = Date.now() + 60_000;
    while (!caught && Date.now() < deadline && child.exitCode === null) {
      const r = await watcher
        .query(
          `SELECT bytes_processed FROM pg_stat_progress_copy WHERE datname = current_database() AND command = 'COPY FROM' AND relid = 'public.bulk'::regclass AND bytes_processed > 0`,
        )
        .catch(() => ({ rows: [] }));
      if (r.rows.length > 0) {
        child.kill('SIGKILL');
        caught = true;
      } else await new Promise((res) => setTimeout(res, 5));
    }
    await exited;
    await watcher.end();
    expect(caught).toBe(true);
    const runId = runIdOf(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as JsonEvent),
    );
    expect(await logVersusTarget(target.url, runId), 'rows of each table vs its log').toEqual([]);
    const status = await runCli(['status', '--target', target.url]);
    expect(status.stdout).toMatch(new RegExp(`${runId}\\s+interrupted`));
    await resumeToEnd(target, runId);
  });

  const points: [string, (ev: JsonEvent, seen: JsonEvent[]) => boolean][] = [
    ['between batches', (ev, seen) => ev.type === 'BatchCopied' && seen.filter((e) => e.type === 'BatchCopied').length === 4],
    ['during post-data', (ev) => ev.type === 'PostDataItemApplied'],
    ['during sequences', (ev) => ev.type === 'PhaseStarted' && ev.phase === 'sequences'],
    ['at the start of the schema phase', (ev) => ev.type === 'PhaseStarted' && ev.phase === 'schema'],
  ];
  for (const [label, when] of points) {
    it(`${label}: killed, the log and target agree, resumed equal`, async () => {
      const target = await createTestDb('kill_pt');
      const r = await runUntil(cloneArgs(target), when);
      expect(r.killed).toBe(true);
      const runId = runIdOf(r.events);
      expect(await logVersusTarget(target.url, runId), 'rows of each table vs its log').toEqual([]);
      await resumeToEnd(target, runId);
    });
  }

  it('killed twice (data, then post-data) before finishing, still equal', async () => {
    const target = await createTestDb('kill_twice');
    const first = await runUntil(cloneArgs(target), (ev) => ev.type === 'BatchCopied');
    const runId = runIdOf(first.events);
    const second = await runUntil(['resume', runId, '--target', target.url, '--source', source.url], (ev) => ev.type === 'PostDataItemApplied');
    expect(second.killed).toBe(true);
    expect(await logVersusTarget(target.url, runId), 'rows of each table vs its log').toEqual([]);
    await resumeToEnd(target, runId);
  });
});
