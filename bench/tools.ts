// The contenders: pgclone, and the anchors it is measured against — each one command line, timed with its peak RSS.
import { DEFAULT_BATCH_BYTES } from '../src/engine/plan.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFloor } from './floor.js';
import { readPhaseTimes, type PhaseTimes, type SchemaEngine } from './phase-times.js';
import type { Availability } from './pgcopydb.js';
import { lastLines, run, type Finished } from './proc.js';
import { conninfo, url, type Clusters } from './servers.js';

export type ToolId = 'pgclone' | 'pgclone-pgdump' | 'pgclone-4x' | 'pgclone-lib' | 'pgclone-lib-deno' | 'pgdump' | 'pgdump-dir' | 'pgcopydb' | 'floor';
export const ALL_TOOLS: ToolId[] = ['pgclone', 'pgclone-pgdump', 'pgclone-lib', 'pgclone-lib-deno', 'pgdump', 'pgdump-dir', 'pgcopydb', 'floor', 'pgclone-4x'];

/** The library path's budget per step() call: several calls on medium, each a slice of a function's life. */
export const LIB_BUDGET_MS = 2000;

export interface RunCtx {
  clusters: Clusters;
  sourceDb: string;
  env: NodeJS.ProcessEnv;
  jobs: number;
  repoRoot: string;
  pgcopydb: Availability;
  /** pgcopydb's --split-tables-larger-than (the remote scenario: one table's rows in parallel, as pgclone's ranges do) */
  pgcopydbSplit?: string;
}

export interface ToolRun {
  ok: boolean;
  error?: string;
  wallS: number;
  rssMb: number | null;
  /** the floor's data and index times */
  parts?: { dataS: number; indexS: number };
  /** a pgclone run's phases, from its log */
  phases?: PhaseTimes;
}

export interface Tool {
  id: ToolId;
  label: string;
  /** the command as shown in the report (no passwords: they travel in PGPASSWORD) */
  shown: string;
  /** null when the tool can be run; else why not */
  unavailable: string | null;
  run(targetDb: string): Promise<ToolRun>;
}

function outcome(r: Finished): ToolRun {
  if (r.code === 0) return { ok: true, wallS: r.wallS, rssMb: r.rssMb };
  return { ok: false, wallS: r.wallS, rssMb: r.rssMb, error: `${r.signal ?? `exit ${r.code}`}: ${lastLines(r.stderr || r.stdout)}` };
}

/** The arguments of `pgclone clone` as the benchmark runs it. */
export function pgcloneArgs(ctx: RunCtx, targetDb: string, extra: string[] = []): string[] {
  const c = ctx.clusters;
  const j = String(ctx.jobs);
  return [
    'bin/pgclone.js',
    'clone',
    '--source',
    url(c.source, ctx.sourceDb),
    '--target',
    url(c.target, targetDb),
    '--jobs',
    j,
    '--index-jobs',
    j,
    '--verify',
    'count',
    ...extra,
  ];
}

/** 4× pgclone's default batch: a quarter of the batches, events and commits (the log's own cost). */
export const BIG_BATCH = `${(4 * DEFAULT_BATCH_BYTES) >> 20}MB`;

type PgcloneId = 'pgclone' | 'pgclone-pgdump' | 'pgclone-4x';
const PGCLONE_VARIANTS: Record<PgcloneId, { label: string; extra: string[]; engine: SchemaEngine }> = {
  // default options: the built-in schema engine
  pgclone: { label: 'pgclone', extra: [], engine: 'builtin' },
  'pgclone-pgdump': { label: 'pgclone, --schema-engine pg_dump', extra: ['--schema-engine', 'pg_dump'], engine: 'pg_dump' },
  'pgclone-4x': { label: `pgclone --batch-size ${BIG_BATCH}`, extra: ['--batch-size', BIG_BATCH], engine: 'builtin' },
};

/** A finished pgclone run with its phases from the target's log (read after the clock stopped); fails when the log disagrees on the engine. */
async function withPhases(ctx: RunCtx, db: string, r: ToolRun, engine: SchemaEngine): Promise<ToolRun> {
  if (!r.ok) return r;
  try {
    const phases = await readPhaseTimes(ctx.clusters.target, db);
    if (phases.engine !== engine) return { ...r, ok: false, phases, error: `the run's log says schema engine ${phases.engine}, expected ${engine}` };
    return { ...r, phases };
  } catch (e) {
    return { ...r, ok: false, error: `reading the run's log: ${(e as Error).message}` };
  }
}

function pgclone(ctx: RunCtx, id: PgcloneId): Tool {
  const { label, extra, engine } = PGCLONE_VARIANTS[id];
  return {
    id,
    label,
    shown: `node bin/pgclone.js clone --source … --target … --jobs ${ctx.jobs} --index-jobs ${ctx.jobs} --verify count --plain ${extra.join(' ')}`.trim(),
    unavailable: null,
    run: async (db) =>
      withPhases(
        ctx,
        db,
        outcome(await run(process.execPath, [...pgcloneArgs(ctx, db, extra), '--plain'], { env: ctx.env, cwd: ctx.repoRoot, measureRss: true })),
        engine,
      ),
  };
}

/** step() in a loop in one process (bench/step-driver.mjs), under Node or Deno: the library path's time and peak RSS. */
function pgcloneLib(ctx: RunCtx, runtime: 'node' | 'deno'): Tool {
  const deno = join(ctx.repoRoot, 'node_modules', '.bin', 'deno');
  const argv =
    runtime === 'node'
      ? [process.execPath, 'bench/step-driver.mjs']
      : [deno, 'run', '--allow-net', '--allow-read', '--allow-env', '--allow-sys', 'bench/step-driver.mjs'];
  const c = ctx.clusters;
  return {
    id: runtime === 'node' ? 'pgclone-lib' : 'pgclone-lib-deno',
    label: `pgclone library, step() ${LIB_BUDGET_MS / 1000} s slices (${runtime === 'node' ? 'Node' : 'Deno'})`,
    shown: `${runtime === 'node' ? 'node' : 'deno run --allow-net --allow-read --allow-env --allow-sys'} bench/step-driver.mjs SRC TGT ${LIB_BUDGET_MS} ${ctx.jobs}`,
    unavailable: null,
    run: async (db) =>
      withPhases(
        ctx,
        db,
        outcome(
          await run(argv[0]!, [...argv.slice(1), url(c.source, ctx.sourceDb), url(c.target, db), String(LIB_BUDGET_MS), String(ctx.jobs)], {
            env: ctx.env,
            cwd: ctx.repoRoot,
            measureRss: true,
          }),
        ),
        'builtin',
      ),
  };
}

function pgdumpPsql(ctx: RunCtx): Tool {
  return {
    id: 'pgdump',
    label: 'pg_dump | psql',
    shown: 'pg_dump -d SRC | psql -X -q -v ON_ERROR_STOP=1 -d TGT',
    unavailable: null,
    run: async (db) => {
      const env = { ...ctx.env, SRC: conninfo(ctx.clusters.source, ctx.sourceDb), TGT: conninfo(ctx.clusters.target, db) };
      return outcome(await run('bash', ['-o', 'pipefail', '-c', 'pg_dump -d "$SRC" | psql -X -q -v ON_ERROR_STOP=1 -d "$TGT"'], { env, measureRss: true }));
    },
  };
}

function pgdumpDir(ctx: RunCtx): Tool {
  const j = ctx.jobs;
  return {
    id: 'pgdump-dir',
    label: `pg_dump -Fd -j${j} + pg_restore -j${j}`,
    shown: `pg_dump -Fd -j ${j} -Z0 -f DIR -d SRC && pg_restore -j ${j} -d TGT DIR`,
    unavailable: null,
    run: async (db) => {
      const tmp = await mkdtemp(join(tmpdir(), 'pgclone-bench-dump-'));
      try {
        const env = { ...ctx.env, SRC: conninfo(ctx.clusters.source, ctx.sourceDb), TGT: conninfo(ctx.clusters.target, db), DIR: join(tmp, 'dump') };
        const script = `pg_dump -Fd -j ${j} -Z0 -f "$DIR" -d "$SRC" && pg_restore -j ${j} -d "$TGT" "$DIR"`;
        return outcome(await run('bash', ['-c', script], { env, measureRss: true }));
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  };
}

function pgcopydb(ctx: RunCtx): Tool {
  const j = String(ctx.jobs);
  const avail = ctx.pgcopydb;
  return {
    id: 'pgcopydb',
    label: avail.ok ? `pgcopydb ${avail.version} clone` : 'pgcopydb clone',
    shown: `pgcopydb clone --source SRC --target TGT --table-jobs ${j} --index-jobs ${j}${ctx.pgcopydbSplit ? ` --split-tables-larger-than ${ctx.pgcopydbSplit}` : ''} --dir DIR`,
    unavailable: avail.ok ? null : avail.reason,
    run: async (db) => {
      if (!avail.ok) throw new Error(avail.reason);
      const tmp = await mkdtemp(join(tmpdir(), 'pgclone-bench-pgcopydb-'));
      try {
        const args = [
          'clone',
          '--source',
          url(ctx.clusters.source, ctx.sourceDb),
          '--target',
          url(ctx.clusters.target, db),
          '--table-jobs',
          j,
          '--index-jobs',
          j,
          ...(ctx.pgcopydbSplit ? ['--split-tables-larger-than', ctx.pgcopydbSplit] : []),
          '--dir',
          join(tmp, 'work'),
        ];
        return outcome(await run(avail.path, args, { env: ctx.env, measureRss: true }));
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  };
}

function floor(ctx: RunCtx): Tool {
  return {
    id: 'floor',
    label: `COPY pipe floor (${ctx.jobs} at a time)`,
    shown: `per table: psql -c "COPY t TO STDOUT" | psql -c "COPY t FROM STDIN" (${ctx.jobs} in parallel; pre-data not timed), then pg_dump --section=post-data | psql`,
    unavailable: null,
    run: async (db) => {
      const r = await runFloor(ctx.clusters, ctx.sourceDb, db, ctx.jobs, ctx.env);
      const base = { wallS: r.dataS + r.indexS, rssMb: r.rssMb, parts: { dataS: r.dataS, indexS: r.indexS } };
      return r.ok ? { ok: true, ...base } : { ok: false, error: r.error ?? 'failed', ...base };
    },
  };
}

export function makeTools(ctx: RunCtx, ids: ToolId[]): Tool[] {
  const make: Record<ToolId, () => Tool> = {
    pgclone: () => pgclone(ctx, 'pgclone'),
    'pgclone-pgdump': () => pgclone(ctx, 'pgclone-pgdump'),
    'pgclone-4x': () => pgclone(ctx, 'pgclone-4x'),
    'pgclone-lib': () => pgcloneLib(ctx, 'node'),
    'pgclone-lib-deno': () => pgcloneLib(ctx, 'deno'),
    pgdump: () => pgdumpPsql(ctx),
    'pgdump-dir': () => pgdumpDir(ctx),
    pgcopydb: () => pgcopydb(ctx),
    floor: () => floor(ctx),
  };
  return ids.map((id) => make[id]());
}
