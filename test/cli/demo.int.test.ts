// The demo, without a terminal: it refuses in one line when the client tools are missing or too old; a demo killed
// with SIGKILL leaves its two servers running, and the next demo reaps them; `npm run demo -- --no-interrupt` runs
// to a verified finish in plain lines and removes its servers; Ctrl-C removes them too and exits 130.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src/local/proc.js';
import { noClientTools, runCli, spawnCli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The demo's cluster folders of process `pid`. */
const demoDirs = (pid: number) =>
  readdirSync(tmpdir())
    .filter((n) => n.startsWith('pgclone-pg-demo-') && n.includes(`-${pid}-`))
    .map((n) => join(tmpdir(), n));
const postmasterOf = (dir: string) => Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

interface Watched {
  child: ChildProcess;
  out: () => string;
  until: (re: RegExp, ms?: number) => Promise<void>;
  exit: Promise<[number | null, NodeJS.Signals | null]>;
}

/** `pgclone demo ARGS`: 16 kB images where the test is about what surrounds the clone (39 MB instead of 1.7 GB). */
const started = (args: string[]) => watched(spawnCli(['demo', ...args], args.includes('--keep') ? { PGCLONE_DEMO_IMAGE_KB: '16' } : {}));

/** A child's stdout and stderr together, a wait for a line, and its end. */
function watched(child: ChildProcess): Watched {
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  const until = async (re: RegExp, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!re.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the demo never printed ${re}; it printed:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, out: () => out, until, exit };
}

async function gone(pids: number[], dirs: string[], ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((pids.some(processAlive) || dirs.some(existsSync)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(pids.filter(processAlive)).toEqual([]);
  expect(dirs.filter(existsSync)).toEqual([]);
}

describe('pgclone demo', () => {
  it('runs with no PostgreSQL client program reachable (no pg_dump, pg_restore or psql on PATH or in PGCLONE_PG_BIN) and finishes verified', async () => {
    const none = await noClientTools();
    try {
      const r = await runCli(['demo', '--no-interrupt'], { ...none.env, PGCLONE_DEMO_IMAGE_KB: '16' }, 300_000);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('no pg_dump needed');
      expect(r.stdout).toMatch(/verification passed/);
    } finally {
      await none.dispose();
    }
  });

  it('a SIGKILLed demo’s servers are reaped by the next; `npm run demo -- --no-interrupt` finishes verified, in plain lines, and leaves nothing', async () => {
    const killed = started(['--plain']);
    await killed.until(/loading the source/);
    const dirs = demoDirs(killed.child.pid!);
    expect(dirs).toHaveLength(2);
    const orphans = dirs.map(postmasterOf);
    killed.child.kill('SIGKILL');
    await killed.exit;
    // nothing stopped them: the servers outlive the demo
    expect(orphans.filter(processAlive)).toHaveLength(2);

    const npm = watched(
      spawn('npm', ['run', 'demo', '--', '--no-interrupt'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    const [code] = await npm.exit;
    const out = npm.out();
    expect(code, out).toBe(0);
    await gone(orphans, dirs);
    // no terminal: plain lines, no screen redraws
    expect(out).not.toContain('\r');
    expect(out).not.toContain('\x1b[');
    expect(out).toMatch(/starting two PostgreSQL 15 servers \(embedded, temporary\): source on port \d+, target on port \d+/);
    expect(out).toMatch(/loading the source: .* 152,960 rows, 1\.\d GB/);
    expect(out).not.toMatch(/stopped in data/);
    expect(out).toMatch(/finished in .*: 5 tables, 152,960 rows, .* verification passed/);
    expect(out).toMatch(/^finished: 5 tables, 152,960 rows, 1\.\d GB; 16 indexes\/constraints; 5 sequences$/m);
    expect(out).toMatch(/^  planner statistics: 5 tables analyzed on the target$/m);
    expect(out).toMatch(/^ {2}verified: row counts equal in source and target, table by table$/m);
    expect(out).toMatch(/^ {2}1 attempt, .* of work: .* straight through$/m);
    // its servers are gone when the summary is printed: no commands against them, only how to keep them
    expect(out).toMatch(/^the demo's servers are stopped and removed now, and the run's log with them;$/m);
    expect(out).not.toMatch(/pgclone replay/);
    // the demo's own servers are gone too: every demo folder left belongs to a live process (another test's)
    for (const n of readdirSync(tmpdir()).filter((x) => x.startsWith('pgclone-pg-demo-'))) {
      let owner: { pid: number | null } | null = null;
      try {
        owner = JSON.parse(readFileSync(join(tmpdir(), n, 'owner.json'), 'utf8')) as { pid: number | null };
      } catch {
        continue; // being made or removed right now
      }
      expect(Number.isInteger(owner.pid) && (owner.pid as number) > 0 && processAlive(owner.pid as number), n).toBe(true);
    }
  }, 240_000);

  it('--keep leaves both servers running, reachable with the printed pgpass file and no password on screen; --stop removes them', async () => {
    const demo = started(['--keep', '--no-interrupt']);
    const [code] = await demo.exit;
    const out = demo.out();
    expect(code, out).toBe(0);
    const passfile = /export PGPASSFILE=(\S+)/.exec(out)?.[1] as string;
    const target = /^ {2}target {2}(postgresql:\/\/postgres@127\.0\.0\.1:\d+\/demo_target)$/m.exec(out)?.[1] as string;
    expect(passfile).toBeDefined();
    expect(target).toBeDefined();
    expect(statSync(passfile).mode & 0o777).toBe(0o600);
    const passwords = readFileSync(passfile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(':')[4] as string);
    expect(passwords).toHaveLength(2);
    expect(out).toMatch(/^look at it again \(the servers are still running\):$/m);
    expect(out).toMatch(/^ {2}(npx )?pgclone replay \S+ --target 'postgresql:\/\/postgres@127\.0\.0\.1:\d+\/demo_target'$/m);
    for (const pw of passwords) expect(out).not.toContain(pw);
    const dirs = demoDirs(demo.child.pid!);
    const pms = dirs.map(postmasterOf);
    expect(pms.filter(processAlive)).toHaveLength(2);
    // the demo has ended; its servers answer
    const status = await runCli(['status', '--target', target], { PGPASSFILE: passfile });
    expect(status.stderr).toBe('');
    expect(status.stdout).toMatch(/^\S+ {2}finished$/m);
    expect((await runCli(['demo', '--stop', '--keep'])).code).toBe(2);
    const stop = await runCli(['demo', '--stop']);
    expect(stop.stdout).toMatch(/stopped and removed [2-9] kept demo servers/);
    await gone(pms, dirs);
  }, 180_000);

  it('Ctrl-C (SIGINT) in the middle of the clone stops and removes both servers', async () => {
    // in a process group of its own, signalled as a whole as a terminal's Ctrl-C is: the servers and pg_dump get the
    // SIGINT too, at the clone's start, where their failures (cannot connect, exit 6; pg_dump, exit 7) are not retried
    const demo = watched(spawnCli(['demo', '--plain'], {}, { detached: true }));
    await demo.until(/pgclone clone demo_source → demo_target/, 90_000);
    const dirs = demoDirs(demo.child.pid!);
    const pms = dirs.map(postmasterOf);
    expect(pms.filter(processAlive)).toHaveLength(2);
    process.kill(-demo.child.pid!, 'SIGINT');
    const [code, signal] = await demo.exit;
    expect(`exit ${code} ${signal}`, demo.out()).toBe('exit 130 null');
    await gone(pms, dirs);
  }, 120_000);
});
