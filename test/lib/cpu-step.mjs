// One step() with a CPU budget of 1 ms and a progress callback, under Node, Deno or Bun (test/lib/runtimes.int.test.ts):
//   RUNTIME test/lib/cpu-step.mjs SOURCE_URL TARGET_URL  → one JSON line: the outcome and how often onProgress was called
import process from 'node:process';
import { step } from 'pgclone';

const [source, target] = process.argv.slice(2);
let progressCalls = 0;
const r = await step({ source, target, budgetMs: 600_000, cpuBudgetMs: 1, onProgress: () => progressCalls++ });
console.log(JSON.stringify({ outcome: r.outcome, rowsDone: r.progress?.rowsDone ?? null, progressCalls }));
