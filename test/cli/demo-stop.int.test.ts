// `pgclone demo --stop` also stops a killed demo's servers; a demo's summary, printed after its servers are gone,
// says so instead of listing commands against them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src/local/proc.js';
import { runCli, spawnCli } from '../helpers/cli.js';

const SMALL = { PGCLONE_DEMO_IMAGE_KB: '16' };
const demoDirs = (pid: number) =>
  readdirSync(tmpdir())
    .filter((n) => n.startsWith('pgclone-pg-demo-') && n.includes(`-${pid}-`))
    .map((n) => join(tmpdir(), n));
const postmasterOf = (dir: string) => Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

async function until(what: string, ok: () => boolean, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('pgclone demo', () => {
  it('--stop stops and removes the servers of a demo that was killed', async () => {
    const child = spawnCli(['demo', '--plain'], SMALL);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const exit = new Promise((r) => child.on('exit', r));
    await until('the servers started', () => /loading the source/.test(out));
    const dirs = demoDirs(child.pid!);
    expect(dirs).toHaveLength(2);
    const pms = dirs.map(postmasterOf);
    child.kill('SIGKILL');
    await exit;
    expect(pms.filter(processAlive)).toHaveLength(2);
    const stop = await runCli(['demo', '--stop']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/stopped and removed [2-9] servers a killed demo or test run had left running/);
    expect(pms.filter(processAlive)).toEqual([]);
    expect(dirs.filter(existsSync)).toEqual([]);
  }, 180_000);

  it('without --keep, the summary says the servers are gone and lists no commands against them', async () => {
    const r = await runCli(['demo', '--no-interrupt', '--plain'], SMALL, 240_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^finished: 5 tables/m);
    expect(r.stdout).toMatch(/^the demo's servers are stopped and removed now, and the run's log with them;$/m);
    expect(r.stdout).toMatch(/^(pgclone demo|npm run demo --) --keep keeps them running, to look again with status, watch, replay, log and wipe$/m);
    expect(r.stdout).not.toMatch(/pgclone (status|watch|replay|log|wipe) .*--target/);
  }, 240_000);
});
