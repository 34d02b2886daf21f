// Running the real pgclone command line as a child process, and watching its JSON events to kill it on cue.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
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

/**
 * An environment where no PostgreSQL client program can be found: PATH holds only a link to node, and
 * PGCLONE_PG_BIN names an empty directory (so not even /usr/lib/postgresql is looked in). Anything that needed
 * pg_dump, pg_restore or psql fails under it.
 */
export async function noClientTools(): Promise<{ env: NodeJS.ProcessEnv; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pgclone-notools-'));
  await mkdir(join(dir, 'bin'));
  await mkdir(join(dir, 'pg'));
  await symlink(process.execPath, join(dir, 'bin', 'node'));
  return {
    env: { PATH: join(dir, 'bin'), PGCLONE_PG_BIN: join(dir, 'pg') },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
