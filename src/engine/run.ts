// The orchestrator: a flat list of steps, each skipped when the log already records it; transient failures retried.
import { hostname, userInfo } from 'node:os';
import { customAlphabet } from 'nanoid';
import type pg from 'pg';
import { MalformedEventError, tableKey } from '../events/codec.js';
import { decideResume, nextPhase, pendingPostData } from '../events/decide.js';
import { foldRun } from '../events/fold.js';
import { describeHolder } from '../events/liveness.js';
import { identityOf } from '../events/identity.js';
import type { ErrorInfo, Operator, RunOptions } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { appendStandalone, ensureLog, readAllRuns, readRun, readRunLocks } from '../events/store.js';
import { applicationName, closeClient, destroyClient, openClient } from './pg/connect.js';
import type { ConnInfo } from './pg/conninfo.js';
import {
  Budget,
  BudgetSpent,
  closeTracked,
  connectTimeoutMs,
  destroyAll,
  openTracked,
  record,
  Signal,
  type EngineObserver,
  type EngineSettings,
  type RunContext,
} from './context.js';
import { completeCopiedTables, runDataWorkers } from './phases/data.js';
import { errorInfo, isTransient, PgcloneError } from './errors.js';
import { tryLockRun } from './lock.js';
import { runPostData } from './phases/post-data.js';
import { dryRunSchema, openSides, prepare, type Prepared, type Sides } from './phases/preflight.js';
import { applySchema } from './phases/schema.js';
import { syncSequences } from './phases/sequences.js';
import { exportSnapshot, importSnapshot } from './pg/snapshot.js';
import { verifyTables } from './phases/verify.js';
import { TOOL_VERSION } from './version.js';

export type RunOutcome = 'finished' | 'mismatch' | 'suspended';

export interface RunResult {
  runId: string;
  outcome: RunOutcome;
  state: RunState;
}

/**
 * Run ids: 21 letters and digits. nanoid's default alphabet has "-" and "_", and an id that starts with
 * "-" reads as an option on the command line (found by the torture suite: `pgclone resume -x…`).
 */
export const newRunId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 21);

export function operator(): Operator {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return { user, host: hostname(), pid: process.pid };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function checkBudget(ctx: RunContext): void {
  if (ctx.budget.expired()) throw new BudgetSpent();
}

async function phaseStarted(ctx: RunContext, phase: Parameters<typeof nextPhase>[0]['phase']): Promise<void> {
  if (ctx.state.phases[phase].status === 'pending') await record(ctx, [{ type: 'PhaseStarted', runId: ctx.runId, phase }]);
}

function phaseDuration(ctx: RunContext, phase: keyof RunState['phases']): number {
  const at = ctx.state.phases[phase].startedAt;
  return at ? Math.max(0, Date.now() - Date.parse(at)) : 0;
}

function allTablesCopied(ctx: RunContext): boolean {
  return ctx.state.tableOrder.every((k) => ctx.state.tables[k]?.status === 'copied');
}

/** Step 6's table checks on `pairs` pairs of connections (fewer when fewer tables are left); the caller records the phase's end. */
async function verifyOn(ctx: RunContext, pairs: number, abort?: AbortSignal): Promise<void> {
  await phaseStarted(ctx, 'verify');
  const left = ctx.state.tableOrder.filter((k) => !ctx.state.verified[k]).length;
  const conns = await Promise.all(
    Array.from({ length: Math.min(left, Math.max(1, pairs)) }, async (_, i) => ({
      src: await sourceReader(ctx, `verify ${i}`),
      dst: await openTracked(ctx, 'target', `verify ${i}`),
    })),
  );
  await verifyTables(ctx, conns, abort);
  if (abort?.aborted) return;
  for (const p of conns) {
    await closeTracked(ctx, p.src);
    await closeTracked(ctx, p.dst);
  }
}

/** Steps 3 and 4 overlap: a table's indexes start as soon as its rows are in (and step 6's counts once all rows are). */
async function dataAndPostData(ctx: RunContext): Promise<void> {
  await completeCopiedTables(ctx);
  await phaseStarted(ctx, 'data');
  const ac = new AbortController();
  const fail = (e: unknown) => {
    if (ac.signal.aborted) return;
    ac.abort(e);
    destroyAll(ctx);
    ctx.changed.notify();
  };
  let dataStopped = false;
  let verifying: Promise<void> = Promise.resolve();
  const results = await Promise.allSettled([
    runDataWorkers(ctx, ac.signal, fail)
      .then(async () => {
        // every row is in: the log says so now, while indexes may still be building
        if (allTablesCopied(ctx) && !ac.signal.aborted && ctx.state.phases.data.status !== 'done') {
          await record(ctx, [{ type: 'PhaseCompleted', runId: ctx.runId, phase: 'data', durationMs: phaseDuration(ctx, 'data') }]);
        }
      })
      .finally(() => {
        dataStopped = true;
        ctx.changed.notify();
        // the last index builds leave a core idle: row counts need only the rows, so they start now
        // (on one pair of connections, beside the index builds)
        if (allTablesCopied(ctx) && !ac.signal.aborted && !ctx.budget.expired() && ctx.options.verify !== 'none' && ctx.state.phases.verify.status !== 'done') {
          verifying = verifyOn(ctx, 1, ac.signal).catch((e) => fail(e));
        }
      }),
    runPostData(ctx, ac.signal, fail, () => dataStopped),
  ]);
  await verifying;
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (ac.signal.aborted) throw ac.signal.reason;

  // PhaseCompleted(data) is already recorded above whenever every table is copied
  const allCopied = allTablesCopied(ctx);
  const allApplied = pendingPostData(ctx.state).length === 0;
  if (allCopied && allApplied && ctx.state.phases['post-data'].status !== 'done') {
    await phaseStarted(ctx, 'post-data');
    await record(ctx, [{ type: 'PhaseCompleted', runId: ctx.runId, phase: 'post-data', durationMs: phaseDuration(ctx, 'post-data') }]);
  }
  if (!allCopied || !allApplied) {
    if (ctx.budget.expired()) throw new BudgetSpent();
    const stuck = pendingPostData(ctx.state).map((p) => p.name);
    throw new Error(`data and post-data stopped with work left (post-data: ${stuck.slice(0, 5).join(', ')})`);
  }
}

async function sourceReader(ctx: RunContext, purpose: string): Promise<pg.Client> {
  const c = await openTracked(ctx, 'source', purpose);
  if (ctx.snapshot) await importSnapshot(c, ctx.snapshot.id);
  return c;
}

/** The numbered steps. Each asks the folded log whether it is already done. */
async function steps(ctx: RunContext): Promise<RunOutcome> {
  // 1. preflight — done before RunStarted / RunResumed was written
  // 2. schema
  if (ctx.state.schemaObjects === null) {
    await phaseStarted(ctx, 'schema');
    const conn = await openTracked(ctx, 'target', 'schema');
    await applySchema(ctx, conn);
    await closeTracked(ctx, conn);
    ctx.budget.markProgress();
  }
  checkBudget(ctx);
  // 3 + 4. data and post-data
  if (ctx.state.phases.data.status !== 'done' || ctx.state.phases['post-data'].status !== 'done') await dataAndPostData(ctx);
  checkBudget(ctx);
  // 5. sequences
  if (ctx.state.sequencesSynced === null) {
    await phaseStarted(ctx, 'sequences');
    const dst = await openTracked(ctx, 'target', 'sequences');
    const src = ctx.snapshot?.holder ?? (await sourceReader(ctx, 'sequences'));
    await syncSequences(ctx, src, dst);
    await closeTracked(ctx, dst);
    if (src !== ctx.snapshot?.holder) await closeTracked(ctx, src);
    ctx.budget.markProgress();
  }
  checkBudget(ctx);
  // 6. verify
  let verification: 'passed' | 'mismatch' | 'skipped' = 'skipped';
  if (ctx.options.verify !== 'none') {
    if (ctx.state.phases.verify.status !== 'done') {
      await verifyOn(ctx, ctx.options.jobs);
      await record(ctx, [{ type: 'PhaseCompleted', runId: ctx.runId, phase: 'verify', durationMs: phaseDuration(ctx, 'verify') }]);
    }
    verification = Object.values(ctx.state.verified).every((v) => v.match) ? 'passed' : 'mismatch';
  }
  // 7. finished
  const s = ctx.state;
  await record(ctx, [
    {
      type: 'RunFinished',
      runId: ctx.runId,
      durationMs: Math.max(0, Date.now() - Date.parse(s.startedAt)),
      totals: {
        tables: s.tableOrder.length,
        rows: s.rowsDone,
        bytes: s.bytesDone,
        postDataItems: s.postDataOrder.length,
        sequences: s.sequencesSynced ?? 0,
      },
      verification,
    },
  ]);
  return verification === 'mismatch' ? 'mismatch' : 'finished';
}

type Ping = 'ok' | 'dead' | 'silent';

/** 'dead': the connection failed at once (the work on it fails by itself); 'silent': no answer in time (a cut network). */
async function ping(c: pg.Client | null | undefined, timeoutMs: number): Promise<Ping> {
  if (!c) return 'dead';
  const answer = c.query('SELECT 1').then(
    (): Ping => 'ok',
    (): Ping => 'dead',
  );
  const late = new Promise<Ping>((r) => setTimeout(() => r('silent'), timeoutMs).unref());
  return Promise.race([answer, late]);
}

async function alive(c: pg.Client | null | undefined, timeoutMs: number): Promise<boolean> {
  return (await ping(c, timeoutMs)) === 'ok';
}

/**
 * Cuts every connection of a side that stops answering: a peer behind a dead network never closes
 * its socket, so without this a COPY or an index build could wait forever.
 */
function startWatchdog(ctx: RunContext): () => void {
  const every = Math.max(250, Math.floor(ctx.settings.ioTimeoutMs / 3));
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || ctx.recovering) return;
    busy = true;
    try {
      const lock = ctx.lock;
      const holder = ctx.snapshot?.holder;
      const [target, source] = await Promise.all([ping(lock, ctx.settings.ioTimeoutMs), holder ? ping(holder, ctx.settings.ioTimeoutMs) : Promise.resolve<Ping>('ok')]);
      if (ctx.recovering) return;
      const secs = Math.round(ctx.settings.ioTimeoutMs / 1000);
      if (target === 'silent') {
        ctx.observer.onNote?.(`the target did not answer for ${secs} s: cutting its connections`);
        destroyClient(lock);
        destroyAll(ctx);
      }
      if (source === 'silent' && holder) {
        ctx.observer.onNote?.(`the source did not answer for ${secs} s: cutting its connections`);
        destroyClient(holder);
        destroyAll(ctx);
      }
    } finally {
      busy = false;
    }
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}

async function backendPid(c: pg.ClientBase): Promise<number> {
  const r = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return r.rows[0]?.pid ?? 0;
}

/**
 * A cut network leaves this process's sessions open on the server — holding the run lock, row locks, a
 * transaction — until the server's keepalives notice, which can take hours. They are ours (the
 * application_name names this process), so end them.
 */
async function endOwnSessions(c: pg.ClientBase, keep: number[]): Promise<void> {
  await c.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = $1 AND datname = current_database() AND pid <> ALL($2::int[])`,
    [applicationName(), keep],
  );
}

/** After a transient failure: the lock again (or stop), the log again (it, not memory, says what committed), the snapshot if it died. */
async function recover(ctx: RunContext, error: ErrorInfo, attempt: number, delayMs: number): Promise<void> {
  ctx.recovering = true;
  try {
    await reconnect(ctx, error, attempt, delayMs);
  } finally {
    ctx.recovering = false;
  }
}

async function reconnect(ctx: RunContext, error: ErrorInfo, attempt: number, delayMs: number): Promise<void> {
  destroyAll(ctx);
  const lockAlive = await alive(ctx.lock, Math.min(5000, ctx.settings.ioTimeoutMs));
  if (!lockAlive) {
    destroyClient(ctx.lock);
    ctx.lock = await openClient(ctx.target, { side: 'target', purpose: 'lock', connectTimeoutMs: connectTimeoutMs(ctx) });
  }
  await endOwnSessions(ctx.lock, [await backendPid(ctx.lock)]);
  if (!lockAlive) {
    let locked = false;
    // our own old session may take a moment to end after being told to
    for (let i = 0; i < 40 && !locked; i++) {
      locked = await tryLockRun(ctx.lock, ctx.runId);
      if (!locked) await sleep(250);
    }
    if (!locked) {
      const holder = (await readRunLocks(ctx.lock, [ctx.runId])).get(ctx.runId);
      throw new PgcloneError('locked', `while reconnecting, run ${ctx.runId} was taken over by ${holder ? describeHolder(holder) : 'another process'}; stopping`);
    }
  }
  ctx.state = foldRun(await readRun(ctx.lock, ctx.runId));
  let snapshotLost = false;
  if (!ctx.snapshot || !(await alive(ctx.snapshot.holder, Math.min(5000, ctx.settings.ioTimeoutMs)))) {
    if (ctx.snapshot) destroyClient(ctx.snapshot.holder);
    const holder = await openClient(ctx.source, { side: 'source', purpose: 'snapshot', connectTimeoutMs: connectTimeoutMs(ctx) });
    ctx.snapshot = { holder, id: await exportSnapshot(holder) };
    ctx.sourceRowsRead.clear(); // those rows were read in the lost snapshot
    snapshotLost = true;
    ctx.snapshotIntact = false;
  }
  await endOwnSessions(ctx.snapshot.holder, [await backendPid(ctx.snapshot.holder)]);
  await record(ctx, [{ type: 'RetryScheduled', runId: ctx.runId, phase: ctx.state.phase, error, attempt, delayMs, snapshotLost }]);
}

async function recordFailure(ctx: RunContext, e: unknown, resumable: boolean): Promise<void> {
  try {
    if (!(await alive(ctx.lock, 3000))) return;
    await record(ctx, [{ type: 'RunFailed', runId: ctx.runId, phase: ctx.state.phase, error: errorInfo(e), resumable }]);
  } catch {
    /* the log cannot be reached: the run reads as interrupted, which is true */
  }
}

/** Run the steps with in-process retries; always releases the lock and the snapshot. */
export async function runSteps(ctx: RunContext): Promise<RunResult> {
  const stopWatchdog = startWatchdog(ctx);
  let attempt = 0;
  let retry: { error: ErrorInfo; delayMs: number } | null = null;
  try {
    for (;;) {
      try {
        if (retry) {
          ctx.observer.onNote?.(`retrying in ${(retry.delayMs / 1000).toFixed(1)} s (attempt ${attempt} of ${ctx.settings.maxRetries}): ${retry.error.message}`);
          await sleep(retry.delayMs);
          await recover(ctx, retry.error, attempt, retry.delayMs);
          retry = null;
        }
        const outcome = await steps(ctx);
        return { runId: ctx.runId, outcome, state: ctx.state };
      } catch (e) {
        destroyAll(ctx);
        if (e instanceof BudgetSpent) {
          await record(ctx, [{ type: 'RunSuspended', runId: ctx.runId, phase: ctx.state.phase, reason: ctx.budget.reason() }]);
          return { runId: ctx.runId, outcome: 'suspended', state: ctx.state };
        }
        if (e instanceof MalformedEventError) throw new PgcloneError('corrupt-log', e.message);
        const transient = isTransient(e);
        if (!transient || attempt >= ctx.settings.maxRetries) {
          const lockedOut = e instanceof PgcloneError && e.kind === 'locked';
          if (!lockedOut) await recordFailure(ctx, e, true);
          if (transient) {
            throw new PgcloneError('transient', `stopped after ${attempt} retries; the run is resumable (pgclone resume ${ctx.runId}): ${errorInfo(e).message}`, errorInfo(e).sqlstate, { cause: e });
          }
          throw e;
        }
        attempt++;
        retry = { error: errorInfo(e), delayMs: Math.min(8000, ctx.settings.retryBaseMs * 2 ** (attempt - 1)) };
      }
    }
  } finally {
    stopWatchdog();
    destroyAll(ctx);
    await closeClient(ctx.snapshot?.holder);
    await closeClient(ctx.lock);
  }
}

function newContext(
  runId: string,
  source: ConnInfo,
  target: ConnInfo,
  sides: Pick<Sides, 'tools' | 'source' | 'target' | 'sourceFacts'>,
  prepared: Prepared,
  state: RunState,
  settings: EngineSettings,
  observer: EngineObserver,
  snapshotIntact: boolean,
  processStartedAt: number,
): RunContext {
  return {
    runId,
    source,
    target,
    tools: sides.tools,
    options: state.options,
    settings,
    observer,
    // the budget counts from the command's start: it stands for a hard limit on the whole process
    budget: new Budget(settings.maxDurationMs, processStartedAt, settings.stopSignal),
    state,
    dump: prepared.dump,
    tables: new Map(prepared.tables.map((t) => [tableKey(t.table), t])),
    sequences: prepared.sequences,
    sourceVersionNum: sides.sourceFacts.versionNum,
    lock: sides.target,
    snapshot: { holder: sides.source, id: prepared.snapshotId },
    snapshotIntact,
    sourceRowsRead: new Map(),
    recovering: false,
    clients: new Set(),
    changed: new Signal(),
  };
}

export interface CloneRequest {
  source: ConnInfo;
  target: ConnInfo;
  options: RunOptions;
  settings: EngineSettings;
  /** a run id chosen in advance (wipe --restart announces it in RunWiped) */
  runId?: string;
}

/** `pgclone clone`: preflight without writing, then RunStarted, then the steps. */
export async function startClone(req: CloneRequest, observer: EngineObserver = {}): Promise<RunResult> {
  const t0 = Date.now();
  const sides = await openSides(req.source, req.target);
  let prepared: Prepared;
  try {
    prepared = await prepare(sides, req.source, req.options, req.settings.ioTimeoutMs);
    await dryRunSchema(sides, prepared.dump, req.options, req.target);
  } catch (e) {
    await closeClient(sides.source);
    await closeClient(sides.target);
    throw e;
  }
  const runId = req.runId ?? newRunId();
  let state: RunState;
  try {
    // the first write to the target
    await ensureLog(sides.target);
    if (!(await tryLockRun(sides.target, runId))) throw new PgcloneError('locked', `run ${runId} is already locked by another process`);
    const preflightMs = Date.now() - t0;
    const r = await appendStandalone(sides.target, [
      {
        type: 'RunStarted',
        runId,
        toolVersion: TOOL_VERSION,
        operator: operator(),
        source: identityOf(req.source, sides.sourceFacts.version, sides.sourceFacts.fingerprint),
        target: identityOf(req.target, sides.targetFacts.version, sides.targetFacts.fingerprint),
        options: req.options,
        plan: prepared.plan,
        schemaHash: prepared.dump.hash,
      },
      { type: 'PhaseStarted', runId, phase: 'preflight' },
      { type: 'PhaseCompleted', runId, phase: 'preflight', durationMs: preflightMs },
    ]);
    if (!r.ok) throw new PgcloneError('locked', `run ${runId} already exists in the target's log`);
    state = foldRun(r.events);
    observer.onEvents?.(r.events, state);
  } catch (e) {
    await closeClient(sides.source);
    await closeClient(sides.target);
    throw e;
  }
  const ctx = newContext(runId, req.source, req.target, sides, prepared, state, req.settings, observer, true, t0);
  return runSteps(ctx);
}

export interface ResumeRequest {
  target: ConnInfo;
  /** defaults to the run's recorded source identity, with the password from PGPASSWORD or ~/.pgpass */
  source?: ConnInfo;
  runId?: string;
  settings: EngineSettings;
}

/** The run to act on when none is named: the newest one that stopped without finishing. */
export async function pickRun(target: pg.ClientBase, runId: string | undefined, wanted: 'resumable' | 'any'): Promise<RunState> {
  if (runId) {
    const events = await readRun(target, runId);
    if (events.length === 0) throw new PgcloneError('usage', `there is no run ${runId} in the target's pgclone log`);
    return foldRun(events);
  }
  const runs = [...(await readAllRuns(target)).values()].map(foldRun);
  const candidates = wanted === 'any' ? runs : runs.filter((s) => s.outcome.kind !== 'finished' && s.outcome.kind !== 'wiped');
  const newest = candidates.sort((a, b) => b.lastEventAt.localeCompare(a.lastEventAt))[0];
  if (!newest) {
    if (runs.length === 0) throw new PgcloneError('usage', "the target's pgclone log holds no runs");
    throw new PgcloneError('nothing-to-do', 'every run in the target\'s log has finished or been wiped; nothing to resume');
  }
  return newest;
}

/** The source as the run recorded it, completed from the environment (its password is never stored). */
export function recordedSource(state: RunState, env: NodeJS.ProcessEnv = process.env): ConnInfo {
  return {
    host: state.source.host,
    port: state.source.port,
    database: state.source.database,
    user: state.source.user,
    password: env.PGPASSWORD,
    sslmode: (env.PGSSLMODE as ConnInfo['sslmode']) || 'prefer',
    sslrootcert: env.PGSSLROOTCERT,
    connectTimeoutSec: undefined,
  };
}

/** `pgclone resume`: the log, the lock, the same source and schema, RunResumed, then only what the log does not record. */
export async function resumeRun(req: ResumeRequest, observer: EngineObserver = {}): Promise<RunResult> {
  const t0 = Date.now();
  const lock = await openClient(req.target, { side: 'target', purpose: 'lock' });
  let sourceClient: pg.Client | null = null;
  let handedOff = false;
  try {
    let state: RunState;
    try {
      state = await pickRun(lock, req.runId, 'resumable');
    } catch (e) {
      if (e instanceof MalformedEventError) throw new PgcloneError('corrupt-log', e.message);
      throw e;
    }
    const runId = state.runId;
    if (state.outcome.kind === 'finished') throw new PgcloneError('nothing-to-do', `run ${runId} already finished at ${state.outcome.at}; nothing to resume`);
    if (!(await tryLockRun(lock, runId))) {
      const holder = (await readRunLocks(lock, [runId])).get(runId) ?? null;
      const d = decideResume(state, { holder, sourceFingerprint: state.source.fingerprint, schemaHash: state.schemaHash });
      throw new PgcloneError('locked', d.kind === 'refuse' ? d.message : `run ${runId} is locked by another process`);
    }
    const sourceInfo = req.source ?? recordedSource(state);
    const opened = await openSides(sourceInfo, req.target);
    sourceClient = opened.source;
    // openSides opened its own target connection; the lock stays on ours
    await closeClient(opened.target);
    const sides: Sides = { ...opened, target: lock };
    const prepared = await prepare(sides, sourceInfo, state.options, req.settings.ioTimeoutMs);
    const decision = decideResume(state, { holder: null, sourceFingerprint: opened.sourceFacts.fingerprint, schemaHash: prepared.dump.hash });
    if (decision.kind === 'refuse') {
      throw new PgcloneError(decision.reason === 'finished' ? 'nothing-to-do' : 'resume-refused', decision.message);
    }
    const r = await appendStandalone(lock, [
      {
        type: 'RunResumed',
        runId,
        operator: operator(),
        toolVersion: TOOL_VERSION,
        fromPhase: decision.fromPhase === 'finished' ? 'verify' : decision.fromPhase,
        source: identityOf(sourceInfo, opened.sourceFacts.version, opened.sourceFacts.fingerprint),
        snapshotLost: true,
      },
    ]);
    if (!r.ok) throw new PgcloneError('locked', `run ${runId} changed while resuming`);
    state = foldRun(await readRun(lock, runId));
    observer.onEvents?.(r.events, state);
    const ctx = newContext(runId, sourceInfo, req.target, sides, prepared, state, req.settings, observer, false, t0);
    handedOff = true; // runSteps owns and closes the connections from here
    return await runSteps(ctx);
  } finally {
    if (!handedOff) {
      await closeClient(sourceClient);
      await closeClient(lock);
    }
  }
}
