// Pure planning: copy strategy per table, batch ranges, post-data kinds and the order they may run in.
import { tableKey } from '../events/names.js';
import type { CopyRange, PlannedPostDataItem, PlannedTable, PostDataKind, TableRef } from '../events/schemas.js';
import type { SourceTable } from './pg/catalog.js';
import type { TocEntry } from './pg/dump.js';

/**
 * Small enough that a kill loses little in-flight work (two workers × 16 MB), large enough that the log's
 * own cost — one event and one commit per batch — stays near 1 % (measured by npm run bench).
 */
export const DEFAULT_BATCH_BYTES = 16 << 20;

/** keyset when the table has a usable key; TID ranges need PostgreSQL 14's TID range scans to be cheap. */
export function planTable(t: SourceTable, sourceVersionNum: number): PlannedTable {
  const strategy = t.key.length > 0 ? 'keyset' : sourceVersionNum >= 140000 ? 'tid' : 'whole';
  return {
    table: t.table,
    estRows: Math.max(0, t.estRows),
    estBytes: t.bytes,
    strategy,
    key: strategy === 'keyset' ? t.key.map((k) => k.name) : [],
  };
}

/** Largest first, so the long tail is small tables that fill the gaps. */
export function orderTables<T extends { estBytes: number; table: TableRef }>(tables: T[]): T[] {
  return [...tables].sort((a, b) => b.estBytes - a.estBytes || tableKey(a.table).localeCompare(tableKey(b.table)));
}

export function batchCount(bytes: number, batchBytes: number): number {
  return Math.max(1, Math.ceil(bytes / batchBytes));
}

/**
 * Key ranges (lo exclusive, hi inclusive) from a sorted sample of keys: n-1 boundaries at the sample's
 * quantiles, the first range open below and the last open above, so the ranges cover every key.
 */
export function keyRangesFromSample(sortedSample: string[][], n: number): CopyRange[] {
  const bounds: string[][] = [];
  if (n > 1 && sortedSample.length > 0) {
    for (let i = 1; i < n; i++) {
      const b = sortedSample[Math.min(sortedSample.length - 1, Math.floor((i * sortedSample.length) / n))] as string[];
      const prev = bounds[bounds.length - 1];
      if (!prev || JSON.stringify(prev) !== JSON.stringify(b)) bounds.push(b);
    }
  }
  const ranges: CopyRange[] = [];
  let lo: string[] | null = null;
  for (const b of bounds) {
    ranges.push({ kind: 'key', lo, hi: b });
    lo = b;
  }
  ranges.push({ kind: 'key', lo, hi: null });
  return ranges;
}

/** Page ranges [from, to); the last is open-ended so rows on pages added later are not missed after a resume. */
export function tidRanges(pages: number, pagesPerBatch: number): CopyRange[] {
  const step = Math.max(1, pagesPerBatch);
  const out: CopyRange[] = [];
  let from = 0;
  while (from + step < pages) {
    out.push({ kind: 'tid', fromPage: from, toPage: from + step });
    from += step;
  }
  out.push({ kind: 'tid', fromPage: from, toPage: null });
  return out;
}

/**
 * When a post-data item may run:
 * - table: once its table's rows are in (indexes, constraints, triggers, policies, rules, statistics); items
 *   on a table without rows of its own (a partitioned parent, whose triggers clone onto every partition) once
 *   all rows are in
 * - attach: after every table item (partition index attachment needs both indexes), one at a time
 * - fk: after every table item and attachment, so the referenced unique indexes exist
 * - refresh: materialized views, after all data and the above, one at a time in dump order
 * - last: comments, labels and anything else, one at a time in dump order
 * - analyze: a relation's statistics, once its rows and every other item on it are in (a matview's after
 *   its refresh; a partitioned parent's once all rows are in); nothing waits for this wave
 */
export type PostWave = 'table' | 'attach' | 'fk' | 'refresh' | 'last' | 'analyze';
export const WAVES: readonly PostWave[] = ['table', 'attach', 'fk', 'refresh', 'last', 'analyze'];

export function postKind(desc: string): PostDataKind {
  switch (desc) {
    case 'INDEX':
      return 'index';
    case 'CONSTRAINT':
    case 'CHECK CONSTRAINT':
      return 'constraint';
    case 'FK CONSTRAINT':
      return 'fk-constraint';
    case 'TRIGGER':
      return 'trigger';
    case 'RULE':
      return 'rule';
    case 'POLICY':
    case 'ROW SECURITY':
      return 'policy';
    case 'INDEX ATTACH':
      return 'index-attach';
    case 'MATERIALIZED VIEW DATA':
      return 'matview-refresh';
    case 'STATISTICS':
      return 'statistics';
    case 'COMMENT':
    case 'SECURITY LABEL':
      return 'comment';
    default:
      return 'other';
  }
}

export function waveOf(item: Pick<PlannedPostDataItem, 'kind' | 'table'>): PostWave {
  switch (item.kind) {
    case 'index':
    case 'constraint':
    case 'trigger':
    case 'rule':
    case 'policy':
    case 'statistics':
      return item.table ? 'table' : 'last';
    case 'index-attach':
      return 'attach';
    case 'fk-constraint':
      return 'fk';
    case 'matview-refresh':
      return 'refresh';
    case 'analyze':
      return 'analyze';
    default:
      return 'last';
  }
}

/** A readable name for an item whose catalog row is not at hand: the tag from pg_restore's list. */
export function fallbackName(e: TocEntry): string {
  const parts = e.rest.split(' ');
  return parts.length >= 3 ? parts.slice(1, -1).join(' ') : e.rest;
}
