// Large objects side by side: a source with a few big ones (100 MB each) and thousands of small ones, cloned by
// pgclone and by pg_dump -Fc | pg_restore (both copy large objects), each verified; wall time and client peak RSS.
import { randomBytes } from 'node:crypto';
import { lastLines, run, stopRequested, type Finished } from './proc.js';
import { checkpoint, client, conninfo, createDb, dropDb, type Cluster } from './servers.js';
import { summarize, type Summary } from './stats.js';
import { pgcloneArgs, type RunCtx } from './tools.js';
import { compare, digest, type Digest } from './verify.js';
import type { MeasureOpts } from './rounds.js';

export interface LoShape {
  /** objects of `bigMb` MB each */
  big: number;
  bigMb: number;
  /** objects of 16 B – 3 kB, each referenced by a row of public.images */
  small: number;
}

export type LoToolId = 'pgclone' | 'pgdump-fc';

export interface LoSample {
  tool: LoToolId;
  round: number;
  wallS: number;
  rssMb: number | null;
  ok: boolean;
  error?: string;
}

export interface LargeObjectsResult {
  shape: LoShape;
  /** pg_database_size of the source */
  bytes: number;
  buildS: number;
  tools: { id: LoToolId; label: string; shown: string }[];
  samples: LoSample[];
}

const DB = 'pgclone_bench_lo_src';
const MB = 1 << 20;

/**
 * The source: the big objects written 1 MB at a time, the small ones and the table naming them.
 */
async function buildSource(c: Cluster, shape: LoShape, log: (t: string) => void): Promise<number> {
  await createDb(c, DB);
  const db = await client(c, DB);
  try {
    log(`  ${shape.big} large object(s) of ${shape.bigMb} MB (random bytes) …`);
    for (let i = 0; i < shape.big; i++) {
      const oid = (await db.query<{ oid: string }>('SELECT lo_create(0)::int8::text AS oid')).rows[0]!.oid;
      for (let k = 0; k < shape.bigMb; k++) await db.query('SELECT lo_put($1::int8::oid, $2::int8, $3::bytea)', [oid, k * MB, randomBytes(MB)]);
    }
    log(`  ${shape.small} small large objects and public.images naming them …`);
    await db.query(`CREATE TABLE public.images (id int PRIMARY KEY, name text NOT NULL, data oid NOT NULL)`);
    await db.query(
      `INSERT INTO public.images SELECT g, 'image ' || g, lo_from_bytea(0, decode(repeat(md5(g::text), 1 + g % 200), 'hex'))
         FROM generate_series(1, $1::int) g`,
      [shape.small],
    );
    await db.query('VACUUM (ANALYZE)');
    return Number((await db.query<{ b: string }>('SELECT pg_database_size(current_database())::text AS b')).rows[0]!.b);
  } finally {
    await db.end();
  }
}

/**
 * Every large object as oid, owner, ACL, comment, size and an md5 of its pages' md5s (pg_largeobject: 2 kB pages at
 * fixed offsets, so equal contents written densely give equal pages): one line each, and their count.
 */
async function loPicture(c: Cluster, database: string): Promise<string[]> {
  const db = await client(c, database);
  try {
    const r = await db.query<{ line: string }>(
      `SELECT concat_ws(' ', m.oid, pg_get_userbyid(m.lomowner), coalesce(m.lomacl::text, '-'), coalesce(obj_description(m.oid, 'pg_largeobject'), '-'),
                        coalesce((SELECT sum(length(l.data)) || ':' || md5(string_agg(md5(l.data), '' ORDER BY l.pageno)) FROM pg_largeobject l WHERE l.loid = m.oid), '0')) AS line
         FROM pg_largeobject_metadata m ORDER BY m.oid`,
    );
    return r.rows.map((x) => x.line);
  } finally {
    await db.end();
  }
}

function outcome(r: Finished): { ok: boolean; wallS: number; rssMb: number | null; error?: string } {
  if (r.code === 0) return { ok: true, wallS: r.wallS, rssMb: r.rssMb };
  return { ok: false, wallS: r.wallS, rssMb: r.rssMb, error: `${r.signal ?? `exit ${r.code}`}: ${lastLines(r.stderr || r.stdout)}` };
}

interface LoTool {
  id: LoToolId;
  label: string;
  shown: string;
  run(targetDb: string): Promise<Finished>;
}

function loTools(ctx: RunCtx): LoTool[] {
  const src = { ...ctx, sourceDb: DB };
  return [
    {
      id: 'pgclone',
      label: 'pgclone',
      shown: `node bin/pgclone.js clone --source … --target … --jobs ${ctx.jobs} --index-jobs ${ctx.jobs} --verify count --plain`,
      run: (db) => run(process.execPath, [...pgcloneArgs(src, db), '--plain'], { env: ctx.env, cwd: ctx.repoRoot, measureRss: true }),
    },
    {
      id: 'pgdump-fc',
      label: 'pg_dump -Fc | pg_restore',
      // -Z0 as pgdump-dir: the contents are random bytes, compressing them would only cost pg_dump CPU
      shown: 'pg_dump -Fc -Z0 -d SRC | pg_restore -d TGT',
      run: (db) =>
        run('bash', ['-o', 'pipefail', '-c', 'pg_dump -Fc -Z0 -d "$SRC" | pg_restore -d "$TGT"'], {
          env: { ...ctx.env, SRC: conninfo(ctx.clusters.source, DB), TGT: conninfo(ctx.clusters.target, db) },
          measureRss: true,
        }),
    },
  ];
}

let counter = 0;

async function measure(tool: LoTool, round: number, o: MeasureOpts, want: { tables: Digest; objects: string[] }): Promise<LoSample> {
  const db = `pgclone_bench_lo_t_${tool.id.replace(/\W/g, '_')}_${round}_${++counter}`;
  await createDb(o.clusters.target, db);
  try {
    await checkpoint(o.clusters);
    const r = outcome(await tool.run(db));
    const base = { tool: tool.id, round, wallS: r.wallS, rssMb: r.rssMb };
    if (!r.ok) return { ...base, ok: false, error: r.error ?? 'failed' };
    const problems = compare(want.tables, await digest(o.clusters.target, db)).problems;
    const got = await loPicture(o.clusters.target, db);
    if (got.length !== want.objects.length) problems.push(`${got.length} large objects on the target, ${want.objects.length} on the source`);
    const diff = want.objects.findIndex((l, i) => got[i] !== l);
    if (diff >= 0) problems.push(`large object ${want.objects[diff]?.split(' ')[0]}: source ${want.objects[diff]} target ${got[diff] ?? 'missing'}`);
    if (problems.length > 0) return { ...base, ok: false, error: `verification: ${problems.slice(0, 3).join('; ')}` };
    return { ...base, ok: true };
  } finally {
    await dropDb(o.clusters.target, db).catch(() => undefined);
  }
}

/** Build the source, then `reps` rounds of both tools (alternating which goes first), every result verified. */
export async function largeObjects(ctx: RunCtx, o: MeasureOpts, shape: LoShape, reps: number): Promise<LargeObjectsResult> {
  const t0 = Date.now();
  try {
    o.log(`large objects: building the source (${shape.big} × ${shape.bigMb} MB + ${shape.small} small) …`);
    const bytes = await buildSource(o.clusters.source, shape, o.log);
    const buildS = (Date.now() - t0) / 1000;
    const want = { tables: await digest(o.clusters.source, DB), objects: await loPicture(o.clusters.source, DB) };
    o.log(`  ${(bytes / MB).toFixed(0)} MB, ${want.objects.length} large objects, built in ${buildS.toFixed(0)} s`);
    const tools = loTools(ctx);
    const samples: LoSample[] = [];
    for (let round = 0; round < reps && !stopRequested(); round++) {
      for (const tool of round % 2 === 0 ? tools : [...tools].reverse()) {
        if (stopRequested()) break;
        const s = await measure(tool, round, o, want);
        o.log(
          `  ${tool.label.padEnd(28)} ${s.wallS.toFixed(2).padStart(7)} s  ${s.rssMb === null ? '   ? MB' : `${s.rssMb.toFixed(0).padStart(4)} MB`}  ${s.ok ? 'verified' : `FAILED: ${s.error}`}`,
        );
        samples.push(s);
      }
    }
    return { shape, bytes, buildS, tools: tools.map(({ id, label, shown }) => ({ id, label, shown })), samples };
  } finally {
    await dropDb(o.clusters.source, DB).catch(() => undefined);
  }
}

/** Per tool: the summary of its samples (median wall, max peak RSS, verified). */
export function largeObjectSummaries(r: LargeObjectsResult): Map<LoToolId, Summary | null> {
  return new Map(r.tools.map((t) => [t.id, summarize(r.samples.filter((s) => s.tool === t.id))]));
}
