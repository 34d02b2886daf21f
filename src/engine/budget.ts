// The time budget (--max-duration, or a caller's stop signal): checked at boundaries, never mid-batch.

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

export function checkBudget(budget: Budget): void {
  if (budget.expired()) throw new BudgetSpent();
}
