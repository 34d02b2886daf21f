// Command-line options of the benchmark.
import { parseArgs } from 'node:util';
import type { Size } from './dataset.js';
import type { LoShape } from './large-objects.js';
import { parseRemote, type Remote } from './throttle.js';
import { ALL_TOOLS, type ToolId } from './tools.js';

export interface BenchArgs {
  size: Size;
  reps: number;
  jobs: number;
  server: 'embedded' | 'local';
  localUrl: string;
  tools: ToolId[];
  resume: boolean;
  memoryLarge: boolean;
  /** the large-object scenario's source, when asked for */
  largeObjects: LoShape | null;
  install: boolean;
  /** every tool reaches the source through a throttling proxy: a remote source */
  remote: Remote | null;
}

export const USAGE = `npm run bench -- [options]      (or: node --import tsx bench/run.ts [options])

  --size small|medium|large   pgbench scale 10 / 50 / 200 plus the app schema (default medium, ≈ 1.1 GB)
  --reps N                    repetitions per tool, at least 3 (default 3)
  --jobs N                    parallel jobs for every tool that has them (default 2)
  --only LIST                 comma-separated subset of: ${ALL_TOOLS.filter((t) => t !== 'pgclone-4x').join(', ')}
                                pgclone         pgclone, default options (the built-in schema engine)
                                pgclone-pgdump  pgclone, --schema-engine pg_dump (the reference path), for the schema-engine comparison
                                pgclone-lib     the library: step() with 2 s budgets in a loop under Node (bench/step-driver.mjs)
                                pgclone-lib-deno  the same under Deno (the Edge Function runtime)
                                pgdump          pg_dump | psql
                                pgdump-dir      pg_dump -Fd -jN + pg_restore -jN
                                pgcopydb        pgcopydb clone
                                floor           per-table COPY pipes, then post-data (a lower bound)
  --server embedded|local     two embedded PostgreSQL 15 clusters (default), or the local server for both sides
  --local-url URL             the local server (default postgresql://postgres@127.0.0.1:5432/postgres)
  --skip-resume               skip the kill-at-50 %-and-resume measurement
  --skip-logcost              skip the event-log cost measurement (pgclone with 4× larger batches)
  --memory-large              also build a large dataset and measure pgclone's peak RSS on it
  --large-objects             also clone a source of large objects with pgclone and with pg_dump -Fc | pg_restore
                                (--reps rounds, alternating): wall time and peak RSS side by side, every clone verified
  --lo-big N                  large objects of --lo-mb each (default 3)
  --lo-mb N                   size of each of them in MB (default 100)
  --lo-small N                small large objects (16 B – 3 kB) beside them, named by a table (default 3000)
  --no-install                do not apt-get install pgcopydb when it is missing
  --remote RATE,RTT           a remote source: every tool reaches it through a proxy that gives each connection RATE
                                per direction and RTT round trip (e.g. 25MB/s,10ms); run it with --jobs 4`;

export function parseBenchArgs(argv: string[]): BenchArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: 'medium' },
      reps: { type: 'string', default: '3' },
      jobs: { type: 'string', default: '2' },
      only: { type: 'string' },
      server: { type: 'string', default: 'embedded' },
      'local-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432/postgres' },
      'skip-resume': { type: 'boolean', default: false },
      'skip-logcost': { type: 'boolean', default: false },
      'memory-large': { type: 'boolean', default: false },
      'large-objects': { type: 'boolean', default: false },
      'lo-big': { type: 'string', default: '3' },
      'lo-mb': { type: 'string', default: '100' },
      'lo-small': { type: 'string', default: '3000' },
      'no-install': { type: 'boolean', default: false },
      remote: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const size = values.size as Size;
  if (!['small', 'medium', 'large'].includes(size)) throw new Error('--size must be small, medium or large');
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 3) throw new Error('--reps must be a whole number of at least 3');
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new Error('--jobs must be a whole number from 1 to 64');
  const count = (name: 'lo-big' | 'lo-mb' | 'lo-small', min: number, max: number): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const largeObjects = values['large-objects']
    ? { big: count('lo-big', 0, 100), bigMb: count('lo-mb', 1, 1000), small: count('lo-small', 0, 1_000_000) }
    : null;
  const server = values.server as BenchArgs['server'];
  if (server !== 'embedded' && server !== 'local') throw new Error('--server must be embedded or local');
  let tools: ToolId[] = ALL_TOOLS.filter((t) => t !== 'pgclone-4x');
  if (values.only !== undefined) {
    const wanted = values.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const w of wanted) if (!ALL_TOOLS.includes(w as ToolId)) throw new Error(`--only: unknown tool "${w}" (one of ${ALL_TOOLS.join(', ')})`);
    tools = ALL_TOOLS.filter((t) => wanted.includes(t));
  }
  if (tools.includes('pgclone') && !values['skip-logcost'] && !tools.includes('pgclone-4x')) tools.push('pgclone-4x');
  if (values['skip-logcost']) tools = tools.filter((t) => t !== 'pgclone-4x');
  return {
    size,
    reps,
    jobs,
    server,
    localUrl: values['local-url'],
    tools,
    resume: !values['skip-resume'] && tools.includes('pgclone'),
    memoryLarge: values['memory-large'],
    largeObjects,
    install: !values['no-install'],
    remote: values.remote === undefined ? null : parseRemote(values.remote),
  };
}
