// Child processes of the benchmark: wall time, client peak RSS (GNU time or /proc sampling), kill on demand.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const GNU_TIME = '/usr/bin/time';
const TAIL = 16_384;

export interface Finished {
  wallS: number;
  /** max RSS over the process and its waited-for descendants, MB; null when it could not be measured */
  rssMb: number | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the last 16 kB of each stream */
  stdout: string;
  stderr: string;
}

export interface Started {
  child: ChildProcess;
  done: Promise<Finished>;
}

export interface RunOpts {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** wrap in GNU time (or sample /proc) for the peak RSS; off when the caller will SIGKILL the process */
  measureRss?: boolean;
  onLine?: (line: string) => void;
}

const live = new Set<ChildProcess>();
let stopping = false;

/** How peak RSS is measured, for the report. */
export function rssMethod(): string {
  return existsSync(GNU_TIME)
    ? 'GNU time %M: max RSS of the command and every descendant it waited for (a max over processes, not a sum)'
    : '/proc VmHWM sampled every 50 ms over the process tree (short-lived processes may be missed)';
}

function keepTail(acc: string, chunk: string): string {
  const s = acc + chunk;
  return s.length > TAIL ? s.slice(-TAIL) : s;
}

/** Peak RSS (VmHWM) over a process tree, read from /proc: the fallback when GNU time is missing. */
async function treePeakKb(root: number): Promise<number> {
  let max = 0;
  const pids = await readdir('/proc').catch(() => [] as string[]);
  const parents = new Map<number, number>();
  const hwm = new Map<number, number>();
  for (const p of pids) {
    if (!/^\d+$/.test(p)) continue;
    const st = await readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
    const pp = /PPid:\s+(\d+)/.exec(st);
    const h = /VmHWM:\s+(\d+)/.exec(st);
    if (pp) parents.set(Number(p), Number(pp[1]));
    if (h) hwm.set(Number(p), Number(h[1]));
  }
  for (const [pid, kb] of hwm) {
    let cur: number | undefined = pid;
    for (let depth = 0; cur !== undefined && cur > 1 && depth < 32; depth++) {
      if (cur === root) {
        max = Math.max(max, kb);
        break;
      }
      cur = parents.get(cur);
    }
  }
  return max;
}

export async function start(cmd: string, args: string[], opts: RunOpts): Promise<Started> {
  if (stopping) throw new Error('interrupted');
  const useTime = opts.measureRss === true && existsSync(GNU_TIME);
  const dir = useTime ? await mkdtemp(join(tmpdir(), 'pgclone-bench-time-')) : null;
  const timeFile = dir ? join(dir, 'time.txt') : null;
  const [file, argv] = timeFile ? [GNU_TIME, ['-f', '%e %M', '-o', timeFile, '--', cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const child = spawn(file, argv, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let sampledKb = 0;
  const sampler =
    opts.measureRss === true && !useTime && child.pid !== undefined
      ? setInterval(() => void treePeakKb(child.pid!).then((kb) => (sampledKb = Math.max(sampledKb, kb))), 50)
      : null;
  let out = '';
  let err = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out = keepTail(out, c);
    if (opts.onLine) {
      const lines = (partial + c).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) opts.onLine(l);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err = keepTail(err, c)));
  const done = new Promise<Finished>((resolve) => {
    const finish = async (code: number | null, signal: NodeJS.Signals | null): Promise<void> => {
      const wallS = (performance.now() - t0) / 1000;
      live.delete(child);
      if (sampler) clearInterval(sampler);
      let rssMb: number | null = sampler ? (sampledKb > 0 ? sampledKb / 1024 : null) : null;
      if (timeFile && dir) {
        const text = await readFile(timeFile, 'utf8').catch(() => '');
        // GNU time prints "Command exited with non-zero status N" before the format line on failure
        const last = text.trim().split('\n').pop() ?? '';
        const m = /^([\d.]+)\s+(\d+)$/.exec(last.trim());
        if (m) rssMb = Number(m[2]) / 1024;
        await rm(dir, { recursive: true, force: true });
      }
      resolve({ wallS, rssMb, code, signal, stdout: out, stderr: err });
    };
    child.on('error', (e) => {
      err = keepTail(err, `\n${e.message}`);
    });
    child.on('close', (code, signal) => void finish(code, signal));
  });
  return { child, done };
}

export async function run(cmd: string, args: string[], opts: RunOpts): Promise<Finished> {
  return (await start(cmd, args, opts)).done;
}

/** Run and fail with the tail of stderr when the exit code is not 0. */
export async function must(cmd: string, args: string[], opts: RunOpts): Promise<Finished> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args[0] ?? ''} failed (${r.signal ?? `exit ${r.code}`}): ${lastLines(r.stderr || r.stdout)}`);
  return r;
}

export function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').filter(Boolean).slice(-n).join(' | ').slice(0, 600);
}

export function stopRequested(): boolean {
  return stopping;
}

/** On SIGINT: start no more children, SIGTERM every child this process started that still runs. */
export function killLiveChildren(): void {
  stopping = true;
  for (const c of live) {
    try {
      c.kill('SIGTERM');
    } catch {
      /* gone */
    }
  }
}
