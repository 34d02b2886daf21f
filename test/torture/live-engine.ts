// One clone or resume in a process of its own for the live-source scenario (live.ts): the engine as the CLI runs it,
// its events as JSON lines on stdout, and — while the source's writer runs — a stop before catch-up that no timing can miss.
//
// The job comes in PGCLONE_LIVE_JOB (JSON: the URLs carry the embedded server's password, kept off the command line):
// { source, target, runId?, batchBytes, jobs, maxDurationMs?, holdBeforeCatchUp }. Exit codes as the CLI's:
// 0 finished, 4 verification mismatch, 3 suspended (a budget or the hold), 1 anything thrown.
//
// Why the hold is certain: catch-up takes its target position from the source when it starts, so a pass that began
// while the writer runs and then finished would leave the target exact at a point the source has since left. With
// holdBeforeCatchUp, the observer aborts the run's stop signal when post-data completes (called synchronously, as
// each commit is folded), so the next step's budget check suspends the run; and should that check not stop it (the
// budget stops only a process that has committed work), the next phase's start — large objects, always recorded before
// catch-up — SIGKILLs this process before it reads anything more.
import type { LoggedEvent } from '../../src/events/schemas.js';

interface Job {
  source: string;
  target: string;
  runId?: string;
  batchBytes: number;
  jobs: number;
  maxDurationMs?: number;
  holdBeforeCatchUp: boolean;
}

type Start = typeof import('../../src/engine/start.js');
type Context = typeof import('../../src/engine/context.js');
type ConnInfoModule = typeof import('../../src/engine/pg/conninfo.js');
type RunOptionsModule = typeof import('../../src/engine/run-options.js');

/** the compiled engine when the suite runs from dist (as the CLI does), else the sources through tsx */
async function engine(): Promise<{ start: Start; context: Context; conninfo: ConnInfoModule; runOptions: RunOptionsModule }> {
  const base = new URL(process.env.PGCLONE_USE_DIST === '1' ? '../../dist/engine/' : '../../src/engine/', import.meta.url);
  const load = async <T>(path: string): Promise<T> => (await import(new URL(path, base).href)) as T;
  return {
    start: await load<Start>('start.js'),
    context: await load<Context>('context.js'),
    conninfo: await load<ConnInfoModule>('pg/conninfo.js'),
    runOptions: await load<RunOptionsModule>('run-options.js'),
  };
}

async function main(): Promise<number> {
  const job = JSON.parse(process.env.PGCLONE_LIVE_JOB ?? '') as Job;
  const { start, context, conninfo, runOptions } = await engine();
  const ac = new AbortController();
  const settings = { ...context.DEFAULT_SETTINGS, maxDurationMs: job.maxDurationMs ?? null, stopSignal: ac.signal };
  const observer = {
    onEvents(evs: LoggedEvent[]) {
      for (const ev of evs) {
        process.stdout.write(`${JSON.stringify(ev)}\n`);
        if (!job.holdBeforeCatchUp) continue;
        if (ev.type === 'PhaseCompleted' && ev.phase === 'post-data') ac.abort('the source is still being written to');
        if (ev.type === 'PhaseStarted' && (ev.phase === 'large-objects' || ev.phase === 'catch-up')) process.kill(process.pid, 'SIGKILL');
      }
    },
  };
  const source = conninfo.parseConnString(job.source, 'source');
  const target = conninfo.parseConnString(job.target, 'target');
  const r = job.runId
    ? await start.resumeRun({ target, source, runId: job.runId, settings }, observer)
    : await start.startClone(
        { source, target, options: { ...runOptions.defaultRunOptions(), batchBytes: job.batchBytes, jobs: job.jobs, verify: 'checksum' }, settings },
        observer,
      );
  return r.outcome === 'finished' ? 0 : r.outcome === 'mismatch' ? 4 : 3;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
