// Progress from the folded log: totals, moving-window rates and an ETA that says what rate it rests on.
import type { LiveCopy } from '../events/activity.js';
import { tableTotal } from '../events/decide.js';
import { tableLabel } from '../events/names.js';
import type { RunState, TableState } from '../events/state.js';

/**
 * A COPY as read, with how many batches of its table the log held at that read: once the log has more, the COPY
 * shown may be one that has since committed (the catalog is read less often than the log), so it is not shown.
 */
export type SeenCopy = LiveCopy & { batchesLogged?: number };

export interface Sample {
  at: number;
  rows: number;
  bytes: number;
}

export interface Totals {
  rowsDone: number;
  rowsTotal: number;
  bytesDone: number;
  /**
   * What the data will weigh as COPY bytes: a copied table's real bytes, a table in flight's bytes per committed
   * batch × its batches, and pg_table_size's estimate only for tables not begun
   */
  bytesTotal: number;
  /** every table's bytes were measured (no estimate left in bytesTotal) */
  bytesExact: boolean;
  /** the run's one headline percentage: bytes done of bytesTotal (runs list, totals line and plain lines agree) */
  percent: number;
  tablesDone: number;
  tables: number;
  itemsDone: number;
  items: number;
}

/** A table's bytes as far as the log measured them: pg_table_size is a poor guess of COPY bytes (TOAST, bloat, format). */
export function tableBytesTotal(t: TableState): { bytes: number; exact: boolean } {
  if (t.status === 'copied') return { bytes: t.bytesDone, exact: true };
  const planned = t.batches?.length ?? 0;
  const done = t.batchesDone.length;
  if (planned > 0 && done > 0) return { bytes: Math.max(t.bytesDone, Math.round((t.bytesDone / done) * planned)), exact: false };
  return { bytes: Math.max(t.estBytes, t.bytesDone), exact: false };
}

export function totals(state: RunState): Totals {
  let rowsTotal = 0;
  let bytesTotal = 0;
  let bytesExact = true;
  let tablesDone = 0;
  for (const k of state.tableOrder) {
    const t = state.tables[k] as TableState;
    rowsTotal += tableTotal(t).rows;
    const b = tableBytesTotal(t);
    bytesTotal += b.bytes;
    bytesExact &&= b.exact;
    if (t.status === 'copied') tablesDone++;
  }
  const items = state.postDataOrder.length;
  const itemsDone = state.postDataOrder.filter((id) => state.postData[id]?.applied).length;
  const tables = state.tableOrder.length;
  const percent = tables > 0 && tablesDone === tables ? 100 : bytesTotal > 0 ? Math.min(99, Math.floor((state.bytesDone / bytesTotal) * 100)) : 0;
  return { rowsDone: state.rowsDone, rowsTotal, bytesDone: state.bytesDone, bytesTotal, bytesExact, percent, tablesDone, tables, itemsDone, items };
}

/** Milliseconds of [from, to] (ms since the epoch) that fall inside the run's pauses. */
export function pausedWithin(pauses: RunState['pauses'], from: number, to: number): number {
  let ms = 0;
  for (const p of pauses) ms += Math.max(0, Math.min(to, Date.parse(p.to)) - Math.max(from, Date.parse(p.from)));
  return ms;
}

/** Time the run worked between two moments: elapsed less the pauses. */
export function workBetween(state: RunState, from: number, to: number): number {
  return Math.max(0, to - from - pausedWithin(state.pauses, from, to));
}

/** Keep samples of the last windowMs (plus one older, so a rate spans the whole window). */
export function addSample(samples: Sample[], s: Sample, windowMs = 10_000): Sample[] {
  const out = [...samples, s];
  while (out.length > 2 && (out[1] as Sample).at <= s.at - windowMs) out.shift();
  return out;
}

/** Rates over the work time of the samples' window: a pause inside it (stopped, then resumed) is not time worked. */
export function rates(samples: Sample[], pauses: RunState['pauses'] = []): { rowsPerSec: number; bytesPerSec: number; windowMs: number } {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.at <= first.at) return { rowsPerSec: 0, bytesPerSec: 0, windowMs: 0 };
  const windowMs = last.at - first.at - pausedWithin(pauses, first.at, last.at);
  if (windowMs <= 0) return { rowsPerSec: 0, bytesPerSec: 0, windowMs: 0 };
  const dt = windowMs / 1000;
  return { rowsPerSec: (last.rows - first.rows) / dt, bytesPerSec: (last.bytes - first.bytes) / dt, windowMs };
}

/** Milliseconds left for the data phase at this byte rate, or null when there is no rate to rest on. */
export function dataEta(t: Totals, bytesPerSec: number): number | null {
  if (bytesPerSec <= 0) return null;
  return (Math.max(0, t.bytesTotal - t.bytesDone) / bytesPerSec) * 1000;
}

/** Tables verification found different first, then those with a batch in flight or most recently active, then pending, then done. */
export function tablesForDisplay(state: RunState): TableState[] {
  const all = state.tableOrder.map((k) => state.tables[k] as TableState);
  const rank = (t: TableState) => (state.verified[t.key]?.match === false ? -1 : t.status === 'copying' ? 0 : t.status === 'pending' ? 1 : 2);
  return all
    .map((t, i) => ({ t, i }))
    .sort((a, b) => rank(a.t) - rank(b.t) || (b.t.lastBatchAt ?? '').localeCompare(a.t.lastBatchAt ?? '') || a.i - b.i)
    .map((x) => x.t);
}

/** Stamp each COPY read with the batches its table had in the log at the read (see SeenCopy). */
export function stampCopies(copies: LiveCopy[], states: RunState[]): SeenCopy[] {
  const logged = new Map<string, number>();
  for (const st of states)
    for (const k of st.tableOrder) logged.set(tableLabel((st.tables[k] as TableState).table), (st.tables[k] as TableState).batchesDone.length);
  return copies.map((c) => {
    const n = logged.get(c.table);
    return n === undefined ? c : { ...c, batchesLogged: n };
  });
}

/**
 * The COPYs to show for a run: into its own tables, never into a table the log says is copied, and never one
 * read before a batch of its table that the log now has (that COPY may be the batch that committed).
 */
export function copiesInFlight(state: RunState, copies: SeenCopy[]): SeenCopy[] {
  const byLabel = new Map(state.tableOrder.map((k) => [tableLabel((state.tables[k] as TableState).table), state.tables[k] as TableState]));
  return copies.filter((c) => {
    const t = byLabel.get(c.table);
    if (!t || t.status !== 'copying') return false;
    return c.batchesLogged === undefined || t.batchesDone.length <= c.batchesLogged;
  });
}

export interface Eta {
  ms: number;
  /** what the ETA rests on, e.g. "2 items left at 4.0 s each, 2 at a time" */
  basis: string;
}

/** Post-data: the items left × the mean duration the log measured for applied ones, shared by the index jobs. */
export function postDataEta(state: RunState, fmt: (ms: number) => string): Eta | null {
  const items = state.postDataOrder.map((id) => state.postData[id]).filter((i) => i !== undefined);
  const applied = items.filter((i) => i.applied && i.durationMs !== null);
  const left = items.length - items.filter((i) => i.applied).length;
  if (applied.length === 0 || left === 0) return null;
  const mean = applied.reduce((n, i) => n + (i.durationMs ?? 0), 0) / applied.length;
  const jobs = Math.max(1, Math.min(state.options.indexJobs, left));
  return { ms: Math.ceil(left / jobs) * mean, basis: `${left} item${left === 1 ? '' : 's'} left, ${fmt(mean)} each as measured, ${jobs} at a time` };
}

/** Verify: the rows still to count at the rows per second of work the tables verified so far took. */
export function verifyEta(state: RunState, fmt: (perSec: number) => string): (Eta & { rowsPerSec: number }) | null {
  const started = state.phases.verify.startedAt;
  const done = Object.values(state.verified);
  if (!started || done.length === 0) return null;
  const last = Math.max(...done.map((v) => Date.parse(v.at)));
  const ms = workBetween(state, Date.parse(started), last);
  const counted = done.reduce((n, v) => n + v.sourceRows + v.targetRows, 0);
  if (ms <= 0 || counted <= 0) return null;
  const perSec = (counted / ms) * 1000;
  const keys = state.tableOrder.filter((k) => !state.verified[k]);
  // both sides are counted: about the target's rows twice
  const left = keys.reduce((n, k) => n + 2 * Math.max((state.tables[k] as TableState).rowsDone, tableTotal(state.tables[k] as TableState).rows), 0);
  if (keys.length === 0) return null;
  return { ms: (left / perSec) * 1000, rowsPerSec: perSec, basis: `${keys.length} table${keys.length === 1 ? '' : 's'} left at ${fmt(perSec)} counted` };
}
