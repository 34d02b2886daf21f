// Phase 4: each index, constraint, trigger, policy… in its own transaction with its event, as soon as it may run.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { tableKey, tableLabel } from '../../events/names.js';
import { pendingPostData } from '../../events/decide.js';
import type { PlannedPostDataItem, TableRef } from '../../events/schemas.js';
import type { PostDataItemState } from '../../events/state.js';
import type { PostItemFacts } from '../pg/catalog.js';
import { closeTracked, commitWith, openSourceReader, openTracked, type RunContext } from '../context.js';
import { guardRetainedWal } from '../wal-guard.js';
import { readSourceStats, restoreStats, statisticsCarried } from '../pg/stats.js';
import { phaseStarted } from '../phase.js';
import { runWorkers } from '../workers.js';
import { allTablesCopied } from './data.js';
import type { PostDataSql, SchemaDump } from '../pg/dump.js';
import { fallbackName, postKind, WAVES, waveOf, type PostWave } from '../plan.js';

/**
 * Item ids come from the item's content, not pg_dump's dump ids: a resume dumps again, and dump ids
 * shift when unrelated objects come and go; the text of an unchanged item does not.
 */
export function postItemIds(items: PostDataSql[]): string[] {
  const seen = new Map<string, number>();
  return items.map((i) => {
    const base = createHash('sha256').update(i.entry.desc).update('\0').update(i.sql).digest('hex').slice(0, 16);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  });
}

export function plannedPostData(dump: SchemaDump, facts: Map<number, PostItemFacts>): PlannedPostDataItem[] {
  const ids = postItemIds(dump.postData);
  return dump.postData.map((p, i) => {
    const f = facts.get(p.entry.dumpId);
    return {
      id: ids[i] as string,
      kind: postKind(p.entry.desc),
      desc: p.entry.desc,
      name: f?.name || fallbackName(p.entry),
      table: f?.table ?? null,
      refTable: f?.refTable ?? null,
    };
  });
}

/** An analyze item's id: from what it analyzes, so a resume's plan names it the same. */
export function analyzeItemId(t: TableRef): string {
  return createHash('sha256').update('ANALYZE').update('\0').update(tableKey(t)).digest('hex').slice(0, 16);
}

/**
 * pg_restore leaves the target with no planner statistics (pg_dump carries none): one ANALYZE per relation
 * whose rows the run fills — tables, partitioned parents (their inherited statistics), materialized views.
 */
export function plannedAnalyze(relations: TableRef[]): PlannedPostDataItem[] {
  return relations.map((t) => ({ id: analyzeItemId(t), kind: 'analyze', desc: 'ANALYZE', name: tableLabel(t), table: t, refTable: null }));
}

/**
 * An analyze item, in the caller's transaction on `target`: on 18 → 18 the source's statistics, read in the run's
 * snapshot (`source` opens the reader on first use), else — or for a relation never analyzed there, or one with
 * extended statistics, whose data only ANALYZE computes — ANALYZE on the target. Read when the item runs, not in
 * preflight: one path for a first run and a resume (each in its own snapshot), and one relation's statistics in
 * memory at a time, not every relation's for the whole run.
 */
export async function applyAnalyze(
  ctx: RunContext,
  target: pg.ClientBase,
  source: () => Promise<pg.ClientBase>,
  item: Pick<PostDataItemState, 'id' | 'kind' | 'table'>,
): Promise<'carried' | 'analyzed'> {
  const table = item.table;
  if (!table) throw new Error(`analyze item ${item.id} names no relation`);
  if (statisticsCarried(ctx.sourceVersionNum, ctx.targetVersionNum)) {
    const reading = await readSourceStats(await source(), table, ctx.sourceVersionNum);
    // a value the target's server would not take (its WARNING says which) is not carried half: ANALYZE instead
    if ('carry' in reading && (await restoreStats(target, table, reading.carry))) return 'carried';
  }
  await target.query(`${ctx.dump.postPreamble}ANALYZE ${tableKey(table)};`);
  return 'analyzed';
}

/** The SQL of an item: the dump's, or the ANALYZE pgclone adds. */
export function postItemSql(item: Pick<PostDataItemState, 'id' | 'kind' | 'table'>, dumpSql: Map<string, string>): string | undefined {
  if (item.kind === 'analyze') return item.table ? `ANALYZE ${tableKey(item.table)};` : undefined;
  return dumpSql.get(item.id);
}

/**
 * Foreign keys a run that catches up adds NOT VALID (and validates after catch-up, `validateDeferred` in
 * catch-up.ts): by item id, for the items of the current dump. Empty for a run without catch-up.
 */
export function deferredById(dump: SchemaDump, catchUp: boolean): Map<string, NonNullable<PostDataSql['deferred']>> {
  if (!catchUp) return new Map();
  const ids = postItemIds(dump.postData);
  const out = new Map<string, NonNullable<PostDataSql['deferred']>>();
  dump.postData.forEach((p, i) => {
    if (p.deferred) out.set(ids[i] as string, p.deferred);
  });
  return out;
}

/** SQL by item id, for the items of the current dump. */
export function postSqlById(dump: SchemaDump): Map<string, string> {
  const ids = postItemIds(dump.postData);
  return new Map(dump.postData.map((p, i) => [ids[i] as string, p.sql]));
}

function tablesOf(item: PostDataItemState): string[] {
  return [item.table, item.refTable].filter((t): t is NonNullable<typeof t> => !!t).map(tableKey);
}

/**
 * Items that lock the same table run one at a time, except plain index builds (SHARE locks do not
 * conflict). Two foreign keys between the same tables taken in opposite orders would deadlock.
 */
export function conflictsInFlight(item: PostDataItemState, inFlight: PostDataItemState[]): boolean {
  const mine = new Set(tablesOf(item));
  return inFlight.some((other) => !(item.kind === 'index' && other.kind === 'index') && tablesOf(other).some((t) => mine.has(t)));
}

/** What every choice of one pick rests on, read once from the log and the items in flight (not once per item). */
export interface Scheduling {
  inFlight: PostDataItemState[];
  dataDone: boolean;
  /** the waves that still have an item not applied */
  pendingWaves: Set<PostWave>;
  /** tables that still have an item not applied other than their analyze */
  tablesWithItems: Set<string>;
  /** each wave's first item not applied, in dump order */
  firstOfWave: Map<PostWave, string>;
}

export function schedulingOf(ctx: RunContext, inFlight: Set<string>, dataDone: boolean): Scheduling {
  const s: Scheduling = {
    inFlight: [...inFlight].map((id) => ctx.state.postData[id]).filter((x): x is PostDataItemState => !!x),
    dataDone,
    pendingWaves: new Set(),
    tablesWithItems: new Set(),
    firstOfWave: new Map(),
  };
  for (const p of pendingPostData(ctx.state)) {
    const w = waveOf(p);
    s.pendingWaves.add(w);
    if (!s.firstOfWave.has(w)) s.firstOfWave.set(w, p.id);
    if (p.kind !== 'analyze' && p.table) s.tablesWithItems.add(tableKey(p.table));
  }
  return s;
}

/** Whether an item may start now, given what the log says and what is in flight. */
export function mayStart(ctx: RunContext, item: PostDataItemState, s: Scheduling): boolean {
  const wave = waveOf(item);
  if (conflictsInFlight(item, s.inFlight)) return false;
  // an item of an earlier wave is not applied yet (the item's own wave is never earlier than itself)
  const earlierBusy = (w: PostWave) => WAVES.slice(0, WAVES.indexOf(w)).some((x) => s.pendingWaves.has(x));
  switch (wave) {
    case 'table': {
      const t = item.table ? ctx.state.tables[tableKey(item.table)] : undefined;
      return t ? t.status === 'copied' : s.dataDone;
    }
    case 'fk':
      return s.dataDone && !earlierBusy(wave);
    case 'analyze': {
      // after the relation's own items: expression indexes get statistics, a matview has its rows
      const key = item.table ? tableKey(item.table) : null;
      if (key !== null && s.tablesWithItems.has(key)) return false;
      const t = key ? ctx.state.tables[key] : undefined;
      return t ? t.status === 'copied' : s.dataDone;
    }
    case 'attach':
    case 'refresh':
    case 'last':
      // one at a time, in dump order (attachments name tables the catalog rows do not give us)
      return s.dataDone && !earlierBusy(wave) && s.inFlight.length === 0 && s.firstOfWave.get(wave) === item.id;
  }
}

/** Index builds sort in memory when they can: each job gets its own maintenance_work_mem. */
function postDataSettings(ctx: RunContext): Record<string, string> {
  const bytes = ctx.options.maintenanceWorkMemBytes;
  return bytes ? { maintenance_work_mem: `${Math.floor(bytes / 1024)}kB` } : {};
}

export async function runPostData(ctx: RunContext, abort: AbortSignal, fail: (e: unknown) => void, dataStopped: () => boolean): Promise<void> {
  const sql = postSqlById(ctx.dump);
  const deferred = deferredById(ctx.dump, ctx.options.catchUp === true);
  const inFlight = new Set<string>();
  const jobs = Math.max(1, ctx.options.indexJobs);

  const aborted = new Promise<void>((r) => abort.addEventListener('abort', () => r(), { once: true }));

  const pick = (): PostDataItemState | 'wait' | 'done' => {
    const pending = pendingPostData(ctx.state).filter((p) => !inFlight.has(p.id));
    if (pending.length === 0) return 'done';
    const scheduling = schedulingOf(ctx, inFlight, allTablesCopied(ctx.state));
    const next = pending.find((p) => mayStart(ctx, p, scheduling));
    if (next) return next;
    // nothing may start: if the data workers have stopped and nothing is in flight, nothing ever will
    if (dataStopped() && inFlight.size === 0) return 'done';
    return 'wait';
  };

  const worker = async (id: number): Promise<void> => {
    let conn: pg.Client | null = null;
    let reader: pg.Client | null = null;
    try {
      while (!abort.aborted && !ctx.budget.expired()) {
        // before the pick: nothing may come between choosing an item and marking it in flight
        await guardRetainedWal(ctx);
        if (abort.aborted) return;
        const item = pick();
        if (item === 'done') return;
        if (item === 'wait') {
          await Promise.race([ctx.changed.wait(), aborted]);
          continue;
        }
        const text = deferred.get(item.id)?.sql ?? postItemSql(item, sql);
        if (text === undefined) throw new Error(`post-data item ${item.name} (${item.id}) is not in the current dump`);
        const source = async () => (reader ??= await openSourceReader(ctx, `post-data ${id} statistics`));
        inFlight.add(item.id);
        try {
          await phaseStarted(ctx, 'post-data');
          conn ??= await openTracked(ctx, 'target', `post-data ${id}`, postDataSettings(ctx));
          const c = conn;
          const t0 = Date.now();
          await commitWith(ctx, c, [], async () => {
            const statistics = item.kind === 'analyze' ? await applyAnalyze(ctx, c, source, item) : undefined;
            if (!statistics) await c.query(ctx.dump.postPreamble + text);
            const ev = {
              type: 'PostDataItemApplied',
              runId: ctx.runId,
              itemId: item.id,
              kind: item.kind,
              name: item.name,
              durationMs: Date.now() - t0,
              worker: id,
            } as const;
            return [statistics ? { ...ev, statistics } : ev];
          });
        } finally {
          inFlight.delete(item.id);
          ctx.changed.notify();
        }
      }
    } finally {
      if (!abort.aborted) {
        await closeTracked(ctx, conn);
        await closeTracked(ctx, reader);
      }
    }
  };

  await runWorkers(
    Array.from({ length: jobs }, (_, i) => () => worker(i)),
    fail,
  );
}
