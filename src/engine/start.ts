// Starting work: a new clone (preflight, then RunStarted) or a resume (the log, the lock, the same source, RunResumed).
import type pg from 'pg';
import { MalformedEventError } from '../events/codec.js';
import { decideResume, refuseResumeEarly } from '../events/decide.js';
import { foldRun } from '../events/fold.js';
import { identityOf } from '../events/identity.js';
import { takeRunLock, tryLockRun } from '../events/lock.js';
import type { NewEvent, NewEventOf, RunOptions } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { appendStandalone, ensureLog, readRun } from '../events/store.js';
import { createRunContext, type EngineObserver, type EngineSettings, type RunResult } from './context.js';
import { PgcloneError } from './errors.js';
import { newRunId, operator } from './operator.js';
import { pickRun } from './pick-run.js';
import { closeClient, openClient } from './pg/connect.js';
import type { ConnInfo } from './pg/conninfo.js';
import { checkTargetLargeObjects, decideCatchUp, dryRunSchema, openSides, prepare, schemaEngineOf, type Prepared, type Sides } from './phases/preflight.js';
import {
  CATCH_UP_PLUGIN,
  catalogFingerprint,
  catchUpName,
  createSlotAndPublication,
  dropSlotAndPublication,
  slotState,
  type CatchUpSelection,
} from './pg/slot.js';
import { runWithRetries } from './retry.js';
import { dropForGuard, guardMessage, slotLostMessage, walLimitOf, walVerdict } from './wal-guard.js';
import { steps } from './run.js';
import { cloningText, markTarget, STATE_SETTING } from './target-state.js';
import { TOOL_VERSION } from './version.js';

export interface CloneRequest {
  source: ConnInfo;
  target: ConnInfo;
  options: RunOptions;
  settings: EngineSettings;
  /** a run id chosen in advance (wipe --restart announces it in RunWiped) */
  runId?: string;
}

function contextFor(
  runId: string,
  req: { source: ConnInfo; target: ConnInfo; settings: EngineSettings },
  sides: Sides,
  prepared: Prepared,
  state: RunState,
  observer: EngineObserver,
  resumed: boolean,
  processStartedAt: number,
) {
  return createRunContext({
    runId,
    source: req.source,
    target: req.target,
    tools: sides.tools,
    state,
    settings: req.settings,
    observer,
    dump: prepared.dump,
    tables: prepared.tables,
    sequences: prepared.sequences,
    sourceVersionNum: sides.sourceFacts.versionNum,
    targetVersionNum: sides.targetFacts.versionNum,
    lock: sides.target,
    snapshot: { holder: sides.source, id: prepared.snapshotId },
    snapshotIntact: !resumed,
    processStartedAt,
  });
}

/** Drop what catch-up made on the source, when a start fails after making it (best effort: the names say whose it is). */
async function dropCatchUp(source: ConnInfo, name: string): Promise<void> {
  const c = await openClient(source, { side: 'source', purpose: 'catch-up' }).catch(() => null);
  if (!c) return;
  await dropSlotAndPublication(c, name).catch(() => undefined);
  await closeClient(c);
}

/**
 * The publication and the slot, made once preflight has passed and before any row is read; then the snapshot the
 * copy uses is taken again, after the slot (every change it does not hold is decoded), and the schema read again in
 * it. A slot that cannot be made is a refusal with nothing written.
 */
async function prepareCatchUp(
  sides: Sides,
  req: CloneRequest,
  options: RunOptions,
  runId: string,
  prepared: Prepared,
  selection: CatchUpSelection,
): Promise<{ prepared: Prepared; event: NewEventOf<'CatchUpPrepared'> }> {
  const name = catchUpName(runId);
  const conn = await openClient(req.source, { side: 'source', purpose: 'catch-up' });
  let consistentLsn: string;
  let catalog: string;
  try {
    // the catalog a follower compares with (the schema read again below, after the slot, is checked against the first)
    catalog = await catalogFingerprint(conn, [...new Set(prepared.plan.tables.map((t) => t.table.schema))]);
    consistentLsn = await createSlotAndPublication(
      conn,
      name,
      selection.tables.map((t) => t.table),
    );
  } catch (e) {
    throw new PgcloneError(
      'preflight',
      `could not create the publication and replication slot ${name} on the source: ${(e as Error).message}; nothing was written (--no-catch-up clones without them)`,
    );
  } finally {
    await closeClient(conn);
  }
  try {
    await sides.source.query('ROLLBACK');
    const again = await prepare(sides, req.source, options, req.settings.ioTimeoutMs);
    if (again.dump.hash !== prepared.dump.hash)
      throw new PgcloneError('preflight', 'the source schema changed while preflight read it; nothing was written — try again');
    return {
      prepared: again,
      event: {
        type: 'CatchUpPrepared',
        runId,
        slot: name,
        publication: name,
        plugin: CATCH_UP_PLUGIN,
        consistentLsn,
        tables: selection.tables,
        excluded: selection.excluded,
        catalogFingerprint: catalog,
      },
    };
  } catch (e) {
    await dropCatchUp(req.source, name);
    throw e;
  }
}

/** `pgclone clone`: preflight without writing, then RunStarted, then the steps. */
export async function startClone(req: CloneRequest, observer: EngineObserver = {}): Promise<RunResult> {
  const t0 = Date.now();
  const sides = await openSides(req.source, req.target, schemaEngineOf(req.options));
  const runId = req.runId ?? newRunId();
  let prepared: Prepared;
  let options = req.options;
  let catchUpEvent: NewEvent | null = null;
  let catchUpOff: string | null = null;
  try {
    prepared = await prepare(sides, req.source, req.options, req.settings.ioTimeoutMs);
    await dryRunSchema(sides, prepared.dump, req.options, req.target);
    await checkTargetLargeObjects(sides, prepared.largeObjects, req.target);
    for (const note of prepared.dump.notes ?? []) observer.onNote?.(note);
    const decision = await decideCatchUp(sides, prepared, req.options, catchUpName(runId));
    options = { ...req.options, catchUp: decision.on };
    if (!decision.on && req.options.follow === true)
      throw new PgcloneError(
        'preflight',
        `--follow needs catch-up through a logical replication slot, which this run cannot have: ${decision.why}; nothing was written`,
      );
    if (!decision.on) catchUpOff = decision.why;
    else {
      for (const note of decision.notes) observer.onNote?.(note);
      const made = await prepareCatchUp(sides, req, options, runId, prepared, decision.selection);
      prepared = made.prepared;
      catchUpEvent = made.event;
    }
  } catch (e) {
    await closeClient(sides.source);
    await closeClient(sides.target);
    throw e;
  }
  const startedAt = new Date().toISOString();
  let state: RunState;
  try {
    // the first write to the target
    await ensureLog(sides.target);
    if (!(await tryLockRun(sides.target, runId))) throw new PgcloneError('locked', `run ${runId} is already locked by another process`);
    const r = await appendStandalone(
      sides.target,
      [
        {
          type: 'RunStarted',
          runId,
          at: startedAt,
          toolVersion: TOOL_VERSION,
          operator: operator(),
          source: identityOf(req.source, sides.sourceFacts.version, sides.sourceFacts.fingerprint),
          target: identityOf(req.target, sides.targetFacts.version, sides.targetFacts.fingerprint),
          options,
          plan: prepared.plan,
          schemaHash: prepared.dump.hash,
          ...(catchUpOff !== null ? { catchUpOff } : {}),
        },
        ...(catchUpEvent ? [catchUpEvent] : []),
        { type: 'PhaseStarted', runId, phase: 'preflight' },
        { type: 'PhaseCompleted', runId, phase: 'preflight', durationMs: Date.now() - t0 },
      ],
      async () => {
        if (!(await markTarget(sides.target, cloningText(runId, startedAt))))
          observer.onNote?.(`the target role does not own the database, so ${STATE_SETTING} (clone in progress) is not set on it`);
      },
    );
    if (!r.ok) throw new PgcloneError('locked', `run ${runId} already exists in the target's log`);
    state = foldRun(r.events);
    observer.onEvents?.(r.events, state);
  } catch (e) {
    if (catchUpEvent) await dropCatchUp(req.source, catchUpName(runId));
    await closeClient(sides.source);
    await closeClient(sides.target);
    throw e;
  }
  return runWithRetries(contextFor(runId, req, sides, prepared, state, observer, false, t0), steps);
}

export interface ResumeRequest {
  target: ConnInfo;
  /**
   * defaults to the run's recorded source identity, with the password from PGPASSWORD or ~/.pgpass; a function
   * is given the run's state as the log records it (the library completes the recorded identity itself)
   */
  source?: ConnInfo | ((recorded: RunState) => ConnInfo);
  runId?: string;
  settings: EngineSettings;
  /** resume --no-catch-up: a run whose slot the guard dropped (or the source lost) goes on without catch-up */
  withoutCatchUp?: boolean;
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

/** A finished or wiped run: nothing to do (5); one whose verification failed keeps saying so (4), so no script reads it as done. */
function refused(reason: string, message: string): PgcloneError {
  const kind =
    reason === 'finished' || reason === 'wiped' ? 'nothing-to-do' : reason === 'mismatched' ? 'mismatch' : reason === 'locked' ? 'locked' : 'resume-refused';
  return new PgcloneError(kind, message);
}

/**
 * Before a resume: the run's slot, when catch-up is still to come. Gone, invalidated, or (the retained-WAL guard, as
 * at every boundary: a run stopped for hours is its case) holding more WAL than the limit: without --no-catch-up the
 * resume stops — after the guard drops the slot and records why — and says how to go on; with it, what is left is
 * dropped and recorded (CatchUpReleased by resume) and the run goes on without catch-up.
 */
async function checkSlotAtResume(sourceInfo: ConnInfo, lock: pg.ClientBase, state: RunState, req: ResumeRequest): Promise<void> {
  const c = state.catchUp;
  if (!c || state.phases['catch-up'].status === 'done') return;
  // its own session: the snapshot's is read-only, and a drop is a write
  const source = await openClient(sourceInfo, { side: 'source', purpose: 'wal guard' });
  try {
    await checkSlotOn(source, lock, state, req);
  } finally {
    await closeClient(source);
  }
}

async function checkSlotOn(source: pg.ClientBase, lock: pg.ClientBase, state: RunState, req: ResumeRequest): Promise<void> {
  const c = state.catchUp as NonNullable<RunState['catchUp']>;
  const runId = state.runId;
  const release = async (ev: NewEventOf<'CatchUpReleased'>) => {
    const r = await appendStandalone(lock, [ev]);
    if (!r.ok) throw new PgcloneError('locked', `run ${runId} changed while resuming`);
  };
  if (c.released) {
    if (req.withoutCatchUp || c.released.by !== 'guard') return;
    throw new PgcloneError('wal-guard', guardMessage(state, c.slot, c.released.reason ?? "it held too much of the source's WAL"));
  }
  const v = walVerdict(walLimitOf(state.options, req.settings.maxRetainedWalBytes), await slotState(source, c.slot));
  if (req.withoutCatchUp) {
    const why = v.kind === 'ok' ? 'resumed with --no-catch-up' : v.kind === 'over' ? v.why : `the slot was ${v.kind === 'lost' ? 'invalidated' : 'gone'}`;
    const dropped = await dropSlotAndPublication(source, c.slot, c.publication);
    await release({ type: 'CatchUpReleased', runId, dropped, by: 'resume', reason: `resumed with --no-catch-up: ${why}` });
    return;
  }
  if (v.kind === 'over') {
    await release(await dropForGuard(source, state, v));
    throw new PgcloneError('wal-guard', guardMessage(state, c.slot, v.why));
  }
  if (v.kind === 'lost' || v.kind === 'gone') throw new PgcloneError('resume-refused', slotLostMessage(state, c.slot, v.kind));
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
    // a finished or wiped run is refused before its lock is even asked for
    const early = refuseResumeEarly(state, { held: 'by-us' }) ?? refuseResumeEarly(state, await takeRunLock(lock, runId));
    if (early) throw refused(early.reason, early.message);
    const sourceInfo = typeof req.source === 'function' ? req.source(state) : (req.source ?? recordedSource(state));
    const opened = await openSides(sourceInfo, req.target, schemaEngineOf(state.options));
    sourceClient = opened.source;
    // openSides opened its own target connection; the lock stays on ours
    await closeClient(opened.target);
    const sides: Sides = { ...opened, target: lock };
    const prepared = await prepare(sides, sourceInfo, state.options, req.settings.ioTimeoutMs);
    const decision = decideResume(state, {
      lock: { held: 'by-us' },
      source: identityOf(sourceInfo, opened.sourceFacts.version, opened.sourceFacts.fingerprint),
      schemaHash: prepared.dump.hash,
      operator: operator(),
      toolVersion: TOOL_VERSION,
    });
    if (decision.kind === 'refuse') throw refused(decision.reason, decision.message);
    // what it records (a release) is in the log RunResumed follows, and in the state read after it
    await checkSlotAtResume(sourceInfo, lock, state, req);
    const r = await appendStandalone(lock, [decision.event]);
    if (!r.ok) throw new PgcloneError('locked', `run ${runId} changed while resuming`);
    state = foldRun(await readRun(lock, runId));
    observer.onEvents?.(r.events, state);
    const ctx = contextFor(runId, { target: req.target, settings: req.settings, source: sourceInfo }, sides, prepared, state, observer, true, t0);
    handedOff = true; // runWithRetries owns and closes the connections from here
    return await runWithRetries(ctx, steps);
  } finally {
    if (!handedOff) {
      await closeClient(sourceClient);
      await closeClient(lock);
    }
  }
}
