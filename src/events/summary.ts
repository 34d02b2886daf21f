// A run as one plain object (what `status --json` prints and the library returns), and where it stands, in words.
import { checkpointOf, mismatchedTables } from './decide.js';
import type { Classification, LockHolder, RunLiveness } from './liveness.js';
import type { ConnectionIdentity, Phase, TableRef } from './schemas.js';
import type { RunState, TableState } from './state.js';
import { compareLsn, lsnBytesBetween } from './lsn.js';
import { tableKey, tableLabel } from './names.js';

export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A size as pgclone's flags read one (--batch-size, --max-retained-wal): kB, MB, GB and TB of 1024, so a limit and
 * the size measured against it print alike ("10 GB").
 */
export function formatSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v < 10 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)} ${units[u]}`;
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

/** The tables whose rows were read under more than one source snapshot (the copy ran across a break). */
export interface ReadAcrossBreaks {
  /** in plan order */
  tables: TableRef[];
  /** the breaks (new snapshots) that fell while one of these tables was being read */
  breaks: number;
  /** those of them catch-up does not make exact: all of them without catch-up (or once it was given up), else the ones it excludes */
  notExact: TableRef[];
}

/**
 * Catch-up makes what was read across breaks exact unless the run has none, or its slot was dropped (by the guard or a
 * `resume --no-catch-up`) before catch-up was done.
 */
export function catchUpKeepsExact(s: RunState): boolean {
  const c = s.catchUp;
  if (!c) return false;
  if (c.released && (c.released.by === 'guard' || c.released.by === 'resume') && s.phases['catch-up'].status !== 'done') return false;
  return true;
}

/** Pure: from the epochs each table's batches were read in (the fold's `readInEpochs`). */
export function readAcrossBreaks(s: RunState): ReadAcrossBreaks {
  const across = s.tableOrder.map((k) => s.tables[k]).filter((t): t is TableState => t !== undefined && t.readInEpochs.length > 1);
  const crossed = new Set<number>();
  for (const t of across) {
    const lo = Math.min(...t.readInEpochs);
    const hi = Math.max(...t.readInEpochs);
    for (let b = lo + 1; b <= hi; b++) crossed.add(b);
  }
  const tables = across.map((t) => t.table);
  const excluded = new Set((s.catchUp?.excluded ?? []).map((x) => tableKey(x.table)));
  const notExact = catchUpKeepsExact(s) ? tables.filter((t) => excluded.has(tableKey(t))) : tables;
  return { tables, breaks: crossed.size, notExact };
}

/**
 * "read across 2 breaks without catch-up: public.a, public.b — not exact if the source changed; check with --verify
 * checksum", or null when nothing needs saying (nothing read across a break, or catch-up keeps all of it exact).
 */
export function acrossBreaksText(s: RunState, r: ReadAcrossBreaks = readAcrossBreaks(s)): string | null {
  if (r.notExact.length === 0) return null;
  const n = `${r.breaks} break${r.breaks === 1 ? '' : 's'}`;
  const how = s.catchUp ? (catchUpKeepsExact(s) ? 'left out of catch-up' : 'after catch-up was given up') : 'without catch-up';
  // a run that verifies by checksum already checks them: no advice to give
  const check = s.options.verify === 'checksum' ? "; this run's verify compares their checksums" : '; check with --verify checksum';
  return `read across ${n} ${how}: ${r.notExact.map(tableLabel).join(', ')} — not exact if the source changed${check}`;
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
    /** who dropped them (finish, wipe, guard, resume, cutover) and why, once released */
    releasedBy: string | null;
    releaseReason: string | null;
    /** the run's --max-retained-wal in bytes (0: none); null in logs that predate it (the default then) */
    maxRetainedWalBytes: number | null;
    /** the slot as read from the source now (status reads it when it can); null when not read */
    live: SlotReading | null;
  } | null;
  /** why the run does not catch up (null when it does, and in logs from before catch-up) */
  catchUpOff: string | null;
  /**
   * the tables whose rows were read under more than one source snapshot and that catch-up does not make exact
   * (all such tables without catch-up; with it, those it excludes): not exact if the source changed — check them
   * with --verify checksum. Empty when there are none.
   */
  readAcrossBreaks: string[];
  /** --follow (or a cutover asked for): lag, rate and the cutover; null otherwise */
  follow: FollowView | null;
}

/** A run's slot as read from the source by status or the dashboard: what it holds, or why it could not be read. */
export type SlotReading =
  | {
      read: 'ok';
      at: string;
      /** the slot exists on the source (false: gone, as it should be once released) */
      onSource: boolean;
      retainedBytes: number | null;
      walStatus: string | null;
      safeWalBytes: number | null;
      active: boolean;
      /** the source's WAL position when read, and the slot's confirmed position (everything before it is applied) */
      sourceLsn: string | null;
      confirmedLsn: string | null;
    }
  | { read: 'unreachable'; at: string; error: string };

/** A run that follows its source (--follow), or was asked to cut over: how far behind it is, and how fast it applies. */
export interface FollowView {
  /** the run is in its follow loop (catch-up running with --follow, the slot still there) */
  following: boolean;
  appliedLsn: string | null;
  /** bytes of the source's WAL not yet applied: from the slot as read now when there is a reading, else as the latest ChangesApplied saw it */
  lagBytes: number | null;
  lagFrom: 'source' | 'log' | null;
  /** how old the newest applied change was when it was applied (its commit time on the source to its ChangesApplied) */
  lagSeconds: number | null;
  /** source transactions and row changes applied per second over the latest ChangesApplied */
  transactionsPerSec: number | null;
  changesPerSec: number | null;
  cutoverRequestedAt: string | null;
  cutoverCompletedAt: string | null;
  cutoverLsn: string | null;
}

const later = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : compareLsn(a, b) >= 0 ? a : b);

/** Pure: the follow numbers from the log, and from a reading of the slot when there is one. */
export function followOf(s: RunState, slot: SlotReading | null = null): FollowView | null {
  const c = s.catchUp;
  if (!c || (s.options.follow !== true && !c.cutover)) return null;
  const following = s.options.follow === true && c.released === null && s.phases['catch-up'].status === 'running' && s.outcome.kind === 'open';
  let lagBytes: number | null = null;
  let lagFrom: FollowView['lagFrom'] = null;
  if (slot?.read === 'ok' && slot.onSource && slot.sourceLsn) {
    lagBytes = lsnBytesBetween(later(later(slot.confirmedLsn, c.appliedLsn), c.consistentLsn) as string, slot.sourceLsn);
    lagFrom = 'source';
  } else if (c.sourceLsn) {
    lagBytes = lsnBytesBetween(c.appliedLsn ?? c.consistentLsn, c.sourceLsn);
    lagFrom = 'log';
  }
  const lagSeconds = c.lastCommitTime && c.lastAppliedAt ? Math.max(0, (Date.parse(c.lastAppliedAt) - Date.parse(c.lastCommitTime)) / 1000) : null;
  const first = c.recent[0];
  const last = c.recent[c.recent.length - 1];
  const spanS = first && last ? (Date.parse(last.at) - Date.parse(first.at)) / 1000 : 0;
  // the first entry's work happened before the window opens: the rate counts what came after it
  const after = c.recent.slice(1);
  const tx = after.reduce((n, r) => n + r.transactions, 0);
  const ch = after.reduce((n, r) => n + r.changes, 0);
  return {
    following,
    appliedLsn: c.appliedLsn,
    lagBytes,
    lagFrom,
    lagSeconds,
    transactionsPerSec: spanS > 0 ? tx / spanS : null,
    changesPerSec: spanS > 0 ? ch / spanS : null,
    cutoverRequestedAt: c.cutover?.requestedAt ?? null,
    cutoverCompletedAt: c.cutover?.completedAt ?? null,
    cutoverLsn: c.cutover?.lsn ?? null,
  };
}

/** "lag 12 kB, 0.3 s · 45 transactions/s (230 changes/s)" */
export function followText(f: FollowView): string {
  const lag = `lag ${f.lagBytes === null ? 'unknown' : formatSize(f.lagBytes)}${f.lagSeconds === null ? '' : `, ${f.lagSeconds.toFixed(1)} s`}`;
  const rate =
    f.transactionsPerSec === null ? 'rate: measuring' : `${f.transactionsPerSec.toFixed(1)} transactions/s (${Math.round(f.changesPerSec ?? 0)} changes/s)`;
  return `${lag} · ${rate}`;
}

/** "holds 12 MB of the source's WAL (limit 10 GB)" — or why that is not known. */
export function slotText(r: SlotReading | null | undefined, limitBytes: number | null): string {
  if (!r) return 'its retained WAL not read (no source to read it from)';
  if (r.read === 'unreachable') return `its retained WAL unknown: the source cannot be reached (${r.error})`;
  if (!r.onSource) return 'the slot is not on the source';
  const limit = limitBytes === null ? '' : limitBytes === 0 ? ', no limit' : `, limit ${formatSize(limitBytes)}`;
  const status = r.walStatus && r.walStatus !== 'reserved' ? `, wal_status ${r.walStatus}` : '';
  return `holds ${formatSize(r.retainedBytes ?? 0)} of the source's WAL${limit}${status}`;
}

/** From its start to its finish, or to its last event when it has not finished. */
export function durationOf(s: RunState): number {
  if (s.outcome.kind === 'finished') return s.outcome.durationMs;
  return Math.max(0, Date.parse(s.lastEventAt) - Date.parse(s.startedAt));
}

export function runSummary(s: RunState, c: Classification, slot: SlotReading | null = null): RunSummary {
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
          releasedBy: s.catchUp.released?.by ?? null,
          releaseReason: s.catchUp.released?.reason ?? null,
          maxRetainedWalBytes: s.options.maxRetainedWalBytes ?? null,
          live: slot,
        }
      : null,
    catchUpOff: s.catchUpOff,
    readAcrossBreaks: readAcrossBreaks(s).notExact.map(tableLabel),
    follow: followOf(s, slot),
  };
}
