// Phase 3: rows. Tables largest first, each split into byte-sized key or page ranges that workers share;
// every range is one target transaction holding its rows and its BatchCopied event.
import type pg from 'pg';
import { quoteIdent, tableKey } from '../../events/names.js';
import { remainingBatches, tablesCompletedUnlogged, tablesNotCopied } from '../../events/decide.js';
import type { CopyRange } from '../../events/schemas.js';
import type { RunState } from '../../events/state.js';
import type { SourceTable } from '../pg/catalog.js';
import { closeTracked, commitWith, openSourceReader, openTracked, record, type RunContext } from '../context.js';
import { guardRetainedWal } from '../wal-guard.js';
import { runWorkers } from '../workers.js';
import { copyRange, type CopySpec } from './copy-batch.js';
import { batchCount, keyRangesFromSample, tidRanges } from '../plan.js';

/** Tables whose heap is this small (TOAST aside: a count does not read it) are counted exactly when they start, so their totals are not estimates. */
const EXACT_COUNT_BYTES = 64 << 20;

/**
 * Batch connections commit with synchronous_commit off: the rows and their event are in one transaction,
 * so a crash loses both or neither, and a lost commit also loses every later one (WAL is sequential).
 * The log can never claim rows the target does not hold; resume re-reads the log and redoes the rest.
 */
export const TARGET_BATCH_SETTINGS = { synchronous_commit: 'off' };

type Task = { kind: 'plan'; key: string } | { kind: 'batch'; key: string; index: number };

const major = (version: string) => Number.parseInt(version, 10);

/**
 * Binary COPY spares the target most of its parsing. It is used only for built-in types between servers of
 * one major version: binary formats are not promised to carry across versions, and arrays and records
 * embed type oids that differ between databases.
 */
export function copySpec(ctx: RunContext, st: SourceTable): CopySpec {
  const sameMajor = major(ctx.state.source.serverVersion) === major(ctx.state.target.serverVersion);
  const binary = ctx.options.binary && sameMajor && st.columns.every((c) => c.binaryOk);
  return { table: st.table, columns: st.columns.map((c) => c.name), key: st.key, binary };
}

function sourceTable(ctx: RunContext, key: string): SourceTable {
  const st = ctx.tables.get(key);
  if (!st) throw new Error(`table ${key} of the plan is not in the source catalog`);
  return st;
}

/** Random pages read per planned batch: TABLESAMPLE SYSTEM takes whole pages, so a few pages per batch
 * made batches of 0 to 4 times the size asked for on a table stored in key order (seen on pgbench_accounts). */
const SAMPLE_PAGES_PER_BATCH = 32;
/** At most this many key values are sampled (they are sorted in this process). */
const SAMPLE_ROWS_MAX = 200_000;

/**
 * TABLESAMPLE picks heap pages: their number on disk now (relpages is 0 on a table never analyzed), without
 * TOAST, which holds most of the bytes of a table of images or documents and none of its keys (counting it
 * sampled a 1.4 GB table of 2,430 images from one or two of its ~100 heap pages: batches of 400+ MB).
 */
async function sampleKeyRanges(src: pg.ClientBase, st: SourceTable, n: number, heapPages: number): Promise<CopyRange[]> {
  const pages = Math.max(1, st.pages, heapPages);
  const rows = st.estRows > 0 ? st.estRows : (pages * 8192) / 100;
  const pct = Math.min(100, (100 * n * SAMPLE_PAGES_PER_BATCH) / pages, (100 * SAMPLE_ROWS_MAX) / Math.max(1, rows));
  const cols = st.key.map((k, i) => `format('%s', ${quoteIdent(k.name)}) AS k${i}`).join(', ');
  const order = st.key.map((k) => quoteIdent(k.name)).join(', ');
  const r = await src.query({
    text: `SELECT ${cols} FROM ONLY ${tableKey(st.table)} TABLESAMPLE SYSTEM ($1) REPEATABLE (7) ORDER BY ${order}`,
    values: [Math.max(0.0001, pct)],
    rowMode: 'array',
  });
  return keyRangesFromSample(r.rows as string[][], n);
}

async function planBatches(ctx: RunContext, src: pg.ClientBase, st: SourceTable): Promise<{ batches: CopyRange[]; exactRows: number | null }> {
  const planned = ctx.state.tables[tableKey(st.table)];
  const n = batchCount(st.bytes, ctx.options.batchBytes);
  // the heap alone (no TOAST): what a sample or a count(*) reads
  const heap = await src.query<{ pages: string; bs: number }>(
    `SELECT pg_relation_size($1::oid) / current_setting('block_size')::int AS pages, current_setting('block_size')::int AS bs`,
    [st.oid],
  );
  const heapPages = Number(heap.rows[0]?.pages ?? 0);
  const bs = heap.rows[0]?.bs ?? 8192;
  let batches: CopyRange[];
  switch (planned?.strategy) {
    case 'keyset':
      batches = n === 1 ? [{ kind: 'key', lo: null, hi: null }] : await sampleKeyRanges(src, st, n, heapPages);
      break;
    case 'tid':
      batches = tidRanges(heapPages, Math.ceil(ctx.options.batchBytes / bs));
      break;
    default:
      batches = [{ kind: 'all' }];
  }
  let exactRows: number | null = null;
  if (heapPages * bs <= EXACT_COUNT_BYTES) {
    const c = await src.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${tableKey(st.table)}`);
    exactRows = Number(c.rows[0]?.n ?? 0);
  }
  return { batches, exactRows };
}

/**
 * Work in order: the largest table first, all workers on it as soon as its ranges are planned, so its rows
 * are in early and its indexes (the longest post-data items) overlap the copy of the rest. While one worker
 * plans a table, the others wait for its ranges rather than starting the next table.
 */
class TaskQueue {
  private planning: Promise<void> | null = null;
  constructor(private tasks: Task[]) {}

  async next(): Promise<Task | undefined> {
    while (this.planning && (this.tasks.length === 0 || this.tasks[0]?.kind === 'plan')) await this.planning;
    const task = this.tasks.shift();
    if (task?.kind === 'plan') {
      let done!: () => void;
      this.planning = new Promise<void>((r) => (done = r));
      this.donePlanning = () => {
        this.planning = null;
        done();
      };
    }
    return task;
  }

  private donePlanning: () => void = () => undefined;

  /** The planned table's ranges go first; whoever waited for them takes them. */
  planned(tasks: Task[]): void {
    this.tasks.unshift(...tasks);
    this.donePlanning();
  }
}

/** The work the log does not record as done, largest tables first; tables already started keep their batch plan. */
export function remainingTasks(ctx: RunContext): Task[] {
  const tasks: Task[] = [];
  for (const t of tablesNotCopied(ctx.state)) {
    if (t.batches === null) tasks.push({ kind: 'plan', key: t.key });
    else for (const index of remainingBatches(t)) tasks.push({ kind: 'batch', key: t.key, index });
  }
  // started tables first: their ranges are fixed and the log is waiting for them
  return [...tasks.filter((t) => t.kind === 'batch'), ...tasks.filter((t) => t.kind === 'plan')];
}

/** Every planned table's rows are in. */
export function allTablesCopied(state: RunState): boolean {
  return state.tableOrder.every((k) => state.tables[k]?.status === 'copied');
}

/** Record TableCompleted for tables whose last batch landed but whose completion was not logged (a crash between). */
export async function completeCopiedTables(ctx: RunContext): Promise<void> {
  for (const t of tablesCompletedUnlogged(ctx.state)) {
    await record(ctx, [{ type: 'TableCompleted', runId: ctx.runId, table: t.table, rows: t.rowsDone, bytes: t.bytesDone }]);
  }
}

export async function runDataWorkers(ctx: RunContext, abort: AbortSignal, fail: (e: unknown) => void): Promise<void> {
  const queue = new TaskQueue(remainingTasks(ctx));
  const completing = new Set<string>();
  const jobs = Math.max(1, ctx.options.jobs);

  const worker = async (id: number): Promise<void> => {
    let src: pg.Client | null = null;
    let dst: pg.Client | null = null;
    try {
      while (!abort.aborted && !ctx.budget.expired()) {
        const task = await queue.next();
        if (!task) return;
        // the slot the copy depends on holds the source's WAL meanwhile: past the limit, the run lets it go
        await guardRetainedWal(ctx);
        src ??= await openSourceReader(ctx, `data ${id}`);
        dst ??= await openTracked(ctx, 'target', `data ${id}`, TARGET_BATCH_SETTINGS);
        const st = sourceTable(ctx, task.key);
        if (task.kind === 'plan') {
          let ranges: Task[] = [];
          try {
            const p = await planBatches(ctx, src, st);
            await commitWith(ctx, dst, [
              {
                type: 'TableStarted',
                runId: ctx.runId,
                table: st.table,
                strategy: ctx.state.tables[task.key]?.strategy ?? 'whole',
                estRows: Math.max(0, st.estRows),
                estBytes: st.bytes,
                exactRows: p.exactRows,
                batches: p.batches,
              },
            ]);
            ranges = p.batches.map((_, index) => ({ kind: 'batch' as const, key: task.key, index }));
          } finally {
            // released even on failure (with nothing to take): the run is being aborted then
            queue.planned(ranges);
          }
          continue;
        }
        const t = ctx.state.tables[task.key];
        const range = t?.batches?.[task.index];
        if (!t || !range) throw new Error(`batch ${task.index} of ${task.key} is not in the log's plan`);
        const spec = copySpec(ctx, st);
        const t0 = Date.now();
        const srcConn = src;
        const dstConn = dst;
        let copied = 0;
        await commitWith(ctx, dstConn, [], async () => {
          const r = await copyRange(srcConn, dstConn, spec, range, ctx.settings.ioTimeoutMs);
          copied = r.rows;
          return [
            {
              type: 'BatchCopied',
              runId: ctx.runId,
              table: st.table,
              batch: task.index,
              range,
              rows: r.rows,
              bytes: r.bytes,
              durationMs: Date.now() - t0,
              worker: id,
            },
          ];
        });
        // how long a batch takes here and now: the wall budget does not start one that would end past it
        ctx.budget.noteWork(Date.now() - t0);
        const read = ctx.sourceRowsRead.get(task.key) ?? new Map<number, number>();
        ctx.sourceRowsRead.set(task.key, read.set(task.index, copied));
        const after = ctx.state.tables[task.key];
        if (after && after.status === 'copied' && !after.completedLogged && !completing.has(task.key)) {
          completing.add(task.key);
          await commitWith(ctx, dstConn, [{ type: 'TableCompleted', runId: ctx.runId, table: st.table, rows: after.rowsDone, bytes: after.bytesDone }]);
        }
      }
    } finally {
      if (!abort.aborted) {
        await closeTracked(ctx, src);
        await closeTracked(ctx, dst);
      }
    }
  };

  await runWorkers(
    Array.from({ length: jobs }, (_, i) => () => worker(i)),
    fail,
  );
}
