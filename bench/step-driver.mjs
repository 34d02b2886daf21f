// The library path as a function would take it, for the benchmark: step() in a loop, one budget per call, in one
// process (Node or Deno), until the run finishes. The caller (here, the benchmark) reads its own secrets: the password
// comes from PGPASSWORD and travels in the connection config, never on the command line.
//   node bench/step-driver.mjs SOURCE_URL TARGET_URL BUDGET_MS JOBS
//   deno run --allow-net --allow-read --allow-env --allow-sys bench/step-driver.mjs SOURCE_URL TARGET_URL BUDGET_MS JOBS
import process from 'node:process';
import { step } from 'pgclone';

const [sourceUrl, targetUrl, budget, jobs] = process.argv.slice(2);
if (!sourceUrl || !targetUrl || !budget || !jobs) {
  console.error('usage: step-driver.mjs SOURCE_URL TARGET_URL BUDGET_MS JOBS');
  process.exit(2);
}
const config = (s) => {
  const u = new URL(s);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    database: decodeURIComponent(u.pathname.slice(1)),
    user: decodeURIComponent(u.username),
    password: process.env.PGPASSWORD,
  };
};
const source = config(sourceUrl);
const target = config(targetUrl);
const options = { jobs: Number(jobs), indexJobs: Number(jobs), verify: 'count' };
for (let call = 1; ; call++) {
  const r = await step({ source, target, budgetMs: Number(budget), options });
  if (r.outcome === 'suspended') continue;
  if (r.outcome === 'finished') {
    console.log(`run ${r.runId} finished after ${call} calls`);
    break;
  }
  console.error(`run ${r.runId} ${r.outcome}: ${JSON.stringify(r.error ?? r.holder ?? null)}`);
  process.exit(1);
}
