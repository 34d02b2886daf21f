// The budgets' decisions, pure: the CPU budget stops at the boundary before it would be spent; the wall budget as before.
import { describe, expect, it } from 'vitest';
import { Budget, WINDOW, wouldOverrun } from '../../src/engine/budget.js';

/** A CPU clock the test moves by hand. */
function fakeCpu(start = 1000) {
  let t = start;
  return { clock: () => t, spend: (ms: number) => (t += ms) };
}

describe('wouldOverrun', () => {
  it('stops when what is used plus the largest recent stretch reaches the budget, not only when the budget is gone', () => {
    expect(wouldOverrun(2000, 1500, [400])).toBe(false);
    expect(wouldOverrun(2000, 1600, [400])).toBe(true);
    expect(wouldOverrun(2000, 1700, [100, 350, 200])).toBe(true);
    expect(wouldOverrun(2000, 1600, [100, 350, 200])).toBe(false);
  });

  it('with no stretch measured yet, only a spent budget stops', () => {
    expect(wouldOverrun(2000, 1999, [])).toBe(false);
    expect(wouldOverrun(2000, 2000, [])).toBe(true);
  });
});

describe('Budget with a CPU budget', () => {
  it('never stops before the first commit, however much CPU went to preflight', () => {
    const cpu = fakeCpu();
    const b = new Budget(null, Date.now(), undefined, { budgetMs: 100, clock: cpu.clock, from: cpu.clock() });
    cpu.spend(500);
    expect(b.expired()).toBe(false);
    b.markProgress();
    expect(b.expired()).toBe(true);
    expect(b.reason()).toBe('CPU budget of 100 ms spent (500 ms used)');
  });

  it('measures commit-to-commit stretches and stops one stretch early; once stopped it stays stopped', () => {
    const cpu = fakeCpu();
    const b = new Budget(null, Date.now(), undefined, { budgetMs: 1000, clock: cpu.clock, from: cpu.clock() });
    cpu.spend(200); // preflight and schema: not a stretch between boundaries
    b.markProgress();
    cpu.spend(150);
    b.markProgress(); // stretch 150, used 350
    expect(b.expired()).toBe(false);
    cpu.spend(150);
    b.markProgress(); // used 500
    cpu.spend(300);
    b.markProgress(); // stretch 300, used 800: 800 + 300 ≥ 1000
    expect(b.expired()).toBe(true);
    expect(b.reason()).toBe('CPU budget of 1000 ms nearly spent (800 ms used; the next stretch of work would pass it)');
    // a worker still in flight commits a cheap stretch: the answer does not flip back
    cpu.spend(10);
    b.markProgress();
    expect(b.expired()).toBe(true);
  });

  it('looks at the last few stretches only', () => {
    const cpu = fakeCpu();
    const b = new Budget(null, Date.now(), undefined, { budgetMs: 9000, clock: cpu.clock, from: cpu.clock() });
    b.markProgress();
    cpu.spend(3000); // one expensive stretch, then cheap ones push it out of the window
    b.markProgress();
    for (let i = 0; i < WINDOW; i++) {
      cpu.spend(10);
      b.markProgress();
    }
    cpu.spend(3000); // used 6030 + 10 < 9000; with the old 3000 still counted, 6030 + 3000 ≥ 9000 would stop it
    expect(b.expired()).toBe(false);
  });
});

describe('Budget without a CPU budget (the wall budget and the stop signal, unchanged)', () => {
  it('a spent wall budget stops only after progress; a stop signal says its own reason', () => {
    const b = new Budget(1, Date.now() - 10);
    expect(b.expired()).toBe(false);
    b.markProgress();
    expect(b.expired()).toBe(true);
    expect(b.reason()).toBe('time budget of 0.0 s spent');
    const ac = new AbortController();
    const s = new Budget(null, Date.now(), ac.signal);
    s.markProgress();
    expect(s.expired()).toBe(false);
    ac.abort('stopped by SIGTERM');
    expect(s.expired()).toBe(true);
    expect(s.reason()).toBe('stopped by SIGTERM');
    expect(s.cpuUsedMs()).toBeNull();
  });
});

describe('wouldOverrun and the wall budget', () => {
  it('does not start a batch that would end past the budget: elapsed plus the longest recent batch', () => {
    expect(wouldOverrun(2000, 1500, [400])).toBe(false);
    expect(wouldOverrun(2000, 1600, [400])).toBe(true);
    expect(wouldOverrun(2000, 1500, [100, 600, 200])).toBe(true);
    expect(wouldOverrun(2000, 1999, [])).toBe(false);
    expect(wouldOverrun(2000, 2000, [])).toBe(true);
  });

  it('a Budget stops before its time once batches have been measured, and says it was nearly spent', () => {
    let now = 10_000;
    const b = new Budget(2000, now, undefined, null, () => now);
    b.markProgress();
    now += 900;
    b.noteWork(900);
    expect(b.expired()).toBe(false); // 900 + 900 < 2000
    now += 300;
    expect(b.expired()).toBe(true); // 1200 + 900 ≥ 2000: the next batch would end at 2.1 s
    expect(b.reason()).toBe('time budget of 2.0 s nearly spent (1.2 s used; the next batch would pass it)');
    now += 5000;
    expect(b.reason()).toBe('time budget of 2.0 s nearly spent (1.2 s used; the next batch would pass it)');
  });

  it('only the latest batches count', () => {
    let now = 0;
    const b = new Budget(10_000, now, undefined, null, () => now);
    b.markProgress();
    b.noteWork(5000);
    for (let i = 0; i < 3; i++) b.noteWork(100);
    now = 9000;
    expect(b.expired()).toBe(false); // the 5 s batch has left the window
  });
});
