// A reader that closes pgclone's stdout (`| head`): readers stop quietly, a clone goes on to its end, the demo cleans up.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareDatabases } from '../helpers/compare.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { bulkSql } from '../fixtures/fidelity.js';

/** Like `pgclone ARGS | head -n LINES`: read that many lines, then close the pipe; the exit code and stderr. */
async function headOf(
  args: string[],
  lines: number,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; signal: string | null; stderr: string; read: string[]; pid: number }> {
  const child: ChildProcess = spawnCli(args, env);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const read: string[] = [];
  const exit = new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  const close = () => {
    rl.close();
    child.stdout!.destroy();
  };
  const rl = createInterface({ input: child.stdout! });
  if (lines === 0) close();
  else
    rl.on('line', (l) => {
      if (read.length >= lines) return;
      read.push(l);
      if (read.length === lines) close();
    });
  const [code, signal] = await exit;
  return { code, signal, stderr, read, pid: child.pid ?? -1 };
}

let source: TestDb;
let target: TestDb;
let runId = '';
beforeAll(async () => {
  source = await createTestDb('epipe_src');
  await source.query(bulkSql(30_000));
  target = await createTestDb('epipe_dst');
  const r = await runCli(['clone', '--source', source.url, '--target', target.url, '--json']);
  expect(r.code, r.stderr).toBe(0);
  runId = String(JSON.parse(r.stdout.split('\n')[0]!).runId);
});

describe('a closed stdout', () => {
  it('status, log and log --json stop quietly: no EPIPE, no stack trace, exit 0', async () => {
    for (const [args, lines] of [
      [['status', '--target', target.url], 0],
      [['status', '--target', target.url, '--json'], 0],
      [['log', runId, '--target', target.url], 2],
      [['log', runId, '--target', target.url, '--json'], 1],
    ] as const) {
      const r = await headOf([...args], lines);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  });

  it('a clone whose stdout closes after three lines copies on to a verified finish', async () => {
    const dst = await createTestDb('epipe_clone');
    const r = await headOf(['clone', '--source', source.url, '--target', dst.url, '--batch-size', '256kB'], 3);
    expect(r.read).toHaveLength(3);
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(r.code, r.stderr).toBe(0);
    const status = (await runCli(['status', '--target', dst.url, '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(status.map((x) => x.state)).toEqual(['finished']);
    expect(await compareDatabases(source.url, dst.url)).toEqual([]);
  }, 120_000);

  it('the demo whose stdout closes after six lines finishes and removes both servers', async () => {
    const r = await headOf(['demo', '--no-interrupt', '--plain'], 6, { PGCLONE_DEMO_IMAGE_KB: '16' });
    expect(r.stderr).not.toMatch(/EPIPE/);
    expect(r.code, r.stderr).toBe(0);
    // the servers' folders are named after the demo's pid
    const left = readdirSync(tmpdir()).filter((n) => n.startsWith('pgclone-pg-demo-') && n.includes(`-${r.pid}-`));
    expect(left.filter((n) => existsSync(join(tmpdir(), n)))).toEqual([]);
  }, 300_000);
});
