// npm run matrix: one embedded server per major 13–18, every (source, target ≥ source) pair cloned and compared, a table and one summary line.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { reapOrphanedServers, type EmbeddedServer } from '../../src/local/embedded.js';
import { fetchReports, type Major } from '../../src/local/majors.js';
import { startMajorServer } from '../helpers/server.js';
import { allPairs, matrixTable, pairName, parsePairs, runPair, type PairResult } from './pairs.js';

const USAGE = `usage: npm run matrix [-- --pairs 13-18,15-15] [--keep] [--stop]
  --pairs  run these SOURCE-TARGET pairs only (default: all 21 with target ≥ source)
  --keep   leave the servers and each pair's databases up for debugging (their URLs are printed)
  --stop   stop the servers a --keep run left (and any a killed run left), then exit`;

/** Up to `n` at once, results in the order of `items`. */
async function pool<T, R>(items: T[], n: number, f: (x: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = Array.from({ length: items.length });
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!).then(
        (value): PromiseFulfilledResult<R> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { pairs: { type: 'string' }, keep: { type: 'boolean' }, stop: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.stop) {
    const n = (await reapOrphanedServers({ kept: true })) + (await reapOrphanedServers());
    console.log(`stopped and removed ${n} server${n === 1 ? '' : 's'}`);
    return 0;
  }
  const pairs = values.pairs ? parsePairs(values.pairs) : allPairs();
  if (pairs.length === 0) throw new Error('--pairs names no pair');
  const t0 = Date.now();
  const secs = (from: number) => `${((Date.now() - from) / 1000).toFixed(1)} s`;
  // the pairs run the CLI from a fresh build, as the tests do
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/tsconfig.build.json`], { stdio: 'inherit' });
  process.env.PGCLONE_USE_DIST = '1';

  const majors = [...new Set(pairs.flatMap((p) => [p.source, p.target]))].sort((a, b) => a - b);
  const servers = new Map<Major, EmbeddedServer>();
  await reapOrphanedServers();
  const tStart = Date.now();
  // two at a time: initdb is CPU-bound and the machine has two cores
  const started = await pool(majors, 2, async (major) => {
    const s = await startMajorServer(major, { label: `matrix-${major}` });
    servers.set(major, s);
    return s;
  });
  const failedStart = started.flatMap((r, i) =>
    r.status === 'rejected' ? [`${majors[i]}: ${String(r.reason instanceof Error ? r.reason.message : r.reason)}`] : [],
  );
  const fetched = fetchReports.map((f) => `${f.major} (${(f.bytes / 1e6).toFixed(1)} MB in ${(f.ms / 1000).toFixed(1)} s)`);
  console.log(`servers: ${majors.join(', ')} started in ${secs(tStart)}${fetched.length > 0 ? `; fetched ${fetched.join(', ')}` : '; binaries cached'}`);
  const results: PairResult[] = [];
  try {
    if (failedStart.length > 0) throw new Error(`servers that did not start: ${failedStart.join('; ')}`);
    const urls = Object.fromEntries([...servers].map(([m, s]) => [m, s.url])) as Partial<Record<Major, string>>;
    for (const pair of pairs) {
      const r = await runPair(urls, pair, { keep: values.keep === true });
      results.push(r);
      console.log(`${pairName(r).padEnd(6)} ${r.ok ? 'ok  ' : 'FAIL'} rc=${r.code ?? '-'} ${r.seconds.toFixed(1)} s${r.error ? ` — ${r.error}` : ''}`);
      if (values.keep) console.log(`       source ${r.sourceUrl}\n       target ${r.targetUrl}`);
    }
  } finally {
    if (values.keep) {
      for (const [m, s] of servers) {
        await s.keep();
        console.log(`kept PostgreSQL ${m}: ${s.url}`);
      }
      console.log('stop them with: npm run matrix -- --stop');
    } else {
      await Promise.all([...servers.values()].map((s) => s.stop()));
    }
  }
  console.log('');
  console.log(matrixTable(results));
  for (const r of results.filter((x) => !x.ok && x.differences && x.differences.length > 0)) {
    console.log(`\n${pairName(r)}: ${r.differences!.length} difference${r.differences!.length === 1 ? '' : 's'}`);
    for (const d of r.differences!.slice(0, 5)) console.log(`  ${d.kind} ${d.what}: ${d.detail}`);
  }
  console.log(`\nin ${secs(t0)}`);
  return results.every((r) => r.ok) && results.length === pairs.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  },
);
