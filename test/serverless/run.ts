// `npm run serverless`: the origin story at full size — the demo's storyboard dataset on two embedded servers, the
// Supabase Edge Function example under Deno through the local platform (platform.ts), cut at a fixed wall-clock limit
// (a clean stop, then SIGKILL), re-invoked until finished and compared row for row; against one uninterrupted clone.
// Prints a table and writes it to bench/results/<date>-serverless.{md,json}.
//   npm run serverless [-- --limit-s auto|S --margin-s auto|S --image-kb 640]
// auto (the default): the limit is 30 % of one warm uninterrupted clone's time (the story died at 29 %), at least 2 s,
// and the clean stop's margin a third of it — so every story takes several invocations on any machine.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { demoSql, IMAGE_KB, STOP_AT } from '../../src/commands/demo.js';
import { startEmbedded, type EmbeddedServer } from '../../src/local/embedded.js';
import { query, withDatabase } from '../helpers/pg.js';
import type { Invocation } from './platform.js';
import { runStory, runUninterrupted, type StoryResult } from './story.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MB = 1024;
const log = (t: string): void => void process.stderr.write(`${t}\n`);
const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const { values: args } = parseArgs({
  options: {
    'limit-s': { type: 'string', default: 'auto' },
    'margin-s': { type: 'string', default: 'auto' },
    'image-kb': { type: 'string', default: String(IMAGE_KB) },
  },
});
const seconds = (v: string | undefined): number | null => (v === 'auto' ? null : Number(v) * 1000);
const LIMIT_ARG = seconds(args['limit-s']);
const MARGIN_ARG = seconds(args['margin-s']);
const IMAGE = Number(args['image-kb']);
const bad = (n: number | null) => n !== null && !(Number.isFinite(n) && n > 0);
if (bad(LIMIT_ARG) || bad(MARGIN_ARG) || !(Number.isFinite(IMAGE) && IMAGE > 0) || (LIMIT_ARG !== null && MARGIN_ARG !== null && MARGIN_ARG >= LIMIT_ARG)) {
  log('usage: npm run serverless [-- --limit-s auto|S --margin-s auto|S (below the limit) --image-kb N]');
  process.exit(2);
}
/** the story's limit: given, or 30 % of the uninterrupted clone (as the story's function died at 29 %), at least 2 s */
const limitFor = (uninterruptedMs: number): number => LIMIT_ARG ?? Math.max(2000, Math.round((uninterruptedMs * 0.3) / 100) * 100);
const marginFor = (limitMs: number): number => MARGIN_ARG ?? Math.round(limitMs / 3 / 100) * 100;

/** `pgclone watch` in a private tmux server, 80×24, as an operator's terminal: the screen once it matches `re`. */
async function dashboardScreen(target: string, re: RegExp): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pgclone-serverless-tmux-'));
  const tmux = (...a: string[]) => execFileSync('tmux', ['-u', '-S', join(dir, 'server'), ...a], { encoding: 'utf8' });
  const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  try {
    tmux(
      'new-session',
      '-d',
      '-s',
      'watch',
      '-x',
      '80',
      '-y',
      '24',
      '-c',
      ROOT,
      `env -u CI NO_COLOR=1 PGCLONE_USE_DIST=1 TERM=xterm-256color ${q(process.execPath)} bin/pgclone.js watch --target ${q(target)}; sleep 600`,
    );
    let screen = '';
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      screen = tmux('capture-pane', '-p', '-t', 'watch');
      if (re.test(screen)) return screen.trimEnd();
    }
    throw new Error(`the dashboard never showed ${re}; it shows:\n${screen}`);
  } finally {
    try {
      tmux('kill-server');
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const ends = (inv: Invocation[]) => {
  const killed = inv.filter((i) => i.end === 'killed').length;
  return `${inv.length - killed} stopped themselves, ${killed} killed`;
};
const cutText = (r: StoryResult) =>
  `${r.firstCut.how} in ${r.firstCut.phase}${r.firstCut.table ? ` at ${r.firstCut.table.replace(/"/g, '')}` : ''}, storyboard_panels ${r.firstCut.panelsRows} / ${r.firstCut.panelsTotal}`;

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadStart = loadavg()[0] ?? 0;
  log('building pgclone (the harness imports dist/ through test/serverless/deno.json) …');
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  log('starting two embedded PostgreSQL servers …');
  const servers: EmbeddedServer[] = [];
  try {
    servers.push(
      await startEmbedded({
        label: 'serverless-source',
        guard: true,
        settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', wal_level: 'minimal', max_wal_senders: '0' },
      }),
    );
    servers.push(await startEmbedded({ label: 'serverless-target', guard: true, reap: false }));
    const [src, dst] = servers as [EmbeddedServer, EmbeddedServer];
    const source = withDatabase(src.url, 'storyboard');
    await query(src.url, 'CREATE DATABASE storyboard');
    log(`loading the storyboard dataset (2,430 panels of ${IMAGE} kB) …`);
    const t0 = Date.now();
    await query(source, `BEGIN; SET LOCAL search_path = public; ${demoSql(IMAGE)} COMMIT;`);
    // every clone below reads a source whose hint bits are set and pages flushed: the first reader of freshly loaded
    // rows would otherwise pay for writing them (the uninterrupted run, measured first)
    await query(source, 'VACUUM (FREEZE, ANALYZE)');
    await query(src.url, 'CHECKPOINT');
    const size = Number((await query<{ b: string }>(source, 'SELECT pg_database_size(current_database())::text AS b'))[0]?.b ?? 0);
    log(`  ${(size / 2 ** 20).toFixed(0)} MB in ${s1(Date.now() - t0)}`);
    const fresh = async (name: string) => {
      await query(dst.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await query(dst.url, `CREATE DATABASE ${name}`);
      return withDatabase(dst.url, name);
    };
    const drop = (name: string) => query(dst.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);

    // untimed: the fresh target cluster makes its WAL segments and both caches warm up before anything is measured
    log('warm-up: one untimed uninterrupted clone …');
    await runUninterrupted(source, await fresh('warm'));
    await drop('warm');
    log('uninterrupted: one invocation, no limit …');
    const once = await runUninterrupted(source, await fresh('once'));
    log(`  ${s1(once.wallMs)}, peak RSS ${(once.peakRssKb / MB).toFixed(0)} MB, CPU ${s1(once.cpuMs)}`);
    await drop('once');
    const LIMIT_MS = limitFor(once.wallMs);
    const MARGIN_MS = Math.min(marginFor(LIMIT_MS), LIMIT_MS - 500);

    log(`clean stop: limit ${s1(LIMIT_MS)}, the handler told the same, margin ${s1(MARGIN_MS)} …`);
    const clean = await runStory({
      source,
      target: await fresh('clean'),
      shape: 'clean',
      wallLimitMs: LIMIT_MS,
      handlerWallMs: LIMIT_MS,
      handlerMarginMs: MARGIN_MS,
      maxInvocations: 100,
      log,
    });
    await drop('clean');

    log(`SIGKILL: limit ${s1(LIMIT_MS)}, the handler told 150 s (the free plan's) …`);
    const killedTarget = await fresh('killed');
    let screen = '';
    const killed = await runStory({
      source,
      target: killedTarget,
      shape: 'sigkill',
      wallLimitMs: LIMIT_MS,
      handlerWallMs: 150_000,
      handlerMarginMs: 20_000,
      maxInvocations: 100,
      log,
      afterFirst: async () => {
        screen = await dashboardScreen(killedTarget, /Interrupted in \w+/).catch((e: unknown) => `(no dashboard: ${(e as Error).message})`);
        log(screen);
      },
    });
    await drop('killed');

    const rows: string[][] = [
      [
        'uninterrupted (no limit)',
        '1',
        s1(once.wallMs),
        '1.00',
        `${(once.peakRssKb / MB).toFixed(0)} MB`,
        s1(once.cpuMs),
        '—',
        'yes (the run verified its counts)',
      ],
      ...[clean, killed].map((r) => [
        r.shape === 'clean'
          ? `clean stop (limit ${s1(LIMIT_MS)}, budget ${s1(LIMIT_MS - MARGIN_MS)})`
          : `SIGKILL mid-batch (limit ${s1(LIMIT_MS)}, budget 130 s)`,
        `${r.invocations.length} (${ends(r.invocations)})`,
        s1(r.workMs),
        (r.workMs / once.wallMs).toFixed(2),
        `${(r.peakRssKb / MB).toFixed(0)} MB`,
        s1(r.cpuMs),
        cutText(r),
        r.differences.length === 0 && r.logProblems.length === 0 ? 'row for row: equal' : `DIFFERENT: ${JSON.stringify([...r.differences, ...r.logProblems])}`,
      ]),
    ];
    const head = ['story', 'invocations', 'total work', '× uninterrupted', 'peak RSS (max of one runtime)', 'CPU (sum)', 'first invocation cut', 'clone'];
    const table = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
    const perInvocation = (r: StoryResult) =>
      r.invocations
        .map(
          (i) =>
            `  ${i.n}. ${i.trigger}, ${s1(i.wallMs)}, ${i.end}${i.report ? ` — ${i.report.outcome}: ${i.report.where ?? ''}` : ''} (RSS ${(i.peakRssKb / MB).toFixed(0)} MB, CPU ${s1(i.cpuMs)})`,
        )
        .join('\n');
    const cpu = cpus();
    const md = [
      '# pgclone serverless story — the Supabase Edge Function example under a local platform',
      '',
      `- date: ${startedAt}; machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; 1-min load ${loadStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at the end`,
      `- dataset: the demo's storyboard app (src/commands/demo.ts), 2,430 panels of ${IMAGE} kB — ${(size / 2 ** 20).toFixed(0)} MB (pg_database_size); two embedded PostgreSQL ${src.major} servers on loopback`,
      `- each invocation: a cold \`deno run ${'--allow-net --allow-read --allow-env --allow-sys'}\` of examples/supabase-edge-function/supabase/functions/clone-step/index.ts (Deno from the dev dependency), SIGKILLed at the limit; peak RSS = VmHWM of the runtime, CPU = its utime + stime (/proc)`,
      `- total work = the sum of the invocations' wall times (each from its runtime's start to its report or its kill; a self-invocation's cold start counts in both, as both workers are alive); the handler's CPU watch is off (CPU_BUDGET_MS=0): the harness cuts on wall clock, and the CPU column says what the platform's 2 s per request would have allowed`,
      `- the story's function died at ${Math.round(STOP_AT * 100)} % of storyboard_panels; here the limit is fixed and the cut falls where it falls`,
      '',
      table,
      '',
      'Invocations, clean stop:',
      '',
      perInvocation(clean),
      '',
      'Invocations, SIGKILL:',
      '',
      perInvocation(killed),
      '',
      '`pgclone watch` (tmux, 80×24) after the first SIGKILLed invocation:',
      '',
      '```',
      screen,
      '```',
      '',
    ].join('\n');
    process.stdout.write(`\n${md}\n`);
    const dir = join(ROOT, 'bench', 'results');
    await mkdir(dir, { recursive: true });
    const base = join(dir, `${startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}-serverless`);
    await writeFile(`${base}.md`, md);
    // the runtimes' stderr is for failures, not for the record
    const strip = (r: StoryResult) => ({ ...r, invocations: r.invocations.map((i) => ({ ...i, stderr: undefined })) });
    await writeFile(
      `${base}.json`,
      `${JSON.stringify({ startedAt, imageKb: IMAGE, bytes: size, limitMs: LIMIT_MS, marginMs: MARGIN_MS, uninterrupted: { ...once, stderr: undefined }, clean: strip(clean), killed: strip(killed), dashboard: screen }, null, 2)}\n`,
    );
    log(`written: ${base}.md and ${base}.json`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`serverless: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
