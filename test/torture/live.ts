// The live-source scenario (issue 16): writers keep changing a wal_level=logical source while the clone is SIGKILLed
// at random moments and sliced by time budgets; once they stop, more kills (aimed at catch-up) and slices, then a
// resume to the finish, and the target must equal the source row for row and in sequences, the log must account for
// every change the writers made exactly once, and nothing of the run may be left on the source.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { foldRun, readRun, type RunState } from '../../src/events/index.js';
import { catchUpName } from '../../src/engine/pg/slot.js';
import { logVersusTarget } from '../helpers/compare.js';
import { runCli, spawnCli, type JsonEvent } from '../helpers/cli.js';
import { connect, createDatabase, databaseName, query } from '../helpers/pg.js';
import { startMajorServer } from '../helpers/server.js';
import { bulkSql } from '../fixtures/fidelity.js';
import { FAMILY_SQL, LIVE_SQL, startFamilyWriter, startWriter, type WriterCounts } from '../fixtures/live-writer.js';
import {
  dropDb,
  KILL_PHASES,
  mulberry32,
  newDb,
  outcome,
  phaseAfterKill,
  type Db,
  type FaultResult,
  type KillPhase,
  type Outcome,
  type TortureEnv,
} from './scenarios.js';

export interface LiveOptions {
  seed: number;
  bulkRows: number;
  /** processes while the writers run, each SIGKILLed at a random moment or ended by a random time budget */
  writerProcesses: number;
  /** processes once the writers have stopped: kills aimed at catch-up, and slices */
  catchUpProcesses: number;
  /** row changes the writers make at least before they stop (catch-up then spans several chunks) */
  minWrites: number;
}

export interface LiveFigures {
  processes: number;
  /** processes ended by their time budget (--max-duration, or the engine's maxDurationMs in live-engine.ts) */
  slices: number;
  /** processes stopped before catch-up because the writers were still running (suspended, or SIGKILLed by the hold) */
  held: number;
  /** kill times that fell after the process had ended on its own */
  missed: number;
  /** SIGKILLs while the writers ran */
  killsWhileWriting: number;
  wrote: WriterCounts & { transactions: number };
  applied: WriterCounts & { transactions: number; skipped: number; chunks: number; passes: number };
}

export interface LiveResult extends FaultResult {
  kills: Record<KillPhase, number>;
  logDisagreements: number;
  figures: LiveFigures;
}

const ENGINE = fileURLToPath(new URL('./live-engine.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BATCH_BYTES = 1 << 20;

/** The engine in a child of its own (live-engine.ts), told whether to stop before catch-up. */
function spawnEngine(job: { source: string; target: string; runId?: string; maxDurationMs?: number; holdBeforeCatchUp: boolean }): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ENGINE], {
    cwd: ROOT,
    env: { ...process.env, PGCLONE_USE_DIST: '1', PGCLONE_LIVE_JOB: JSON.stringify({ ...job, batchBytes: BATCH_BYTES, jobs: 2 }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** When a kill's countdown starts: the run started (or resumed), or the nth event of a type. */
type KillPlan = { after: { type: 'RunStarted' | 'RunResumed' | 'ChangesApplied' | 'CatchUpStarted' | 'BatchCopied'; nth: number }; delayMs: number };

interface Attempt {
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  midCopy: boolean;
  held: boolean;
  events: JsonEvent[];
  stderr: string;
}

/** Watch a child's events; SIGKILL it on its plan; say how it ended. */
async function attempt(child: ChildProcess, plan: KillPlan | null, probe: pg.Client, onEvent: (ev: JsonEvent) => void): Promise<Attempt> {
  const events: JsonEvent[] = [];
  let stderr = '';
  let killed = false;
  let midCopy = false;
  let armed = false;
  let seen = 0;
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  const fire = () => {
    armed = true;
    setTimeout(() => {
      void (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const r = await probe
          .query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_progress_copy WHERE datname = current_database() AND command = 'COPY FROM'`)
          .catch(() => ({ rows: [{ n: 0 }] }));
        midCopy = (r.rows[0]?.n ?? 0) > 0;
        killed = child.kill('SIGKILL');
      })();
    }, plan?.delayMs ?? 0);
  };
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    let ev: JsonEvent;
    try {
      ev = JSON.parse(line) as JsonEvent;
    } catch {
      return;
    }
    events.push(ev);
    onEvent(ev);
    if (!plan || armed) return;
    const t = plan.after.type;
    const match = ev.type === t || (t === 'RunStarted' && ev.type === 'RunResumed') || (t === 'RunResumed' && ev.type === 'RunStarted');
    if (match && ++seen === plan.after.nth) fire();
  });
  const [code, signal] = await exited;
  rl.close();
  // the hold SIGKILLs its own process right after printing the phase start that would lead to catch-up
  const held = events.some((e) => e.type === 'PhaseStarted' && (e.phase === 'large-objects' || e.phase === 'catch-up'));
  return { code, signal, killed: killed && signal === 'SIGKILL', midCopy, held, events, stderr };
}

async function logOf(target: Db, runId: string): Promise<{ state: RunState; count: number }> {
  const c = await connect(target.url);
  try {
    const events = await readRun(c, runId);
    return { state: foldRun(events), count: events.length };
  } finally {
    await c.end();
  }
}

/** What the log says catch-up applied, summed over its ChangesApplied events, and whether their LSNs only rose. */
async function appliedPerLog(target: Db, runId: string): Promise<LiveFigures['applied'] & { rising: boolean }> {
  const rows = await query<{ type: string; lsn: string | null; t: number; i: number; u: number; d: number; s: number }>(
    target.url,
    `SELECT type, payload->>'lsn' AS lsn, (payload->>'transactions')::int AS t, (payload->>'inserts')::int AS i,
            (payload->>'updates')::int AS u, (payload->>'deletes')::int AS d, (payload->>'skipped')::int AS s
       FROM pgclone.events WHERE run_id = $1 AND type IN ('ChangesApplied', 'CatchUpStarted') ORDER BY id`,
    [runId],
  );
  const chunks = rows.filter((r) => r.type === 'ChangesApplied');
  const big = (l: string) => {
    const [hi, lo] = l.split('/');
    return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
  };
  let rising = true;
  for (let k = 1; k < chunks.length; k++) if (big(chunks[k]!.lsn!) <= big(chunks[k - 1]!.lsn!)) rising = false;
  const sum = (f: (r: (typeof chunks)[number]) => number) => chunks.reduce((n, r) => n + f(r), 0);
  return {
    inserts: sum((r) => r.i),
    updates: sum((r) => r.u),
    deletes: sum((r) => r.d),
    transactions: sum((r) => r.t),
    skipped: sum((r) => r.s),
    chunks: chunks.length,
    passes: rows.length - chunks.length,
    rising,
  };
}

/**
 * The scenario. Its own embedded source server (wal_level=logical), the target on the suite's server. The writers
 * start as soon as the first process has made the slot (CatchUpPrepared), so every change they make is decoded.
 */
export async function liveSource(env: TortureEnv, opts: LiveOptions): Promise<LiveResult> {
  const name = 'live source: writers through kills and slices';
  const rng = mulberry32(opts.seed ^ 0x16161616);
  const kills = Object.fromEntries(KILL_PHASES.map((p) => [p, 0])) as Record<KillPhase, number>;
  const figures: LiveFigures = {
    processes: 0,
    slices: 0,
    held: 0,
    missed: 0,
    killsWhileWriting: 0,
    wrote: { inserts: 0, updates: 0, deletes: 0, transactions: 0 },
    applied: { inserts: 0, updates: 0, deletes: 0, transactions: 0, skipped: 0, chunks: 0, passes: 0 },
  };
  const problems: string[] = [];
  let logDisagreements = 0;
  const server = await startMajorServer(15, { label: 'torture-live', settings: { wal_level: 'logical', max_replication_slots: '10' } });
  const source: Db = { name: databaseName('live_src'), url: '' };
  source.url = await createDatabase(server.url, source.name);
  const target = await newDb(env, 'live_dst');
  const probe = await connect(target.url);
  // bounded: far more operations than a run takes, so they are stopped, not spent
  const live: { writers: { main: ReturnType<typeof startWriter>; family: ReturnType<typeof startFamilyWriter> } | null } = { writers: null };
  const startWriters = () => {
    live.writers ??= {
      main: startWriter(source.url, { seed: opts.seed, bulkRows: opts.bulkRows, ops: 500_000 }),
      family: startFamilyWriter(source.url, { seed: opts.seed + 1, ops: 100_000 }),
    };
    // a writer that fails rejects its stop(), which fails the scenario; until then it must not crash the suite
    for (const x of [live.writers.main, live.writers.family]) x.done.catch(() => undefined);
  };
  const summary = (): string => {
    const k = Object.entries(kills)
      .filter(([, n]) => n > 0)
      .map(([p, n]) => `${p} ${n}`)
      .join(', ');
    const w = figures.wrote;
    const a = figures.applied;
    return (
      `${figures.processes} processes: ${Object.values(kills).reduce((x, y) => x + y, 0)} SIGKILLs (${k || 'none'}; ${figures.killsWhileWriting} while writing), ${figures.slices} slices, ` +
      `${figures.held} held before catch-up, ${figures.missed} kill times missed; wrote ${w.transactions} transactions ` +
      `(${w.inserts} inserts, ${w.updates} updates, ${w.deletes} deletes); applied ${a.transactions} transactions in ${a.chunks} chunks ` +
      `over ${a.passes} catch-up passes (${a.inserts} inserts, ${a.updates} updates, ${a.deletes} deletes, ${a.skipped} skipped)`
    );
  };
  let runId: string | undefined;
  let writersStopped = false;
  try {
    try {
      await query(source.url, LIVE_SQL);
      await query(source.url, bulkSql(opts.bulkRows));
      await query(source.url, FAMILY_SQL);

      /** one process: a kill plan or a budget, its ending counted */
      const oneProcess = async (spawnIt: () => ChildProcess, plan: KillPlan | null, budgeted: boolean): Promise<void> => {
        const before = runId ? await logOf(target, runId) : null;
        figures.processes++;
        const n = figures.processes;
        const say = (what: string) => env.log(`live source: process ${n}${live.writers && !writersStopped ? ' (writers running)' : ''}: ${what}`);
        const a = await attempt(spawnIt(), plan, probe, (ev) => {
          if (ev.type === 'CatchUpPrepared') startWriters();
          if (!runId && ev.type === 'RunStarted') runId = String(ev.runId);
        });
        if (a.killed) {
          const hit = await phaseAfterKill(target, runId, a.midCopy, before !== null, before?.count ?? 0, false);
          kills[hit]++;
          if (live.writers && !writersStopped) figures.killsWhileWriting++;
          say(`SIGKILLed in ${hit}`);
          // before catch-up has applied anything, every table holds exactly the rows its BatchCopied events say
          if (runId && (await logOf(target, runId)).state.catchUp?.appliedLsn == null) {
            const p = await logVersusTarget(target.url, runId);
            logDisagreements += p.length;
            problems.push(...p.map((x) => `after a kill in ${hit}: ${x}`));
          }
          return;
        }
        if (a.held && a.signal === 'SIGKILL') {
          figures.held++;
          say('SIGKILLed by the hold before catch-up');
          return;
        }
        if (plan) figures.missed++;
        if (a.code === 3) {
          const s = runId ? (await logOf(target, runId)).state : null;
          if (s?.outcome.kind === 'suspended' && /still being written/.test(s.outcome.reason)) {
            figures.held++;
            say('suspended by the hold before catch-up');
          } else {
            if (budgeted) figures.slices++;
            say(`suspended in ${s?.outcome.kind === 'suspended' ? s.outcome.phase : '?'} (${budgeted ? 'its time budget' : 'exit 3'})`);
          }
          return;
        }
        if (a.code === 0) {
          say('finished');
          return;
        }
        throw new Error(`a process ended with exit ${a.code}${a.signal ? ` (${a.signal})` : ''}: ${a.stderr.trim()}`);
      };

      // 1. the writers run: the engine in live-engine.ts, which never starts catch-up while they do
      for (let i = 0; i < opts.writerProcesses; i++) {
        if (runId && (await logOf(target, runId)).state.phases['post-data'].status === 'done') break;
        const sliced = rng() < 0.3;
        const maxDurationMs = sliced ? (rng() < 0.4 ? 1 : Math.round(50 + rng() * 400)) : undefined;
        const plan: KillPlan | null = sliced
          ? null
          : rng() < 0.6
            ? { after: { type: 'BatchCopied', nth: 1 + Math.floor(rng() * 4) }, delayMs: Math.floor(rng() * 200) }
            : { after: { type: 'RunStarted', nth: 1 }, delayMs: Math.floor(rng() * 1500) };
        const id = runId;
        await oneProcess(() => spawnEngine({ source: source.url, target: target.url, runId: id, maxDurationMs, holdBeforeCatchUp: true }), plan, sliced);
      }
      const w = live.writers;
      if (!w || !runId) throw new Error('no process of the run recorded RunStarted: the writers never started');
      const made = () => [w.main.counts, w.family.counts].reduce((n, c) => n + c.inserts + c.updates + c.deletes, 0);
      if (made() < opts.minWrites) await w.main.advance(opts.minWrites - made());
      const [m, f] = await Promise.all([w.main.stop(), w.family.stop()]);
      writersStopped = true;
      const wroteTx = m.inserts + m.updates + m.deletes + w.family.transactions;
      figures.wrote = { inserts: m.inserts + f.inserts, updates: m.updates + f.updates, deletes: m.deletes + f.deletes, transactions: wroteTx };
      env.log(`live source: writers stopped after ${figures.processes} processes; ${figures.wrote.transactions} transactions written`);

      // 2. the writers have stopped: the CLI itself, killed in catch-up (the first at its first chunk) or sliced
      for (let i = 0; i < opts.catchUpProcesses; i++) {
        if ((await logOf(target, runId)).state.outcome.kind === 'finished') break;
        const sliced = i > 0 && rng() < 0.35;
        const budget = rng() < 0.3 ? 1 : Math.round(100 + rng() * 400);
        const plan: KillPlan | null = sliced
          ? null
          : i === 0
            ? { after: { type: 'ChangesApplied', nth: 1 }, delayMs: 0 }
            : rng() < 0.5
              ? { after: { type: 'CatchUpStarted', nth: 1 }, delayMs: Math.floor(rng() * 1500) }
              : { after: { type: 'ChangesApplied', nth: 1 + Math.floor(rng() * 3) }, delayMs: Math.floor(rng() * 300) };
        const args = ['resume', runId, '--target', target.url, '--source', source.url, '--json', ...(sliced ? ['--max-duration', `${budget}ms`] : [])];
        await oneProcess(() => spawnCli(args), plan, sliced);
      }
      // to the finish: resumes until one ends the run (0: verified; 4, a finish with a mismatch, is judged below as well)
      const resume = ['resume', runId, '--target', target.url, '--source', source.url];
      let last = await runCli(resume);
      for (let k = 0; k < 4 && last.code === 3; k++) last = await runCli(resume);
      if (last.code !== 0) problems.push(`the last resume exited ${last.code}: ${(last.stderr || last.stdout).trim()}`);
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
      // the comparison below is of a source at rest
      if (live.writers) await Promise.all([live.writers.main.stop(), live.writers.family.stop()]).catch(() => undefined);
    }

    // 3. the judgement, whatever happened before: the counters show what a failure did to the rows
    let o: Outcome | null = null;
    try {
      o = await outcome(source, target);
      problems.push(...o.details);
      if (runId) {
        const applied = await appliedPerLog(target, runId);
        figures.applied = { ...applied };
        if (writersStopped) {
          for (const k of ['inserts', 'updates', 'deletes'] as const) {
            if (applied[k] !== figures.wrote[k]) {
              logDisagreements++;
              problems.push(`the log's ChangesApplied hold ${applied[k]} ${k}, the writers made ${figures.wrote[k]}`);
            }
          }
        }
        if (!applied.rising) {
          logDisagreements++;
          problems.push('the LSNs of ChangesApplied do not only rise');
        }
        const end = (await logOf(target, runId)).state;
        if (end.outcome.kind !== 'finished' || end.outcome.verification !== 'passed') {
          problems.push(
            `the run is ${end.outcome.kind}${end.outcome.kind === 'finished' ? ` (verification ${end.outcome.verification})` : ''}, not finished and verified`,
          );
        }
        const slot = catchUpName(runId);
        const [left] = await query<{ slots: number; pubs: number }>(
          source.url,
          `SELECT (SELECT count(*)::int FROM pg_replication_slots) AS slots, (SELECT count(*)::int FROM pg_publication WHERE pubname = $1) AS pubs`,
          [slot],
        );
        if (left!.slots !== 0 || left!.pubs !== 0)
          problems.push(`left on the source: ${left!.slots} replication slots, ${left!.pubs} publications named ${slot}`);
      }
      if (kills['catch-up'] === 0) problems.push('no kill landed in catch-up');
    } catch (e) {
      problems.push(`the judgement failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const ok = problems.length === 0;
    return { name, ok, detail: ok ? summary() : `${summary()}; ${problems.join('; ')}`, outcome: o, kills, logDisagreements, figures };
  } finally {
    if (live.writers) await Promise.all([live.writers.main.stop(), live.writers.family.stop()]).catch(() => undefined);
    await probe.end().catch(() => undefined);
    await dropDb(env, target);
    await server.stop();
  }
}
