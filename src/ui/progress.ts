// Progress from the folded log: totals, moving-window rates and an ETA that says what rate it rests on.
import { tableTotal } from '../events/decide.js';
import type { RunState, TableState } from '../events/state.js';

export interface Sample {
  at: number;
  rows: number;
  bytes: number;
}

export interface Totals {
  rowsDone: number;
  rowsTotal: number;
  bytesDone: number;
  /** estimated from table sizes (pg_table_size): COPY text is usually a little smaller or larger */
  bytesTotal: number;
  tablesDone: number;
  tables: number;
  itemsDone: number;
  items: number;
}

export function totals(state: RunState): Totals {
  let rowsTotal = 0;
  let bytesTotal = 0;
  let tablesDone = 0;
  for (const k of state.tableOrder) {
    const t = state.tables[k] as TableState;
    rowsTotal += tableTotal(t).rows;
    bytesTotal += Math.max(t.estBytes, t.bytesDone);
    if (t.status === 'copied') tablesDone++;
  }
  const items = state.postDataOrder.length;
  const itemsDone = state.postDataOrder.filter((id) => state.postData[id]?.applied).length;
  return { rowsDone: state.rowsDone, rowsTotal, bytesDone: state.bytesDone, bytesTotal, tablesDone, tables: state.tableOrder.length, itemsDone, items };
}

/** Keep samples of the last windowMs (plus one older, so a rate spans the whole window). */
export function addSample(samples: Sample[], s: Sample, windowMs = 10_000): Sample[] {
  const out = [...samples, s];
  while (out.length > 2 && (out[1] as Sample).at <= s.at - windowMs) out.shift();
  return out;
}

export function rates(samples: Sample[]): { rowsPerSec: number; bytesPerSec: number; windowMs: number } {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.at <= first.at) return { rowsPerSec: 0, bytesPerSec: 0, windowMs: 0 };
  const dt = (last.at - first.at) / 1000;
  return { rowsPerSec: (last.rows - first.rows) / dt, bytesPerSec: (last.bytes - first.bytes) / dt, windowMs: last.at - first.at };
}

/** Milliseconds left for the data phase at this byte rate, or null when there is no rate to rest on. */
export function dataEta(t: Totals, bytesPerSec: number): number | null {
  if (bytesPerSec <= 0) return null;
  return (Math.max(0, t.bytesTotal - t.bytesDone) / bytesPerSec) * 1000;
}

/** Tables with a batch in flight or most recently active first, then pending, then done. */
export function tablesForDisplay(state: RunState): TableState[] {
  const all = state.tableOrder.map((k) => state.tables[k] as TableState);
  const rank = (t: TableState) => (t.status === 'copying' ? 0 : t.status === 'pending' ? 1 : 2);
  return all
    .map((t, i) => ({ t, i }))
    .sort((a, b) => rank(a.t) - rank(b.t) || (b.t.lastBatchAt ?? '').localeCompare(a.t.lastBatchAt ?? '') || a.i - b.i)
    .map((x) => x.t);
}
