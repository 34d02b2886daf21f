// What one engine process shares across phases: connections, the folded log, and committing a change with its event.
import type pg from 'pg';
import { evolve } from '../events/fold.js';
import type { LoggedEvent, NewEvent, RunOptions, TableRef } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { appendEvents } from '../events/store.js';
import type { SourceTable } from './pg/catalog.js';
import { closeClient, destroyClient, openClient, type Side } from './pg/connect.js';
import type { ConnInfo } from './pg/conninfo.js';
import type { SchemaDump } from './pg/dump.js';
import { PgcloneError } from './errors.js';
import type { PgTools } from './pg/pg-tools.js';

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
}

export const DEFAULT_SETTINGS: EngineSettings = { maxDurationMs: null, ioTimeoutMs: 60_000, maxRetries: 8, retryBaseMs: 500 };

export interface EngineObserver {
  /** events as they commit, in commit order, with the run's state after them */
  onEvents?(events: LoggedEvent[], state: RunState): void;
  /** notes for the operator that are not events (warnings, what is being waited on) */
  onNote?(text: string): void;
}

export class Budget {
  private progressed = false;
  constructor(
    private readonly maxMs: number | null,
    private readonly startedAt = Date.now(),
    private readonly stop?: AbortSignal,
  ) {}
  /** Work was committed by this process: from now on the budget may stop it (so every slice makes progress). */
  markProgress(): void {
    this.progressed = true;
  }
  expired(): boolean {
    return this.progressed && ((this.maxMs !== null && Date.now() - this.startedAt >= this.maxMs) || this.stop?.aborted === true);
  }
  /** what RunSuspended says stopped the run */
  reason(): string {
    if (this.stop?.aborted && typeof this.stop.reason === 'string') return this.stop.reason;
    return this.maxMs !== null ? `time budget of ${(this.maxMs / 1000).toFixed(1)} s spent` : 'the time budget was spent';
  }
}

/** Thrown at a boundary when the time budget is spent: the run stops cleanly, resumable. */
export class BudgetSpent extends Error {
  constructor() {
    super('time budget spent');
    this.name = 'BudgetSpent';
  }
}

export interface RunContext {
  runId: string;
  source: ConnInfo;
  target: ConnInfo;
  tools: PgTools;
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

/** How long a connection (and its session settings) may take during a run: the I/O timeout, at most 10 s. */
export function connectTimeoutMs(ctx: Pick<RunContext, 'settings'>): number {
  return Math.min(10_000, ctx.settings.ioTimeoutMs);
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
 * recorded means two engines on one run.
 */
export async function commitWith(
  ctx: RunContext,
  db: pg.ClientBase,
  events: NewEvent[],
  change?: () => Promise<NewEvent[] | void>,
): Promise<LoggedEvent[]> {
  await db.query('BEGIN');
  let logged: LoggedEvent[];
  try {
    const more = change ? await change() : undefined;
    const r = await appendEvents(db, [...events, ...(more ?? [])]);
    if (!r.ok) {
      throw new PgcloneError('locked', `another process already recorded "${r.conflict}" for run ${ctx.runId}; stopping so nothing is applied twice`);
    }
    const res = await db.query('COMMIT');
    if (res.command !== 'COMMIT') throw new PgcloneError('transient', `the target answered ${res.command} to COMMIT: the transaction was lost`);
    logged = r.events;
  } catch (e) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  applyCommitted(ctx, logged);
  return logged;
}

const lockQueues = new WeakMap<pg.Client, Promise<unknown>>();

/** Events that record no change of their own, on the lock connection, one transaction at a time. */
export async function record(ctx: RunContext, events: NewEvent[]): Promise<LoggedEvent[]> {
  const conn = ctx.lock;
  const prev = lockQueues.get(conn) ?? Promise.resolve();
  const mine = prev.catch(() => undefined).then(() => commitWith(ctx, conn, events));
  lockQueues.set(conn, mine);
  return mine;
}
