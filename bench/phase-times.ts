// A pgclone sample's schema cost, read from the run's own log in the target: the engine it used and its phases' durations.
import { readAllRuns, type LoggedEvent, type Phase } from '../src/events/index.js';
import { client, type Cluster } from './servers.js';

export type SchemaEngine = 'builtin' | 'pg_dump';

export interface PhaseTimes {
  /** what the run's RunStarted options say read the schema */
  engine: SchemaEngine;
  /** connect, read or dump the schema, plan, dry-run the DDL in a rolled-back transaction */
  preflightS: number;
  /** apply the pre-data DDL */
  schemaS: number;
  /** indexes, constraints, triggers …; it overlaps the data phase (it starts as the first tables finish) */
  postDataS: number;
  /** the data phase: from its start to the last row in (absent in results written before it was read) */
  dataS?: number;
}

const TIMED: Phase[] = ['preflight', 'schema', 'data', 'post-data'];

/** The one run's times; throws naming what the log lacks, so a sample without them fails instead of reporting zeros. */
export function phaseTimesOf(runs: Map<string, LoggedEvent[]>): PhaseTimes {
  if (runs.size !== 1) throw new Error(`the target's log holds ${runs.size} runs, expected 1`);
  const events = [...runs.values()][0]!;
  const started = events.find((e) => e.type === 'RunStarted');
  if (!started) throw new Error('the log has no RunStarted');
  const ms = new Map<Phase, number>();
  for (const e of events) {
    if (e.type !== 'PhaseCompleted' || !TIMED.includes(e.phase)) continue;
    if (ms.has(e.phase)) throw new Error(`the log completes phase ${e.phase} twice`);
    ms.set(e.phase, e.durationMs);
  }
  const s = (p: Phase): number => {
    const v = ms.get(p);
    if (v === undefined) throw new Error(`the log has no PhaseCompleted for ${p}`);
    return v / 1000;
  };
  // absent in logs written before the option existed, which used pg_dump (as the engine reads it back)
  const engine = started.options.schemaEngine ?? 'pg_dump';
  return { engine, preflightS: s('preflight'), schemaS: s('schema'), postDataS: s('post-data'), dataS: s('data') };
}

export async function readPhaseTimes(target: Cluster, db: string): Promise<PhaseTimes> {
  const cl = await client(target, db);
  try {
    return phaseTimesOf(await readAllRuns(cl));
  } finally {
    await cl.end();
  }
}
