// Embedded servers of other majors: the binaries' cache filled whole under concurrent fetches, a server of another major with
// its settings, and a guarded server reaped as soon as its SIGKILLed owner is gone.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive } from '../../src/local/proc.js';
import { MAJOR_VERSIONS } from '../../src/local/majors.js';
import { majorServer } from '../helpers/majors.js';
import { query } from '../helpers/pg.js';

const src = (file: string) => fileURLToPath(new URL(`../../src/local/${file}`, import.meta.url));
const loader = pathToFileURL(fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url))).href;

/** A child node running `code` (an ES module, top-level await) with the TypeScript sources importable; its stdout's lines. */
function child(code: string, env: NodeJS.ProcessEnv = {}) {
  const p = spawn(process.execPath, ['--import', loader, '--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: p.stdout }).on('line', (l) => {
    lines.push(l);
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
  const line = async (): Promise<string> => {
    while (lines.length === 0) {
      if (p.exitCode !== null) throw new Error(`the child exited ${p.exitCode}: ${stderr}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), exited]);
    }
    return lines.shift()!;
  };
  return { p, line, exited, stderr: () => stderr };
}

const cacheDirs: string[] = [];
afterAll(async () => {
  for (const d of cacheDirs) await rm(d, { recursive: true, force: true });
});

describe('the majors cache', () => {
  it('two processes fetching the same major into an empty cache both get it whole; a killed fetch’s temp folder is removed', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'pgclone-majors-cache-'));
    cacheDirs.push(cache);
    // as a cache must be when this runs as root: enterable by the postgres user the servers run as
    await chmod(cache, 0o755);
    // what a fetch killed mid-way leaves: a temp folder named after its (now gone) process
    const dead = child('');
    await dead.exited;
    const abandoned = join(cache, `.tmp-pg-${MAJOR_VERSIONS[14]}-${dead.p.pid}-AbCd12`);
    await mkdir(join(abandoned, 'package'), { recursive: true });
    const fetcher = () =>
      child(`const { ensureMajor } = await import(${JSON.stringify(src('majors.ts'))}); console.log(await ensureMajor(14));`, { PGCLONE_CACHE: cache });
    const [a, b] = [fetcher(), fetcher()];
    const [da, db] = await Promise.all([a.line(), b.line()]);
    expect([await a.exited, await b.exited]).toEqual([0, 0]);
    expect(da).toBe(join(cache, `pg-${MAJOR_VERSIONS[14]}`, 'native', 'bin'));
    expect(db).toBe(da);
    expect(await readdir(cache)).toEqual([`pg-${MAJOR_VERSIONS[14]}`]);
    // the libraries' version links were made: the server runs
    const version = child(
      `const { execFileSync } = await import('node:child_process'); console.log(execFileSync(${JSON.stringify(join(da, 'postgres'))}, ['--version'], { encoding: 'utf8' }).trim());`,
    );
    expect(await version.line()).toMatch(/^postgres \(PostgreSQL\) 14\./);
  });
});

describe('a server of another major', () => {
  const pg16 = majorServer(16, { wal_level: 'logical' });

  it('runs that major with the settings asked for, and has the contrib extensions the fixture uses', async () => {
    const [row] = await query<{ v: string; wal: string }>(pg16.url, `SELECT current_setting('server_version_num') AS v, current_setting('wal_level') AS wal`);
    expect(Math.floor(Number(row!.v) / 10000)).toBe(16);
    expect(row!.wal).toBe('logical');
    const ext = await query<{ name: string }>(pg16.url, `SELECT name FROM pg_available_extensions WHERE name IN ('citext', 'pgcrypto') ORDER BY 1`);
    expect(ext.map((e) => e.name)).toEqual(['citext', 'pgcrypto']);
  });
});

describe('a guarded server', () => {
  it('is stopped and removed as soon as the process that started it is SIGKILLed', async () => {
    const owner = child(
      `const { startEmbedded } = await import(${JSON.stringify(src('embedded.ts'))});
       const s = await startEmbedded({ major: 13, label: 'guarded', guard: true });
       console.log(JSON.stringify({ root: s.root, pid: s.pid }));
       setInterval(() => undefined, 1000);`,
    );
    const { root, pid } = JSON.parse(await owner.line()) as { root: string; pid: number };
    expect(processAlive(pid)).toBe(true);
    owner.p.kill('SIGKILL');
    await owner.exited;
    // the guardian acts on its own: nothing here starts another server or reaps
    const deadline = Date.now() + 60_000;
    while ((processAlive(pid) || existsSync(root)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect({ postmaster: processAlive(pid), folder: existsSync(root) }).toEqual({ postmaster: false, folder: false });
  });
});
