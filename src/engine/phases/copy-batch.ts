// One batch of rows: COPY out of the source relayed into COPY into the target, rows never parsed.
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { quoteIdent, tableKey } from '../../events/names.js';
import type { CopyRange, TableRef } from '../../events/schemas.js';
import { CopyInFrames, CopyOutFrames } from '../pg/copy-relay.js';
import { PgcloneError, within } from '../errors.js';

export interface CopySpec {
  table: TableRef;
  columns: string[];
  key: { name: string; type: string }[];
  binary: boolean;
}

/**
 * COPY takes no bind parameters, so range bounds are written as literals: always through the driver's
 * literal escaping and cast to the key column's own type (format_type output from the catalog).
 */
function literal(db: pg.ClientBase, value: string, type: string): string {
  return `${db.escapeLiteral(value)}::${type}`;
}

function tuple(db: pg.ClientBase, key: CopySpec['key'], values: string[]): { cols: string; vals: string } {
  if (values.length !== key.length) throw new Error(`range bound has ${values.length} values for a key of ${key.length} columns`);
  const cols = key.map((k) => quoteIdent(k.name));
  const vals = key.map((k, i) => literal(db, values[i] as string, k.type));
  return key.length === 1 ? { cols: cols[0] as string, vals: vals[0] as string } : { cols: `(${cols.join(', ')})`, vals: `(${vals.join(', ')})` };
}

/** The WHERE clause that selects exactly one batch's rows, or null for the whole table. */
export function rangePredicate(db: pg.ClientBase, spec: CopySpec, range: CopyRange): string | null {
  switch (range.kind) {
    case 'all':
      return null;
    case 'tid': {
      const parts = [`ctid >= '(${range.fromPage},0)'::tid`];
      if (range.toPage !== null) parts.push(`ctid < '(${range.toPage},0)'::tid`);
      return range.fromPage === 0 && range.toPage === null ? null : parts.join(' AND ');
    }
    case 'key': {
      const parts: string[] = [];
      if (range.lo) {
        const t = tuple(db, spec.key, range.lo);
        parts.push(`${t.cols} > ${t.vals}`);
      }
      if (range.hi) {
        const t = tuple(db, spec.key, range.hi);
        parts.push(`${t.cols} <= ${t.vals}`);
      }
      return parts.length === 0 ? null : parts.join(' AND ');
    }
  }
}

export function copyOutSql(db: pg.ClientBase, spec: CopySpec, range: CopyRange): string {
  const fmt = spec.binary ? ' WITH (FORMAT binary)' : '';
  const cols = spec.columns.map(quoteIdent).join(', ');
  const pred = rangePredicate(db, spec, range);
  if (pred === null) return `COPY ${tableKey(spec.table)}${cols ? ` (${cols})` : ''} TO STDOUT${fmt}`;
  return `COPY (SELECT ${cols || '*'} FROM ONLY ${tableKey(spec.table)} WHERE ${pred}) TO STDOUT${fmt}`;
}

export function copyInSql(spec: CopySpec): string {
  const fmt = spec.binary ? ' WITH (FORMAT binary)' : '';
  const cols = spec.columns.map(quoteIdent).join(', ');
  return `COPY ${tableKey(spec.table)}${cols ? ` (${cols})` : ''} FROM STDIN${fmt}`;
}

/** Counts bytes, and fails the pipe if nothing flows for ioTimeoutMs (a peer that stopped answering). */
class Meter extends Transform {
  bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly ioTimeoutMs: number) {
    super();
    this.arm();
  }
  private arm() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.destroy(new PgcloneError('transient', `the copy stalled: no data for ${Math.round(this.ioTimeoutMs / 1000)} s`));
    }, this.ioTimeoutMs);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    this.bytes += chunk.length;
    this.arm();
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback) {
    if (this.timer) clearTimeout(this.timer);
    cb();
  }
  override _destroy(err: Error | null, cb: (error?: Error | null) => void) {
    if (this.timer) clearTimeout(this.timer);
    cb(err);
  }
}

/**
 * Stream one range from source to target. The caller owns the target transaction around it, and commits
 * only what this returns: the source's count of rows sent and the target's count of rows taken agree.
 */
export async function copyRange(
  src: pg.ClientBase,
  dst: pg.ClientBase,
  spec: CopySpec,
  range: CopyRange,
  ioTimeoutMs: number,
): Promise<{ rows: number; bytes: number }> {
  const out = src.query(new CopyOutFrames(copyOutSql(src, spec, range)));
  const into = dst.query(new CopyInFrames(copyInSql(spec)));
  const meter = new Meter(ioTimeoutMs);
  await pipeline(out, meter, into);
  await within(
    out.completed,
    ioTimeoutMs,
    () => new PgcloneError('transient', `the source did not finish its COPY within ${Math.round(ioTimeoutMs / 1000)} s`),
  );
  if (out.rowCount !== into.rowCount) {
    throw new Error(`batch of ${tableKey(spec.table)}: the source sent ${out.rowCount} rows but the target took ${into.rowCount}; nothing of it was committed`);
  }
  return { rows: into.rowCount, bytes: meter.bytes };
}
