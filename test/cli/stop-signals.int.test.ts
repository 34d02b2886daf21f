// SIGTERM and SIGHUP (systemd, Kubernetes, a dropped SSH session) stop a plain clone at the next boundary, record why,
// and exit 3 (resumable); a second signal stops it at once.
import type pg from 'pg';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareDatabases } from '../helpers/compare.js';
import { runCli, spawnCli, type JsonEvent } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { bulkSql } from '../fixtures/fidelity.js';

let source: TestDb;
beforeAll(async () => {
  source = await createTestDb('sig_src');
  await source.query(bulkSql(40_000));
});

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A clone with --json; once its first batch is in, the target's table is locked so the next batch waits — the
 * engine is between boundaries for as long as the test holds the lock, whatever the machine's speed.
 */
async function gatedClone(target: TestDb) {
  const child = spawnCli(['clone', '--source', source.url, '--target', target.url, '--batch-size', '128kB', '--jobs', '1', '--json']);
  const events: JsonEvent[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  createInterface({ input: child.stdout! }).on('line', (l) => events.push(JSON.parse(l) as JsonEvent));
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  await until('a batch copied', () => events.some((e) => e.type === 'BatchCopied'));
  const gate: pg.Client = await target.client();
  await gate.query('BEGIN');
  await gate.query('LOCK TABLE public.bulk IN ACCESS EXCLUSIVE MODE');
  return { child, events, stderr: () => stderr, exit, release: async () => (await gate.query('COMMIT'), await gate.end()) };
}

describe('signals to a plain clone', () => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal}: stops at the next boundary, RunSuspended says "stopped by ${signal}", exit 3; resume finishes it`, async () => {
      const target = await createTestDb('sig_dst');
      const c = await gatedClone(target);
      c.child.kill(signal);
      await until('the stop is acknowledged', () => /stopping at the next boundary/.test(c.stderr()));
      await c.release();
      const code = await c.exit;
      expect(code, c.stderr()).toBe(3);
      expect(c.stderr()).toContain(`pgclone: stopped by ${signal}: stopping at the next boundary; the run stays resumable (${signal} again stops at once)`);
      const suspended = c.events.find((e) => e.type === 'RunSuspended');
      expect(suspended?.reason).toBe(`stopped by ${signal}`);
      const runId = String(c.events[0]?.runId);
      const resumed = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await compareDatabases(source.url, target.url)).toEqual([]);
    }, 120_000);
  }

  it('a second SIGTERM stops at once: exit 3, the run interrupted and resumable', async () => {
    const target = await createTestDb('sig_dst2');
    const c = await gatedClone(target);
    c.child.kill('SIGTERM');
    await until('the stop is acknowledged', () => /stopping at the next boundary/.test(c.stderr()));
    c.child.kill('SIGTERM');
    const code = await c.exit;
    await c.release();
    expect(code, c.stderr()).toBe(3);
    expect(c.stderr()).toContain('pgclone: a second SIGTERM: stopped at once; the run is interrupted and resumable');
    const status = (await runCli(['status', '--target', target.url, '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(status.map((x) => x.state)).toEqual(['interrupted']);
  }, 120_000);
});
