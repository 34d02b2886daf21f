// What one engine process shares across phases: connections, the folded log, and committing a change with its event.
import type pg from 'pg';
import { tableKey } from '../events/names.js';
import { evolve } from '../events/fold.js';
import type { LoggedEvent, NewEvent, RunOptions, TableRef } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { appendEvents } from '../events/store.js';
import { inTransaction } from '../events/transaction.js';
import { Budget, type CpuBudget } from './budget.js';
import { PgcloneError } from './errors.js';
import type { SourceTable } from './pg/catalog.js';
import { closeClient, CONNECT_TIMEOUT_MS, destroyClient, openClient, type Side } from './pg/connect.js';
import type { ConnInfo } from './pg/conninfo.js';
import type { SchemaDump } from './pg/dump.js';
import type { PgTools } from './pg/pg-tools.js';
import { importSnapshot } from './pg/snapshot.js';

export interface EngineSettings {
  /** stop at the next batch or item boundary after this long (the serverless limit, on purpose) */
  maxDurationMs: number | null;
  /** a connection that moves no data and answers no ping for this long is cut */
  ioTimeoutMs: number;
  /** transient failures retried in-process before the run stops as resumable */
  maxRetries: number;
  /** first retry delay; doubles each attempt up to 8 s */
  retryBaseMs: number;
  /**
   * Aborted: stop at the next boundary as if the time budget were spent, recording the abort's reason (a
   * string) in RunSuspended. The demo plays a serverless platform's limit with it.
   */
  stopSignal?: AbortSignal;
  /** a CPU-time budget (the library's cpuBudgetMs): stop at the boundary before it would be spent */
  cpuBudget?: CpuBudget;
  /** this process's retained-WAL limit (resume --max-retained-wal), over the run's recorded one; 0 is none */
  maxRetainedWalBytes?: number;
}

export const DEFAULT_SETTINGS: EngineSettings = { maxDurationMs: null, ioTimeoutMs: 60_000, maxRetries: 8, retryBaseMs: 500 };

export interface EngineObserver {
  /** events as they commit, in commit order, with the run's state after them */
  onEvents?(events: LoggedEvent[], state: RunState): void;
  /** notes for the operator that are not events (warnings, what is being waited on) */
  onNote?(text: string): void;
}

/** How a call into the engine ended (a failure is thrown instead). */
export type EngineOutcome = 'finished' | 'mismatch' | 'suspended';

export interface RunResult {
  runId: string;
  outcome: EngineOutcome;
  state: RunState;
}

export interface RunContext {
  runId: string;
  source: ConnInfo;
  target: ConnInfo;
  tools: PgTools | null;
  options: RunOptions;
  settings: EngineSettings;
  observer: EngineObserver;
  budget: Budget;
  state: RunState;
  dump: SchemaDump;
  /** source tables by tableKey */
  tables: Map<string, SourceTable>;
  sequences: TableRef[];
  sourceVersionNum: number;
  targetVersionNum: number;
  /** holds the run lock; also carries standalone events */
  lock: pg.Client;
  snapshot: { holder: pg.Client; id: string } | null;
  /** the snapshot of RunStarted is still the one in use: verify may compare in it */
  snapshotIntact: boolean;
  /**
   * Rows the source returned per committed batch in this process and the current snapshot, by table key and
   * batch index (emptied when the snapshot is replaced). When it holds every batch of a table, their sum is
   * that table's count in the snapshot (the ranges are disjoint and cover it): verify need not scan it again.
   */
  sourceRowsRead: Map<string, Map<number, number>>;
  /** a recovery is reconnecting: the watchdog leaves its connections alone */
  recovering: boolean;
  /** every client opened for the current attempt, so a failure can cut them all */
  clients: Set<pg.Client>;
  /** wakes whoever waits for the state to change (the post-data scheduler) */
  changed: Signal;
}

/** What createRunContext is given: the context's own fields where they are handed in as they are, and the rest. */
export type ContextParts = Pick<
  RunContext,
  | 'runId'
  | 'source'
  | 'target'
  | 'tools'
  | 'state'
  | 'settings'
  | 'observer'
  | 'dump'
  | 'sequences'
  | 'sourceVersionNum'
  | 'targetVersionNum'
  | 'lock'
  | 'snapshotIntact'
> & {
  /** the source tables of the plan, filed by tableKey in the context */
  tables: SourceTable[];
  /** the source connection idle in the exported snapshot's transaction, and the snapshot's id */
  snapshot: { holder: pg.Client; id: string };
  /** when the command started: the budget stands for a hard limit on the whole process */
  processStartedAt: number;
};

export function createRunContext(p: ContextParts): RunContext {
  return {
    runId: p.runId,
    source: p.source,
    target: p.target,
    tools: p.tools,
    options: p.state.options,
    settings: p.settings,
    observer: p.observer,
    budget: new Budget(p.settings.maxDurationMs, p.processStartedAt, p.settings.stopSignal, p.settings.cpuBudget ?? null),
    state: p.state,
    dump: p.dump,
    tables: new Map(p.tables.map((t) => [tableKey(t.table), t])),
    sequences: p.sequences,
    sourceVersionNum: p.sourceVersionNum,
    targetVersionNum: p.targetVersionNum,
    lock: p.lock,
    snapshot: p.snapshot,
    snapshotIntact: p.snapshotIntact,
    sourceRowsRead: new Map(),
    recovering: false,
    clients: new Set(),
    changed: new Signal(),
  };
}

export class Signal {
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** How long a connection (and its session settings) may take during a run: the I/O timeout, at most the connect timeout. */
export function connectTimeoutMs(ctx: Pick<RunContext, 'settings'>): number {
  return Math.min(CONNECT_TIMEOUT_MS, ctx.settings.ioTimeoutMs);
}

/**
 * pgclone's jobs (--jobs, --index-jobs) are its parallelism; PostgreSQL's per-query workers on top of them
 * (a parallel CREATE INDEX or count) only add processes that wait on each other: measured on 2 cores, turning
 * them off cut the target's CPU time by a quarter and the clone's wall time by a fifth (README, Speed).
 */
export const NO_QUERY_PARALLELISM = { max_parallel_workers_per_gather: '0', max_parallel_maintenance_workers: '0' };

export async function openTracked(ctx: RunContext, side: Side, purpose: string, settings?: Record<string, string>): Promise<pg.Client> {
  const c = await openClient(side === 'source' ? ctx.source : ctx.target, {
    side,
    purpose,
    settings: { ...NO_QUERY_PARALLELISM, ...settings },
    connectTimeoutMs: connectTimeoutMs(ctx),
  });
  ctx.clients.add(c);
  return c;
}

/** A source connection that reads in the run's snapshot: every source read of a run goes through one. */
export async function openSourceReader(ctx: RunContext, purpose: string): Promise<pg.Client> {
  const c = await openTracked(ctx, 'source', purpose);
  if (ctx.snapshot) await importSnapshot(c, ctx.snapshot.id);
  return c;
}

export async function closeTracked(ctx: RunContext, c: pg.Client | null | undefined): Promise<void> {
  if (!c) return;
  ctx.clients.delete(c);
  await closeClient(c);
}

/** Cut every connection of the attempt (after a failure): in-flight transactions roll back on the server. */
export function destroyAll(ctx: RunContext): void {
  for (const c of ctx.clients) destroyClient(c);
  ctx.clients.clear();
}

function applyCommitted(ctx: RunContext, events: LoggedEvent[]): void {
  for (const ev of events) ctx.state = evolve(ctx.state, ev);
  ctx.observer.onEvents?.(events, ctx.state);
  ctx.changed.notify();
}

/**
 * The invariant: run `change` and append `events` (and any the change returns) in one target
 * transaction, and count them as done only when COMMIT says COMMIT. A step another process already
 * recorded means two engines on one run. A committed change is progress: from then on the budget may stop the run.
 */
export async function commitWith(ctx: RunContext, db: pg.ClientBase, events: NewEvent[], change?: () => Promise<NewEvent[] | void>): Promise<LoggedEvent[]> {
  const logged = await inTransaction(db, async () => {
    const more = change ? await change() : undefined;
    const r = await appendEvents(db, [...events, ...(more ?? [])]);
    if (!r.ok) {
      throw new PgcloneError('locked', `another process already recorded "${r.conflict}" for run ${ctx.runId}; stopping so nothing is applied twice`);
    }
    return r.events;
  });
  if (change) ctx.budget.markProgress();
  applyCommitted(ctx, logged);
  return logged;
}

const lockQueues = new WeakMap<pg.Client, Promise<unknown>>();

/** Events on the lock connection, one transaction at a time; `change` (on that connection) commits with them. */
export async function record(ctx: RunContext, events: NewEvent[], change?: (db: pg.Client) => Promise<void>): Promise<LoggedEvent[]> {
  const conn = ctx.lock;
  const prev = lockQueues.get(conn) ?? Promise.resolve();
  const mine = prev.catch(() => undefined).then(() => commitWith(ctx, conn, events, change && (() => change(conn))));
  lockQueues.set(conn, mine);
  return mine;
}
