// A run as one plain object (what `status --json` prints and the library returns), and where it stands, in words.
import { checkpointOf, mismatchedTables } from './decide.js';
import type { Classification, LockHolder, RunLiveness } from './liveness.js';
import type { ConnectionIdentity, Phase, TableRef } from './schemas.js';
import type { RunState } from './state.js';

export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function percent(done: number, total: number): number {
  if (total <= 0) return done > 0 ? 100 : 0;
  return Math.min(100, Math.floor((done / total) * 100));
}

/** "data at public.storyboard_panels — 707 / 2,430 rows (29 %)" */
export function whereStopped(state: RunState): string {
  const cp = checkpointOf(state);
  if (cp.phase === 'data' && cp.currentTable) {
    const t = cp.currentTable;
    const approx = t.exact ? '' : '~';
    return `data at ${t.table} — ${formatInt(t.rowsDone)} / ${approx}${formatInt(t.rowsTotal)} rows (${percent(t.rowsDone, t.rowsTotal)} %)`;
  }
  if (cp.phase === 'post-data') {
    const total = state.postDataOrder.length;
    const done = total - state.postDataOrder.filter((id) => !state.postData[id]?.applied).length;
    return `post-data — ${done} / ${total} items`;
  }
  if (cp.phase === 'data') return `data — ${formatInt(cp.rowsDone)} / ~${formatInt(cp.rowsTotal)} rows`;
  const c = state.catchUp;
  if (cp.phase === 'catch-up' && c) {
    const upTo = c.appliedLsn ? `applied up to ${c.appliedLsn}` : `nothing applied yet since ${c.consistentLsn}`;
    return `catch-up — ${formatInt(c.transactions)} source transactions ${upTo}${c.targetLsn ? ` of ${c.targetLsn}` : ''}`;
  }
  return cp.phase;
}

/** How far a run has come, from its log alone: rows and bytes done and (estimated, until counted) in all. */
export interface RunProgress {
  phase: Phase;
  /** whereStopped's words */
  where: string;
  /** the table being copied most recently, with its own rows */
  currentTable: { table: string; rowsDone: number; rowsTotal: number; exact: boolean } | null;
  rowsDone: number;
  rowsTotal: number;
  bytesDone: number;
  /** the planner's estimate of the tables' size, or the bytes copied where they are more */
  bytesTotal: number;
  postDataDone: number;
  postDataTotal: number;
}

export function progressOf(s: RunState): RunProgress {
  const cp = checkpointOf(s);
  let bytesTotal = 0;
  for (const k of s.tableOrder) {
    const t = s.tables[k];
    if (t) bytesTotal += Math.max(t.estBytes, t.bytesDone);
  }
  const postDataTotal = s.postDataOrder.length;
  return {
    phase: s.phase,
    where: whereStopped(s),
    currentTable: cp.currentTable,
    rowsDone: s.rowsDone,
    rowsTotal: cp.rowsTotal,
    bytesDone: s.bytesDone,
    bytesTotal,
    postDataDone: s.postDataOrder.filter((id) => s.postData[id]?.applied).length,
    postDataTotal,
  };
}

type Endpoint = Pick<ConnectionIdentity, 'host' | 'port' | 'database' | 'user' | 'serverVersion'>;

/** One run as `pgclone status --json` prints it (one line each). */
export interface RunSummary {
  runId: string;
  state: RunLiveness;
  phase: Phase;
  where: string;
  source: Endpoint;
  target: Endpoint;
  startedAt: string;
  finishedAt: string | null;
  wipedAt: string | null;
  durationMs: number;
  lastEventAt: string;
  silentForMs: number;
  holder: LockHolder | null;
  tables: number;
  rowsDone: number;
  rowsTotal: number;
  bytesDone: number;
  postDataItems: number;
  verification: 'passed' | 'mismatch' | 'skipped' | null;
  mismatchedTables: { table: TableRef; sourceRows: number; targetRows: number; sourceChecksum: string | null; targetChecksum: string | null }[];
  retries: number;
  snapshotLost: boolean;
  /** what catch-up made on the source, while the log says it is there (released: dropped at finish or wipe); null without catch-up */
  catchUp: {
    slot: string;
    publication: string;
    consistentLsn: string;
    appliedLsn: string | null;
    tables: number;
    excluded: { table: TableRef; reason: string }[];
    released: boolean;
  } | null;
  /** why the run does not catch up (null when it does, and in logs from before catch-up) */
  catchUpOff: string | null;
}

/** From its start to its finish, or to its last event when it has not finished. */
export function durationOf(s: RunState): number {
  if (s.outcome.kind === 'finished') return s.outcome.durationMs;
  return Math.max(0, Date.parse(s.lastEventAt) - Date.parse(s.startedAt));
}

export function runSummary(s: RunState, c: Classification): RunSummary {
  const id = ({ host, port, database, user, serverVersion }: ConnectionIdentity): Endpoint => ({ host, port, database, user, serverVersion });
  const p = progressOf(s);
  return {
    runId: s.runId,
    state: c.state,
    phase: s.phase,
    where: p.where,
    source: id(s.source),
    target: id(s.target),
    startedAt: s.startedAt,
    finishedAt: s.outcome.kind === 'finished' ? s.outcome.at : null,
    wipedAt: s.outcome.kind === 'wiped' ? s.outcome.at : null,
    durationMs: durationOf(s),
    lastEventAt: s.lastEventAt,
    silentForMs: c.silentForMs,
    holder: c.holder,
    tables: s.tableOrder.length,
    rowsDone: p.rowsDone,
    rowsTotal: p.rowsTotal,
    bytesDone: p.bytesDone,
    postDataItems: p.postDataTotal,
    verification: s.outcome.kind === 'finished' ? s.outcome.verification : null,
    mismatchedTables: mismatchedTables(s).map((v) => ({
      table: v.table,
      sourceRows: v.sourceRows,
      targetRows: v.targetRows,
      sourceChecksum: v.sourceChecksum,
      targetChecksum: v.targetChecksum,
    })),
    retries: s.retries.length,
    snapshotLost: s.snapshotLost,
    catchUp: s.catchUp
      ? {
          slot: s.catchUp.slot,
          publication: s.catchUp.publication,
          consistentLsn: s.catchUp.consistentLsn,
          appliedLsn: s.catchUp.appliedLsn,
          tables: s.catchUp.tables.length,
          excluded: s.catchUp.excluded,
          released: s.catchUp.released !== null,
        }
      : null,
    catchUpOff: s.catchUpOff,
  };
}
