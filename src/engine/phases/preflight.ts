// Phase 1: everything that can be known before writing anything to the target. Any failure: one message, nothing written.
import type pg from 'pg';
import { tableKey } from '../../events/names.js';
import { inTransaction } from '../../events/transaction.js';
import { suggest } from '../../events/commands.js';
import { foldRun } from '../../events/fold.js';
import type { RunState } from '../../events/state.js';
import { logExists, readAllRuns } from '../../events/store.js';
import type { Plan, RunOptions, TableRef } from '../../events/schemas.js';
import { largeObjectsIncluded } from './large-objects.js';
import { largeObjectSpan, postItemFacts, serverFacts, sourceSequences, sourceTables, type ServerFacts, type SourceTable } from '../pg/catalog.js';
import { closeClient, openClient } from '../pg/connect.js';
import { describeConn, type ConnInfo } from '../pg/conninfo.js';
import { dumpSchema, type DumpOptions, type SchemaDump } from '../pg/dump.js';
import { readSchema } from '../schema/index.js';
import { PgcloneError, sqlstateOf } from '../errors.js';
import { findPgTools, type PgTools } from '../pg/pg-tools.js';
import { orderTables, planTable } from '../plan.js';
import { matchesAny, parseNamePattern } from '../patterns.js';
import { plannedAnalyze, plannedPostData } from './post-data.js';
import { applyPreData, createSchemaLine } from './schema.js';
import { applyDatabase, readSourceDatabase, roleSettingsToCopy } from './database.js';
import { exportSnapshot } from '../pg/snapshot.js';
import { absentRoles, createRoles, existingRoles, readSourceRoles, schemaRoleNames, superuserAttributes } from '../pg/roles.js';
import { mapRole, reservedRoleReason } from '../role-map.js';
import { decodingRefusal, selectCaughtUp, sourceDecodingFacts, type CatchUpSelection } from '../pg/slot.js';

export const MIN_SOURCE_VERSION = 120000;
export const MIN_TARGET_VERSION = 130000;

/** The engine a run's schema is read with: its options say, and a log from before the built-in engine used pg_dump. */
export function schemaEngineOf(options: Pick<RunOptions, 'schemaEngine'>): 'builtin' | 'pg_dump' {
  return options.schemaEngine ?? 'pg_dump';
}

/** The majors whose catalogs the built-in engine reads (each tested: npm run matrix). */
export const BUILTIN_MIN_MAJOR = 13;
export const BUILTIN_MAX_MAJOR = 18;

export interface Sides {
  /** pg_dump and pg_restore: only for the pg_dump engine */
  tools: PgTools | null;
  source: pg.Client;
  target: pg.Client;
  sourceFacts: ServerFacts;
  targetFacts: ServerFacts;
}

export interface Prepared {
  dump: SchemaDump;
  tables: SourceTable[];
  sequences: TableRef[];
  plan: Plan;
  /** the source client, now idle inside the exported snapshot's transaction */
  snapshotId: string;
  /** the source's large objects in the snapshot: how many, and the oid range they span */
  largeObjects: { count: number; minOid: number; maxOid: number };
}

const refuse = (msg: string, state: string | null = null) => new PgcloneError('preflight', msg, state);

/** A transaction-mode pooler hands consecutive statements to different backends and drops session state. */
async function behindTransactionPooler(c: pg.ClientBase): Promise<boolean> {
  const pids = new Set<number>();
  for (let i = 0; i < 3; i++) {
    const r = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    pids.add(r.rows[0]?.pid ?? -1);
  }
  const s = await c.query<{ v: string }>(`SELECT current_setting('idle_in_transaction_session_timeout') AS v`);
  return pids.size > 1 || s.rows[0]?.v !== '0';
}

function poolerMessage(info: ConnInfo, side: string): string {
  const hint = info.port === 6543 ? ' (port 6543 is Supabase’s transaction pooler: use the direct or session port, usually 5432)' : '';
  return `the ${side} ${describeConn(info)} is behind a transaction-mode connection pooler${hint}; pgclone needs session-level features (an exported snapshot, advisory locks, session settings) — connect directly or through a session-mode pooler`;
}

/** Open both sides, check tools, versions, identity and poolers. */
export async function openSides(sourceInfo: ConnInfo, targetInfo: ConnInfo, engine: 'builtin' | 'pg_dump'): Promise<Sides> {
  const tools = engine === 'pg_dump' ? await findPgTools() : null;
  let source: pg.Client | null = null;
  let target: pg.Client | null = null;
  try {
    source = await openClient(sourceInfo, { side: 'source', purpose: 'snapshot' });
    target = await openClient(targetInfo, { side: 'target', purpose: 'lock' });
    const [sourceFacts, targetFacts] = await Promise.all([serverFacts(source), serverFacts(target)]);
    if (sourceFacts.fingerprint === targetFacts.fingerprint) {
      throw refuse(
        `the source and the target are the same database (${sourceFacts.database} on one server, reached as ${describeConn(sourceInfo)} and ${describeConn(targetInfo)}); clone into another database`,
      );
    }
    if (sourceFacts.versionNum < MIN_SOURCE_VERSION) throw refuse(`the source runs PostgreSQL ${sourceFacts.version}; pgclone needs 12 or newer`);
    if (targetFacts.versionNum < MIN_TARGET_VERSION)
      throw refuse(`the target runs PostgreSQL ${targetFacts.version}; pgclone needs 13 or newer (its log uses xid8)`);
    const srcMajor = Math.floor(sourceFacts.versionNum / 10000);
    const dstMajor = Math.floor(targetFacts.versionNum / 10000);
    if (dstMajor < srcMajor)
      throw refuse(
        `the target runs PostgreSQL ${targetFacts.version}, older than the source's ${sourceFacts.version}; a dump may not load into an older server`,
      );
    if (engine === 'builtin' && (srcMajor < BUILTIN_MIN_MAJOR || srcMajor > BUILTIN_MAX_MAJOR))
      throw refuse(
        `the source runs PostgreSQL ${sourceFacts.version}; the built-in schema engine reads ${BUILTIN_MIN_MAJOR} to ${BUILTIN_MAX_MAJOR} — use --schema-engine pg_dump with a pg_dump of at least ${srcMajor}`,
      );
    if (tools && tools.major < srcMajor) {
      throw refuse(
        `${tools.pgDump} is version ${tools.version}, older than the source server (${sourceFacts.version}); install pg_dump ${srcMajor} or newer (or point PGCLONE_PG_BIN at it)`,
      );
    }
    if (await behindTransactionPooler(source)) throw refuse(poolerMessage(sourceInfo, 'source'));
    if (await behindTransactionPooler(target)) throw refuse(poolerMessage(targetInfo, 'target'));
    return { tools, source, target, sourceFacts, targetFacts };
  } catch (e) {
    await closeClient(source);
    await closeClient(target);
    throw e;
  }
}

/** Relations the source role may not SELECT: of the user schemas, or only of `oids` (what is to be cloned). */
async function unreadableTables(source: pg.ClientBase, oids: number[] | null = null): Promise<string[]> {
  const r = await source.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgclone')
        AND n.nspname NOT LIKE 'pg_toast%' AND ($1::oid[] IS NULL OR c.oid = ANY($1::oid[]))
        AND NOT has_table_privilege(c.oid, 'SELECT') ORDER BY 1 LIMIT 20`,
    [oids],
  );
  return r.rows.map((x) => x.name);
}

/**
 * The sequences a dumped table's column default calls (pg_depend of the default on the sequence) that the dump
 * left out: pg_dump's --table takes only what it matches. They join the dump, unless --exclude-table named one on
 * purpose, or no --table selection can take them in (then the one line says which table needs which sequence).
 */
async function sequencesNeeded(
  source: pg.ClientBase,
  dump: SchemaDump,
  options: RunOptions,
): Promise<{ sequence: { schema: string; name: string }; user: string }[]> {
  const pre = dump.toc.filter((e) => e.section === 'pre-data');
  const tableOids = pre.filter((e) => e.desc === 'TABLE').map((e) => e.oid);
  const seqOids = pre.filter((e) => e.desc === 'SEQUENCE').map((e) => e.oid);
  if (tableOids.length === 0) return [];
  const r = await source.query<{ schema: string; name: string; seq: string; usr: string }>(
    `SELECT DISTINCT sn.nspname AS schema, s.relname AS name, format('%I.%I', sn.nspname, s.relname) AS seq,
            format('%I.%I.%I', tn.nspname, t.relname, a.attname) AS usr
       FROM pg_attrdef d
       JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid AND dep.refclassid = 'pg_class'::regclass
       JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S'
       JOIN pg_namespace sn ON sn.oid = s.relnamespace
       JOIN pg_class t ON t.oid = d.adrelid
       JOIN pg_namespace tn ON tn.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
      WHERE d.adrelid = ANY($1::oid[]) AND NOT (s.oid = ANY($2::oid[]))
      ORDER BY 3, 4`,
    [tableOids, seqOids],
  );
  if (r.rows.length === 0) return [];
  const excluded = options.filters.excludeTables.map(parseNamePattern);
  const onPurpose = r.rows.filter((x) => matchesAny({ schema: x.schema, name: x.name }, excluded));
  const why = (rows: typeof r.rows) => rows.map((x) => `${x.usr} uses sequence ${x.seq} in its default`).join('; ');
  if (onPurpose.length > 0)
    throw refuse(`${why(onPurpose)}, but --exclude-table leaves the sequence out: drop that --exclude-table, or exclude the table too (nothing was written)`);
  // pg_dump ignores --schema once a --table is given: an extra --table can only join a --table selection
  if (options.filters.tables.length === 0)
    throw refuse(`${why(r.rows)}, and the sequence is outside the selected schemas: add --schema for it, or --table for each table (nothing was written)`);
  return r.rows.map((x) => ({ sequence: { schema: x.schema, name: x.name }, user: x.usr }));
}

const RELATION_DESCS = new Set(['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'SEQUENCE', 'FOREIGN TABLE']);

/**
 * The relations a dumped view or materialized view reads (pg_depend of its pg_rewrite rule) that the dump left
 * out. One --exclude-table (or --exclude-schema) named on purpose, or outside a --schema selection, is refused in
 * one line naming the view and the relation; a --table selection takes them in as exact extra --tables.
 */
async function relationsNeeded(source: pg.ClientBase, dump: SchemaDump, options: RunOptions): Promise<{ schema: string; name: string }[]> {
  const pre = dump.toc.filter((e) => e.section === 'pre-data');
  const viewOids = pre.filter((e) => e.desc === 'VIEW' || e.desc === 'MATERIALIZED VIEW').map((e) => e.oid);
  if (viewOids.length === 0) return [];
  const relOids = pre.filter((e) => RELATION_DESCS.has(e.desc)).map((e) => e.oid);
  const r = await source.query<{ kind: string; usr: string; schema: string; name: string; rel: string }>(
    `SELECT DISTINCT CASE v.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END AS kind,
            format('%I.%I', vn.nspname, v.relname) AS usr, rn.nspname AS schema, r.relname AS name,
            format('%I.%I', rn.nspname, r.relname) AS rel
       FROM pg_class v
       JOIN pg_namespace vn ON vn.oid = v.relnamespace
       JOIN pg_rewrite w ON w.ev_class = v.oid
       JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid
       JOIN pg_class r ON r.oid = d.refobjid AND r.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       JOIN pg_namespace rn ON rn.oid = r.relnamespace
      WHERE v.oid = ANY($1::oid[]) AND NOT (r.oid = ANY($2::oid[]))
        AND rn.nspname NOT IN ('pg_catalog', 'information_schema') AND rn.nspname NOT LIKE 'pg_toast%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = r.oid AND e.deptype = 'e')
      ORDER BY 2, 5`,
    [viewOids, relOids],
  );
  if (r.rows.length === 0) return [];
  const excludedTables = options.filters.excludeTables.map(parseNamePattern);
  const excludedSchemas = options.filters.excludeSchemas.map((s) => parseNamePattern(s).name);
  const why = (x: (typeof r.rows)[number], flag: string) =>
    `${x.kind} ${x.usr} reads ${x.rel}, which ${flag} leaves out; exclude ${x.usr} too, or keep ${x.rel} (nothing was written)`;
  for (const x of r.rows) {
    if (matchesAny({ schema: x.schema, name: x.name }, excludedTables)) throw refuse(why(x, '--exclude-table'));
    if (excludedSchemas.some((re) => re.test(x.schema))) throw refuse(why(x, '--exclude-schema'));
  }
  const first = r.rows[0] as (typeof r.rows)[number];
  if (options.filters.tables.length === 0)
    throw refuse(
      `${first.kind} ${first.usr} reads ${first.rel}, which is outside the selected schemas; add --schema ${first.schema}, or exclude ${first.usr} (nothing was written)`,
    );
  return r.rows.map((x) => ({ schema: x.schema, name: x.name }));
}

/**
 * SQL the pre-data needs before it on an empty target, run inside applyPreData (so what it creates is recorded and
 * wipe drops it): the schema of a dumped relation the dump does not create (pg_dump --table emits no CREATE SCHEMA),
 * and the extension a dumped relation's column type belongs to (pg_dump --table and --schema emit no extensions).
 */
async function preDataNeeds(source: pg.ClientBase, dump: SchemaDump): Promise<string> {
  const pre = dump.toc.filter((e) => e.section === 'pre-data');
  const relOids = pre.filter((e) => RELATION_DESCS.has(e.desc)).map((e) => e.oid);
  if (relOids.length === 0) return dump.preDataSql;
  const dumpedSchemas = pre.filter((e) => e.desc === 'SCHEMA').map((e) => e.oid);
  const dumpedExts = pre.filter((e) => e.desc === 'EXTENSION').map((e) => e.oid);
  const schemas = await source.query<{ ident: string }>(
    `SELECT DISTINCT quote_ident(n.nspname) AS ident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY($1::oid[]) AND n.nspname <> 'public' AND NOT (n.oid = ANY($2::oid[])) ORDER BY 1`,
    [relOids, dumpedSchemas],
  );
  const exts = await source.query<{ ext: string; schema: string; dumped: boolean }>(
    `SELECT DISTINCT quote_ident(x.extname) AS ext, quote_ident(n.nspname) AS schema, n.oid = ANY($3::oid[]) AS dumped
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid IN (t.oid, t.typelem) AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
       JOIN pg_extension x ON x.oid = d.refobjid
       JOIN pg_namespace n ON n.oid = x.extnamespace
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND NOT (x.oid = ANY($2::oid[]))
      ORDER BY 1`,
    [relOids, dumpedExts, dumpedSchemas],
  );
  const created = new Set(schemas.rows.map((x) => x.ident));
  const head: string[] = schemas.rows.map((x) => `CREATE SCHEMA IF NOT EXISTS ${x.ident};`);
  let sql = dump.preDataSql;
  for (const e of exts.rows) {
    const line = `CREATE EXTENSION IF NOT EXISTS ${e.ext} WITH SCHEMA ${e.schema} CASCADE;`;
    // an extension in a schema the dump creates goes right after that CREATE SCHEMA; any other before the dump
    const own = e.dumped ? createSchemaLine(e.schema) : null;
    if (own && own.test(sql)) sql = sql.replace(own, (m) => `${m}\n${line}`);
    else {
      if (e.schema !== 'public' && !created.has(e.schema)) {
        head.push(`CREATE SCHEMA IF NOT EXISTS ${e.schema};`);
        created.add(e.schema);
      }
      head.push(line);
    }
  }
  return head.length > 0 ? `${head.join('\n')}\n${sql}` : sql;
}

/**
 * The built-in engine's reading, on the snapshot's own connection. What it cannot reproduce is refused here, each
 * object named with its kind, before anything is written.
 */
async function readBuiltin(source: pg.ClientBase, versionNum: number, opts: DumpOptions): Promise<SchemaDump> {
  const r = await readSchema(source, versionNum, opts);
  if (r.unsupported.length > 0) {
    const shown = r.unsupported.slice(0, 12).map((u) => `${u.kind} ${u.identity} (${u.why})`);
    throw refuse(
      `the built-in schema engine cannot reproduce ${r.unsupported.length === 1 ? 'this object' : `these ${r.unsupported.length} objects`}: ${shown.join('; ')}${r.unsupported.length > shown.length ? ' …' : ''}; exclude them with a filter, or use --schema-engine pg_dump (nothing was written)`,
    );
  }
  return { ...r.dump, notes: r.notes };
}

/** Dump the schema in a fresh exported snapshot on `source`, and plan tables, sequences and post-data items. */
export async function prepare(sides: Sides, sourceInfo: ConnInfo, options: RunOptions, ioTimeoutMs = 60_000): Promise<Prepared> {
  const { source, tools, sourceFacts } = sides;
  const snapshotId = await exportSnapshot(source);
  // every dump of the source fails the same way, the first or one with what the selection needs added
  const dumpOrRefuse = async (opts: RunOptions & { alsoTables?: { schema: string; name: string }[] }): Promise<SchemaDump> => {
    try {
      if (tools === null) return await readBuiltin(source, sourceFacts.versionNum, opts);
      return await dumpSchema(tools, sourceInfo, snapshotId, opts, ioTimeoutMs);
    } catch (e) {
      if (e instanceof PgcloneError && e.kind === 'preflight') throw e;
      const msg = e instanceof Error ? e.message : String(e);
      if (e instanceof PgcloneError && e.kind === 'transient') throw e;
      if (/permission denied/i.test(msg)) {
        const list = await unreadableTables(source).catch(() => []);
        throw refuse(`the source role cannot read everything to be cloned${list.length ? `: no SELECT on ${list.join(', ')}` : ''} (${msg})`);
      }
      throw refuse(`could not ${tools ? 'dump' : 'read'} the source schema: ${msg}`);
    }
  };
  let dump = await dumpOrRefuse(options);
  // what the dumped relations need joins the dump, until nothing more is needed (a view read by a view, its sequence)
  const also: { schema: string; name: string }[] = [];
  for (let round = 0; round < 20; round++) {
    const needed = [...(await sequencesNeeded(source, dump, options)).map((n) => n.sequence), ...(await relationsNeeded(source, dump, options))];
    const fresh = needed.filter((n) => !also.some((a) => a.schema === n.schema && a.name === n.name));
    if (fresh.length === 0) break;
    also.push(...fresh);
    dump = await dumpOrRefuse({ ...options, alsoTables: also });
  }
  dump = { ...dump, preDataSql: await preDataNeeds(source, dump) };
  const map = options.roleMap ?? [];
  const database = await readSourceDatabase(source, options);
  if (options.roles) {
    const names = (await schemaRoleNames(source, options)).filter((n) => !map.some((m) => m.from === n));
    dump = { ...dump, roles: await readSourceRoles(source, names, map) };
  }
  // the roles' settings in the database: for the roles the target has or --roles creates, after the map
  const roleSettings = database.roleSettings.map((s) => ({ ...s, role: mapRole(s.role, map) }));
  const onTarget = await existingRoles(sides.target, [...new Set(roleSettings.map((s) => s.role))]);
  for (const r of dump.roles ?? []) onTarget.add(r.name);
  const settingsCopied = roleSettingsToCopy(roleSettings, onTarget);
  dump = {
    ...dump,
    database: { ...database, grants: database.grants.map((g) => ({ ...g, grantee: mapRole(g.grantee, map) })), roleSettings: settingsCopied.copy },
    ...(settingsCopied.notes.length > 0 ? { notes: [...(dump.notes ?? []), ...settingsCopied.notes] } : {}),
  };
  const tableOids = dump.toc.filter((e) => e.desc === 'TABLE' && e.section === 'pre-data').map((e) => e.oid);
  const seqOids = dump.toc.filter((e) => e.desc === 'SEQUENCE' && e.section === 'pre-data').map((e) => e.oid);
  const excluded = options.filters.excludeTableData.map(parseNamePattern);
  // pg_dump fails on a table it may not read; the catalogs are readable to anyone, so the built-in engine asks
  const unreadable = await unreadableTables(source, [...tableOids, ...seqOids]);
  if (unreadable.length > 0) throw refuse(`the source role cannot read everything to be cloned: no SELECT on ${unreadable.join(', ')}`);
  const all = await sourceTables(source, tableOids);
  const tables = all.filter((t) => t.relkind === 'r' && !matchesAny(t.table, excluded));

  if (!sourceFacts.superuser && !sourceFacts.bypassRls) {
    const subject = all.filter((t) => t.rowSecurity && (!t.ownedByMe || t.forceRowSecurity));
    if (subject.length > 0) {
      const names = subject.slice(0, 10).map((t) => tableKey(t.table));
      throw refuse(
        `the source role ${sourceFacts.currentUser} is subject to row-level security on ${names.join(', ')}${subject.length > 10 ? ' …' : ''}: it would copy a silent subset; use a role with BYPASSRLS (or the tables' owner)`,
      );
    }
  }
  const largeObjects = largeObjectsIncluded(options) ? await largeObjectSpan(source) : { count: 0, minOid: 0, maxOid: 0 };

  const planned = orderTables(tables.map((t) => planTable(t, sourceFacts.versionNum)));
  const facts = await postItemFacts(
    source,
    dump.toc.filter((e) => e.section === 'post-data'),
  );
  const sequences = await sourceSequences(source, seqOids);
  // --exclude-table-data on a materialized view leaves it unpopulated, as pg_dump does: no refresh, no analyze
  const postData = plannedPostData(dump, facts).filter((p) => !(p.kind === 'matview-refresh' && p.table && matchesAny(p.table, excluded)));
  const filled = [
    ...planned.map((t) => t.table),
    ...all.filter((t) => t.relkind === 'p' && !matchesAny(t.table, excluded)).map((t) => t.table),
    ...postData.filter((p) => p.kind === 'matview-refresh' && p.table).map((p) => p.table as TableRef),
  ];
  const analyze = options.noAnalyze ? [] : plannedAnalyze(filled);
  return { dump, tables, sequences, plan: { tables: planned, postData: [...postData, ...analyze] }, snapshotId, largeObjects };
}

/**
 * Large objects keep their oids, so the target may hold none inside the range the source's span: not one the
 * source uses (it could not be created), nor one between them (a wipe unlinks the run's recorded oid ranges).
 */
export async function checkTargetLargeObjects(sides: Sides, span: Prepared['largeObjects'], targetInfo: ConnInfo): Promise<void> {
  if (span.count === 0) return;
  const r = await sides.target.query<{ oid: string }>(
    `SELECT m.oid::int8::text AS oid FROM pg_catalog.pg_largeobject_metadata m
      WHERE m.oid::int8 BETWEEN $1 AND $2 ORDER BY m.oid LIMIT 1`,
    [span.minOid, span.maxOid],
  );
  const hit = r.rows[0];
  if (!hit) return;
  const used = await sides.source.query('SELECT 1 FROM pg_catalog.pg_largeobject_metadata WHERE oid = $1::int8::oid', [hit.oid]);
  throw refuse(
    `the target ${describeConn(targetInfo)} already holds large object ${hit.oid}, ${used.rowCount ? 'an oid the source uses' : `inside the oid range of the source's large objects (${span.minOid}–${span.maxOid})`}; remove it (SELECT lo_unlink(${hit.oid})) or clone into another database`,
  );
}

const DUPLICATE = new Set(['42P07', '42710', '42P06', '42723', '42P04', '42P16']);

async function missingRoles(source: pg.ClientBase, target: pg.ClientBase, options: RunOptions): Promise<string[]> {
  const wanted = [...new Set((await schemaRoleNames(source, options)).map((n) => mapRole(n, options.roleMap ?? [])))];
  const present = await existingRoles(target, wanted);
  return wanted.filter((w) => !present.has(w)).sort();
}

/** --role-map's targets exist; --roles creates nothing reserved and grants nothing the target role may not grant. */
async function checkRoles(sides: Sides, dump: SchemaDump, options: RunOptions): Promise<void> {
  const { target, targetFacts } = sides;
  const map = options.roleMap ?? [];
  if (map.length > 0) {
    const present = await existingRoles(
      target,
      map.map((m) => m.to),
    );
    const absent = map.filter((m) => !present.has(m.to));
    if (absent.length > 0)
      throw refuse(
        `--role-map names roles the target does not have: ${absent.map((m) => `${m.to} (for ${m.from})`).join(', ')}; create them there first, or map to roles it has`,
      );
  }
  if (!dump.roles) return;
  const create = await absentRoles(target, dump.roles);
  if (create.length === 0) return;
  const reserved = create.map((s) => [s.name, reservedRoleReason(s.name)] as const).filter((x) => x[1] !== null);
  if (reserved.length > 0)
    throw refuse(
      `--roles will not create ${reserved.map(([n, why]) => `${n} (${why})`).join(', ')}: a platform's or PostgreSQL's own role is not a clone's to make; map it to a role the target has with --role-map ${reserved[0]?.[0]}=ROLE, or use --no-owner / --no-acl`,
    );
  if (targetFacts.superuser) return;
  const r = await target.query<{ ok: boolean }>('SELECT rolcreaterole AS ok FROM pg_roles WHERE rolname = current_user');
  if (!r.rows[0]?.ok)
    throw refuse(
      `--roles: the target role ${targetFacts.currentUser} may not create roles (it has neither CREATEROLE nor SUPERUSER); it would create ${create.map((s) => s.name).join(', ')}`,
    );
  const denied = create.filter((s) => superuserAttributes(s).length > 0);
  if (denied.length > 0)
    throw refuse(
      `--roles: only a superuser may grant ${denied.map((s) => `${superuserAttributes(s).join(', ')} to ${s.name}`).join('; ')}, and the target role ${targetFacts.currentUser} is not one; create those roles on the target yourself, or map them with --role-map`,
    );
}

/**
 * The run in the target's log whose SchemaApplied created the object an error names (`relation "items"`),
 * else the newest run not wiped that created any: read only, and nothing when there is no log.
 */
async function runThatCreated(target: pg.ClientBase, message: string): Promise<RunState | null> {
  if (!(await logExists(target))) return null;
  const runs = [...(await readAllRuns(target)).values()].map(foldRun).filter((s) => s.outcome.kind !== 'wiped' && s.schemaObjects !== null);
  const name = /"([^"]+)"/.exec(message)?.[1];
  const bare = (identity: string) => identity.replace(/"/g, '').split('.').at(-1);
  const named = name ? runs.filter((s) => (s.schemaObjects ?? []).some((o) => bare(o.identity) === name)) : [];
  const newest = (list: RunState[]) => [...list].sort((a, b) => b.lastEventAt.localeCompare(a.lastEventAt))[0] ?? null;
  return newest(named) ?? newest(runs);
}

/** A run that did not finish is continued; one that did is wiped first. */
function whatToDoAbout(s: RunState): string {
  if (s.outcome.kind === 'finished') {
    return `run ${s.runId} created it and finished at ${s.outcome.at}; to clone again, wipe it first (${suggest('wipe', s)}), or wipe and clone again with its options (${suggest('wipe', s, ['--restart'])})`;
  }
  const how = s.outcome.kind === 'failed' ? 'failed' : 'was interrupted';
  return `run ${s.runId} created it and ${how} in ${s.phase} without finishing; continue it: ${suggest('resume', s)} (or drop what it created: ${suggest('wipe', s)})`;
}

/**
 * Apply the whole schema — pre-data and every post-data item — in a transaction that is rolled back:
 * the exact test of "the target holds none of these objects and this role may create them all".
 */
export async function dryRunSchema(sides: Sides, dump: SchemaDump, options: RunOptions, targetInfo: ConnInfo): Promise<void> {
  const { target, source } = sides;
  const canCreate = await target.query<{ ok: boolean; log: boolean }>(
    `SELECT has_database_privilege(current_database(), 'CREATE') AS ok, to_regclass('pgclone.events') IS NOT NULL AS log`,
  );
  if (!canCreate.rows[0]?.ok && !canCreate.rows[0]?.log) {
    throw refuse(`the target role ${sides.targetFacts.currentUser} may not create schemas in ${describeConn(targetInfo)} (needs CREATE on the database)`);
  }
  await checkRoles(sides, dump, options);
  try {
    // always rolled back: a dry run
    await inTransaction(
      target,
      async () => {
        if (dump.roles) await createRoles(target, dump.roles);
        await applyPreData(target, dump.preDataSql);
        await applyDatabase(target, dump.database);
        for (const item of dump.postData) await target.query(dump.postPreamble + item.sql);
      },
      { rollbackIf: () => true },
    );
  } catch (e) {
    const state = sqlstateOf(e);
    const msg = (e as Error).message;
    if (state !== null && DUPLICATE.has(state)) {
      const creator = await runThatCreated(target, msg).catch(() => null);
      const held = state === '42P06' ? ' and holds objects (an empty one would be used as it is)' : '';
      throw refuse(
        `the target is not empty: ${msg}${held}; ${creator ? whatToDoAbout(creator) : 'clone into an empty database, or wipe the run that created it (pgclone status shows runs)'}`,
        state,
      );
    }
    if (state === '42704' && /role .* does not exist/.test(msg)) {
      const list = await missingRoles(source, target, options).catch(() => []);
      throw refuse(
        `roles the schema names do not exist on the target: ${list.length ? list.join(', ') : msg}; create them there, let pgclone create them (--roles), map them to roles the target has (--role-map SRC=DST), or use --no-owner / --no-acl`,
        state,
      );
    }
    if (state === '42501') throw refuse(`the target role may not create part of the schema: ${msg}`, state);
    if (state === '58P01' || state === '0A000' || /extension/i.test(msg))
      throw refuse(`an extension of the source is not available on the target: ${msg}`, state);
    throw refuse(`the source schema does not apply to the target: ${msg}`, state);
  }
  // pg_dump's script emptied search_path for this session; put the engine's back
  await target.query(`SELECT pg_catalog.set_config('search_path', 'pg_catalog', false)`);
}

/** on: what to create, and the lines preflight prints about it; off: why not, recorded in RunStarted (no note: behaviour stays as before) */
export type CatchUpDecision = { on: true; selection: CatchUpSelection; notes: string[] } | { on: false; why: string };

/**
 * Whether this run catches up through a logical slot: asked for (the default; --no-catch-up says no) and allowed by
 * the source (wal_level, the role, a free slot, a publication it may create) and the target (a role that may set
 * session_replication_role, so replayed changes fire no trigger). Each tables catch-up must leave out is named with
 * why. Reads only; nothing is created here.
 */
export async function decideCatchUp(sides: Sides, prepared: Prepared, options: RunOptions, name: string): Promise<CatchUpDecision> {
  const off = (why: string): CatchUpDecision => ({ on: false, why });
  if (options.catchUp === false) return off('--no-catch-up');
  // pg_dump would dump the run's own publication with the schema (it has no way to leave one out)
  if (sides.tools !== null) return off('--schema-engine pg_dump would copy the run’s own publication into the target (the built-in engine leaves it out)');
  const facts = await sourceDecodingFacts(sides.source);
  const refusal = decodingRefusal(facts);
  if (refusal) return off(refusal);
  try {
    await inTransaction(
      sides.target,
      async () => {
        await sides.target.query(`SELECT pg_catalog.set_config('session_replication_role', 'replica', true)`);
      },
      { rollbackIf: () => true },
    );
  } catch (e) {
    if (sqlstateOf(e) !== '42501') throw e;
    return off(
      'the target role may not set session_replication_role (a superuser may; on 15+ GRANT SET ON PARAMETER session_replication_role), which replaying changes without firing the target’s triggers needs',
    );
  }
  const selection = await selectCaughtUp(sides.source, prepared.tables);
  if (selection.tables.length === 0) return off('no table to clone can be caught up');
  const keep =
    facts.maxSlotWalKeep === null || facts.maxSlotWalKeep === '-1' ? 'no max_slot_wal_keep_size bounds it' : `max_slot_wal_keep_size = ${facts.maxSlotWalKeep}`;
  const notes = [
    `catch-up: creating on the source publication ${name} (${selection.tables.length} tables) and logical replication slot ${name} (pgoutput); the slot keeps the source's WAL from now until catch-up ends (${keep}); finish and wipe drop both, --no-catch-up does without`,
    ...selection.excluded.map((x) => `catch-up: ${tableKey(x.table)} is left out — ${x.reason}; its rows are copied but not kept exact across breaks`),
  ];
  return { on: true, selection, notes };
}
