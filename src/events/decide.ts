// Pure decisions over a folded run: what is left to do, where it stopped, whether it may resume or be wiped.
import { suggest } from './commands.js';
import { tableLabel } from './names.js';
import { describeHolder, type LockHolder } from './liveness.js';
import { PHASES, type ConnectionIdentity, type CreatedObject, type NewEventOf, type Operator, type Phase } from './schemas.js';
import type { PostDataItemState, RunState, TableState, VerifiedTable } from './state.js';

/** The seed's checkpoint, derived: it is never stored. */
export interface Checkpoint {
  phase: Phase;
  completedTables: string[];
  currentTable: { table: string; rowsDone: number; rowsTotal: number; exact: boolean } | null;
  rowsDone: number;
  rowsTotal: number;
}

export function tableTotal(t: TableState): { rows: number; exact: boolean } {
  if (t.exactRows !== null) return { rows: t.exactRows, exact: true };
  if (t.status === 'copied') return { rows: t.rowsDone, exact: true };
  return { rows: Math.max(Math.round(t.estRows), t.rowsDone), exact: false };
}

export function checkpointOf(state: RunState): Checkpoint {
  const tables = state.tableOrder.map((k) => state.tables[k] as TableState);
  const completedTables = tables.filter((t) => t.status === 'copied').map((t) => tableLabel(t.table));
  const inFlight = tables
    .filter((t) => t.status === 'copying')
    .sort((a, b) => (b.lastBatchAt ?? b.startedAt ?? '').localeCompare(a.lastBatchAt ?? a.startedAt ?? ''));
  const cur = inFlight[0];
  let rowsTotal = 0;
  for (const t of tables) rowsTotal += tableTotal(t).rows;
  return {
    phase: state.phase,
    completedTables,
    currentTable: cur ? { table: tableLabel(cur.table), rowsDone: cur.rowsDone, rowsTotal: tableTotal(cur).rows, exact: tableTotal(cur).exact } : null,
    rowsDone: state.rowsDone,
    rowsTotal,
  };
}

export function remainingBatches(t: TableState): number[] {
  if (t.batches === null) return [];
  const done = new Set(t.batchesDone);
  const out: number[] = [];
  for (let i = 0; i < t.batches.length; i++) if (!done.has(i)) out.push(i);
  return out;
}

export function tablesNotCopied(state: RunState): TableState[] {
  return state.tableOrder.map((k) => state.tables[k] as TableState).filter((t) => t.status !== 'copied');
}

export function tablesCompletedUnlogged(state: RunState): TableState[] {
  return state.tableOrder.map((k) => state.tables[k] as TableState).filter((t) => t.status === 'copied' && !t.completedLogged);
}

export function pendingPostData(state: RunState): PostDataItemState[] {
  return state.postDataOrder.map((id) => state.postData[id] as PostDataItemState).filter((i) => !i.applied);
}

/** The phases a run goes through: catch-up only when its options say so (a log from before catch-up never does). */
export function phasesOf(state: Pick<RunState, 'options'>): Phase[] {
  return PHASES.filter((p) => p !== 'catch-up' || state.options.catchUp === true);
}

/** The first phase whose work the log does not show as done. */
export function nextPhase(state: RunState): Phase | 'finished' {
  for (const p of phasesOf(state)) if (state.phases[p].status !== 'done') return p;
  return 'finished';
}

/** What a run's lock looked like to the process about to act on it. */
export type LockFact = { held: 'by-us' } | { held: 'by-another'; holder: LockHolder | null };

export type Refusal = {
  kind: 'refuse';
  reason: 'finished' | 'mismatched' | 'wiped' | 'locked' | 'different-source' | 'schema-changed';
  message: string;
};

/** The source as this process reaches it now, and who is resuming. */
export interface ResumeFacts {
  lock: LockFact;
  source: ConnectionIdentity;
  /** the hash of the source schema read now */
  schemaHash: string;
  operator: Operator;
  toolVersion: string;
}

export type ResumeDecision = { kind: 'resume'; event: NewEventOf<'RunResumed'> } | Refusal;

function lockedRefusal(state: RunState, lock: LockFact, doing: string): Refusal | null {
  if (lock.held === 'by-us') return null;
  const who = lock.holder ? describeHolder(lock.holder) : 'another process';
  return { kind: 'refuse', reason: 'locked', message: `run ${state.runId} is being worked on by ${who}; ${doing}` };
}

/** The tables whose verification found source and target different, in plan order. */
export function mismatchedTables(state: RunState): VerifiedTable[] {
  return state.tableOrder.map((k) => state.verified[k]).filter((v): v is VerifiedTable => v !== undefined && !v.match);
}

const int = (n: number) => n.toLocaleString('en-US');

/** "public.blobs (source 1,199,000 rows, target 1,200,000)": one per mismatched table, and one per sequence behind its column. */
export function mismatchLines(state: RunState): string[] {
  const list = mismatchedTables(state).map(
    (v) =>
      `${tableLabel(v.table)} (source ${int(v.sourceRows)} rows, target ${int(v.targetRows)}${v.sourceChecksum !== v.targetChecksum ? ', checksums differ' : ''})`,
  );
  const lo = state.largeObjects.verified;
  if (lo && !lo.match) {
    list.push(
      `large objects (source ${int(lo.sourceCount)}, target ${int(lo.targetCount)}${lo.sourceChecksum !== lo.targetChecksum ? ', checksums differ' : ''})`,
    );
  }
  for (const b of state.sequencesVerified?.behind ?? []) {
    list.push(`sequence ${tableLabel(b.sequence)} (next value ${b.nextValue}, but ${tableLabel(b.table)}.${b.column} holds ${b.columnLimit})`);
  }
  return list;
}

/** The mismatched tables and sequences in one line. */
export function describeMismatches(state: RunState): string {
  const list = mismatchLines(state);
  return list.length > 0 ? list.join(', ') : 'a table';
}

/** What to do about a run that finished with a mismatch: compare every row, or start again. */
export function mismatchNextSteps(state: RunState): string {
  return `to compare every row by checksum: ${suggest('wipe', state, ['--restart', '--verify', 'checksum'])}; to start again: ${suggest('wipe', state, ['--restart'])}`;
}

/** What the log and the lock alone refuse, before the source is read (a finished, wiped or busy run). */
export function refuseResumeEarly(state: RunState, lock: LockFact): Refusal | null {
  const id = state.runId;
  if (state.outcome.kind === 'finished' && state.outcome.verification === 'mismatch') {
    return {
      kind: 'refuse',
      reason: 'mismatched',
      message: `run ${id} finished at ${state.outcome.at} but verification found differences in ${describeMismatches(state)}; nothing to resume — ${mismatchNextSteps(state)}`,
    };
  }
  if (state.outcome.kind === 'finished') {
    return { kind: 'refuse', reason: 'finished', message: `run ${id} already finished at ${state.outcome.at}; nothing to resume` };
  }
  if (state.outcome.kind === 'wiped') {
    return {
      kind: 'refuse',
      reason: 'wiped',
      message: `run ${id} was wiped at ${state.outcome.at}; to start it again with its options: ${suggest('wipe', state, ['--restart'])}`,
    };
  }
  return lockedRefusal(state, lock, 'wait for it, or stop that process first');
}

/**
 * Resume: the RunResumed event to append, or why not. A run whose every phase the log records as done but
 * that has no RunFinished stopped between its last phase and the finish: it resumes in that last phase
 * (verify), which then only records the finish.
 */
export function decideResume(state: RunState, facts: ResumeFacts): ResumeDecision {
  const early = refuseResumeEarly(state, facts.lock);
  if (early) return early;
  const id = state.runId;
  if (facts.source.fingerprint !== state.source.fingerprint) {
    return {
      kind: 'refuse',
      reason: 'different-source',
      message: `the source is not the database run ${id} was cloning (${state.source.database} on ${state.source.host}:${state.source.port}); point --source at that database, or wipe the run and start a new clone`,
    };
  }
  if (facts.schemaHash !== state.schemaHash) {
    return {
      kind: 'refuse',
      reason: 'schema-changed',
      message: `the source schema changed since run ${id} began, so the copied part no longer matches it; wipe the run and start a new clone: ${suggest('wipe', state, ['--restart'])}`,
    };
  }
  const next = nextPhase(state);
  return {
    kind: 'resume',
    event: {
      type: 'RunResumed',
      runId: id,
      operator: facts.operator,
      toolVersion: facts.toolVersion,
      fromPhase: next === 'finished' ? (PHASES[PHASES.length - 1] as Phase) : next,
      source: facts.source,
      // a resume reads in a snapshot of its own: rows copied before the break were read in another
      snapshotLost: true,
    },
  };
}

/** `largeObjects`: the oid ranges of the batches the run committed, each unlinked whole. */
export type WipeDecision = { kind: 'wipe'; drop: CreatedObject[]; largeObjects: { fromOid: number; toOid: number }[] } | Refusal;

/** Drop order: schemas (their contents go with them), relations, sequences, routines, types, the rest, extensions last. */
const DROP_ORDER = ['schema', 'materialized view', 'view', 'foreign table', 'table', 'sequence', 'function', 'procedure', 'aggregate', 'domain', 'type'];

function dropRank(kind: string): number {
  if (kind === 'extension') return DROP_ORDER.length + 1;
  const i = DROP_ORDER.indexOf(kind);
  return i < 0 ? DROP_ORDER.length : i;
}

/** Wipe: what to drop (what the run recorded creating, in drop order), or why not. */
export function decideWipe(state: RunState, lock: LockFact): WipeDecision {
  if (state.outcome.kind === 'wiped') {
    return {
      kind: 'refuse',
      reason: 'wiped',
      message: `run ${state.runId} was already wiped at ${state.outcome.at}; to start it again with its options: ${suggest('wipe', state, ['--restart'])}`,
    };
  }
  const locked = lockedRefusal(state, lock, 'stop that process before wiping');
  if (locked) return locked;
  return {
    kind: 'wipe',
    drop: [...(state.schemaObjects ?? [])].sort((a, b) => dropRank(a.kind) - dropRank(b.kind)),
    largeObjects: state.largeObjects.batches.map((b) => ({ fromOid: b.fromOid, toOid: b.toOid })),
  };
}
