// Comparing a source and a target: the catalog referee (and normalised schema dumps where a pg_dump can read both),
// every table's rows (ordered md5), sequences.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { foldRun, readRun, tableKey } from '../../src/events/index.js';
import { catalogDifferences } from './catalog-referee.js';
import { connect, query } from './pg.js';

const run = promisify(execFile);

export interface Difference {
  kind: 'schema' | 'rows' | 'sequence' | 'table-missing';
  what: string;
  detail: string;
}

/** libpq's environment for a URL: what pg_dump and psql are given (never argv). */
export function pgEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  return {
    ...process.env,
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username || 'postgres'),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
}

let pgDumps: Promise<{ bin: string; major: number }[]> | undefined;

/** The pg_dump binaries on this machine (PATH, then Debian's /usr/lib/postgresql/N/bin), with their majors. */
function findPgDumps(): Promise<{ bin: string; major: number }[]> {
  pgDumps ??= (async () => {
    let dirs: string[] = [];
    try {
      dirs = readdirSync('/usr/lib/postgresql').map((d) => `/usr/lib/postgresql/${d}/bin/pg_dump`);
    } catch {
      // no Debian layout
    }
    const found: { bin: string; major: number }[] = [];
    for (const bin of ['pg_dump', ...dirs]) {
      const out = await run(bin, ['--version']).catch(() => null);
      const m = out?.stdout.match(/\s(\d+)(?:\.\d+)?/);
      if (m) found.push({ bin, major: Number(m[1]) });
    }
    return found.sort((a, b) => b.major - a.major);
  })();
  return pgDumps;
}

/** A pg_dump that can dump a server of this major (its own major at least), or null. */
export async function pgDumpFor(serverMajor: number): Promise<string | null> {
  return (await findPgDumps()).find((d) => d.major >= serverMajor)?.bin ?? null;
}

/** The environment that makes the pg_dump engine use this pg_dump (and its pg_restore): its folder, when it was found by path. */
export function pgToolsEnv(bin: string | null): NodeJS.ProcessEnv {
  return bin !== null && bin.startsWith('/') ? { PGCLONE_PG_BIN: bin.slice(0, bin.lastIndexOf('/')) } : {};
}

export async function serverMajor(url: string): Promise<number> {
  const [r] = await query<{ v: string }>(url, `SELECT current_setting('server_version_num') AS v`);
  return Math.floor(Number(r!.v) / 10000);
}

/** pg_dump --schema-only without the log schema, psql's random \restrict keys and version comments. */
export async function schemaDump(url: string, bin = 'pg_dump'): Promise<string> {
  const { stdout } = await run(bin, ['--schema-only', '--exclude-schema=pgclone', '--no-owner', '--no-privileges'], {
    env: pgEnv(url),
    maxBuffer: 256 << 20,
  });
  return stdout
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- Dumped (from|by)/.test(l))
    .join('\n');
}

// a materialized view left WITH NO DATA has no rows to read (whether it is filled is the catalog referee's to judge)
async function tables(c: pg.Client): Promise<{ schema: string; name: string; cols: string[]; key: string[] }[]> {
  const r = await c.query<{ nspname: string; relname: string; cols: string[]; key: string[] | null }>(
    `SELECT n.nspname, c.relname,
            array(SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum) AS cols,
            (SELECT array_agg(quote_ident(a.attname) ORDER BY k.o) FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(n, o)
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.n WHERE i.indrelid = c.oid AND i.indisprimary) AS key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE (c.relkind = 'r' OR c.relkind = 'm' AND c.relispopulated) AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgclone') AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY 1, 2`,
  );
  return r.rows.map((x) => ({ schema: x.nspname, name: x.relname, cols: x.cols, key: x.key ?? [] }));
}

/** md5 over all rows in a total order (the key, else the whole row's text), plus the row count. */
async function tableDigest(c: pg.Client, t: { schema: string; name: string; cols: string[]; key: string[] }): Promise<string> {
  const rel = `${pg.escapeIdentifier(t.schema)}.${pg.escapeIdentifier(t.name)}`;
  const order = t.key.length > 0 ? t.key.join(', ') : `r::text COLLATE "C"`;
  const cols = t.cols.length > 0 ? t.cols.join(', ') : '1';
  const r = await c.query<{ n: string; h: string | null }>(
    `SELECT count(*) AS n, md5(string_agg(md5(r::text), '' ORDER BY ${order})) AS h FROM (SELECT ${cols} FROM ONLY ${rel}) r`,
  );
  return `${r.rows[0]?.n}:${r.rows[0]?.h}`;
}

async function sequences(c: pg.Client): Promise<Map<string, string>> {
  const r = await c.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'S' AND n.nspname NOT IN ('pgclone') ORDER BY 1`,
  );
  const out = new Map<string, string>();
  for (const { name } of r.rows) {
    const v = await c.query<{ v: string; c: boolean }>(`SELECT last_value::text AS v, is_called AS c FROM ${name}`);
    out.set(name, `${v.rows[0]?.v}/${v.rows[0]?.c}`);
  }
  return out;
}

/** The first line where two descriptions differ, for a readable report (the full texts are in catalogDifferences). */
function firstDifference(a: string | null, b: string | null): string {
  if (a === null) return `not in the source; target: ${JSON.stringify(b)}`;
  if (b === null) return `not in the target; source: ${JSON.stringify(a)}`;
  const al = a.split('\n');
  const bl = b.split('\n');
  const i = al.findIndex((l, k) => l !== bl[k]);
  const k = i === -1 ? al.length : i;
  return `source ${JSON.stringify(al[k] ?? '')} target ${JSON.stringify(bl[k] ?? '')}`;
}

/**
 * Every difference between two databases; empty when the clone is exact. The schema is judged by the catalog referee
 * (one difference per object key) and, where both servers have one major and a pg_dump of at least that major is found
 * and `pgDump` is not false, by their normalised `pg_dump --schema-only` as well. `schema: false` leaves the schema out altogether; `ignore`
 * leaves out the referee keys it accepts (e.g. extension versions, where a clone takes the target's defaults).
 */
export async function compareDatabases(
  sourceUrl: string,
  targetUrl: string,
  opts: { schema?: boolean; pgDump?: boolean; ignore?: (key: string) => boolean } = {},
): Promise<Difference[]> {
  const diffs: Difference[] = [];
  if (opts.schema !== false) {
    for (const d of await catalogDifferences(sourceUrl, targetUrl, { ignore: opts.ignore })) {
      diffs.push({ kind: 'schema', what: d.key, detail: firstDifference(d.source, d.target) });
    }
  }
  // pg_dump referees servers of one major: its output follows the server's version (14 prints a range's multirange
  // type, 15 the public schema differently), so across majors the catalog referee alone, with its normalisations, judges
  const [sm, tm] = await Promise.all([serverMajor(sourceUrl), serverMajor(targetUrl)]);
  const bin = opts.schema === false || opts.pgDump === false || sm !== tm ? null : await pgDumpFor(sm);
  if (bin !== null) {
    const [a, b] = await Promise.all([schemaDump(sourceUrl, bin), schemaDump(targetUrl, bin)]);
    if (a !== b) {
      const al = a.split('\n');
      const bl = b.split('\n');
      const i = al.findIndex((l, k) => l !== bl[k]);
      diffs.push({ kind: 'schema', what: 'pg_dump --schema-only', detail: `first difference at line ${i + 1}: source "${al[i]}" target "${bl[i]}"` });
    }
  }
  const [s, t] = await Promise.all([connect(sourceUrl), connect(targetUrl)]);
  try {
    const st = await tables(s);
    const tt = new Map((await tables(t)).map((x) => [`${x.schema}.${x.name}`, x]));
    for (const table of st) {
      const name = `${table.schema}.${table.name}`;
      if (!tt.has(name)) {
        diffs.push({ kind: 'table-missing', what: name, detail: 'not in the target' });
        continue;
      }
      const [a, b] = await Promise.all([tableDigest(s, table), tableDigest(t, table)]);
      if (a !== b) diffs.push({ kind: 'rows', what: name, detail: `source ${a} target ${b}` });
    }
    const [sa, sb] = await Promise.all([sequences(s), sequences(t)]);
    for (const [name, v] of sa) if (sb.get(name) !== v) diffs.push({ kind: 'sequence', what: name, detail: `source ${v} target ${sb.get(name)}` });
  } finally {
    await Promise.all([s.end(), t.end()]);
  }
  return diffs;
}

/** A cheap picture of everything in a database's catalog outside pg_catalog: to prove "nothing was written". */
export async function catalogPicture(url: string): Promise<string> {
  const c = await connect(url);
  try {
    const r = await c.query<{ x: string }>(
      `SELECT string_agg(x, E'\\n' ORDER BY x) AS x FROM (
         SELECT 'ns ' || nspname AS x FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema'
         UNION ALL SELECT 'rel ' || c.oid::regclass::text || ' ' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname NOT LIKE 'pg_%' AND n.nspname <> 'information_schema'
         UNION ALL SELECT 'fn ' || p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname NOT LIKE 'pg_%' AND n.nspname <> 'information_schema'
         UNION ALL SELECT 'type ' || t.oid::regtype::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                    WHERE n.nspname NOT LIKE 'pg_%' AND n.nspname <> 'information_schema'
         UNION ALL SELECT 'ext ' || extname FROM pg_extension) s`,
    );
    return r.rows[0]?.x ?? '';
  } finally {
    await c.end();
  }
}

export interface RowDiff {
  table: string;
  lost: number;
  duplicated: number;
}

/** Rows in the source but not the target (lost) and extra copies in the target (duplicated), per table, as multisets. */
export async function rowDiffs(sourceUrl: string, targetUrl: string, only?: ReadonlySet<string>): Promise<RowDiff[]> {
  const [s, t] = await Promise.all([connect(sourceUrl), connect(targetUrl)]);
  const out: RowDiff[] = [];
  try {
    for (const table of await tables(s)) {
      if (only && !only.has(`${table.schema}.${table.name}`)) continue;
      const rel = `${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)}`;
      const cols = table.cols.length > 0 ? table.cols.join(', ') : '1';
      const sql = `SELECT md5(r::text) AS h, count(*)::int AS n FROM (SELECT ${cols} FROM ONLY ${rel}) r GROUP BY 1`;
      const [a, b] = await Promise.all([
        s.query<{ h: string; n: number }>(sql),
        t.query<{ h: string; n: number }>(sql).catch(() => ({ rows: [] as { h: string; n: number }[] })),
      ]);
      const counts = new Map<string, number>();
      for (const r of a.rows) counts.set(r.h, r.n);
      let lost = 0;
      let duplicated = 0;
      for (const r of b.rows) {
        const want = counts.get(r.h) ?? 0;
        if (r.n > want) duplicated += r.n - want;
        else lost += want - r.n;
        counts.delete(r.h);
      }
      for (const n of counts.values()) lost += n;
      if (lost > 0 || duplicated > 0) out.push({ table: `${table.schema}.${table.name}`, lost, duplicated });
    }
  } finally {
    await Promise.all([s.end(), t.end()]);
  }
  return out;
}

/**
 * The invariant after any kill: every table holds exactly the rows its BatchCopied events say. Returns one
 * line per table that disagrees (none before the schema is applied: its tables do not exist yet).
 */
export async function logVersusTarget(targetUrl: string, runId: string): Promise<string[]> {
  const c = await connect(targetUrl);
  const problems: string[] = [];
  try {
    const events = await readRun(c, runId);
    if (events.length === 0) return problems;
    const state = foldRun(events);
    for (const key of state.tableOrder) {
      const t = state.tables[key]!;
      const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${tableKey(t.table)}`).catch(() => null);
      if (r === null) continue;
      if (Number(r.rows[0]!.n) !== t.rowsDone) problems.push(`${key}: target ${r.rows[0]!.n} rows, log ${t.rowsDone}`);
    }
  } finally {
    await c.end();
  }
  return problems;
}
