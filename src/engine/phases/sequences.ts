// Phase 5: every sequence of the dump set to its source value, in one target transaction with its event.
import type pg from 'pg';
import { tableKey } from '../../events/names.js';
import { closeTracked, commitWith, openSourceReader, openTracked, type RunContext } from '../context.js';

export interface SequenceValue {
  schema: string;
  name: string;
  lastValue: string;
  isCalled: boolean;
}

export async function readSequences(src: pg.ClientBase, ctx: RunContext): Promise<SequenceValue[]> {
  const out: SequenceValue[] = [];
  const chunk = 200;
  for (let i = 0; i < ctx.sequences.length; i += chunk) {
    const part = ctx.sequences.slice(i, i + chunk);
    // sequence relations take no parameters in FROM: their names are quoted identifiers from the catalog
    const sql = part.map((s, j) => `SELECT ${j} AS i, last_value::text AS v, is_called AS c FROM ${tableKey(s)}`).join(' UNION ALL ');
    const r = await src.query<{ i: number; v: string; c: boolean }>(sql);
    for (const row of r.rows) {
      const s = part[row.i];
      if (s) out.push({ schema: s.schema, name: s.name, lastValue: row.v, isCalled: row.c });
    }
  }
  return out;
}

/** Step 5: read in the snapshot (on its holder when this process still has it), set in one target transaction with the event. */
export async function syncSequences(ctx: RunContext): Promise<void> {
  const dst = await openTracked(ctx, 'target', 'sequences');
  const src = ctx.snapshot?.holder ?? (await openSourceReader(ctx, 'sequences'));
  const t0 = Date.now();
  const values = await readSequences(src, ctx);
  await commitWith(ctx, dst, [], async () => {
    if (values.length > 0) {
      await dst.query(
        `SELECT pg_catalog.setval(pg_catalog.format('%I.%I', s, n)::regclass, v, c)
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bool[]) AS x(s, n, v, c)`,
        [values.map((v) => v.schema), values.map((v) => v.name), values.map((v) => v.lastValue), values.map((v) => v.isCalled)],
      );
    }
    return [{ type: 'SequencesSynced', runId: ctx.runId, count: values.length, durationMs: Date.now() - t0 }];
  });
  await closeTracked(ctx, dst);
  if (src !== ctx.snapshot?.holder) await closeTracked(ctx, src);
}
