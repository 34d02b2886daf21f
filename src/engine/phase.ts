// A step of the list: skipped when the log already records it done; bracketed by PhaseStarted/PhaseCompleted; budget checked first.
import type { Phase } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { checkBudget } from './budget.js';
import { record, type RunContext } from './context.js';
import { guardRetainedWal } from './wal-guard.js';

/** Bracket writes in flight, per run context and phase: workers that start a phase together write it once. */
const writing = new WeakMap<RunContext, Map<string, Promise<void>>>();
/** Phases already announced as done on an earlier attempt, per context (a retry runs the list again). */
const announced = new WeakMap<RunContext, Set<Phase>>();

function once(ctx: RunContext, key: string, write: () => Promise<void>): Promise<void> {
  let m = writing.get(ctx);
  if (!m) writing.set(ctx, (m = new Map()));
  const pending = m.get(key);
  if (pending) return pending;
  const p = write().finally(() => m.delete(key));
  m.set(key, p);
  return p;
}

function durationMs(state: RunState, phase: Phase): number {
  const at = state.phases[phase].startedAt;
  return at ? Math.max(0, Date.now() - Date.parse(at)) : 0;
}

/** Record that `phase` started, unless the log already says so. */
export function phaseStarted(ctx: RunContext, phase: Phase): Promise<void> {
  if (ctx.state.phases[phase].status !== 'pending') return Promise.resolve();
  return once(ctx, `start ${phase}`, async () => {
    if (ctx.state.phases[phase].status === 'pending') await record(ctx, [{ type: 'PhaseStarted', runId: ctx.runId, phase }]);
  });
}

/** Record that `phase` is done (its start first, if the log lacks it), unless the log already says so. */
export function phaseCompleted(ctx: RunContext, phase: Phase): Promise<void> {
  if (ctx.state.phases[phase].status === 'done') return Promise.resolve();
  return once(ctx, `complete ${phase}`, async () => {
    await phaseStarted(ctx, phase);
    if (ctx.state.phases[phase].status !== 'done') {
      await record(ctx, [{ type: 'PhaseCompleted', runId: ctx.runId, phase, durationMs: durationMs(ctx.state, phase) }]);
    }
  });
}

/**
 * One step: when `done` says the log already holds its work, close a bracket a crash left open and say so;
 * otherwise check the budget, open the first phase's bracket, work, and close every phase's bracket.
 * Steps whose phases overlap (data and post-data) open the later one from inside (phaseStarted).
 */
export async function runPhase(ctx: RunContext, phases: Phase | Phase[], done: (s: RunState) => boolean, work: () => Promise<void>): Promise<void> {
  const list = Array.isArray(phases) ? phases : [phases];
  if (!done(ctx.state)) {
    checkBudget(ctx.budget);
    await guardRetainedWal(ctx, true);
    await phaseStarted(ctx, list[0] as Phase);
    await work();
  } else {
    let seen = announced.get(ctx);
    if (!seen) announced.set(ctx, (seen = new Set()));
    const fresh = list.filter((p) => !seen.has(p) && ctx.state.phases[p].status === 'done');
    if (fresh.length > 0) ctx.observer.onNote?.(`${fresh.join(' and ')}: already done on a previous attempt (the log records it); skipped`);
    for (const p of fresh) seen.add(p);
  }
  for (const p of list) await phaseCompleted(ctx, p);
}
