// The extra measurements: kill at ~50 % + resume vs an uninterrupted clone, and pgclone's memory on a large dataset.
import { EXIT } from '../src/engine/errors.js';
import { buildDataset, type Dataset } from './dataset.js';
import { start, run, lastLines } from './proc.js';
import { measureOnce, type MeasureOpts, type Sample } from './rounds.js';
import { dropDb, url } from './servers.js';
import { makeTools, pgcloneArgs, type RunCtx, type ToolRun } from './tools.js';
import { digest } from './verify.js';

export interface ResumeRep {
  ok: boolean;
  error?: string;
  killAfterS: number;
  firstS: number;
  resumeS: number;
  totalS: number;
  resumeAttempts: number;
  runId: string | null;
}

async function killAndResume(ctx: RunCtx, db: string, killAfterS: number, rep: Partial<ResumeRep>): Promise<ToolRun> {
  let runId: string | null = null;
  const first = await start(process.execPath, [...pgcloneArgs(ctx, db), '--json'], {
    env: ctx.env,
    cwd: ctx.repoRoot,
    onLine: (l) => {
      if (runId !== null || !l.startsWith('{')) return;
      try {
        const ev = JSON.parse(l) as { type?: string; runId?: string };
        if (ev.type === 'RunStarted' && typeof ev.runId === 'string') runId = ev.runId;
      } catch {
        /* not an event */
      }
    },
  });
  const timer = setTimeout(() => first.child.kill('SIGKILL'), killAfterS * 1000);
  const f = await first.done;
  clearTimeout(timer);
  rep.runId = runId;
  rep.firstS = f.wallS;
  if (f.signal !== 'SIGKILL')
    return { ok: false, wallS: f.wallS, rssMb: null, error: `pgclone was not killed (it ended first: exit ${f.code}); ${lastLines(f.stderr)}` };
  // RUN from the first JSON line; without it, `resume` picks the newest stopped run of the target's log
  const args = [
    'bin/pgclone.js',
    'resume',
    ...(runId ? [runId] : []),
    '--target',
    url(ctx.clusters.target, db),
    '--source',
    url(ctx.clusters.source, ctx.sourceDb),
    '--plain',
  ];
  const t0 = performance.now();
  let attempts = 0;
  let r;
  do {
    attempts++;
    // the killed process's backends may hold its lock for a moment
    if (attempts > 1) await new Promise((res) => setTimeout(res, 200));
    r = await run(process.execPath, args, { env: ctx.env, cwd: ctx.repoRoot, measureRss: true });
  } while (r.code === EXIT.locked && attempts < 50);
  rep.resumeAttempts = attempts;
  rep.resumeS = (performance.now() - t0) / 1000;
  const wallS = f.wallS + rep.resumeS;
  if (r.code !== 0) return { ok: false, wallS, rssMb: r.rssMb, error: `resume: exit ${r.code}: ${lastLines(r.stderr || r.stdout)}` };
  return { ok: true, wallS, rssMb: r.rssMb };
}

/** Kill pgclone at half its uninterrupted median T, resume it, verify; total = both walls. */
export async function resumeCost(ctx: RunCtx, o: MeasureOpts, uninterruptedS: number, reps: number): Promise<ResumeRep[]> {
  const out: ResumeRep[] = [];
  const killAfterS = uninterruptedS * 0.5;
  for (let i = 0; i < reps; i++) {
    const rep: Partial<ResumeRep> = { killAfterS, resumeAttempts: 0, runId: null, firstS: 0, resumeS: 0 };
    const s = await measureOnce({ id: 'pgclone', run: async () => ({ ok: false, wallS: 0, rssMb: null }) }, 100 + i, o, (db) =>
      killAndResume(ctx, db, killAfterS, rep),
    );
    const done: ResumeRep = {
      ok: s.ok,
      ...(s.error ? { error: s.error } : {}),
      killAfterS,
      firstS: rep.firstS ?? 0,
      resumeS: rep.resumeS ?? 0,
      totalS: s.wallS,
      resumeAttempts: rep.resumeAttempts ?? 0,
      runId: rep.runId ?? null,
    };
    o.log(
      `  kill at ${killAfterS.toFixed(2)} s + resume: ${done.firstS.toFixed(2)} + ${done.resumeS.toFixed(2)} = ${done.totalS.toFixed(2)} s  ${done.ok ? 'verified' : `FAILED: ${done.error}`}`,
    );
    out.push(done);
  }
  return out;
}

export interface LargeMemory {
  dataset: Dataset;
  sample: Sample;
}

/** pgclone once on a large dataset built next to the main one (same source cluster), for peak RSS as tables grow. */
export async function largeMemory(ctx: RunCtx, o: MeasureOpts): Promise<LargeMemory> {
  const db = `${ctx.sourceDb}_large`;
  try {
    o.log('building the large dataset (pgbench scale 200 + app schema) for the memory measurement …');
    const dataset = await buildDataset(ctx.clusters, db, 'large', o.log);
    o.log(`  ${(dataset.bytes / 2 ** 20).toFixed(0)} MB in ${dataset.buildS.toFixed(0)} s; digesting the source …`);
    const lctx: RunCtx = { ...ctx, sourceDb: db };
    const source = await digest(ctx.clusters.source, db);
    const [tool] = makeTools(lctx, ['pgclone']);
    const sample = await measureOnce(tool!, 200, { ...o, source });
    o.log(`  pgclone on large: ${sample.wallS.toFixed(2)} s, ${sample.rssMb?.toFixed(0) ?? '?'} MB  ${sample.ok ? 'verified' : `FAILED: ${sample.error}`}`);
    return { dataset, sample };
  } finally {
    await dropDb(ctx.clusters.source, db).catch(() => undefined);
  }
}
