// Pure decisions over a folded run: what is left to do, where it stopped, whether it may resume or be wiped.
import { tableLabel } from './codec.js';
import { describeHolder, type LockHolder } from './liveness.js';
import { PHASES, type Phase } from './schemas.js';
import type { PostDataItemState, RunState, TableState } from './state.js';

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
    currentTable: cur
      ? { table: tableLabel(cur.table), rowsDone: cur.rowsDone, rowsTotal: tableTotal(cur).rows, exact: tableTotal(cur).exact }
      : null,
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

/** The first phase whose work the log does not show as done. */
export function nextPhase(state: RunState): Phase | 'finished' {
  for (const p of PHASES) if (state.phases[p].status !== 'done') return p;
  return 'finished';
}

export type ResumeDecision =
  | { kind: 'proceed'; fromPhase: Phase | 'finished' }
  | { kind: 'refuse'; reason: 'finished' | 'wiped' | 'locked' | 'different-source' | 'schema-changed'; message: string };

export interface ResumeFacts {
  holder: LockHolder | null;
  sourceFingerprint: string;
  schemaHash: string;
}

export function decideResume(state: RunState, facts: ResumeFacts): ResumeDecision {
  const id = state.runId;
  if (state.outcome.kind === 'finished') {
    return { kind: 'refuse', reason: 'finished', message: `run ${id} already finished at ${state.outcome.at}; nothing to resume` };
  }
  if (state.outcome.kind === 'wiped') {
    return { kind: 'refuse', reason: 'wiped', message: `run ${id} was wiped at ${state.outcome.at}; start a new clone instead` };
  }
  if (facts.holder) {
    return {
      kind: 'refuse',
      reason: 'locked',
      message: `run ${id} is being worked on by ${describeHolder(facts.holder)}; wait for it, or stop that process first`,
    };
  }
  if (facts.sourceFingerprint !== state.source.fingerprint) {
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
      message: `the source schema changed since run ${id} began, so the copied part no longer matches it; wipe the run and start a new clone (pgclone wipe ${id} --restart)`,
    };
  }
  return { kind: 'proceed', fromPhase: nextPhase(state) };
}

export type WipeDecision = { kind: 'proceed' } | { kind: 'refuse'; reason: 'wiped' | 'locked'; message: string };

export function decideWipe(state: RunState, holder: LockHolder | null): WipeDecision {
  if (state.outcome.kind === 'wiped') return { kind: 'refuse', reason: 'wiped', message: `run ${state.runId} was already wiped at ${state.outcome.at}` };
  if (holder) {
    return {
      kind: 'refuse',
      reason: 'locked',
      message: `run ${state.runId} is being worked on by ${describeHolder(holder)}; stop that process before wiping`,
    };
  }
  return { kind: 'proceed' };
}
