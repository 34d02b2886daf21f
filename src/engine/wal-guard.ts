// The retained-WAL guard: a run's slot holds the source's WAL; past --max-retained-wal the run drops it and stops.
import type pg from 'pg';
import { suggest } from '../events/commands.js';
import type { NewEventOf } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { formatSize } from '../events/summary.js';
import { openTracked, record, type RunContext } from './context.js';
import { PgcloneError } from './errors.js';
import { DEFAULT_MAX_RETAINED_WAL_BYTES } from './run-options.js';
import { dropSlotAndPublication, slotState, type SlotState } from './pg/slot.js';

/** The limit a run works under: this process's override (resume --max-retained-wal), else the run's, else the default; 0 is none. */
export function walLimitOf(options: { maxRetainedWalBytes?: number }, override?: number): number {
  return override ?? options.maxRetainedWalBytes ?? DEFAULT_MAX_RETAINED_WAL_BYTES;
}

export type WalVerdict =
  | { kind: 'ok'; retainedBytes: number }
  | { kind: 'over'; retainedBytes: number; limitBytes: number; why: string }
  | { kind: 'lost' }
  | { kind: 'gone' };

/**
 * Pure: what the slot's state means for a run with this limit. Over the limit (a limit of 0 is none), or marked
 * `unreserved` by the server (past max_slot_wal_keep_size: the next checkpoint may remove WAL it needs), the run must
 * let go of it; `lost` (invalidated) and gone are the slot already beyond use.
 */
export function walVerdict(limitBytes: number, slot: SlotState | null): WalVerdict {
  if (!slot) return { kind: 'gone' };
  if (slot.walStatus === 'lost') return { kind: 'lost' };
  if (limitBytes > 0 && slot.retainedBytes > limitBytes) {
    return {
      kind: 'over',
      retainedBytes: slot.retainedBytes,
      limitBytes,
      why: `it held ${formatSize(slot.retainedBytes)} of the source's WAL, more than --max-retained-wal ${formatSize(limitBytes)}`,
    };
  }
  if (slot.walStatus === 'unreserved') {
    return {
      kind: 'over',
      retainedBytes: slot.retainedBytes,
      limitBytes,
      why: `it held ${formatSize(slot.retainedBytes)} of the source's WAL, past the source's max_slot_wal_keep_size (wal_status unreserved)`,
    };
  }
  return { kind: 'ok', retainedBytes: slot.retainedBytes };
}

/** What the operator reads when the guard drops the slot: what happened, and the two ways on. */
export function guardMessage(state: RunState, slot: string, why: string): string {
  return (
    `the retained-WAL guard dropped the replication slot ${slot} and its publication from the source: ${why}. ` +
    `The changes the source made since the copy began can no longer be read, so this run cannot be made exact on a live source any more. ` +
    `Start again, exact: ${suggest('wipe', state, ['--restart'])}; or finish this copy without catch-up (not exact if the source changed during the run; verify with checksums): ${suggest('resume', state, ['--no-catch-up'])}`
  );
}

/** What the operator reads when the run's slot is invalidated or gone before catch-up is done: why, and the two ways on. */
export function slotLostMessage(state: RunState, slot: string, kind: 'lost' | 'gone'): string {
  return `run ${state.runId} catches up through the replication slot ${slot}, which is ${kind === 'lost' ? 'invalidated (the source removed its WAL)' : 'gone from the source'}: the source's changes since the copy began cannot be read; wipe the run and start again: ${suggest('wipe', state, ['--restart'])}; or finish it without catch-up (not exact if the source changed during the run): ${suggest('resume', state, ['--no-catch-up'])}`;
}

/** Drop the slot and the publication; the event that records it (by the guard, with why). */
export async function dropForGuard(db: pg.ClientBase, state: RunState, v: Extract<WalVerdict, { kind: 'over' }>): Promise<NewEventOf<'CatchUpReleased'>> {
  const c = state.catchUp as NonNullable<RunState['catchUp']>;
  const dropped = await dropSlotAndPublication(db, c.slot, c.publication);
  return {
    type: 'CatchUpReleased',
    runId: state.runId,
    dropped,
    by: 'guard',
    reason: v.why,
    retainedBytes: v.retainedBytes,
    limitBytes: v.limitBytes,
  };
}

/** The least time between two reads of the slot inside one process (workers reach boundaries together). */
export const GUARD_INTERVAL_MS = 1000;

interface GuardState {
  conn: pg.Client | null;
  lastAt: number;
  pending: Promise<void> | null;
}
const guards = new WeakMap<RunContext, GuardState>();

/**
 * At a boundary, while the run's slot exists: read how much WAL it holds (at most once a second per process) and,
 * over the limit, drop it and its publication, record why (CatchUpReleased by the guard), and stop the run
 * (PgcloneError 'wal-guard', exit 11). A slot lost or gone before catch-up is done stops the run saying so (the
 * changes cannot be read); after it, nothing needs the slot. `force`: read now, whenever the last reading was.
 */
export async function guardRetainedWal(ctx: RunContext, force = false): Promise<void> {
  const c = ctx.state.catchUp;
  if (!c || c.released || ctx.options.catchUp !== true) return;
  let g = guards.get(ctx);
  if (!g) guards.set(ctx, (g = { conn: null, lastAt: 0, pending: null }));
  const gs = g;
  if (gs.pending) return gs.pending;
  if (!force && Date.now() - gs.lastAt < GUARD_INTERVAL_MS) return;
  gs.pending = (async () => {
    // a retry cuts every tracked connection: the guard's goes with them and is opened again
    if (!gs.conn || !ctx.clients.has(gs.conn)) gs.conn = await openTracked(ctx, 'source', 'wal guard');
    const v = walVerdict(walLimitOf(ctx.options, ctx.settings.maxRetainedWalBytes), await slotState(gs.conn, c.slot));
    if (v.kind === 'ok') return;
    // caught up already: what is left (sequences, verify, the finish's drop) needs no slot
    const caughtUp = ctx.state.phases['catch-up'].status === 'done';
    if ((v.kind === 'lost' || v.kind === 'gone') && caughtUp) return;
    if (v.kind === 'lost' || v.kind === 'gone') throw new PgcloneError('failed', slotLostMessage(ctx.state, c.slot, v.kind));
    const ev = await dropForGuard(gs.conn, ctx.state, v);
    await record(ctx, [ev]);
    // caught up already: the target is exact at its point, and what is left (sequences, verify) needs no slot
    if (caughtUp) {
      ctx.observer.onNote?.(`the retained-WAL guard dropped the replication slot ${c.slot} after catch-up: ${v.why}`);
      return;
    }
    throw new PgcloneError('wal-guard', guardMessage(ctx.state, c.slot, v.why));
  })().finally(() => {
    gs.lastAt = Date.now();
    gs.pending = null;
  });
  return gs.pending;
}
