// The fold: a pure (state, event) => state over one run's log. No I/O, no clock.
import { MalformedEventError } from './codec.js';
import { compareLsn } from './lsn.js';
import { tableKey } from './names.js';
import { PHASES, type CopyRange, type EventOf, type LoggedEvent, type Phase } from './schemas.js';
import type { FoldState, PhaseState, RunState, TableState } from './state.js';

/** How many of the latest ChangesApplied the state keeps, for the apply rate. */
export const RECENT_CHANGES = 20;

export function initialState(): FoldState {
  return null;
}

function fail(ev: LoggedEvent, why: string): never {
  throw new MalformedEventError(ev.id, `${ev.type}: ${why}`);
}

function freshPhases(): Record<Phase, PhaseState> {
  const out = {} as Record<Phase, PhaseState>;
  for (const p of PHASES) out[p] = { status: 'pending', startedAt: null, durationMs: null };
  return out;
}

function started(ev: EventOf<'RunStarted'> & { id: number }): RunState {
  const tables: Record<string, TableState> = {};
  const tableOrder: string[] = [];
  for (const t of ev.plan.tables) {
    const key = tableKey(t.table);
    if (tables[key]) fail(ev, `table ${key} is planned twice`);
    tableOrder.push(key);
    tables[key] = {
      key,
      table: t.table,
      status: 'pending',
      strategy: t.strategy,
      keyColumns: t.key,
      estRows: t.estRows,
      estBytes: t.estBytes,
      exactRows: null,
      rowsDone: 0,
      bytesDone: 0,
      batches: null,
      batchesDone: [],
      resumePoint: null,
      completedLogged: false,
      startedAt: null,
      lastBatchAt: null,
      lastWorker: null,
      readInEpochs: [],
    };
  }
  const postData: RunState['postData'] = {};
  const postDataOrder: string[] = [];
  for (const item of ev.plan.postData) {
    if (postData[item.id]) fail(ev, `post-data item ${item.id} is planned twice`);
    postDataOrder.push(item.id);
    postData[item.id] = { ...item, applied: false, durationMs: null, appliedAt: null };
  }
  return {
    runId: ev.runId,
    toolVersion: ev.toolVersion,
    operator: ev.operator,
    source: ev.source,
    target: ev.target,
    options: ev.options,
    schemaHash: ev.schemaHash,
    startedAt: ev.at,
    firstEventId: ev.id,
    lastEventId: ev.id,
    lastEventAt: ev.at,
    lastEventType: ev.type,
    eventCount: 1,
    phase: 'preflight',
    phases: freshPhases(),
    schemaObjects: null,
    databaseChanges: null,
    tables,
    tableOrder,
    postData,
    postDataOrder,
    sequencesSynced: null,
    verified: {},
    sequencesVerified: null,
    largeObjects: { batches: [], count: 0, bytes: 0, verified: null },
    catchUp: null,
    catchUpOff: ev.catchUpOff ?? null,
    retries: [],
    lastError: null,
    snapshotLost: false,
    snapshotEpoch: 0,
    resumes: [],
    pauses: [],
    outcome: { kind: 'open' },
    rowsDone: 0,
    bytesDone: 0,
  };
}

/** The upper bound of the committed prefix of a table's batches, as a resume point. */
function prefixResumePoint(batches: CopyRange[], done: number[]): string[] | null {
  let k = 0;
  while (k < done.length && done[k] === k) k++;
  if (k === 0) return null;
  const last = batches[k - 1];
  if (!last) return null;
  switch (last.kind) {
    case 'key':
      return last.hi;
    case 'tid':
      return last.toPage === null ? null : [`(${last.toPage},0)`];
    case 'all':
      return null;
  }
}

/**
 * Data and post-data overlap, so several phases can run at once: the run is "in" the earliest one still
 * running (a run stopped while both ran stopped in data). With none running, it stays where it was.
 */
function currentPhase(phases: Record<Phase, PhaseState>, fallback: Phase): Phase {
  return PHASES.find((p) => phases[p].status === 'running') ?? fallback;
}

function insertSorted(xs: number[], x: number): number[] {
  const out = xs.slice();
  let i = out.length;
  while (i > 0 && (out[i - 1] as number) > x) i--;
  out.splice(i, 0, x);
  return out;
}

function table(state: RunState, ev: LoggedEvent & { table: { schema: string; name: string } }): TableState {
  const t = state.tables[tableKey(ev.table)];
  if (!t) fail(ev, `table ${tableKey(ev.table)} is not in the run's plan`);
  return t;
}

function withTable(state: RunState, t: TableState): Record<string, TableState> {
  return { ...state.tables, [t.key]: t };
}

export function evolve(state: FoldState, ev: LoggedEvent): RunState {
  if (state === null) {
    if (ev.type !== 'RunStarted') fail(ev, `the first event of run ${ev.runId} must be RunStarted`);
    return started(ev);
  }
  if (ev.runId !== state.runId) fail(ev, `belongs to run ${ev.runId}, not ${state.runId}`);
  if (state.outcome.kind === 'wiped') fail(ev, 'the run was already wiped');
  if (state.outcome.kind === 'finished' && ev.type !== 'RunWiped') fail(ev, 'the run had already finished');

  const s: RunState = {
    ...state,
    lastEventId: Math.max(state.lastEventId, ev.id),
    lastEventAt: ev.at > state.lastEventAt ? ev.at : state.lastEventAt,
    lastEventType: ev.type,
    eventCount: state.eventCount + 1,
  };

  switch (ev.type) {
    case 'RunStarted':
      return fail(ev, 'a run can start only once');
    case 'PhaseStarted': {
      const phases = { ...s.phases, [ev.phase]: { status: 'running' as const, startedAt: ev.at, durationMs: s.phases[ev.phase].durationMs } };
      return { ...s, phases, phase: currentPhase(phases, ev.phase) };
    }
    case 'PhaseCompleted': {
      const phases = { ...s.phases, [ev.phase]: { status: 'done' as const, startedAt: s.phases[ev.phase].startedAt, durationMs: ev.durationMs } };
      return { ...s, phases, phase: currentPhase(phases, s.phase) };
    }
    case 'SchemaApplied':
      if (s.schemaObjects !== null) fail(ev, 'the schema was already applied');
      return { ...s, schemaObjects: ev.objects, databaseChanges: ev.database ?? null, ...(ev.rolesCreated?.length ? { rolesCreated: ev.rolesCreated } : {}) };
    case 'TableStarted': {
      const t = table(s, ev);
      if (t.batches !== null) fail(ev, `table ${t.key} already started`);
      return {
        ...s,
        tables: withTable(s, {
          ...t,
          status: 'copying',
          strategy: ev.strategy,
          estRows: ev.estRows,
          estBytes: ev.estBytes,
          exactRows: ev.exactRows,
          batches: ev.batches,
          startedAt: ev.at,
        }),
      };
    }
    case 'BatchCopied': {
      const t = table(s, ev);
      if (t.batches === null) fail(ev, `table ${t.key} has a batch before it started`);
      if (ev.batch >= t.batches.length) fail(ev, `batch ${ev.batch} is outside the plan of ${t.key} (${t.batches.length} batches)`);
      if (t.batchesDone.includes(ev.batch)) fail(ev, `batch ${ev.batch} of ${t.key} is recorded twice`);
      const batchesDone = insertSorted(t.batchesDone, ev.batch);
      return {
        ...s,
        rowsDone: s.rowsDone + ev.rows,
        bytesDone: s.bytesDone + ev.bytes,
        tables: withTable(s, {
          ...t,
          batchesDone,
          status: batchesDone.length === t.batches.length ? 'copied' : 'copying',
          rowsDone: t.rowsDone + ev.rows,
          bytesDone: t.bytesDone + ev.bytes,
          resumePoint: prefixResumePoint(t.batches, batchesDone),
          lastBatchAt: ev.at,
          lastWorker: ev.worker,
          readInEpochs: t.readInEpochs.includes(s.snapshotEpoch) ? t.readInEpochs : [...t.readInEpochs, s.snapshotEpoch],
        }),
      };
    }
    case 'TableCompleted': {
      const t = table(s, ev);
      if (t.status !== 'copied') fail(ev, `table ${t.key} is completed before all its batches are`);
      return { ...s, tables: withTable(s, { ...t, completedLogged: true }) };
    }
    case 'PostDataItemApplied': {
      const item = s.postData[ev.itemId];
      if (!item) fail(ev, `post-data item ${ev.itemId} is not in the run's plan`);
      if (item.applied) fail(ev, `post-data item ${ev.itemId} is recorded twice`);
      return {
        ...s,
        postData: { ...s.postData, [ev.itemId]: { ...item, applied: true, durationMs: ev.durationMs, appliedAt: ev.at } },
      };
    }
    case 'SequencesSynced':
      return { ...s, sequencesSynced: ev.count };
    case 'TableVerified': {
      const key = tableKey(ev.table);
      if (!s.tables[key]) fail(ev, `table ${key} is not in the run's plan`);
      const { table: tref, sourceRows, targetRows, match, sourceChecksum, targetChecksum } = ev;
      return {
        ...s,
        verified: { ...s.verified, [key]: { table: tref, sourceRows, targetRows, match, sourceChecksum, targetChecksum, at: ev.at } },
      };
    }
    case 'SequencesVerified':
      if (s.sequencesVerified !== null) fail(ev, 'the sequences were already verified');
      return { ...s, sequencesVerified: { checked: ev.checked, behind: ev.behind } };
    case 'LargeObjectsCopied': {
      if (ev.toOid < ev.fromOid) fail(ev, `the oid range ${ev.fromOid}–${ev.toOid} is empty`);
      const lo = s.largeObjects;
      const clash = lo.batches.find((b) => b.fromOid <= ev.toOid && ev.fromOid <= b.toOid);
      if (clash) fail(ev, `large objects ${ev.fromOid}–${ev.toOid} overlap the batch ${clash.fromOid}–${clash.toOid} already recorded`);
      const batch = { fromOid: ev.fromOid, toOid: ev.toOid, count: ev.count, bytes: ev.bytes };
      const batches = [...lo.batches, batch].sort((a, b) => a.fromOid - b.fromOid);
      return { ...s, largeObjects: { ...lo, batches, count: lo.count + ev.count, bytes: lo.bytes + ev.bytes } };
    }
    case 'LargeObjectsVerified': {
      if (s.largeObjects.verified !== null) fail(ev, 'the large objects were already verified');
      const { sourceCount, targetCount, sourceChecksum, targetChecksum, match } = ev;
      return { ...s, largeObjects: { ...s.largeObjects, verified: { sourceCount, targetCount, sourceChecksum, targetChecksum, match } } };
    }
    case 'CatchUpPrepared': {
      if (s.catchUp !== null) fail(ev, 'catch-up was already prepared');
      if (s.options.catchUp !== true) fail(ev, 'the run was started without catch-up');
      const { slot, publication, plugin, consistentLsn, tables, excluded } = ev;
      return {
        ...s,
        catchUp: {
          slot,
          publication,
          plugin,
          consistentLsn,
          tables,
          excluded,
          catalogFingerprint: ev.catalogFingerprint ?? null,
          targetLsn: null,
          appliedLsn: null,
          transactions: 0,
          inserts: 0,
          updates: 0,
          deletes: 0,
          truncates: 0,
          skipped: 0,
          constraintsValidated: false,
          sourceLsn: null,
          lastCommitTime: null,
          lastAppliedAt: null,
          recent: [],
          cutover: null,
          released: null,
        },
      };
    }
    case 'CatchUpStarted': {
      const c = s.catchUp ?? fail(ev, 'no catch-up was prepared');
      if (c.released) fail(ev, 'the slot was already released');
      return { ...s, catchUp: { ...c, targetLsn: ev.targetLsn } };
    }
    case 'ChangesApplied': {
      const c = s.catchUp ?? fail(ev, 'no catch-up was prepared');
      if (c.released) fail(ev, 'the slot was already released');
      const from = c.appliedLsn ?? c.consistentLsn;
      if (compareLsn(ev.lsn, from) <= 0) fail(ev, `changes up to ${ev.lsn} are at or below ${from}, already applied`);
      return {
        ...s,
        catchUp: {
          ...c,
          appliedLsn: ev.lsn,
          transactions: c.transactions + ev.transactions,
          inserts: c.inserts + ev.inserts,
          updates: c.updates + ev.updates,
          deletes: c.deletes + ev.deletes,
          truncates: c.truncates + ev.truncates,
          skipped: c.skipped + ev.skipped,
          sourceLsn: ev.sourceLsn ?? c.sourceLsn,
          lastCommitTime: ev.commitTime ?? c.lastCommitTime,
          lastAppliedAt: ev.at,
          recent: [...c.recent, { at: ev.at, transactions: ev.transactions, changes: ev.inserts + ev.updates + ev.deletes + ev.truncates }].slice(
            -RECENT_CHANGES,
          ),
        },
      };
    }
    case 'CutoverRequested': {
      // appended by any process, at any moment: one that comes too late (no slot left, a run already finished) is
      // a request nobody acts on — the log must never fail to fold because of it
      const c = s.catchUp;
      if (!c || c.cutover) return s;
      return { ...s, catchUp: { ...c, cutover: { requestedAt: ev.at, by: ev.operator, completedAt: null, lsn: null } } };
    }
    case 'CutoverCompleted': {
      const c = s.catchUp ?? fail(ev, 'no catch-up was prepared');
      const asked = c.cutover ?? fail(ev, 'no cutover was asked for');
      if (asked.completedAt) fail(ev, 'the cutover was already completed');
      return { ...s, catchUp: { ...c, cutover: { ...asked, completedAt: ev.at, lsn: ev.lsn } } };
    }
    case 'ConstraintsValidated': {
      const c = s.catchUp ?? fail(ev, 'no catch-up was prepared');
      return { ...s, catchUp: { ...c, constraintsValidated: true } };
    }
    case 'CatchUpReleased': {
      const c = s.catchUp ?? fail(ev, 'no catch-up was prepared');
      if (c.released) fail(ev, 'the slot was already released');
      const released = {
        at: ev.at,
        dropped: ev.dropped,
        by: ev.by,
        reason: ev.reason ?? null,
        retainedBytes: ev.retainedBytes ?? null,
        limitBytes: ev.limitBytes ?? null,
      };
      return { ...s, catchUp: { ...c, released } };
    }
    case 'RetryScheduled':
      return {
        ...s,
        retries: [...s.retries, { eventId: ev.id, at: ev.at, phase: ev.phase, error: ev.error, attempt: ev.attempt, delayMs: ev.delayMs }],
        lastError: { ...ev.error, at: ev.at, eventId: ev.id },
        snapshotLost: s.snapshotLost || ev.snapshotLost,
        snapshotEpoch: ev.snapshotLost ? s.snapshotEpoch + 1 : s.snapshotEpoch,
      };
    case 'RunResumed':
      return {
        ...s,
        phase: ev.fromPhase,
        outcome: { kind: 'open' },
        snapshotLost: s.snapshotLost || ev.snapshotLost,
        // a resume is a new process: whatever it reads, it reads in a snapshot of its own
        snapshotEpoch: s.snapshotEpoch + 1,
        resumes: [...s.resumes, { at: ev.at, operator: ev.operator, fromPhase: ev.fromPhase }],
        // the state before this event: its last event is where the run stopped
        pauses: ev.at > state.lastEventAt ? [...s.pauses, { from: state.lastEventAt, to: ev.at }] : s.pauses,
      };
    case 'RunSuspended':
      return { ...s, outcome: { kind: 'suspended', at: ev.at, reason: ev.reason, phase: ev.phase } };
    case 'RunFailed':
      return {
        ...s,
        outcome: { kind: 'failed', at: ev.at, phase: ev.phase, error: ev.error, resumable: ev.resumable },
        lastError: { ...ev.error, at: ev.at, eventId: ev.id },
      };
    case 'RunFinished':
      return { ...s, outcome: { kind: 'finished', at: ev.at, durationMs: ev.durationMs, verification: ev.verification } };
    case 'RunWiped':
      return { ...s, outcome: { kind: 'wiped', at: ev.at, dropped: ev.dropped, restartedAs: ev.restartedAs } };
    default: {
      const never: never = ev;
      return fail(never as LoggedEvent, 'unknown event type');
    }
  }
}

/** Fold a run's events, in log order, into its state. */
export function foldRun(events: readonly LoggedEvent[]): RunState {
  let state: FoldState = initialState();
  for (const ev of events) state = evolve(state, ev);
  if (state === null) throw new Error('foldRun needs at least one event');
  return state;
}
