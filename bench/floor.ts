// The floor: bare `COPY … TO STDOUT | COPY … FROM STDIN` per table (N at a time), then post-data through psql.
import { qualified } from './dataset.js';
import { lastLines, run, type Finished } from './proc.js';
import { client, conninfo, type Clusters } from './servers.js';

export interface FloorResult {
  ok: boolean;
  error?: string;
  dataS: number;
  indexS: number;
  rssMb: number | null;
}

const PSQL = ['-X', '-q', '-v', 'ON_ERROR_STOP=1'];

/** Leaf tables (partitions included), largest first, and the setval statements of every sequence. */
async function plan(c: Clusters, db: string): Promise<{ tables: string[]; setval: string }> {
  const cl = await client(c.source, db);
  try {
    const t = await cl.query<{ schema: string; name: string }>(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgclone') AND n.nspname NOT LIKE 'pg_toast%'
        ORDER BY pg_total_relation_size(c.oid) DESC`,
    );
    const s = await cl.query<{ sql: string | null }>(
      `SELECT string_agg(format('SELECT pg_catalog.setval(%L, %s, %s);', format('%I.%I', schemaname, sequencename),
                                coalesce(last_value, start_value), (last_value IS NOT NULL)::text), E'\n') AS sql
         FROM pg_sequences WHERE schemaname NOT IN ('pgclone')`,
    );
    return { tables: t.rows.map((r) => qualified(r.schema, r.name)), setval: s.rows[0]?.sql ?? '' };
  } finally {
    await cl.end();
  }
}

function maxRss(rs: Finished[]): number | null {
  const v = rs.map((r) => r.rssMb).filter((x): x is number => x !== null);
  return v.length > 0 ? Math.max(...v) : null;
}

function failure(r: Finished, what: string): string | null {
  return r.code === 0 ? null : `${what}: ${r.signal ?? `exit ${r.code}`} ${lastLines(r.stderr)}`;
}

export async function runFloor(c: Clusters, sourceDb: string, targetDb: string, jobs: number, env: NodeJS.ProcessEnv): Promise<FloorResult> {
  const src = conninfo(c.source, sourceDb);
  const tgt = conninfo(c.target, targetDb);
  const pipeEnv = { ...env, SRC: src, TGT: tgt };
  // not timed: the empty tables
  const pre = await run('bash', ['-o', 'pipefail', '-c', `pg_dump --section=pre-data -d "$SRC" | psql ${PSQL.join(' ')} -d "$TGT"`], { env: pipeEnv });
  const preErr = failure(pre, 'pre-data');
  if (preErr) return { ok: false, error: preErr, dataS: 0, indexS: 0, rssMb: null };
  const { tables, setval } = await plan(c, sourceDb);

  const t0 = performance.now();
  const results: Finished[] = [];
  const queue = [...tables];
  let error: string | null = null;
  const worker = async (): Promise<void> => {
    for (let t = queue.shift(); t !== undefined && error === null; t = queue.shift()) {
      const r = await run('bash', ['-o', 'pipefail', '-c', `psql ${PSQL.join(' ')} -d "$SRC" -c "$OUT" | psql ${PSQL.join(' ')} -d "$TGT" -c "$IN"`], {
        env: { ...pipeEnv, OUT: `COPY ${t} TO STDOUT`, IN: `COPY ${t} FROM STDIN` },
        measureRss: true,
      });
      results.push(r);
      error = error ?? failure(r, `COPY ${t}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  if (error === null && setval) {
    const r = await run('psql', [...PSQL, '-d', tgt, '-c', setval], { env, measureRss: true });
    results.push(r);
    error = failure(r, 'setval');
  }
  const dataS = (performance.now() - t0) / 1000;
  if (error !== null) return { ok: false, error, dataS, indexS: 0, rssMb: maxRss(results) };

  const post = await run('bash', ['-o', 'pipefail', '-c', `pg_dump --section=post-data -d "$SRC" | psql ${PSQL.join(' ')} -d "$TGT"`], {
    env: pipeEnv,
    measureRss: true,
  });
  results.push(post);
  const postErr = failure(post, 'post-data');
  return postErr
    ? { ok: false, error: postErr, dataS, indexS: post.wallS, rssMb: maxRss(results) }
    : { ok: true, dataS, indexS: post.wallS, rssMb: maxRss(results) };
}
