// Clone SOURCE into TARGET with step() in a loop, one budget at a time, under Node, Deno or Bun.
//   node examples/step-loop.mjs SOURCE_URL TARGET_URL [BUDGET_MS]
//   deno run --allow-net --allow-read --allow-env --allow-sys examples/step-loop.mjs SOURCE_URL TARGET_URL [BUDGET_MS]
//   bun examples/step-loop.mjs SOURCE_URL TARGET_URL [BUDGET_MS]
// 'pgclone' is this package itself, found through package.json's "exports" (its name refers to itself from inside it);
// from your own project it is the installed package. The build must exist: npm run build.
import process from 'node:process';
import { step } from 'pgclone';

const [source, target, budget = '1500'] = process.argv.slice(2);
if (!source || !target) {
  console.error('usage: step-loop.mjs SOURCE_URL TARGET_URL [BUDGET_MS]');
  process.exit(2);
}
for (let call = 1; ; call++) {
  const r = await step({ source, target, budgetMs: Number(budget) });
  const p = r.progress;
  console.log(`call ${call}: ${r.outcome} ${p?.phase ?? '-'} rows ${p?.rowsDone ?? 0}/${p?.rowsTotal ?? 0}`);
  if (r.outcome === 'suspended') continue;
  if (r.outcome === 'finished') {
    console.log(`run ${r.runId} finished`);
    break;
  }
  // mismatch, failed, or locked (another process is running this clone): not a finish
  console.error(`run ${r.runId} ${r.outcome}:`, JSON.stringify(r.error ?? r.holder ?? null));
  process.exit(1);
}
