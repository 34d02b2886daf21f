// Catch-up: the slot's changes since its consistent point, applied by key in commit order, each chunk in one target transaction with ChangesApplied.
import type pg from 'pg';
import { compareLsn } from '../../events/lsn.js';
import { quoteIdent, tableKey } from '../../events/names.js';
import type { CaughtUpTable, NewEventOf } from '../../events/schemas.js';
import type { CatchUpState } from '../../events/state.js';
import { checkBudget } from '../budget.js';
import { closeTracked, commitWith, openTracked, record, type RunContext } from '../context.js';
import { PgcloneError } from '../errors.js';
import { closeClient, openClient } from '../pg/connect.js';
import { decodePgoutput, type PgoutputMessage, type TupleValue } from '../pg/pgoutput.js';
import { advanceSlot, catalogFingerprint, currentLsn, peekChanges } from '../pg/slot.js';
import { suggest } from '../../events/commands.js';
import { evolve } from '../../events/fold.js';
import { readEventsOfType } from '../../events/store.js';
import { exportSnapshot } from '../pg/snapshot.js';
import { deferredById } from './post-data.js';
import { connectTimeoutMs } from '../context.js';
import { guardRetainedWal } from '../wal-guard.js';

/** Messages asked of the slot per read; decoding returns whole transactions, so a chunk may hold more. */
export const CHANGES_PER_CHUNK = 5000;

/**
 * The target's session while it applies: triggers (and the foreign-key triggers) do not fire, as in PostgreSQL's own
 * apply workers — the source already ran its triggers, and their effects arrive as changes of their own.
 */
const APPLY_SETTINGS = { session_replication_role: 'replica' };

type RowChange = Extract<PgoutputMessage, { tag: 'insert' | 'update' | 'delete' | 'truncate' }>;

export interface SourceTransaction {
  endLsn: string;
  /** when it committed on the source (ISO) */
  commitTime: string;
  relations: Map<number, Extract<PgoutputMessage, { tag: 'relation' }>>;
  changes: RowChange[];
}

/** The decoded messages of one read, as whole transactions in commit order (a read never ends inside one). */
export function transactionsOf(messages: PgoutputMessage[]): SourceTransaction[] {
  const out: SourceTransaction[] = [];
  // a read is one decoding session: each relation is described once, before its first change in that session
  const relations = new Map<number, Extract<PgoutputMessage, { tag: 'relation' }>>();
  let open: RowChange[] | null = null;
  for (const m of messages) {
    switch (m.tag) {
      case 'begin':
        if (open) throw new Error('pgoutput: a transaction begins inside another');
        open = [];
        break;
      case 'commit':
        if (!open) throw new Error('pgoutput: a commit outside a transaction');
        out.push({ endLsn: m.endLsn, commitTime: m.commitTime, relations: new Map(relations), changes: open });
        open = null;
        break;
      case 'relation':
        relations.set(m.relid, m);
        break;
      case 'insert':
      case 'update':
      case 'delete':
      case 'truncate':
        if (!open) throw new Error(`pgoutput: a ${m.tag} outside a transaction`);
        open.push(m);
        break;
      case 'origin':
      case 'type':
      case 'message':
        break;
    }
  }
  if (open) throw new Error('pgoutput: a read ended inside a transaction');
  return out;
}

interface TargetTable {
  ref: CaughtUpTable;
  rel: string;
  /** the target's columns by name: identity ALWAYS columns are never SET */
  columns: Map<string, { identityAlways: boolean; generated: boolean }>;
}

async function targetTables(dst: pg.ClientBase, tables: CaughtUpTable[]): Promise<Map<string, TargetTable>> {
  const r = await dst.query<{ s: string; n: string; cols: { name: string; ia: boolean; gen: boolean }[] | null }>(
    `SELECT x.s, x.n, (SELECT json_agg(json_build_object('name', a.attname, 'ia', a.attidentity = 'a', 'gen', a.attgenerated <> ''))
                          FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS cols
       FROM unnest($1::text[], $2::text[]) AS x(s, n)
       JOIN pg_namespace ns ON ns.nspname = x.s JOIN pg_class c ON c.relnamespace = ns.oid AND c.relname = x.n`,
    [tables.map((t) => t.table.schema), tables.map((t) => t.table.name)],
  );
  const out = new Map<string, TargetTable>();
  for (const t of tables) {
    const row = r.rows.find((x) => x.s === t.table.schema && x.n === t.table.name);
    if (!row) throw new PgcloneError('failed', `catch-up: table ${tableKey(t.table)} is not on the target`);
    const columns = new Map((row.cols ?? []).map((c) => [c.name, { identityAlways: c.ia, generated: c.gen }]));
    out.set(tableKey(t.table), { ref: t, rel: tableKey(t.table), columns });
  }
  return out;
}

export interface AppliedCounts {
  inserts: number;
  updates: number;
  deletes: number;
  truncates: number;
  skipped: number;
}

/** Column name → value of one tuple, by the Relation message's column order. */
function named(columns: { name: string }[], row: TupleValue[]): Map<string, TupleValue> {
  const out = new Map<string, TupleValue>();
  columns.forEach((c, i) => out.set(c.name, row[i] ?? { kind: 'null' }));
  return out;
}

const valueOf = (v: TupleValue | undefined): string | null => (v && v.kind === 'text' ? v.text : null);

/**
 * Applies decoded row changes to the target by key, so that applying a change twice, or one a later snapshot's copy
 * already holds, leaves the same row. Identifiers are quoted; values are text parameters the server reads as each
 * column's type.
 */
export class ChangeApplier {
  constructor(
    private readonly dst: pg.ClientBase,
    private readonly src: pg.ClientBase,
    private readonly tables: Map<string, TargetTable>,
  ) {}

  private table(rel: Extract<PgoutputMessage, { tag: 'relation' }> | undefined, relid: number): TargetTable {
    if (!rel) throw new Error(`pgoutput: a change of relation ${relid} before its description`);
    const t = this.tables.get(tableKey({ schema: rel.schema, name: rel.name }));
    if (!t)
      throw new PgcloneError(
        'failed',
        `catch-up: the slot sent a change of ${tableKey({ schema: rel.schema, name: rel.name })}, which the run does not catch up`,
      );
    for (const c of rel.columns) {
      if (!t.columns.has(c.name))
        throw new PgcloneError(
          'failed',
          `catch-up: ${t.rel} on the source has a column ${quoteIdent(c.name)} the target lacks — the source schema changed during the run; wipe the run and start again`,
        );
    }
    return t;
  }

  private where(t: TargetTable, key: Map<string, TupleValue>, from: number): { sql: string; params: (string | null)[] } {
    const params: (string | null)[] = [];
    const parts = t.ref.key.map((k) => {
      const v = key.get(k);
      if (!v || v.kind !== 'text') throw new PgcloneError('failed', `catch-up: a change of ${t.rel} came without its key column ${quoteIdent(k)}`);
      params.push(v.text);
      return `${quoteIdent(k)} = $${from + params.length}`;
    });
    return { sql: parts.join(' AND '), params };
  }

  private async upsert(t: TargetTable, row: Map<string, TupleValue>): Promise<void> {
    const cols = [...row.keys()].filter((c) => !t.columns.get(c)?.generated);
    const keys = new Set(t.ref.key);
    const set = cols.filter((c) => !keys.has(c) && !t.columns.get(c)?.identityAlways);
    const conflict = set.length > 0 ? `DO UPDATE SET ${set.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}` : 'DO NOTHING';
    await this.dst.query(
      `INSERT INTO ${t.rel} (${cols.map(quoteIdent).join(', ')}) OVERRIDING SYSTEM VALUE VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT (${t.ref.key.map(quoteIdent).join(', ')}) ${conflict}`,
      cols.map((c) => valueOf(row.get(c))),
    );
  }

  private async deleteByKey(t: TargetTable, key: Map<string, TupleValue>): Promise<void> {
    const w = this.where(t, key, 0);
    await this.dst.query(`DELETE FROM ONLY ${t.rel} WHERE ${w.sql}`, w.params);
  }

  /** UPDATE the columns `row` carries (key columns too, when `setKey`) of the row with `key`; how many rows it changed. */
  private async updateSent(t: TargetTable, key: Map<string, TupleValue>, row: Map<string, TupleValue>, setKey: boolean): Promise<number> {
    const keys = new Set(t.ref.key);
    const cols = [...row.entries()].filter(
      ([c, v]) => v.kind !== 'unchanged' && !t.columns.get(c)?.generated && !t.columns.get(c)?.identityAlways && (setKey || !keys.has(c)),
    );
    const w = this.where(t, key, cols.length);
    if (cols.length === 0) {
      const r = await this.dst.query(`SELECT 1 FROM ONLY ${t.rel} WHERE ${w.sql}`, w.params);
      return r.rowCount ?? 0;
    }
    const r = await this.dst.query(`UPDATE ONLY ${t.rel} SET ${cols.map(([c], i) => `${quoteIdent(c)} = $${i + 1}`).join(', ')} WHERE ${w.sql}`, [
      ...cols.map(([, v]) => valueOf(v)),
      ...w.params,
    ]);
    return r.rowCount ?? 0;
  }

  /** The source's row with `key` now, every column as text; null when it has none. */
  private async sourceRow(t: TargetTable, columns: string[], key: Map<string, TupleValue>): Promise<Map<string, TupleValue> | null> {
    const w = this.where(t, key, 0);
    const r = await this.src.query<Record<string, string | null>>(
      `SELECT ${columns.map((c, i) => `${quoteIdent(c)}::text AS c${i}`).join(', ')} FROM ONLY ${t.rel} WHERE ${w.sql}`,
      w.params,
    );
    const got = r.rows[0];
    if (!got) return null;
    return new Map(columns.map((c, i) => [c, got[`c${i}`] === null ? { kind: 'null' } : { kind: 'text', text: got[`c${i}`] as string }]));
  }

  async apply(tx: SourceTransaction, counts: AppliedCounts): Promise<void> {
    for (const ch of tx.changes) {
      if (ch.tag === 'truncate') {
        const rels = ch.relids.map((id) => this.table(tx.relations.get(id), id).rel);
        await this.dst.query(`TRUNCATE ONLY ${rels.join(', ')}${ch.cascade ? ' CASCADE' : ''}`);
        counts.truncates++;
        continue;
      }
      const rel = tx.relations.get(ch.relid);
      const t = this.table(rel, ch.relid);
      const cols = (rel as NonNullable<typeof rel>).columns;
      if (ch.tag === 'insert') {
        await this.upsert(t, named(cols, ch.row));
        counts.inserts++;
      } else if (ch.tag === 'delete') {
        await this.deleteByKey(t, named(cols, ch.old.row));
        counts.deletes++;
      } else {
        counts.updates++;
        await this.update(t, cols, ch, counts);
      }
    }
  }

  /**
   * An update. With every column sent: delete the old key's row when the key changed, then upsert — the row ends as
   * the source had it, whatever the target held. With unchanged TOASTed columns left out (pgoutput sends 'u' for
   * them), only the sent columns can be set:
   *
   * - Key unchanged, and no row with that key on the target: skipped. Why that is right: the source had the row just
   *   before and after this change. On the target, every earlier change of this key has been applied in commit order
   *   over the copy of its range, which was read in a snapshot taken after the slot's consistent point. If an earlier
   *   change decided the row's existence (insert, delete, a key change into or out of it), the target agrees with the
   *   source at that point, so the row would be there. Otherwise the row's presence comes from the copy: the source had
   *   it from the consistent point to this change, so a copy that lacks it was read after some later change removed it
   *   (a delete, or a key change away) — and that change is later in this stream, and is applied after this one. A
   *   column this update left out was not changed by it; its value on the target is the one the last change that sent
   *   it left, or the copy's when no change after the consistent point did.
   * - Key changed: the row moves from its old key on the target when it is there (any row already at the new key is a
   *   later version a later copy took; it goes first). When neither key has a row, the argument above fails — the two
   *   ranges were copied on either side of the move — so the left-out columns come from the source's row at the new key
   *   as it is now (the later changes in the stream then apply over it), or, with no such row, a later change removed
   *   it: skipped. REPLICA IDENTITY FULL sends the old row whole, which fills them exactly.
   */
  private async update(t: TargetTable, cols: { name: string }[], ch: Extract<RowChange, { tag: 'update' }>, counts: AppliedCounts): Promise<void> {
    const row = named(cols, ch.row);
    const old = ch.old ? named(cols, ch.old.row) : null;
    if (old && ch.old?.kind === 'full') for (const [c, v] of row) if (v.kind === 'unchanged') row.set(c, old.get(c) ?? { kind: 'null' });
    const keyChanged = old !== null && t.ref.key.some((k) => valueOf(old.get(k)) !== valueOf(row.get(k)));
    const partial = [...row.values()].some((v) => v.kind === 'unchanged');
    if (!partial) {
      if (keyChanged && old) await this.deleteByKey(t, old);
      await this.upsert(t, row);
      return;
    }
    if (!keyChanged) {
      if ((await this.updateSent(t, row, row, false)) === 0) counts.skipped++;
      return;
    }
    const oldKey = old as Map<string, TupleValue>;
    const w = this.where(t, oldKey, 0);
    const oldThere = ((await this.dst.query(`SELECT 1 FROM ONLY ${t.rel} WHERE ${w.sql}`, w.params)).rowCount ?? 0) > 0;
    if (oldThere) {
      await this.deleteByKey(t, row);
      await this.updateSent(t, oldKey, row, true);
      return;
    }
    if ((await this.updateSent(t, row, row, false)) > 0) return;
    const missing = [...row.entries()].filter(([, v]) => v.kind === 'unchanged').map(([c]) => c);
    const now = await this.sourceRow(t, missing, row);
    if (!now) {
      counts.skipped++;
      return;
    }
    for (const [c, v] of now) row.set(c, v);
    await this.upsert(t, row);
  }
}

/** Record the pass's target, then read and apply until the slot has nothing before it; the slot moves only after the target commits. */
export async function catchUp(ctx: RunContext): Promise<void> {
  const c = ctx.state.catchUp as CatchUpState;
  if (c.released) {
    // the guard dropped the slot, and the operator resumed without catch-up (resume --no-catch-up): nothing to
    // decode; the foreign keys added NOT VALID are still to be validated, and what follows reads a new snapshot
    const dst = await openTracked(ctx, 'target', 'catch-up', APPLY_SETTINGS);
    await validateDeferred(ctx, dst);
    await closeTracked(ctx, dst);
    await freshSnapshot(ctx);
    return;
  }
  const src = await openTracked(ctx, 'source', 'catch-up');
  const dst = await openTracked(ctx, 'target', 'catch-up', APPLY_SETTINGS);
  // gone, invalidated or holding too much: the guard's one reading says so (and stops the run) before anything is read
  await guardRetainedWal(ctx, true);
  // a kill between a chunk's commit on the target and the slot's advance: the log, not the slot, says what is applied
  if (c.appliedLsn) await advanceSlot(src, c.slot, c.appliedLsn);
  const applier = new ChangeApplier(dst, src, await targetTables(dst, c.tables));
  const schemas = runSchemas(ctx);
  const baseline = c.catalogFingerprint ?? (await catalogFingerprint(src, schemas));
  const targetLsn = await currentLsn(src);
  // after the position is taken: a schema change committed before it is in the catalog now
  await checkSchema(ctx, src, schemas, baseline);
  await record(ctx, [{ type: 'CatchUpStarted', runId: ctx.runId, targetLsn }]);
  await applyUpTo(ctx, src, dst, applier, targetLsn);
  if (ctx.options.follow === true) await follow(ctx, src, dst, applier, schemas, baseline);
  await validateDeferred(ctx, dst);
  await closeTracked(ctx, src);
  await closeTracked(ctx, dst);
  await freshSnapshot(ctx);
}

/**
 * One pass: the slot's transactions that commit before `targetLsn`, applied in chunks, each in one target transaction
 * with its ChangesApplied; the slot moves only after the target commits, and to `targetLsn` at the end (every change
 * before it is in). Returns how many source transactions it applied.
 */
async function applyUpTo(ctx: RunContext, src: pg.Client, dst: pg.Client, applier: ChangeApplier, targetLsn: string): Promise<number> {
  const slot = (ctx.state.catchUp as CatchUpState).slot;
  let total = 0;
  for (;;) {
    checkBudget(ctx.budget);
    await guardRetainedWal(ctx);
    const t0 = Date.now();
    const rows = await peekChanges(src, slot, targetLsn, CHANGES_PER_CHUNK);
    if (rows.length === 0) break;
    const txs = transactionsOf(rows.map((r) => decodePgoutput(r.data)));
    const c = ctx.state.catchUp as CatchUpState;
    const applied = c.appliedLsn ?? c.consistentLsn;
    // already in the target (the slot had not moved past them when the last process stopped)
    const fresh = txs.filter((tx) => compareLsn(tx.endLsn, applied) > 0);
    const last = txs[txs.length - 1]?.endLsn;
    if (fresh.length > 0) {
      const counts: AppliedCounts = { inserts: 0, updates: 0, deletes: 0, truncates: 0, skipped: 0 };
      const newest = fresh[fresh.length - 1] as SourceTransaction;
      await commitWith(ctx, dst, [], async () => {
        for (const tx of fresh) await applier.apply(tx, counts);
        const ev: NewEventOf<'ChangesApplied'> = {
          type: 'ChangesApplied',
          runId: ctx.runId,
          lsn: newest.endLsn,
          transactions: fresh.length,
          ...counts,
          durationMs: Date.now() - t0,
          sourceLsn: targetLsn,
          commitTime: newest.commitTime,
        };
        return [ev];
      });
      total += fresh.length;
    }
    if (last) await advanceSlot(src, slot, last);
  }
  // every change before the target is applied: the source may let go of the WAL up to it
  await advanceSlot(src, slot, targetLsn);
  return total;
}

/** How long an idle follower waits before it reads the source again. */
export const FOLLOW_IDLE_MS = 500;

/** The schemas of the run's tables: what catalogFingerprint digests. */
function runSchemas(ctx: RunContext): string[] {
  return [...new Set(ctx.state.tableOrder.map((k) => (ctx.state.tables[k] as { table: { schema: string } }).table.schema))];
}

/**
 * Decoding does not carry DDL: a pass applies rows only when the source's catalog still matches the run's. Called
 * after the pass's target LSN is taken, so any schema change that committed before that LSN is seen.
 */
async function checkSchema(ctx: RunContext, src: pg.Client, schemas: string[], baseline: string): Promise<void> {
  if ((await catalogFingerprint(src, schemas)) !== baseline) throw schemaChanged(ctx, schemas);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * --follow: pass after pass up to the source's position at each, until a cutover is asked for (CutoverRequested,
 * from any process, read from the log); then one last pass up to the source's position at that moment, and catch-up
 * ends (sequences, verify and the finish follow, which records CutoverCompleted). Every pass first compares the
 * source's catalog with the run's (checkSchema): a changed schema stops the run rather than apply rows to tables
 * that no longer match.
 */
async function follow(ctx: RunContext, src: pg.Client, dst: pg.Client, applier: ChangeApplier, schemas: string[], baseline: string): Promise<void> {
  // reaching follow is progress: a stop (Q, SIGTERM, --max-duration) ends it at the next pass even when nothing changes
  ctx.budget.markProgress();
  ctx.observer.onNote?.(`following the source: its changes are applied as they come; cut over with ${suggest('cutover', ctx.state)} (or C in the dashboard)`);
  // the source's position the last pass was checked and applied up to
  let passed: string | null = null;
  for (;;) {
    await seeCutoverRequest(ctx);
    const c = ctx.state.catchUp as CatchUpState;
    const x = await currentLsn(src);
    if (!c.cutover && x === passed) {
      // nothing written on the source since: no schema change to find, no change to apply, no more WAL held
      checkBudget(ctx.budget);
      await sleep(FOLLOW_IDLE_MS);
      continue;
    }
    await checkSchema(ctx, src, schemas, baseline);
    if (c.cutover) {
      // the last pass: the source's position now is the cutover's point; what commits after it is not in the target
      await record(ctx, [{ type: 'CatchUpStarted', runId: ctx.runId, targetLsn: x }]);
      await applyUpTo(ctx, src, dst, applier, x);
      return;
    }
    const n = await applyUpTo(ctx, src, dst, applier, x);
    passed = x;
    checkBudget(ctx.budget);
    if (n === 0) await sleep(FOLLOW_IDLE_MS);
  }
}

/** A cutover asked for by another process (or this one): read from the log, folded into the run's state. */
async function seeCutoverRequest(ctx: RunContext): Promise<void> {
  if ((ctx.state.catchUp as CatchUpState).cutover) return;
  const [ev] = await readEventsOfType(ctx.lock, ctx.runId, 'CutoverRequested');
  if (!ev) return;
  ctx.state = evolve(ctx.state, ev);
  ctx.observer.onEvents?.([ev], ctx.state);
}

function schemaChanged(ctx: RunContext, schemas: string[]): PgcloneError {
  const c = ctx.state.catchUp as CatchUpState;
  return new PgcloneError(
    'schema-changed',
    `the source schema changed ${ctx.options.follow === true ? 'while the run followed it' : 'during the run'} (a table, column, type or constraint in ${schemas.join(', ')}): decoding does not carry DDL, so catch-up stopped rather than apply rows to tables that no longer match; the target holds the source's changes up to ${c.appliedLsn ?? c.consistentLsn}. Start again with the new schema: ${suggest('wipe', ctx.state, ['--restart'])}`,
  );
}

/**
 * The foreign keys post-data added NOT VALID (rows read in different snapshots need not match until the changes
 * between them are applied) are validated now that the target is the source at one point, in one transaction with
 * ConstraintsValidated. A key that still fails names its constraint: a table left out of catch-up can cause it.
 */
async function validateDeferred(ctx: RunContext, dst: pg.ClientBase): Promise<void> {
  if ((ctx.state.catchUp as CatchUpState).constraintsValidated) return;
  const todo = [...deferredById(ctx.dump, true).values()];
  if (todo.length === 0) return;
  checkBudget(ctx.budget);
  const t0 = Date.now();
  await commitWith(ctx, dst, [], async () => {
    for (const fk of todo) await dst.query(ctx.dump.postPreamble + fk.validate);
    return [{ type: 'ConstraintsValidated', runId: ctx.runId, constraints: todo.map((f) => f.name), durationMs: Date.now() - t0 }];
  });
}

/**
 * What follows catch-up (sequences, verify) reads the source as it is now, not in the snapshot this process copied
 * in, which is older than the changes just applied.
 */
async function freshSnapshot(ctx: RunContext): Promise<void> {
  const holder = await openClient(ctx.source, { side: 'source', purpose: 'snapshot', connectTimeoutMs: connectTimeoutMs(ctx) });
  let id: string;
  try {
    id = await exportSnapshot(holder);
  } catch (e) {
    await closeClient(holder);
    throw e;
  }
  const old = ctx.snapshot;
  ctx.snapshot = { holder, id };
  ctx.sourceRowsRead.clear();
  ctx.snapshotIntact = false;
  await closeClient(old?.holder);
}
