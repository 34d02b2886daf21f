// Fault scenarios shared by `npm run torture` (full size) and the fast subset in `npm test`: each ends in a full comparison.
import { createInterface } from 'node:readline';
import pg from 'pg';
import { foldRun, readRun, PHASES, type Phase } from '../../src/events/index.js';
import { startEmbedded } from '../../src/local/embedded.js';
import { compareDatabases, logVersusTarget, rowDiffs, type Difference } from '../helpers/compare.js';
import { runCli, runIdOf, runUntil, spawnCli, type CliResult, type JsonEvent } from '../helpers/cli.js';
import { connect, createDatabase, databaseName, dropDatabase, query, withDatabase } from '../helpers/pg.js';
import { bulkSql, FIDELITY_SQL } from '../fixtures/fidelity.js';
import { HOSTILE_SQL } from '../fixtures/hostile.js';
import { CuttableProxy } from './proxy.js';

export interface TortureEnv {
  serverUrl: string;
  log(line: string): void;
}

export interface Db {
  name: string;
  url: string;
}

export async function newDb(env: TortureEnv, label: string): Promise<Db> {
  const name = databaseName(label);
  return { name, url: await createDatabase(env.serverUrl, name) };
}

export async function dropDb(env: TortureEnv, db: Db): Promise<void> {
  await dropDatabase(env.serverUrl, db.name).catch(() => undefined);
}

/** A varied source: the fidelity traps, hostile names, and a table big enough for many batches. */
export async function variedSource(env: TortureEnv, bulkRows: number): Promise<Db> {
  const db = await newDb(env, 'torture_src');
  await query(db.url, FIDELITY_SQL);
  await query(db.url, HOSTILE_SQL);
  await query(db.url, bulkSql(bulkRows));
  return db;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Outcome {
  rowsLost: number;
  rowsDuplicated: number;
  schemaDifferences: number;
  sequenceDifferences: number;
  details: string[];
}

export async function outcome(source: Db, target: Db): Promise<Outcome> {
  const diffs: Difference[] = await compareDatabases(source.url, target.url);
  // rows lost and duplicated, counted only where the digests already differ (a second full hash otherwise)
  const suspect = new Set(diffs.filter((d) => d.kind === 'rows' || d.kind === 'table-missing').map((d) => d.what));
  const rows = suspect.size > 0 ? await rowDiffs(source.url, target.url, suspect) : [];
  return {
    rowsLost: rows.reduce((n, r) => n + r.lost, 0),
    rowsDuplicated: rows.reduce((n, r) => n + r.duplicated, 0),
    schemaDifferences: diffs.filter((d) => d.kind === 'schema' || d.kind === 'table-missing').length,
    sequenceDifferences: diffs.filter((d) => d.kind === 'sequence').length,
    details: [...rows.map((r) => `${r.table}: lost ${r.lost}, duplicated ${r.duplicated}`), ...diffs.map((d) => `${d.kind} ${d.what}: ${d.detail}`)],
  };
}

const runIdIn = (events: JsonEvent[]) => events.find((e) => e.type === 'RunStarted' || e.type === 'RunResumed')?.runId as string | undefined;

/** Run to the end with resumes (and a fresh clone if no run was ever started). */
export async function finish(source: Db, target: Db, runId: string | undefined, extra: string[] = []): Promise<{ runId: string; last: CliResult }> {
  let id = runId;
  let last: CliResult | null = null;
  for (let i = 0; i < 5; i++) {
    if (!id) {
      last = await runCli(['clone', '--source', source.url, '--target', target.url, '--json', ...extra]);
      id = runIdIn(
        last.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as JsonEvent),
      );
    } else last = await runCli(['resume', id, '--target', target.url, '--source', source.url, '--json']);
    if (last.code === 0 || last.code === 5) return { runId: id!, last };
  }
  throw new Error(`the run did not finish after 5 attempts: exit ${last?.code}: ${last?.stderr}`);
}

// ————— random SIGKILLs —————

export type KillPhase = Exclude<Phase, 'data'> | 'data mid-COPY' | 'data between batches';
// every phase a kill can land in (a Record, so a phase added to PHASES must be added here: the type says so)
export const KILL_PHASES: KillPhase[] = Object.keys({
  preflight: 0,
  schema: 0,
  'data mid-COPY': 0,
  'data between batches': 0,
  'post-data': 0,
  'large-objects': 0,
  // only the live-source scenario (live.ts: a wal_level=logical source) has a catch-up to land in
  'catch-up': 0,
  sequences: 0,
  verify: 0,
} satisfies Record<KillPhase, 0>) as KillPhase[];

export interface KillReport extends Outcome {
  trials: number;
  /** trials with anything wrong: a crash, a difference, or a log that disagrees with the target */
  failedTrials: number;
  kills: Record<KillPhase, number>;
  missed: number;
  logDisagreements: number;
  failures: string[];
  seed: number;
}

interface Timeline {
  /** ms from spawn to each phase's start and end */
  windows: Record<Phase, { start: number; end: number }>;
  total: number;
}

/** One uninterrupted clone, timed event by event: where each phase falls in the run. */
async function timeline(source: Db, target: Db, args: string[]): Promise<Timeline> {
  const t0 = Date.now();
  const child = spawnCli(['clone', '--source', source.url, '--target', target.url, '--json', ...args]);
  const windows = {} as Record<Phase, { start: number; end: number }>;
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    const ev = JSON.parse(line) as JsonEvent;
    const at = Date.now() - t0;
    if (ev.type === 'RunStarted') windows.preflight = { start: 0, end: at };
    if (ev.type === 'PhaseStarted' && ev.phase !== 'preflight') windows[ev.phase as Phase] = { start: at, end: at };
    if (ev.type === 'PhaseCompleted' && ev.phase !== 'preflight' && windows[ev.phase as Phase]) windows[ev.phase as Phase].end = at;
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`the reference clone failed with exit ${code}`);
  return { windows, total: Date.now() - t0 };
}

/** What starts the countdown to the kill: the process starting, an event of the run, or the nth BatchCopied (a batch boundary). */
type Trigger = { kind: 'spawn' } | { kind: 'event'; type: string; phase: Phase } | { kind: 'batch'; nth: number };

async function killOnce(
  source: Db,
  target: Db,
  runId: string | undefined,
  trigger: Trigger,
  delay: number,
  args: string[],
  probe: pg.Client,
): Promise<{ killed: boolean; midCopy: boolean; runId: string | undefined }> {
  const cmd = runId
    ? ['resume', runId, '--target', target.url, '--source', source.url, '--json']
    : ['clone', '--source', source.url, '--target', target.url, '--json', ...args];
  const child = spawnCli(cmd);
  let killed = false;
  let midCopy = false;
  let id = runId;
  let armed = false;
  const fire = () => {
    if (armed) return;
    armed = true;
    const kill = async () => {
      if (child.exitCode !== null) return;
      const r = await probe
        .query(`SELECT count(*)::int AS n FROM pg_stat_progress_copy WHERE datname = current_database() AND command = 'COPY FROM'`)
        .catch(() => ({ rows: [{ n: 0 }] }));
      midCopy = (r.rows[0]?.n ?? 0) > 0;
      killed = child.kill('SIGKILL');
    };
    // kill() cannot reject: the probe's failure is caught; a SIGKILL that fails shows as killed = false
    setTimeout(() => void kill(), delay);
  };
  if (trigger.kind === 'spawn') fire();
  let batches = 0;
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    const ev = JSON.parse(line) as JsonEvent;
    if (!id && (ev.type === 'RunStarted' || ev.type === 'RunResumed')) id = ev.runId as string;
    if (trigger.kind === 'event' && ev.type === trigger.type && ev.phase === trigger.phase) fire();
    if (trigger.kind === 'batch' && ev.type === 'BatchCopied' && ++batches === trigger.nth) fire();
  });
  await new Promise((r) => child.on('exit', r));
  return { killed: killed && child.signalCode === 'SIGKILL', midCopy, runId: id };
}

/** The phase a SIGKILLed process was in, by the log it left (and, in data, whether a COPY was open). */
export async function phaseAfterKill(
  target: Db,
  runId: string | undefined,
  midCopy: boolean,
  wasResume: boolean,
  eventsBefore: number,
  atBoundary: boolean,
): Promise<KillPhase> {
  if (!runId) return 'preflight';
  const c = await connect(target.url);
  try {
    const events = await readRun(c, runId);
    if (events.length === 0) return 'preflight';
    if (wasResume && events.length === eventsBefore) return 'preflight';
    const state = foldRun(events);
    if (state.phase === 'preflight') return 'schema';
    if (state.phase === 'data') return atBoundary || !midCopy ? 'data between batches' : 'data mid-COPY';
    return state.phase;
  } finally {
    await c.end();
  }
}

/**
 * Random SIGKILLs: for each kill a phase is drawn, then a point inside it (from a timed reference run),
 * so short phases are hit as surely as long ones; about a third of the runs are killed two or three times.
 */
export async function killTrials(env: TortureEnv, source: Db, opts: { trials: number; seed: number; args?: string[] }): Promise<KillReport> {
  const rng = mulberry32(opts.seed);
  const args = opts.args ?? ['--batch-size', '2MB', '--jobs', '2'];
  const ref = await newDb(env, 'torture_ref');
  const tl = await timeline(source, ref, args);
  await dropDb(env, ref);
  env.log(
    `reference run ${tl.total} ms: ${PHASES.map((p) => `${p} ${tl.windows[p] ? Math.max(1, tl.windows[p].end - tl.windows[p].start) : 0} ms`).join(', ')}`,
  );
  const report: KillReport = {
    trials: 0,
    failedTrials: 0,
    kills: Object.fromEntries(KILL_PHASES.map((p) => [p, 0])) as Record<KillPhase, number>,
    missed: 0,
    logDisagreements: 0,
    failures: [],
    seed: opts.seed,
    rowsLost: 0,
    rowsDuplicated: 0,
    schemaDifferences: 0,
    sequenceDifferences: 0,
    details: [],
  };
  for (let trial = 1; trial <= opts.trials; trial++) {
    const target = await newDb(env, 'torture_dst');
    const r = rng();
    const kills = r < 0.2 ? 3 : r < 0.4 ? 2 : 1;
    let runId: string | undefined;
    const probe = await connect(target.url);
    const hits: string[] = [];
    const failuresBefore = report.failures.length;
    try {
      for (let k = 0; k < kills; k++) {
        let pending: Phase[] = [...PHASES];
        let eventsBefore = 0;
        if (runId) {
          const c = await connect(target.url);
          const events = await readRun(c, runId);
          await c.end();
          eventsBefore = events.length;
          const s = foldRun(events);
          if (s.outcome.kind === 'finished') break;
          pending = ['preflight', ...PHASES.filter((p) => p !== 'preflight' && s.phases[p].status !== 'done')];
        }
        // a kill point: a phase, and for data either a moment inside it or a batch boundary
        const kinds: (Phase | 'boundary')[] = pending.includes('data') ? [...pending, 'boundary'] : pending;
        const kind = kinds[Math.floor(rng() * kinds.length)] as Phase | 'boundary';
        const w = kind === 'boundary' ? { start: 0, end: 0 } : (tl.windows[kind] ?? { start: 0, end: 5 });
        let trigger: Trigger;
        let span: number;
        if (kind === 'preflight') [trigger, span] = [{ kind: 'spawn' }, w.end];
        else if (kind === 'boundary') [trigger, span] = [{ kind: 'batch', nth: 1 + Math.floor(rng() * 4) }, 0];
        else if (kind === 'post-data') {
          // post-data overlaps data; its own stretch begins when data is done
          const dataEnd = tl.windows.data?.end ?? w.start;
          [trigger, span] = [{ kind: 'event', type: 'PhaseCompleted', phase: 'data' }, Math.max(5, w.end - dataEnd)];
        } else [trigger, span] = [{ kind: 'event', type: 'PhaseStarted', phase: kind }, Math.max(5, w.end - w.start)];
        const delay = Math.floor(rng() * 0.8 * span);
        const wasResume = runId !== undefined;
        const res = await killOnce(source, target, runId, trigger, delay, args, probe);
        runId = res.runId ?? runId;
        if (!res.killed) {
          report.missed++;
          continue;
        }
        const hit = await phaseAfterKill(target, runId, res.midCopy, wasResume, eventsBefore, trigger.kind === 'batch');
        report.kills[hit]++;
        hits.push(hit);
        if (runId) {
          const problems = await logVersusTarget(target.url, runId);
          report.logDisagreements += problems.length;
          report.failures.push(...problems.map((p) => `trial ${trial}: ${p}`));
        }
      }
      await finish(source, target, runId, args);
      const o = await outcome(source, target);
      report.rowsLost += o.rowsLost;
      report.rowsDuplicated += o.rowsDuplicated;
      report.schemaDifferences += o.schemaDifferences;
      report.sequenceDifferences += o.sequenceDifferences;
      report.failures.push(...o.details.map((d) => `trial ${trial}: ${d}`));
      env.log(
        `trial ${trial}/${opts.trials}: killed in ${hits.join(', ') || 'nothing (finished first)'} → ${o.details.length === 0 ? 'equal' : `DIFFERENT: ${o.details.join('; ')}`}`,
      );
    } catch (e) {
      report.failures.push(`trial ${trial}: ${e instanceof Error ? e.message : String(e)}`);
      env.log(`trial ${trial}: FAILED ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      await probe.end();
      await dropDb(env, target);
    }
    report.trials++;
    if (report.failures.length > failuresBefore) report.failedTrials++;
  }
  return report;
}

// ————— one-off faults —————

export interface FaultResult {
  name: string;
  ok: boolean;
  detail: string;
  outcome: Outcome | null;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const copyingInto = (db: Db) => async () =>
  ((await query<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM pg_stat_progress_copy WHERE datname = current_database() AND command = 'COPY FROM'`))[0]
    ?.n ?? 0) > 0;

function collect(child: ReturnType<typeof spawnCli>): { out: () => string; err: () => string; exit: Promise<number | null> } {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  return { out: () => out, err: () => err, exit };
}

async function judged(name: string, source: Db, target: Db, detail: string): Promise<FaultResult> {
  const o = await outcome(source, target);
  const ok = o.rowsLost === 0 && o.rowsDuplicated === 0 && o.schemaDifferences === 0 && o.sequenceDifferences === 0;
  return { name, ok, detail: ok ? detail : `${detail}; ${o.details.join('; ')}`, outcome: o };
}

/** The target server restarted (immediate shutdown, like a crash) in the middle of the data phase. */
export async function targetRestart(env: TortureEnv, source: Db): Promise<FaultResult> {
  const server = await startEmbedded({ label: 'torture-target' });
  try {
    await query(server.url, 'CREATE DATABASE restart_dst');
    const target: Db = { name: 'restart_dst', url: withDatabase(server.url, 'restart_dst') };
    const child = spawnCli(['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--plain', '--io-timeout', '5s', '--debug']);
    const c = collect(child);
    await waitFor('a COPY on the target', copyingInto(target));
    await server.restart({ immediate: true, downMs: 2000 });
    let code = await c.exit;
    let how = `engine exit ${code} after retries`;
    if (code === 3) {
      const id = /run (\S+):/.exec(c.out())?.[1];
      const r = await runCli(['resume', id ?? '', '--target', target.url, '--source', source.url]);
      code = r.code;
      how = `engine exited resumable; resume exit ${r.code}`;
    }
    if (code !== 0) return { name: 'target restarted mid-data', ok: false, detail: `${how}: ${c.err()}`, outcome: null };
    const retried = /retry \d+ after/.test(c.out());
    return await judged('target restarted mid-data', source, target, `${how}${retried ? ', retried in-process' : ''}`);
  } finally {
    await server.stop();
  }
}

/** The network to one side stops forwarding mid-COPY, without closing; restored after `cutMs` (or never). */
export async function networkCut(
  env: TortureEnv,
  source: Db,
  side: 'source' | 'target',
  opts: { ioTimeoutMs: number; cutMs: number | null },
): Promise<FaultResult & { noticedMs: number | null }> {
  const name = `network to the ${side} cut mid-COPY${opts.cutMs === null ? ' for good' : ` for ${opts.cutMs / 1000} s`}`;
  const target = await newDb(env, `cut_${side}`);
  const real = new URL(side === 'source' ? source.url : target.url);
  const proxy = new CuttableProxy(real.hostname, Number(real.port || 5432));
  await proxy.listen();
  const viaProxy = new URL(real.toString());
  viaProxy.port = String(proxy.port);
  const srcUrl = side === 'source' ? viaProxy.toString() : source.url;
  const dstUrl = side === 'target' ? viaProxy.toString() : target.url;
  try {
    const retries = opts.cutMs === null ? '1' : '10';
    const child = spawnCli([
      'clone',
      '--source',
      srcUrl,
      '--target',
      dstUrl,
      '--batch-size',
      '1MB',
      '--jobs',
      '2',
      '--plain',
      '--io-timeout',
      `${opts.ioTimeoutMs}ms`,
      '--retries',
      retries,
    ]);
    const c = collect(child);
    await waitFor('a COPY on the target', copyingInto(target));
    const cutAt = Date.now();
    proxy.cut();
    const noticedMs = await waitFor(
      'the engine to notice',
      async () => (/stalled|did not answer|retrying|terminat|Connection terminated|timed out/i.test(c.out() + c.err()) ? Date.now() - cutAt : null),
      opts.ioTimeoutMs * 6 + 30_000,
    ).catch(() => null);
    const cutMs = opts.cutMs;
    if (cutMs !== null) {
      await new Promise((r) => setTimeout(r, Math.max(0, cutMs - (Date.now() - cutAt))));
      proxy.restore();
    }
    const hangLimit = opts.ioTimeoutMs * 20 + 60_000;
    const code = await Promise.race([c.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), hangLimit))]);
    if (code === 'hung') {
      child.kill('SIGKILL');
      // the progress lines repeat while it hangs; what it said before them is what tells
      const said = (c.out() + c.err())
        .trim()
        .split('\n')
        .filter((l) => !/^\S+ data: \d+ % —/.test(l));
      const tail = said.slice(-12).join('\n    ');
      return { name, ok: false, detail: `the engine hung for more than ${hangLimit / 1000} s; its last lines:\n    ${tail}`, outcome: null, noticedMs };
    }
    let how = `noticed after ${noticedMs === null ? '?' : (noticedMs / 1000).toFixed(1)} s; engine exit ${code}`;
    if (code === 3) {
      proxy.restore();
      const id = /run (\S+):/.exec(c.out())?.[1] ?? '';
      const r = await runCli(['resume', id, '--target', target.url, '--source', source.url]);
      how += `; resume exit ${r.code}`;
      if (r.code !== 0) return { name, ok: false, detail: `${how}: ${r.stderr}`, outcome: null, noticedMs };
    } else if (code !== 0) return { name, ok: false, detail: `${how}: ${c.err()}`, outcome: null, noticedMs };
    const notInTime = noticedMs === null || noticedMs > opts.ioTimeoutMs * 3 + 5000;
    const res = await judged(name, source, target, how);
    return { ...res, ok: res.ok && !notInTime, detail: notInTime ? `${res.detail}; NOT noticed within the timeout` : res.detail, noticedMs };
  } finally {
    await proxy.close();
    await dropDb(env, target);
  }
}

/** SIGSTOP keeps the lock: status says stalled and names the holder; SIGCONT lets it finish. */
export async function stalledThenContinued(env: TortureEnv, source: Db): Promise<FaultResult> {
  const name = 'SIGSTOP: stalled, not dead; SIGCONT: finished';
  const target = await newDb(env, 'stall');
  try {
    const child = spawnCli(['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--jobs', '1', '--plain']);
    const c = collect(child);
    await waitFor('a COPY on the target', copyingInto(target));
    child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 2500));
    const s = await runCli(['status', '--target', target.url, '--stall-threshold', '2s']);
    const runId = /run (\S+):/.exec(c.out())?.[1] ?? '?';
    const expected = new RegExp(`${runId}\\s+stalled[\\s\\S]*lock held by pid ${child.pid} on \\S+ \\(backend pid \\d+\\)`);
    const stalledOk = expected.test(s.stdout);
    const r = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
    const refusedOk = r.code === 8 && new RegExp(`pid ${child.pid}`).test(r.stderr);
    child.kill('SIGCONT');
    const code = await c.exit;
    if (!stalledOk || !refusedOk || code !== 0) {
      return {
        name,
        ok: false,
        detail: `status ${stalledOk ? 'ok' : `wrong:\n${s.stdout}`}; resume while stopped exit ${r.code} ${r.stderr.trim()}; engine exit ${code}`,
        outcome: null,
      };
    }
    return await judged(name, source, target, `status: stalled, holder pid ${child.pid}; resume refused (exit 8); continued to finished`);
  } finally {
    await dropDb(env, target);
  }
}

/** Two resumes at the same instant: one proceeds, the other refuses naming the holder. */
export async function concurrentResumes(env: TortureEnv, source: Db): Promise<FaultResult> {
  const name = 'two resumes at the same instant';
  const target = await newDb(env, 'twins');
  try {
    const first = await runUntil(
      ['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--jobs', '1'],
      (_, seen) => seen.filter((e) => e.type === 'BatchCopied').length > 3,
    );
    if (!first.killed) return { name, ok: false, detail: `the clone ended (exit ${first.code}) before it could be killed`, outcome: null };
    const runId = runIdOf(first.events);
    const args = ['resume', runId, '--target', target.url, '--source', source.url];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    const codes = [a.code ?? -1, b.code ?? -1].sort((x, y) => x - y);
    const loser = a.code === 8 ? a : b;
    const ok = codes[0] === 0 && codes[1] === 8 && /is being worked on by pid \d+ on \S+ \(backend pid \d+\)/.test(loser.stderr);
    if (!ok) return { name, ok, detail: `exit codes ${a.code} and ${b.code}: ${a.stderr.trim()} | ${b.stderr.trim()}`, outcome: null };
    return await judged(name, source, target, `one finished, the other refused: ${loser.stderr.trim()}`);
  } finally {
    await dropDb(env, target);
  }
}

/**
 * A clone driven only by short --max-duration slices: at least `minSlices` of them for every seed and any machine speed,
 * then random budgets to the end.
 *
 * Why the count cannot fall short: the first `minSlices - 1` slices get a 1 ms budget. A budget counts from the
 * process start, so it has always run out by the first commit (spawning node and committing a transaction take longer),
 * and the engine stops each worker at its next boundary once a slice has committed a unit (Budget.markProgress):
 * such a slice commits at most one batch per data job plus one item per index job (in flight together), or schema
 * alone, or sequences alone. The source has far more units than that, so none of these slices can end the clone, and
 * the clone takes at least `minSlices` slices. A random budget, however short, could finish everything on a fast
 * enough machine, so random budgets only start once the minimum is certain; they then stop the run at seeded,
 * random boundaries through the rest of data, post-data, sequences and verify (the phase each stop left the run in
 * is reported).
 */
export async function randomSlices(env: TortureEnv, source: Db, opts: { seed: number; minSlices: number }): Promise<FaultResult & { slices: number }> {
  const name = 'random --max-duration slices';
  const rng = mulberry32(opts.seed);
  const target = await newDb(env, 'slices');
  try {
    let slices = 0;
    const budget = () => (++slices < opts.minSlices ? '1ms' : `${Math.round(100 + rng() * 250)}ms`);
    const stops: Record<string, number> = {};
    const stoppedIn = async (runId: string) => {
      const c = await connect(target.url);
      try {
        const s = foldRun(await readRun(c, runId));
        const at = s.outcome.kind === 'suspended' ? s.outcome.phase : `not suspended (${s.outcome.kind})`;
        stops[at] = (stops[at] ?? 0) + 1;
      } finally {
        await c.end();
      }
    };
    let r = await runCli([
      'clone',
      '--source',
      source.url,
      '--target',
      target.url,
      '--batch-size',
      '512kB',
      '--jobs',
      '1',
      '--index-jobs',
      '2',
      '--max-duration',
      budget(),
    ]);
    const runId = /run (\S+):/.exec(r.stdout)?.[1] ?? '';
    while (r.code === 3 && slices < 400) {
      await stoppedIn(runId);
      r = await runCli(['resume', runId, '--target', target.url, '--source', source.url, '--max-duration', budget()]);
    }
    if (r.code !== 0) return { name, ok: false, detail: `slice ${slices} exit ${r.code}: ${r.stderr}`, outcome: null, slices };
    const tiny = Math.min(slices, opts.minSlices - 1);
    const detail = `${slices} slices (${tiny} of 1 ms, ${slices - tiny} of 100–350 ms); stopped in ${Object.entries(stops)
      .map(([p, n]) => `${p} ${n}`)
      .join(', ')}`;
    const res = await judged(name, source, target, slices >= opts.minSlices ? detail : `${detail}: fewer than ${opts.minSlices}, the source is too small`);
    return { ...res, ok: res.ok && slices >= opts.minSlices, slices };
  } finally {
    await dropDb(env, target);
  }
}
