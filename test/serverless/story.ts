// The serverless story end to end: the Edge Function handler invoked through the local platform until the clone is
// finished — the schedule's tick whenever the chain of self-invocations has stopped (a kill, a refusal) — then where
// the first invocation was cut (from the log), what it all cost, and the clone checked row for row.
import { foldRun, listRuns, readRun, readRunLocks, tableKey, type LoggedEvent, type RunState } from '../../src/events/index.js';
import { compareDatabases, logVersusTarget, type Difference } from '../helpers/compare.js';
import { connect } from '../helpers/pg.js';
import { closeGateWhenLogExists, type LogGate } from './log-gate.js';
import { startPlatform, type Invocation, type Platform } from './platform.js';

export const PANELS = tableKey({ schema: 'public', name: 'storyboard_panels' });

/**
 * clean: the handler's budget ends before the platform's limit, so it stops at a boundary and invokes itself.
 * sigkill: the handler believes it has longer than it has (the free plan's 150 s against a shorter limit), so the
 * guillotine lands with a batch in flight.
 */
export type Shape = 'clean' | 'sigkill';

export interface StoryOptions {
  source: string;
  target: string;
  shape: Shape;
  /** the platform's guillotine */
  wallLimitMs: number;
  /** the handler's WALL_CLOCK_LIMIT_MS and STOP_MARGIN_MS */
  handlerWallMs: number;
  handlerMarginMs: number;
  maxInvocations: number;
  /** the handler's CPU_BUDGET_MS; 0 (the default): no CPU watch, the cut is the wall clock's */
  cpuBudgetMs?: number;
  /**
   * The short version's brake (log-gate.ts): the first invocation is held at its next commit once storyboard_panels
   * has rows in the target, until its budget is spent (clean) or the guillotine falls (sigkill). Meanwhile, in the
   * sigkill shape, a second request overlaps it and must answer `locked`.
   */
  brake?: boolean;
  /** after the first invocation, while nothing runs (the sigkill shape: the chain stopped with the kill) */
  afterFirst?: () => Promise<void>;
  log?: (line: string) => void;
}

/** Where the first invocation left the run, from the log's events up to the first RunResumed. */
export interface Cut {
  how: 'suspended' | 'killed' | 'finished';
  phase: string;
  /** the table being copied, when the cut fell in the data phase */
  table: string | null;
  panelsRows: number;
  panelsTotal: number;
}

export interface StoryResult {
  shape: Shape;
  runId: string;
  invocations: Invocation[];
  /** the overlapping request's answer (brake, sigkill shape) */
  overlap: Invocation | null;
  /** brake, sigkill shape: storyboard_panels batches copied but not committed when the guillotine fell */
  inFlightAtKill: number | null;
  firstCut: Cut;
  /** what each RunSuspended of the run says stopped it */
  suspendReasons: string[];
  /** the sum of the invocations' wall times: what the platform bills */
  workMs: number;
  peakRssKb: number;
  cpuMs: number;
  differences: Difference[];
  logProblems: string[];
}

function panelsOf(s: RunState): { rows: number; total: number } {
  const t = s.tables[PANELS];
  return { rows: t?.rowsDone ?? 0, total: t?.exactRows ?? t?.estRows ?? 0 };
}

export function cutOf(events: LoggedEvent[]): Cut {
  const i = events.findIndex((e) => e.type === 'RunResumed');
  const before = i < 0 ? events : events.slice(0, i);
  const s = foldRun(before);
  const last = before.at(-1);
  const how = last?.type === 'RunSuspended' ? 'suspended' : last?.type === 'RunFinished' ? 'finished' : 'killed';
  const copying = s.tableOrder.map((k) => s.tables[k]).find((t) => t && t.status === 'copying');
  const p = panelsOf(s);
  return { how, phase: s.phase, table: s.phase === 'data' && copying ? copying.key : null, panelsRows: p.rows, panelsTotal: p.total };
}

async function newestEvents(target: string): Promise<LoggedEvent[]> {
  const c = await connect(target);
  try {
    const last = (await listRuns(c)).at(-1);
    if (!last) throw new Error('the target holds no run');
    return await readRun(c, last.runId);
  } finally {
    await c.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** No process holds a lock on any run in the target (polled, up to a minute). */
async function lockFree(target: string): Promise<void> {
  const c = await connect(target);
  try {
    const ids = (await listRuns(c)).map((r) => r.runId);
    for (let i = 0; i < 600; i++) {
      if ((await readRunLocks(c, ids)).size === 0) return;
      await sleep(100);
    }
    throw new Error('a run in the target stayed locked for a minute after its invocation ended');
  } finally {
    await c.end();
  }
}

export async function runStory(o: StoryOptions): Promise<StoryResult> {
  const log = o.log ?? (() => undefined);
  let firstEnded: (() => void) | null = null;
  const firstEnd = new Promise<void>((r) => (firstEnded = r));
  let firstAccepted: ((at: number) => void) | null = null;
  const accepted = new Promise<number>((r) => (firstAccepted = r));
  const budgetMs = o.handlerWallMs - o.handlerMarginMs;
  const platform: Platform = await startPlatform({
    source: o.source,
    target: o.target,
    wallLimitMs: o.wallLimitMs,
    // CPU_BUDGET_MS=0 unless asked: the harness cuts on wall clock; the CPU each invocation used is measured and reported
    handlerEnv: { WALL_CLOCK_LIMIT_MS: String(o.handlerWallMs), STOP_MARGIN_MS: String(o.handlerMarginMs), CPU_BUDGET_MS: String(o.cpuBudgetMs ?? 0) },
    onAccepted: ({ n, acceptedAt }) => {
      if (n === 1) firstAccepted?.(acceptedAt);
    },
    onEnd: (inv) => {
      log(
        `  invocation ${inv.n} (${inv.trigger}): ${inv.end} after ${(inv.wallMs / 1000).toFixed(1)} s — ${inv.report ? `${inv.report.outcome}, ${inv.report.where ?? ''}` : 'no report'}; peak RSS ${(inv.peakRssKb / 1024).toFixed(0)} MB, CPU ${(inv.cpuMs / 1000).toFixed(1)} s`,
      );
      if (inv.n === 1) firstEnded?.();
    },
  });
  let overlap: Invocation | null = null;
  let inFlightAtKill: number | null = null;
  try {
    // the brake closes as soon as the first invocation has created the log
    const gate: Promise<LogGate> | null = o.brake ? closeGateWhenLogExists(o.target, 120_000) : null;
    const first = platform.invoke();
    if (gate) {
      const held = await gate;
      try {
        const s = await held.stepUntil((st) => panelsOf(st).rows > 0, 120_000);
        log(`  brake: held with storyboard_panels at ${panelsOf(s).rows} / ${panelsOf(s).total} rows`);
        if (o.shape === 'clean') {
          // the handler's budget counts from its request, which it had before it answered 202
          const until = (await accepted) + budgetMs + 2_000;
          await sleep(Math.max(0, until - Date.now()));
        } else {
          // a second request while the first holds the run: the platform retried, or the schedule ticked
          const before = platform.invocations.length;
          const status = await platform.invoke();
          if (status !== 202) throw new Error(`the overlapping request was answered ${status}`);
          while (!platform.invocations.slice(before).some((i) => i.n === 2)) await sleep(50);
          overlap = platform.invocations.find((i) => i.n === 2) ?? null;
          await firstEnd;
          // a killed runtime's backends waiting at the gate do not notice their client is gone until it opens
          inFlightAtKill = await held.inFlight(PANELS);
        }
      } finally {
        await held.release();
      }
    }
    if ((await first) !== 202) throw new Error(`the first invocation was answered ${await first}`);
    let afterFirstDone = false;
    for (;;) {
      await platform.idle();
      const chain = platform.invocations.filter((i) => i !== overlap);
      const last = chain.at(-1) as Invocation;
      if (last.report?.outcome === 'finished') break;
      if (last.report && last.report.outcome !== 'suspended' && last.report.outcome !== 'locked')
        throw new Error(`invocation ${last.n} ended ${last.report.outcome}: ${JSON.stringify(last.report)}`);
      if (last.end === 'exited') throw new Error(`invocation ${last.n}'s runtime exited by itself:\n${last.stderr}`);
      if (chain.length >= o.maxInvocations) throw new Error(`not finished after ${chain.length} invocations`);
      if (!afterFirstDone && o.afterFirst) {
        afterFirstDone = true;
        await o.afterFirst();
      }
      // the chain stopped (a kill leaves no one to invoke the next): the schedule's next tick, once the killed
      // runtime's backends have noticed and let go of the run's lock (a tick before that would only hear `locked`)
      await lockFree(o.target);
      const status = await platform.invoke();
      if (status !== 202) throw new Error(`the schedule's request was answered ${status}`);
    }
  } finally {
    await platform.close();
  }
  const invocations = platform.invocations.filter((i) => i !== overlap);
  const events = await newestEvents(o.target);
  const runId = events[0]?.runId as string;
  return {
    shape: o.shape,
    runId,
    invocations,
    overlap,
    inFlightAtKill,
    firstCut: cutOf(events),
    suspendReasons: events.flatMap((e) => (e.type === 'RunSuspended' ? [e.reason] : [])),
    workMs: invocations.reduce((a, i) => a + i.wallMs, 0),
    peakRssKb: Math.max(...invocations.map((i) => i.peakRssKb), overlap?.peakRssKb ?? 0),
    cpuMs: invocations.reduce((a, i) => a + i.cpuMs, 0),
    differences: await compareDatabases(o.source, o.target),
    logProblems: await logVersusTarget(o.target, runId),
  };
}

/** One invocation with no limit worth the name: the same handler and runtime, the whole clone at once. */
export async function runUninterrupted(source: string, target: string): Promise<Invocation> {
  const hour = 3_600_000;
  const platform = await startPlatform({
    source,
    target,
    wallLimitMs: hour,
    handlerEnv: { WALL_CLOCK_LIMIT_MS: String(hour), STOP_MARGIN_MS: '0', CPU_BUDGET_MS: '0' },
  });
  try {
    if ((await platform.invoke()) !== 202) throw new Error('the uninterrupted invocation was not accepted');
    await platform.idle();
  } finally {
    await platform.close();
  }
  const inv = platform.invocations[0] as Invocation;
  if (platform.invocations.length !== 1 || inv.report?.outcome !== 'finished')
    throw new Error(`the uninterrupted clone did not finish in one invocation: ${JSON.stringify(inv.report)}\n${inv.stderr}`);
  return inv;
}
