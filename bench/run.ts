// `npm run bench`: provision, build the dataset, time pgclone against its anchors, verify, report to bench/results/.
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE, type BenchArgs } from './args.js';
import { buildDataset } from './dataset.js';
import { largeMemory, resumeCost } from './extras.js';
import { largeObjects } from './large-objects.js';
import { findPgcopydb, type Availability } from './pgcopydb.js';
import { killLiveChildren, must, rssMethod } from './proc.js';
import { renderMarkdown, writeResults, type BenchResult } from './report.js';
import { measureOnce, runRounds } from './rounds.js';
import { childEnv, dropDb, provision, serverVersion, type Clusters } from './servers.js';
import { median } from './stats.js';
import { ThrottleProxy } from './throttle.js';
import { makeTools, type RunCtx } from './tools.js';
import { digest } from './verify.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DB = 'pgclone_bench_src';
const log = (t: string): void => void process.stderr.write(`${t}\n`);

const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | null = null;
let interrupted = false;
/** Once, whoever asks first (the end of the run or a signal): drop the source database, stop the servers. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
  })();
  return cleaning;
}

/** The client tools are there; returns what `pg_dump --version` says, for the report. */
async function preflight(): Promise<string> {
  const versions: Record<string, string> = {};
  for (const tool of ['pg_dump', 'pg_restore', 'psql', 'pgbench']) {
    const r = await must(tool, ['--version'], { env: process.env }).catch((e: unknown) => {
      throw new Error(`${tool} is needed on PATH (PostgreSQL client tools): ${(e as Error).message}`);
    });
    if (!r.stdout.trim()) throw new Error(`${tool} --version printed nothing`);
    versions[tool] = r.stdout.trim();
  }
  if (!existsSync('/usr/bin/time')) log('note: /usr/bin/time (GNU time) is missing; peak RSS is sampled from /proc instead');
  return versions.pg_dump!;
}

async function bench(a: BenchArgs): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadStart = loadavg()[0] ?? 0;
  const pgDump = await preflight();
  const pgcopydb: Availability = a.tools.includes('pgcopydb') ? await findPgcopydb(a.install, log) : { ok: false, reason: 'not selected (--only)' };
  if (a.tools.includes('pgcopydb') && !pgcopydb.ok) log(`pgcopydb unavailable: ${pgcopydb.reason}`);

  log(`provisioning (${a.server}) …`);
  // pgclone is timed from its build, as installed (PGCLONE_USE_DIST below): the checkout's tsx path would add a second of start-up
  log('building pgclone (tsc) …');
  await must(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'tsconfig.build.json')], { env: process.env });
  const clusters: Clusters = await provision(a.server, a.localUrl, (f) => cleanups.push(f));
  cleanups.push(() => dropDb(clusters.source, SOURCE_DB));
  const [srcVersion, tgtVersion] = await Promise.all([serverVersion(clusters.source), serverVersion(clusters.target)]);

  log(`building the ${a.size} dataset …`);
  const dataset = await buildDataset(clusters, SOURCE_DB, a.size, log);
  log(
    `  ${(dataset.bytes / 2 ** 20).toFixed(0)} MB, ${dataset.tables} tables, built in ${dataset.buildS.toFixed(0)} s; digesting the source for verification …`,
  );
  const source = await digest(clusters.source, SOURCE_DB);

  // --remote: every tool's source is the proxy's port; the dataset, the digest and the verification use the real one
  let proxy: ThrottleProxy | undefined;
  let toolClusters = clusters;
  if (a.remote) {
    proxy = new ThrottleProxy(clusters.source.host, clusters.source.port, a.remote);
    const port = await proxy.listen();
    const p = proxy;
    cleanups.push(() => p.close());
    toolClusters = { ...clusters, source: { ...clusters.source, port } };
    log(`remote source: a proxy on port ${port}, ${(a.remote.rate / 2 ** 20).toFixed(1)} MB/s per connection and direction, ${a.remote.rttMs} ms round trip`);
  }
  const ctx: RunCtx = {
    clusters: toolClusters,
    sourceDb: SOURCE_DB,
    env: { ...childEnv(clusters), PGCLONE_USE_DIST: '1' },
    jobs: a.jobs,
    repoRoot: REPO,
    pgcopydb,
    // a remote source: pgcopydb splits its big tables too (pgclone's batches are 16 MB ranges; 64 MB parts here)
    ...(a.remote ? { pgcopydbSplit: '64MB' } : {}),
  };
  const tools = makeTools(ctx, a.tools);
  const o = { clusters, source, log, ...(proxy ? { proxy } : {}) };
  // untimed: the fresh target cluster creates its WAL segments and both caches warm up before round 1
  log('warm-up: one untimed pg_dump | psql …');
  const warm = await measureOnce(makeTools(ctx, ['pgdump'])[0]!, -1, o);
  if (!warm.ok) log(`  warm-up failed (continuing): ${warm.error}`);
  const samples = await runRounds(tools, a.reps, o);

  let resume: BenchResult['resume'] = { skipped: a.tools.includes('pgclone') ? '--skip-resume' : 'pgclone not selected' };
  const pgOk = samples.filter((s) => s.tool === 'pgclone' && s.ok);
  if (a.resume) {
    if (pgOk.length === 0) resume = { skipped: 'no verified uninterrupted pgclone run to compare with' };
    else {
      const T = median(pgOk.map((s) => s.wallS));
      log(`resume cost: SIGKILL at ${(T / 2).toFixed(2)} s, then resume (${a.reps} times) …`);
      resume = { uninterruptedS: T, reps: await resumeCost(ctx, o, T, a.reps) };
    }
  }
  let large: BenchResult['large'] = { skipped: 'run with --size large or --memory-large' };
  if (a.size === 'large') large = { skipped: 'the main run is large' };
  else if (a.memoryLarge && a.tools.includes('pgclone')) large = await largeMemory(ctx, o);
  const los: BenchResult['largeObjects'] = a.largeObjects ? await largeObjects(ctx, o, a.largeObjects, a.reps) : { skipped: 'run with --large-objects' };

  const cpu = cpus();
  const result: BenchResult = {
    startedAt,
    finishedAt: new Date().toISOString(),
    size: a.size,
    reps: a.reps,
    jobs: a.jobs,
    server: {
      mode: clusters.mode,
      source: `${srcVersion}${clusters.mode === 'embedded' ? ' (embedded)' : ''}`,
      target: `${tgtVersion}${clusters.mode === 'embedded' ? ' (embedded)' : ''}`,
    },
    machine: { cores: cpu.length, cpu: cpu[0]?.model.trim() ?? 'unknown', memGiB: totalmem() / 2 ** 30, loadStart, loadEnd: loadavg()[0] ?? 0 },
    pgDump,
    pgcopydb,
    dataset,
    tools: tools.map((t) => ({ id: t.id, label: t.label, shown: t.shown, unavailable: t.unavailable })),
    samples,
    rssMethod: rssMethod(),
    resume,
    large,
    largeObjects: los,
    ...(a.remote ? { remote: a.remote } : {}),
  };
  const md = renderMarkdown(result);
  process.stdout.write(`\n${md}\n`);
  const base = await writeResults(join(REPO, 'bench', 'results'), result, md);
  log(`written: ${base}.md and ${base}.json`);
}

async function main(): Promise<number> {
  let a: BenchArgs | 'help';
  try {
    a = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    log(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (a === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupted = true;
    log(`\n${sig}: stopping children and servers …`);
    killLiveChildren();
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await bench(a);
    return 0;
  } catch (e) {
    if (!interrupted) log(`benchmark failed: ${(e as Error).message}`);
    return interrupted ? 130 : 1;
  } finally {
    await cleanUp();
  }
}

process.exitCode = await main();
