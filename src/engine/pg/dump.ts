// The source schema as pg_dump sees it: pre-data SQL, post-data items one by one, and a hash of both.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Filters } from '../../events/schemas.js';
import type { ConnInfo } from './conninfo.js';
import type { SourceDatabase } from '../phases/database.js';
import { PgcloneError } from '../errors.js';
import { dbnameArg, libpqEnv, runTool, stripPsqlMeta, type PgTools } from './pg-tools.js';
import { processAlive } from '../../local/proc.js';
import { mapRolesInSql, type RoleMapping } from '../role-map.js';
import type { RoleSpec } from './roles.js';

export interface TocEntry {
  dumpId: number;
  tableoid: number;
  oid: number;
  desc: string;
  /** what follows the description in pg_restore -l: schema, tag and owner, space-separated (names may contain spaces) */
  rest: string;
  section: 'pre-data' | 'post-data';
}

export interface PostDataSql {
  entry: TocEntry;
  sql: string;
  /** a foreign key the built-in engine can add NOT VALID and validate later (SchemaItem.deferred) */
  deferred?: { sql: string; validate: string; name: string };
}

export interface SchemaDump {
  preDataSql: string;
  /** SET lines pg_restore puts before the first item; each post-data item runs after them */
  postPreamble: string;
  toc: TocEntry[];
  postData: PostDataSql[];
  hash: string;
  /** the database's own settings, comment and grants (what pg_dump --create adds), read beside the dump */
  database?: SourceDatabase;
  /** --roles: the source's definitions of the roles the schema names, for the schema step to create those the target lacks */
  roles?: RoleSpec[];
  /** the built-in engine's notes for the operator (a user mapping's password left out), said once at the start */
  notes?: string[];
}

export interface DumpOptions {
  filters: Filters;
  /** relations pg_dump must dump besides what the filters select (a sequence a selected table's default uses), as schema and name */
  alsoTables?: { schema: string; name: string }[];
  noOwner: boolean;
  noAcl: boolean;
  /** --role-map: applied to the SQL pg_restore writes */
  roleMap?: RoleMapping[];
}

/** pg_dump answers within this long or is killed; a schema dump does not stream for ages. */
export function dumpTimeoutMs(ioTimeoutMs: number): number {
  return Math.max(120_000, 10 * ioTimeoutMs);
}

/** Every description pg_dump 10–17 writes; multi-word ones must match before their prefixes. */
const DESCS = [
  'ACCESS METHOD',
  'ACL',
  'AGGREGATE',
  'BLOB',
  'BLOB METADATA',
  'BLOBS',
  'CAST',
  'CHECK CONSTRAINT',
  'COLLATION',
  'COMMENT',
  'CONSTRAINT',
  'CONVERSION',
  'DATABASE',
  'DATABASE PROPERTIES',
  'DEFAULT',
  'DEFAULT ACL',
  'DOMAIN',
  'ENCODING',
  'EVENT TRIGGER',
  'EXTENSION',
  'FK CONSTRAINT',
  'FOREIGN DATA WRAPPER',
  'FOREIGN SERVER',
  'FOREIGN TABLE',
  'FUNCTION',
  'INDEX',
  'INDEX ATTACH',
  'LARGE OBJECT',
  'MATERIALIZED VIEW',
  'MATERIALIZED VIEW DATA',
  'OPERATOR',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'POLICY',
  'PROCEDURAL LANGUAGE',
  'PROCEDURE',
  'PUBLICATION',
  'PUBLICATION TABLE',
  'PUBLICATION TABLES IN SCHEMA',
  'ROW SECURITY',
  'RULE',
  'SCHEMA',
  'SECURITY LABEL',
  'SEQUENCE',
  'SEQUENCE OWNED BY',
  'SEQUENCE SET',
  'SERVER',
  'SHELL TYPE',
  'STATISTICS',
  'STDSTRINGS',
  'SEARCHPATH',
  'SUBSCRIPTION',
  'SUBSCRIPTION TABLE',
  'TABLE',
  'TABLE ATTACH',
  'TABLE DATA',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER',
  'TEXT SEARCH TEMPLATE',
  'TRANSFORM',
  'TRIGGER',
  'TYPE',
  'USER MAPPING',
  'VIEW',
].sort((a, b) => b.length - a.length);

/** Parse `pg_restore -l`: "dumpId; tableoid oid DESC schema tag owner". */
export function parseTocList(text: string, section: TocEntry['section']): TocEntry[] {
  const out: TocEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(';') || line.trim() === '') continue;
    const m = /^(\d+); (\d+) (\d+) (.*)$/.exec(line);
    if (!m) throw new PgcloneError('failed', `cannot read pg_restore's list line: ${line.slice(0, 80)}`);
    const tail = m[4] as string;
    const desc = DESCS.find((d) => tail === d || tail.startsWith(`${d} `));
    if (!desc) throw new PgcloneError('failed', `pg_restore listed an object of an unknown kind: ${tail.slice(0, 60)}`);
    out.push({ dumpId: Number(m[1]), tableoid: Number(m[2]), oid: Number(m[3]), desc, rest: tail.slice(desc.length + 1), section });
  }
  return out;
}

/** A name as a pg_dump pattern that matches only itself: in double quotes, where nothing is a wildcard. */
const exactPattern = (name: string) => `"${name.replace(/"/g, '""')}"`;

function filterArgs(f: Filters): string[] {
  const a: string[] = [];
  for (const s of f.schemas) a.push(`--schema=${s}`);
  for (const s of f.excludeSchemas) a.push(`--exclude-schema=${s}`);
  for (const t of f.tables) a.push(`--table=${t}`);
  for (const t of f.excludeTables) a.push(`--exclude-table=${t}`);
  return a;
}

/** Normalised text for hashing: no comments that name tool versions, no random psql keys. */
function hashText(sql: string): string {
  return sql
    .split('\n')
    .filter((l) => !/^-- Dumped (from|by) /.test(l))
    .join('\n');
}

const HEADER = /^--\n-- (?:Data for )?Name: [^\n]*; Type: ([^;\n]*); Schema: [^\n]*\n--\n/gm;

/**
 * Split pg_restore's post-data script into its items. Each item starts with a header comment; a string
 * literal could imitate one, so the split is accepted only if it finds exactly the expected headers in
 * the expected order — otherwise each item is asked of pg_restore on its own.
 */
export function splitItems(sql: string, entries: TocEntry[]): { preamble: string; items: string[] } | null {
  const starts: { at: number; type: string }[] = [];
  for (const m of sql.matchAll(HEADER)) starts.push({ at: m.index ?? 0, type: m[1] as string });
  if (starts.length !== entries.length) return null;
  for (let i = 0; i < entries.length; i++) if (starts[i]?.type !== entries[i]?.desc) return null;
  const ends = [...starts.slice(1).map((s) => s.at), sql.length];
  const preamble = sql.slice(0, starts[0]?.at ?? sql.length);
  const items = starts.map((s, i) => sql.slice(s.at, ends[i]));
  return { preamble, items };
}

const DUMP_PREFIX = 'pgclone-dump-';

/**
 * A process killed while it dumped (SIGKILL, a serverless timeout) cannot remove its schema dump: the next
 * dump on this host removes the ones whose process is gone.
 */
async function removeStaleDumps(): Promise<void> {
  const names = await readdir(tmpdir()).catch((): string[] => []);
  for (const name of names) {
    const pid = Number(new RegExp(`^${DUMP_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid))
      await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Dump the source schema in the given snapshot. The archive lives in a temporary directory only for
 * the duration of this call: nothing the run depends on is kept on this host's disk.
 */
export async function dumpSchema(tools: PgTools, source: ConnInfo, snapshotId: string | null, opts: DumpOptions, ioTimeoutMs = 60_000): Promise<SchemaDump> {
  await removeStaleDumps();
  const dir = await mkdtemp(join(tmpdir(), `${DUMP_PREFIX}${process.pid}-`));
  const archive = join(dir, 'schema.dump');
  try {
    const dumpArgs = [
      '--format=custom',
      '--section=pre-data',
      '--section=post-data',
      '--encoding=UTF8',
      '--exclude-schema=pgclone',
      '--no-subscriptions',
      '--no-blobs',
      ...(snapshotId ? [`--snapshot=${snapshotId}`] : []),
      ...filterArgs(opts.filters),
      ...(opts.alsoTables ?? []).map((t) => `--table=${exactPattern(t.schema)}.${exactPattern(t.name)}`),
      `--file=${archive}`,
      `--dbname=${dbnameArg(source, ioTimeoutMs)}`,
    ];
    await runTool(tools.pgDump, dumpArgs, libpqEnv(source), dumpTimeoutMs(ioTimeoutMs));
    const restoreOpts = ['--no-tablespaces', ...(opts.noOwner ? ['--no-owner'] : []), ...(opts.noAcl ? ['--no-privileges'] : [])];
    const [preList, postList, preSql, postSql] = await Promise.all([
      runTool(tools.pgRestore, ['--list', '--section=pre-data', archive]),
      runTool(tools.pgRestore, ['--list', '--section=post-data', archive]),
      runTool(tools.pgRestore, ['--section=pre-data', ...restoreOpts, '--file=-', archive]),
      runTool(tools.pgRestore, ['--section=post-data', ...restoreOpts, '--file=-', archive]),
    ]);
    const pre = parseTocList(preList.toString('utf8'), 'pre-data');
    const post = parseTocList(postList.toString('utf8'), 'post-data');
    const map = opts.roleMap ?? [];
    const preText = mapRolesInSql(stripPsqlMeta(preSql.toString('utf8')), map);
    const postText = mapRolesInSql(stripPsqlMeta(postSql.toString('utf8')), map);
    let split = splitItems(postText, post);
    if (split === null) split = await itemsOneByOne(tools, archive, dir, post, restoreOpts, map);
    const hash = createHash('sha256').update(hashText(preText)).update('\0').update(hashText(postText)).digest('hex');
    return {
      preDataSql: preText,
      postPreamble: split.preamble,
      toc: [...pre, ...post],
      postData: post.map((entry, i) => ({ entry, sql: split.items[i] as string })),
      hash,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function itemsOneByOne(
  tools: PgTools,
  archive: string,
  dir: string,
  entries: TocEntry[],
  restoreOpts: string[],
  map: RoleMapping[],
): Promise<{ preamble: string; items: string[] }> {
  const { writeFile } = await import('node:fs/promises');
  const items: string[] = [];
  let preamble = '';
  for (const e of entries) {
    const list = join(dir, `item-${e.dumpId}.list`);
    await writeFile(list, `${e.dumpId}; ${e.tableoid} ${e.oid} ${e.desc} ${e.rest}\n`);
    const sql = mapRolesInSql(
      stripPsqlMeta((await runTool(tools.pgRestore, [...restoreOpts, `--use-list=${list}`, '--file=-', archive])).toString('utf8')),
      map,
    );
    items.push(sql);
    preamble = '';
  }
  return { preamble, items };
}
