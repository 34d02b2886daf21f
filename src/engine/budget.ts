// The budgets (--max-duration, a caller's stop signal, a CPU-time budget): checked at boundaries, never mid-batch;
// each stops at the boundary before it would be passed when the recent work says the next stretch would pass it.

/** CPU time this process has used, in ms (user + system), or null where the runtime cannot tell. */
export type CpuClock = () => number;

/** process.cpuUsage where the runtime has it (Node, Deno and Bun do); null elsewhere. */
export function processCpuClock(): CpuClock | null {
  const usage = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process?.cpuUsage;
  if (typeof usage !== 'function') return null;
  return () => {
    const u = usage();
    return (u.user + u.system) / 1000;
  };
}

/** How many of the latest stretches of work (commit to commit for CPU, one batch for wall time) a prediction looks at. */
export const WINDOW = 3;

/**
 * Pure, for both budgets: stop now rather than at the next boundary when the next stretch of work would pass the
 * limit. It is predicted to take what the recent ones did (the longest of them): stop when used + that ≥ limit — a
 * platform that kills at its limit would lose that stretch; stopping now loses nothing. With nothing measured yet,
 * only a limit already reached stops.
 */
export function wouldOverrun(limitMs: number, usedMs: number, recentMs: readonly number[]): boolean {
  const next = recentMs.length > 0 ? Math.max(...recentMs) : 0;
  return usedMs + next >= limitMs;
}

/** Keep the latest WINDOW measurements. */
function remember(xs: number[], v: number): void {
  xs.push(v);
  if (xs.length > WINDOW) xs.shift();
}

export interface CpuBudget {
  budgetMs: number;
  clock: CpuClock;
  /** the clock's reading when the budget began (the caller's call, before preflight) */
  from: number;
}

export class Budget {
  private progressed = false;
  private spent: 'wall' | 'cpu' | 'stop' | null = null;
  private lastMark: number | null = null;
  private readonly costs: number[] = [];
  private readonly works: number[] = [];
  /** the wall time used when the wall budget said stop */
  private wallUsed = 0;
  constructor(
    private readonly maxMs: number | null,
    private readonly startedAt = Date.now(),
    private readonly stop?: AbortSignal,
    private readonly cpu: CpuBudget | null = null,
    private readonly now: () => number = Date.now,
  ) {}
  /** A batch took this long, from its start to its commit: the next one is predicted to take about as long. */
  noteWork(ms: number): void {
    remember(this.works, ms);
  }
  /** CPU time used since the budget was made; null without a CPU budget */
  cpuUsedMs(): number | null {
    return this.cpu ? this.cpu.clock() - this.cpu.from : null;
  }
  /**
   * Work was committed by this process: from now on the budget may stop it (so every slice makes progress).
   * Each commit is a boundary; the CPU spent since the previous one is what the next stretch is predicted to cost.
   */
  markProgress(): void {
    this.progressed = true;
    const used = this.cpuUsedMs();
    if (used === null) return;
    if (this.lastMark !== null) {
      remember(this.costs, used - this.lastMark);
    }
    this.lastMark = used;
  }
  /** Once true, stays true: every worker and every later check sees the same answer. */
  expired(): boolean {
    if (this.spent !== null) return true;
    if (!this.progressed) return false;
    if (this.stop?.aborted === true) this.spent = 'stop';
    else if (this.maxMs !== null && wouldOverrun(this.maxMs, this.now() - this.startedAt, this.works)) {
      this.spent = 'wall';
      this.wallUsed = this.now() - this.startedAt;
    } else if (this.cpu && wouldOverrun(this.cpu.budgetMs, this.cpuUsedMs() as number, this.costs)) this.spent = 'cpu';
    return this.spent !== null;
  }
  /** what RunSuspended says stopped the run */
  reason(): string {
    if (this.stop?.aborted && typeof this.stop.reason === 'string') return this.stop.reason;
    if (this.spent === 'cpu' && this.cpu) {
      const used = Math.round(this.cpuUsedMs() as number);
      const budget = Math.round(this.cpu.budgetMs);
      return used >= budget
        ? `CPU budget of ${budget} ms spent (${used} ms used)`
        : `CPU budget of ${budget} ms nearly spent (${used} ms used; the next stretch of work would pass it)`;
    }
    if (this.maxMs === null) return 'the time budget was spent';
    const used = this.spent === 'wall' ? this.wallUsed : this.now() - this.startedAt;
    return used >= this.maxMs
      ? `time budget of ${(this.maxMs / 1000).toFixed(1)} s spent`
      : `time budget of ${(this.maxMs / 1000).toFixed(1)} s nearly spent (${(used / 1000).toFixed(1)} s used; the next batch would pass it)`;
  }
}

/** Thrown at a boundary when the time budget is spent: the run stops cleanly, resumable. */
export class BudgetSpent extends Error {
  constructor() {
    super('time budget spent');
    this.name = 'BudgetSpent';
  }
}

export function checkBudget(budget: Budget): void {
  if (budget.expired()) throw new BudgetSpent();
}
