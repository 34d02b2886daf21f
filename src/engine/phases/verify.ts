// Phase 6: exact row counts per table in source and target, and with --verify checksum an md5 over every row.
import type pg from 'pg';
import { quoteIdent, tableKey } from '../../events/names.js';
import type { SequenceBehind } from '../../events/schemas.js';
import type { RunState, TableState } from '../../events/state.js';
import { closeTracked, openSourceReader, openTracked, record, type RunContext } from '../context.js';
import { phaseStarted } from '../phase.js';
import { runWorkers } from '../workers.js';

/**
 * An order-independent checksum: the md5 of each row's text, summed in two 64-bit halves. Source and
 * target may sort text differently (collations), so an ordered aggregate could differ on equal data.
 */
function checksumSql(rel: string, columns: string[]): string {
  const cols = columns.length > 0 ? columns.map(quoteIdent).join(', ') : '1';
  return `SELECT count(*)::text AS n,
                 coalesce(sum(('x' || substr(h, 1, 15))::bit(60)::bigint::numeric), 0)::text || ':' ||
                 coalesce(sum(('x' || substr(h, 16, 15))::bit(60)::bigint::numeric), 0)::text AS sum
            FROM (SELECT md5(r::text) AS h FROM (SELECT ${cols} FROM ONLY ${rel}) r) x`;
}

async function measure(db: pg.ClientBase, rel: string, columns: string[], checksum: boolean): Promise<{ rows: number; sum: string | null }> {
  if (!checksum) {
    const r = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${rel}`);
    return { rows: Number(r.rows[0]?.n ?? 0), sum: null };
  }
  const r = await db.query<{ n: string; sum: string }>(checksumSql(rel, columns));
  return { rows: Number(r.rows[0]?.n ?? 0), sum: `${r.rows[0]?.n}:${r.rows[0]?.sum}` };
}

/**
 * The source's row count of a table in the current snapshot without scanning it again: the sum of the rows
 * the source sent for its batches, when this process copied every batch in that same snapshot (the ranges
 * are disjoint and cover the table, so the sum is what count(*) in the snapshot returns). Null otherwise.
 */
export function sourceRowsInSnapshot(ctx: Pick<RunContext, 'sourceRowsRead'>, t: TableState): number | null {
  const read = ctx.sourceRowsRead.get(tableKey(t.table));
  if (!read || !t.batches || read.size !== t.batches.length) return null;
  let rows = 0;
  for (const n of read.values()) rows += n;
  return rows;
}

export interface VerifyPair {
  src: pg.ClientBase;
  dst: pg.ClientBase;
}

/**
 * Compare every planned table, the largest first, over several connection pairs at once (a count is a
 * full scan on each side). Each result is an event; the fold says whether all matched.
 */
export async function verifyTables(ctx: RunContext, pairs: VerifyPair[], abort?: AbortSignal): Promise<void> {
  const checksum = ctx.options.verify === 'checksum';
  const queue = ctx.state.tableOrder.filter((k) => !ctx.state.verified[k]);
  const worker = async ({ src, dst }: VerifyPair) => {
    for (let key = queue.shift(); key !== undefined && !abort?.aborted; key = queue.shift()) {
      const t = ctx.state.tables[key] as TableState;
      const st = ctx.tables.get(tableKey(t.table));
      const columns = st ? st.columns.map((c) => c.name) : [];
      const rel = tableKey(t.table);
      const counted = checksum ? null : sourceRowsInSnapshot(ctx, t);
      const [a, b] = await Promise.all([
        counted === null ? measure(src, rel, columns, checksum) : { rows: counted, sum: null },
        measure(dst, rel, columns, checksum),
      ]);
      const match = a.rows === b.rows && a.sum === b.sum;
      await record(ctx, [
        {
          type: 'TableVerified',
          runId: ctx.runId,
          table: t.table,
          sourceRows: a.rows,
          targetRows: b.rows,
          sourceChecksum: a.sum,
          targetChecksum: b.sum,
          match,
          sourceCountedBy: counted === null ? 'scan' : 'copy',
        },
      ]);
    }
  };
  // a failure empties the queue: the other pairs finish the table in hand and stop
  await runWorkers(
    pairs.map((p) => () => worker(p)),
    () => queue.splice(0),
  );
}

/** The run's sequences that a column owns (serial's OWNED BY, identity), on the target, with that column. */
const OWNED_SQL = `
SELECT sn.nspname AS sschema, s.relname AS sname, tn.nspname AS tschema, t.relname AS tname, a.attname AS col, q.seqincrement::text AS inc, q.seqincrement > 0 AS up
  FROM pg_depend d
  JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
  JOIN pg_sequence q ON q.seqrelid = s.oid
  JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
   AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype)
   AND (sn.nspname, s.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
 ORDER BY 1, 2`;

/**
 * The classic "duplicate key on the first insert after a restore": a sequence whose next value is not past
 * what its column holds. Checked on the target once the sequences are set; each one behind is a mismatch.
 */
/** Sequences checked per query. */
const SEQUENCE_CHUNK = 200;

export async function checkSequences(ctx: RunContext): Promise<void> {
  const dst = await openTracked(ctx, 'target', 'verify sequences');
  const owned = await dst.query<{ sschema: string; sname: string; tschema: string; tname: string; col: string; inc: string; up: boolean }>(OWNED_SQL, [
    ctx.sequences.map((q) => q.schema),
    ctx.sequences.map((q) => q.name),
  ]);
  const behind: SequenceBehind[] = [];
  // one query per 200 sequences (as readSequences reads them), each part tagged with its place in the chunk
  for (let i = 0; i < owned.rows.length; i += SEQUENCE_CHUNK) {
    const part = owned.rows.slice(i, i + SEQUENCE_CHUNK);
    const sql = part
      .map((o, j) => {
        const table = tableKey({ schema: o.tschema, name: o.tname });
        const seq = tableKey({ schema: o.sschema, name: o.sname });
        return `SELECT ${j} AS i, n.v::text AS next, x.m::text AS lim, (x.m IS NULL OR n.v ${o.up ? '>' : '<'} x.m) AS ahead
                  FROM (SELECT ${o.up ? 'max' : 'min'}(${quoteIdent(o.col)})::numeric AS m FROM ${table}) x,
                       LATERAL (SELECT CASE WHEN q.is_called THEN q.last_value::numeric + $${j + 1}::numeric ELSE q.last_value::numeric END AS v FROM ${seq} q) n`;
      })
      .join(' UNION ALL ');
    const r = await dst.query<{ i: number; next: string; lim: string | null; ahead: boolean }>(
      sql,
      part.map((o) => o.inc),
    );
    for (const row of [...r.rows].sort((x, y) => x.i - y.i)) {
      const o = part[row.i];
      if (o && !row.ahead) {
        behind.push({
          sequence: { schema: o.sschema, name: o.sname },
          table: { schema: o.tschema, name: o.tname },
          column: o.col,
          nextValue: row.next,
          columnLimit: row.lim ?? '',
        });
      }
    }
  }
  await record(ctx, [{ type: 'SequencesVerified', runId: ctx.runId, checked: owned.rows.length, behind }]);
  await closeTracked(ctx, dst);
}

/**
 * Step 6's table checks on `pairs` pairs of connections (fewer when fewer tables are left); the caller records
 * the phase's end. It also starts early, on one pair beside the last index builds, once every row is in.
 */
export async function verifyOn(ctx: RunContext, pairs: number, abort?: AbortSignal): Promise<void> {
  await phaseStarted(ctx, 'verify');
  const left = ctx.state.tableOrder.filter((k) => !ctx.state.verified[k]).length;
  const conns = await Promise.all(
    Array.from({ length: Math.min(left, Math.max(1, pairs)) }, async (_, i) => ({
      src: await openSourceReader(ctx, `verify ${i}`),
      dst: await openTracked(ctx, 'target', `verify ${i}`),
    })),
  );
  await verifyTables(ctx, conns, abort);
  if (abort?.aborted) return;
  for (const p of conns) {
    await closeTracked(ctx, p.src);
    await closeTracked(ctx, p.dst);
  }
  // the early start, beside the last index builds, comes before the sequences are set
  if (ctx.state.sequencesSynced !== null && ctx.state.sequencesVerified === null) await checkSequences(ctx);
}

/** Every planned table has its verification event, and the sequences and large objects theirs. */
export function allVerified(state: RunState): boolean {
  return state.tableOrder.every((k) => state.verified[k] !== undefined) && state.sequencesVerified !== null && state.largeObjects.verified !== null;
}
