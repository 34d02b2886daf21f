// Timed repetitions: each tool into a fresh target database, tools alternated round by round, every result verified.
import type { PhaseTimes } from './phase-times.js';
import { stopRequested } from './proc.js';
import { checkpoint, createDb, dropDb, type Clusters } from './servers.js';
import type { Crossing, ThrottleProxy } from './throttle.js';
import type { Tool, ToolId, ToolRun } from './tools.js';
import { verifyTarget, type Digest } from './verify.js';

export interface Sample {
  tool: ToolId;
  round: number;
  wallS: number;
  rssMb: number | null;
  /** the tool exited 0 and the verification passed */
  ok: boolean;
  /** why not: the tool's error or the verification's first problems */
  error?: string;
  parts?: { dataS: number; indexS: number };
  /** pgclone's phases from its run's log */
  phases?: PhaseTimes;
  /** with --remote: what crossed the proxy during the run */
  crossing?: Crossing;
}

export interface MeasureOpts {
  clusters: Clusters;
  source: Digest;
  log: (t: string) => void;
  /** with --remote: the proxy in front of the source, whose counts each sample takes */
  proxy?: ThrottleProxy;
}

let counter = 0;

/** One run of one tool into a fresh target database, verified, then dropped. */
export async function measureOnce(tool: Pick<Tool, 'id' | 'run'>, round: number, o: MeasureOpts, runIt?: (db: string) => Promise<ToolRun>): Promise<Sample> {
  const db = `pgclone_bench_t_${tool.id.replace(/\W/g, '_')}_${round}_${++counter}`;
  await createDb(o.clusters.target, db);
  try {
    await checkpoint(o.clusters);
    let r: ToolRun;
    o.proxy?.take();
    try {
      r = await (runIt ?? tool.run)(db);
    } catch (e) {
      r = { ok: false, wallS: 0, rssMb: null, error: (e as Error).message };
    }
    const crossing = o.proxy?.take();
    const base = {
      tool: tool.id,
      round,
      wallS: r.wallS,
      rssMb: r.rssMb,
      ...(r.parts ? { parts: r.parts } : {}),
      ...(r.phases ? { phases: r.phases } : {}),
      ...(crossing ? { crossing } : {}),
    };
    if (!r.ok) return { ...base, ok: false, error: r.error ?? 'failed' };
    const v = await verifyTarget(o.source, o.clusters.target, db);
    if (!v.ok)
      return {
        ...base,
        ok: false,
        error: `verification: ${v.problems.slice(0, 3).join('; ')}${v.problems.length > 3 ? ` (+${v.problems.length - 3} more)` : ''}`,
      };
    return { ...base, ok: true };
  } finally {
    await dropDb(o.clusters.target, db).catch(() => undefined);
  }
}

/** Round r runs the tools rotated by r (A B C, then B C A, …) so that drift hits every tool alike. */
export async function runRounds(tools: Tool[], reps: number, o: MeasureOpts): Promise<Sample[]> {
  const runnable = tools.filter((t) => t.unavailable === null);
  const samples: Sample[] = [];
  for (let round = 0; round < reps && !stopRequested(); round++) {
    const order = runnable.map((_, i) => runnable[(i + round) % runnable.length]!);
    o.log(`round ${round + 1}/${reps}: ${order.map((t) => t.id).join(' → ')}`);
    for (const tool of order) {
      if (stopRequested()) break;
      const s = await measureOnce(tool, round, o);
      o.log(
        `  ${tool.label.padEnd(36)} ${s.wallS.toFixed(2).padStart(7)} s  ${s.rssMb === null ? '   ? MB' : `${s.rssMb.toFixed(0).padStart(4)} MB`}  ${s.ok ? 'verified' : `FAILED: ${s.error}`}`,
      );
      samples.push(s);
    }
  }
  return samples;
}
