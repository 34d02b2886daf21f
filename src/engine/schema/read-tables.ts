// Tables (with columns, defaults, checks, partitions, inheritance), foreign tables, views and materialized views,
// and what hangs off them: indexes, constraints, triggers, rules, row security, policies, extended statistics.
import { PRIORITY, schemaItem, type ReadContext, type SchemaItem } from './model.js';
import {
  aclExpr,
  aclSql,
  columnAclSql,
  commentExpr,
  commentSql,
  genericOptions,
  labelsExpr,
  labelSql,
  ownerSql,
  ref,
  withOptions,
  type AclEntry,
  type Label,
} from './sql.js';

const item = schemaItem;

/** A post-data object of one table (trigger, rule, policy): named `table name` for the dashboard. */
function onTable(
  x: { oid: number; schema: string; table: string; name: string; owner: string },
  catalog: string,
  desc: string,
  sql: string,
  priority: number,
): SchemaItem {
  return item({
    key: ref(catalog, x.oid),
    desc,
    section: 'post-data',
    catalog,
    oid: x.oid,
    schema: x.schema,
    name: `${x.table} ${x.name}`,
    owner: x.owner,
    sql,
    priority,
  });
}

interface Column {
  num: number;
  name: string;
  type: string;
  collate: string | null;
  notnull: boolean;
  local: boolean;
  inhcount: number;
  generated: string;
  genexpr: string | null;
  attrdef: number | null;
  storage: string | null;
  compression: string | null;
  stattarget: number | null;
  options: string[] | null;
  fdwoptions: string[] | null;
  acl: AclEntry[] | null;
  comment: string | null;
  labels: Label[] | null;
  /** 18: the column's NOT NULL constraint */
  nn: { name: string; noinherit: boolean; valid: boolean; oid: number } | null;
}

interface RelRow {
  oid: number;
  schema: string;
  name: string;
  ident: string;
  relkind: string;
  persistence: string;
  owner: string;
  acl: AclEntry[] | null;
  comment: string | null;
  labels: Label[] | null;
  reloptions: string[] | null;
  toastoptions: string[] | null;
  /** a typed table's type (CREATE TABLE … OF) */
  oftype: string | null;
  replident: string;
  rls: boolean;
  force_rls: boolean;
  ispartition: boolean;
  partkey: string | null;
  bound: string | null;
  am: string | null;
  reltype: number;
  rowarray: number;
  parents: { oid: number; ident: string }[] | null;
  viewdef: string | null;
  rewrite: number | null;
  populated: boolean;
  /** materialized views this one reads: filled before it */
  reads_mv: number[];
  server: string | null;
  ftoptions: string[] | null;
  columns: Column[] | null;
}

function relWord(relkind: string): string {
  switch (relkind) {
    case 'v':
      return 'VIEW';
    case 'm':
      return 'MATERIALIZED VIEW';
    case 'f':
      return 'FOREIGN TABLE';
    case 'S':
      return 'SEQUENCE';
    default:
      return 'TABLE';
  }
}

/** pg_get_viewdef's text ends in a semicolon; a definition inside a longer statement must not. */
const bareQuery = (def: string) => def.trim().replace(/;$/, '');

export async function readRelations(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.relations.length === 0) return [];
  const v14 = ctx.version >= 140000;
  const v17 = ctx.version >= 170000;
  const v18 = ctx.version >= 180000;
  const r = await ctx.db.query<RelRow>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, format('%I.%I', n.nspname, c.relname) AS ident, c.relkind::text AS relkind,
            c.relpersistence::text AS persistence, quote_ident(pg_get_userbyid(c.relowner)) AS owner, ${aclExpr('c.relacl')} AS acl,
            ${commentExpr('pg_class', 'c.oid')} AS comment, ${labelsExpr('pg_class', 'c.oid')} AS labels, c.reloptions, c.relreplident::text AS replident,
            (SELECT tc.reloptions FROM pg_catalog.pg_class tc WHERE tc.oid = c.reltoastrelid) AS toastoptions,
            CASE WHEN c.reloftype <> 0 THEN format_type(c.reloftype, NULL) END AS oftype,
            c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls, c.relispartition AS ispartition,
            CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
            CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound,
            (SELECT quote_ident(am.amname) FROM pg_catalog.pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap' AND c.relkind IN ('r', 'm')) AS am,
            c.reltype::int AS reltype, (SELECT t.typarray::int FROM pg_catalog.pg_type t WHERE t.oid = c.reltype) AS rowarray,
            (SELECT json_agg(json_build_object('oid', p.oid::int, 'ident', format('%I.%I', pn.nspname, p.relname)) ORDER BY i.inhseqno)
               FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
              WHERE i.inhrelid = c.oid) AS parents,
            CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS viewdef,
            (SELECT w.oid::int FROM pg_catalog.pg_rewrite w WHERE w.ev_class = c.oid AND w.rulename = '_RETURN') AS rewrite,
            c.relispopulated AS populated,
            array(SELECT DISTINCT d.refobjid::int FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_depend d
                    ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = w.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                  JOIN pg_catalog.pg_class m ON m.oid = d.refobjid AND m.relkind = 'm' AND m.oid <> c.oid
                  WHERE w.ev_class = c.oid AND c.relkind = 'm') AS reads_mv,
            (SELECT quote_ident(s.srvname) FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver WHERE ft.ftrelid = c.oid) AS server,
            (SELECT ft.ftoptions FROM pg_catalog.pg_foreign_table ft WHERE ft.ftrelid = c.oid) AS ftoptions,
            (SELECT json_agg(json_build_object(
                'num', a.attnum, 'name', quote_ident(a.attname), 'type', format_type(a.atttypid, a.atttypmod),
                'collate', CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN (SELECT format('%I.%I', cn.nspname, co.collname)
                   FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,
                'notnull', a.attnotnull, 'local', a.attislocal, 'inhcount', a.attinhcount, 'generated', a.attgenerated::text,
                'genexpr', CASE WHEN a.attgenerated <> '' THEN (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) END,
                'attrdef', (SELECT d.oid::int FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum),
                'storage', CASE WHEN a.attstorage <> t.typstorage THEN CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END,
                'compression', ${v14 ? `CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END` : 'NULL'},
                'stattarget', ${v17 ? `a.attstattarget` : `NULLIF(a.attstattarget, -1)`},
                'options', a.attoptions, 'fdwoptions', a.attfdwoptions, 'acl', ${aclExpr('a.attacl')},
                'comment', ${commentExpr('pg_class', 'c.oid', 'a.attnum')}, 'labels', ${labelsExpr('pg_class', 'c.oid', 'a.attnum')},
                'nn', ${
                  v18
                    ? `(SELECT json_build_object('name', quote_ident(k.conname), 'noinherit', k.connoinherit, 'valid', k.convalidated, 'oid', k.oid::int)
                   FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'n' AND k.conkey[1] = a.attnum)`
                    : 'NULL'
                }) ORDER BY a.attnum)
               FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY($1::oid[]) AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
      ORDER BY n.nspname, c.relname`,
    [ctx.relations],
  );
  const out: SchemaItem[] = [];
  const byOid = new Map(r.rows.map((x) => [x.oid, x]));
  for (const t of r.rows) out.push(...relationItems(ctx, t, byOid));
  return out;
}

function columnDef(c: Column, opts: { partition: boolean; foreign: boolean; v18: boolean }): string {
  let s = `${c.name} ${c.type}`;
  if (c.compression) s += ` COMPRESSION ${c.compression}`;
  if (opts.foreign && c.fdwoptions) s += genericOptions(c.fdwoptions);
  if (c.collate) s += ` COLLATE ${c.collate}`;
  if (c.generated === 's') s += ` GENERATED ALWAYS AS (${c.genexpr}) STORED`;
  if (c.generated === 'v') s += ` GENERATED ALWAYS AS (${c.genexpr}) VIRTUAL`;
  // 18: NOT NULL is a named constraint (a NOT VALID one is added in post-data, with the constraints)
  if (opts.v18 && c.nn) {
    if (c.nn.valid) s += ` CONSTRAINT ${c.nn.name} NOT NULL${c.nn.noinherit ? ' NO INHERIT' : ''}`;
  } else if (c.notnull) s += ' NOT NULL';
  return s;
}

function relationItems(ctx: ReadContext, t: RelRow, byOid: Map<number, RelRow>): SchemaItem[] {
  const out: SchemaItem[] = [];
  const word = relWord(t.relkind);
  const cols = t.columns ?? [];
  const provides = [ref('pg_type', t.reltype), ref('pg_type', t.rowarray)];
  const deps: string[] = [];
  let sql = '';
  if (t.relkind === 'v') {
    const opts = (t.reloptions ?? []).filter((o) => !o.startsWith('check_option='));
    const check = (t.reloptions ?? []).find((o) => o.startsWith('check_option='))?.slice('check_option='.length);
    sql = `CREATE VIEW ${t.ident}${withOptions(opts)} AS\n${bareQuery(t.viewdef ?? '')}${check ? `\n  WITH ${check.toUpperCase()} CHECK OPTION` : ''};\n`;
    if (t.rewrite) provides.push(ref('pg_rewrite', t.rewrite));
  } else if (t.relkind === 'm') {
    sql = `CREATE MATERIALIZED VIEW ${t.ident}${t.am ? ` USING ${t.am}` : ''}${withOptions(t.reloptions)} AS\n${bareQuery(t.viewdef ?? '')}\n  WITH NO DATA;\n`;
    if (t.rewrite) provides.push(ref('pg_rewrite', t.rewrite));
  } else {
    const v18 = ctx.version >= 180000;
    const parents = t.ispartition ? [] : (t.parents ?? []);
    // INHERITS puts the parents' columns first; a table given its parents later (ALTER TABLE … INHERIT) may hold its
    // columns in another order, all local: it is made whole and then inherits, so its columns keep their places
    const late = parents.length > 0 && cols.some((c) => c.inhcount > 0 && c.local) && !cols.some((c) => c.inhcount > 0 && !c.local);
    const inherits = parents.length > 0 && !late;
    const shown = t.oftype ? [] : inherits ? cols.filter((c) => c.local) : cols;
    const defs = shown.map((c) => columnDef(c, { partition: t.ispartition, foreign: t.relkind === 'f', v18 }));
    const unlogged = t.persistence === 'u' ? 'UNLOGGED ' : '';
    const options = [...(t.reloptions ?? []), ...(t.toastoptions ?? []).map((o) => `toast.${o}`)];
    if (t.relkind === 'f')
      sql = `CREATE FOREIGN TABLE ${t.ident} (\n    ${defs.join(',\n    ')}\n)${inherits ? ` INHERITS (${parents.map((p) => p.ident).join(', ')})` : ''}\nSERVER ${t.server}${genericOptions(t.ftoptions)};\n`;
    else {
      sql = t.oftype
        ? `CREATE ${unlogged}TABLE ${t.ident} OF ${t.oftype}`
        : `CREATE ${unlogged}TABLE ${t.ident} (${defs.length ? `\n    ${defs.join(',\n    ')}\n` : ''})`;
      if (inherits) sql += `\nINHERITS (${parents.map((p) => p.ident).join(', ')})`;
      if (t.partkey) sql += `\nPARTITION BY ${t.partkey}`;
      if (t.am) sql += `\nUSING ${t.am}`;
      sql += `${withOptions(options)};\n`;
    }
    if (late) for (const p of parents) sql += `ALTER TABLE ONLY ${t.ident} INHERIT ${p.ident};\n`;
    // a typed table's columns come from its type; what it adds is said column by column
    if (t.oftype) for (const c of cols) if (c.notnull) sql += `ALTER TABLE ONLY ${t.ident} ALTER COLUMN ${c.name} SET NOT NULL;\n`;
    for (const c of cols) {
      if (c.storage && (c.local || !inherits)) sql += `ALTER TABLE ONLY ${t.ident} ALTER COLUMN ${c.name} SET STORAGE ${c.storage};\n`;
      if (c.stattarget !== null && c.stattarget !== undefined) sql += `ALTER TABLE ONLY ${t.ident} ALTER COLUMN ${c.name} SET STATISTICS ${c.stattarget};\n`;
      // only the options a column takes (n_distinct…): a server build may keep its own entries there (this machine's 15 adds pg_attver)
      const options = (c.options ?? []).filter((o) => /^n_distinct(_inherited)?=/.test(o));
      if (options.length > 0) sql += `ALTER TABLE ONLY ${t.ident} ALTER COLUMN ${c.name} SET (${options.join(', ')});\n`;
      if (c.generated !== '' && c.attrdef) provides.push(ref('pg_attrdef', c.attrdef));
      // 18: a valid NOT NULL is made with its column (an inherited one comes with the parent's)
      if (c.nn && c.nn.valid) provides.push(ref('pg_constraint', c.nn.oid));
    }
    // a foreign table's is NOTHING and cannot be set
    if (t.replident === 'f' && t.relkind !== 'f') sql += `ALTER TABLE ONLY ${t.ident} REPLICA IDENTITY FULL;\n`;
    if (t.replident === 'n' && t.relkind !== 'f') sql += `ALTER TABLE ONLY ${t.ident} REPLICA IDENTITY NOTHING;\n`;
    for (const p of t.parents ?? []) deps.push(ref('pg_class', p.oid));
    if (t.ispartition) {
      const parent = t.parents?.[0];
      if (parent) {
        out.push(
          item({
            key: `${ref('pg_class', t.oid)}/attach`,
            desc: 'TABLE ATTACH',
            section: 'pre-data',
            catalog: 'pg_class',
            oid: t.oid,
            schema: t.schema,
            name: t.name,
            owner: t.owner,
            sql: `ALTER TABLE ONLY ${parent.ident} ATTACH PARTITION ${t.ident} ${t.bound};\n`,
            deps: [ref('pg_class', t.oid), ref('pg_class', parent.oid)],
            priority: PRIORITY.tableAttach,
          }),
        );
      }
    }
  }
  sql += ownerSql(ctx, word === 'FOREIGN TABLE' ? 'FOREIGN TABLE' : word, t.ident, t.owner);
  sql += aclSql(ctx, `TABLE ${t.ident}`, t.owner, t.acl);
  for (const c of cols) sql += columnAclSql(ctx, t.ident, c.name, c.acl, t.owner);
  sql += commentSql(word, t.ident, t.comment);
  for (const c of cols) sql += commentSql('COLUMN', `${t.ident}.${c.name}`, c.comment);
  sql += labelSql(word, t.ident, t.labels);
  for (const c of cols) sql += labelSql('COLUMN', `${t.ident}.${c.name}`, c.labels);
  out.unshift(
    item({
      key: ref('pg_class', t.oid),
      desc: word,
      section: 'pre-data',
      catalog: 'pg_class',
      oid: t.oid,
      schema: t.schema,
      name: t.name,
      owner: t.owner,
      sql,
      deps,
      provides,
      priority: PRIORITY.table,
    }),
  );
  if (t.relkind === 'm' && t.populated) {
    out.push(
      item({
        key: `${ref('pg_class', t.oid)}/data`,
        desc: 'MATERIALIZED VIEW DATA',
        section: 'post-data',
        catalog: '',
        oid: t.oid,
        schema: t.schema,
        name: t.name,
        owner: t.owner,
        sql: `REFRESH MATERIALIZED VIEW ${t.ident};\n`,
        deps: [ref('pg_class', t.oid), ...t.reads_mv.map((m) => `${ref('pg_class', m)}/data`)],
        priority: PRIORITY.matviewData,
      }),
    );
  }
  if ((t.rls || t.force_rls) && t.relkind !== 'v' && t.relkind !== 'm') {
    out.push(
      item({
        key: `${ref('pg_class', t.oid)}/rls`,
        desc: 'ROW SECURITY',
        section: 'post-data',
        catalog: 'pg_class',
        oid: t.oid,
        schema: t.schema,
        name: t.name,
        owner: t.owner,
        sql: `${t.rls ? `ALTER TABLE ${t.ident} ENABLE ROW LEVEL SECURITY;\n` : ''}${t.force_rls ? `ALTER TABLE ${t.ident} FORCE ROW LEVEL SECURITY;\n` : ''}`,
        priority: PRIORITY.rowSecurity,
      }),
    );
  }
  void byOid;
  return out;
}

/** Column defaults (not generated expressions): ALTER … SET DEFAULT after the functions and sequences they call. */
export async function readDefaults(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.relations.length === 0) return [];
  const r = await ctx.db.query<{
    oid: number;
    rel: number;
    schema: string;
    name: string;
    ident: string;
    col: string;
    expr: string;
    relkind: string;
    owner: string;
  }>(
    `SELECT d.oid::int AS oid, c.oid::int AS rel, n.nspname AS schema, c.relname AS name, format('%I.%I', n.nspname, c.relname) AS ident,
            quote_ident(a.attname) AS col, pg_get_expr(d.adbin, d.adrelid) AS expr, c.relkind::text AS relkind, quote_ident(pg_get_userbyid(c.relowner)) AS owner
       FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_class c ON c.oid = d.adrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
      WHERE d.adrelid = ANY($1::oid[]) AND a.attgenerated = '' AND NOT a.attisdropped
      ORDER BY n.nspname, c.relname, a.attnum`,
    [ctx.relations],
  );
  return r.rows.map((d) =>
    item({
      key: ref('pg_attrdef', d.oid),
      desc: 'DEFAULT',
      section: 'pre-data',
      catalog: 'pg_attrdef',
      oid: d.oid,
      schema: d.schema,
      name: `${d.name} ${d.col}`,
      owner: d.owner,
      sql: `ALTER ${d.relkind === 'v' ? 'VIEW' : 'TABLE ONLY'} ${d.ident} ALTER COLUMN ${d.col} SET DEFAULT ${d.expr};\n`,
      deps: [ref('pg_class', d.rel)],
      priority: PRIORITY.default,
    }),
  );
}

interface ConRow {
  oid: number;
  rel: number;
  schema: string;
  table: string;
  tident: string;
  name: string;
  cname: string;
  contype: string;
  def: string;
  validated: boolean;
  local: boolean;
  noinherit: boolean;
  parent: number;
  index: number;
  relkind: string;
  owner: string;
  comment: string | null;
  children: number[];
  /** an inherited CHECK: the parent's constraint it came from, and whether that one is validated */
  inh_from: number | null;
  inh_valid: boolean | null;
  parent_index: string | null;
  ispartition: boolean;
}

/** Constraints of the selected tables: CHECK in pre-data, keys and exclusions and foreign keys in post-data, as pg_dump sorts them. */
export async function readConstraints(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.relations.length === 0) return [];
  const v18 = ctx.version >= 180000;
  const r = await ctx.db.query<ConRow>(
    `SELECT k.oid::int AS oid, c.oid::int AS rel, n.nspname AS schema, c.relname AS table, format('%I.%I', n.nspname, c.relname) AS tident,
            k.conname AS name, quote_ident(k.conname) AS cname, k.contype::text AS contype, pg_get_constraintdef(k.oid) AS def, k.convalidated AS validated,
            k.conislocal AS local, k.connoinherit AS noinherit, k.conparentid::int AS parent, k.conindid::int AS index, c.relkind::text AS relkind,
            quote_ident(pg_get_userbyid(c.relowner)) AS owner, ${commentExpr('pg_constraint', 'k.oid')} AS comment,
            array(SELECT i.inhrelid::int FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid) AS children,
            (SELECT pk.oid::int FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_constraint pk ON pk.conrelid = i.inhparent AND pk.conname = k.conname AND pk.contype = k.contype
              WHERE i.inhrelid = c.oid ORDER BY i.inhseqno LIMIT 1) AS inh_from,
            (SELECT pk.convalidated FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_constraint pk ON pk.conrelid = i.inhparent AND pk.conname = k.conname AND pk.contype = k.contype
              WHERE i.inhrelid = c.oid ORDER BY i.inhseqno LIMIT 1) AS inh_valid,
            (SELECT format('%I.%I', pin.nspname, pi.relname) FROM pg_catalog.pg_inherits ii JOIN pg_catalog.pg_class pi ON pi.oid = ii.inhparent
               JOIN pg_catalog.pg_namespace pin ON pin.oid = pi.relnamespace WHERE ii.inhrelid = k.conindid) AS parent_index,
            c.relispartition AS ispartition
       FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE k.conrelid = ANY($1::oid[]) AND k.contype IN ('c', 'p', 'u', 'x', 'f'${v18 ? `, 'n'` : ''})
      ORDER BY n.nspname, c.relname, k.conname`,
    [ctx.relations],
  );
  const out: SchemaItem[] = [];
  for (const k of r.rows) {
    const base = { catalog: 'pg_constraint', oid: k.oid, schema: k.schema, name: `${k.table} ${k.name}`, owner: k.owner, key: ref('pg_constraint', k.oid) };
    const comment = commentSql(`CONSTRAINT ${k.cname} ON`, k.tident, k.comment);
    if (k.contype === 'c' || k.contype === 'n') {
      // inherited ones come with the parent's; the parent's come once every child is attached (ADD recurses) — a child
      // may have validated its copy of a parent's NOT VALID one since
      if (!k.local) {
        if (k.validated && k.inh_from !== null && k.inh_valid === false)
          out.push(
            item({
              ...base,
              key: `${base.key}/validate`,
              desc: 'CHECK CONSTRAINT',
              section: 'post-data',
              sql: `ALTER TABLE ONLY ${k.tident} VALIDATE CONSTRAINT ${k.cname};\n`,
              priority: PRIORITY.check,
              into: ref('pg_constraint', k.inh_from),
            }),
          );
        continue;
      }
      const only = k.noinherit || k.children.length === 0 ? 'ONLY ' : '';
      // 18: a valid NOT NULL is made with its column; only its comment is left to say
      if (k.contype === 'n' && k.validated) {
        if (comment) out.push(item({ ...base, desc: 'COMMENT', section: 'pre-data', sql: comment, deps: [ref('pg_class', k.rel)], priority: PRIORITY.check }));
        continue;
      }
      const sql = `ALTER TABLE ${only}${k.tident} ADD CONSTRAINT ${k.cname} ${k.def};\n${comment}`;
      const childDeps = k.children.flatMap((c) => [ref('pg_class', c), `${ref('pg_class', c)}/attach`]);
      out.push(
        item({
          ...base,
          desc: k.contype === 'n' ? 'CONSTRAINT' : 'CHECK CONSTRAINT',
          section: k.validated ? 'pre-data' : 'post-data',
          sql,
          deps: [ref('pg_class', k.rel), ...childDeps],
          priority: PRIORITY.check,
        }),
      );
      continue;
    }
    if (k.parent !== 0 && k.contype === 'f') continue; // a partition's copy of its parent's foreign key
    if (k.contype === 'f') {
      const only = k.relkind === 'p' ? '' : 'ONLY ';
      // a valid key on a plain table can be added NOT VALID and validated after catch-up (partitioned tables take
      // no NOT VALID foreign key before 18: theirs are validated as they are added)
      const deferrable = k.relkind !== 'p' && !/\bNOT VALID$/.test(k.def);
      out.push(
        item({
          ...base,
          desc: 'FK CONSTRAINT',
          section: 'post-data',
          sql: `ALTER TABLE ${only}${k.tident} ADD CONSTRAINT ${k.cname} ${k.def};\n${comment}`,
          priority: PRIORITY.fkConstraint,
          ...(deferrable
            ? {
                deferred: {
                  sql: `ALTER TABLE ${only}${k.tident} ADD CONSTRAINT ${k.cname} ${k.def} NOT VALID;\n${comment}`,
                  validate: `ALTER TABLE ${only}${k.tident} VALIDATE CONSTRAINT ${k.cname};\n`,
                  name: `${k.cname} on ${k.tident}`,
                },
              }
            : {}),
        }),
      );
      continue;
    }
    out.push(
      item({
        ...base,
        desc: 'CONSTRAINT',
        section: 'post-data',
        sql: `ALTER TABLE ONLY ${k.tident} ADD CONSTRAINT ${k.cname} ${k.def};\n${comment}`,
        provides: k.index ? [ref('pg_class', k.index)] : [],
        priority: PRIORITY.constraint,
      }),
    );
  }
  return out;
}

interface IndexRow {
  oid: number;
  schema: string;
  name: string;
  ident: string;
  /** the index's own name, quoted (CLUSTER ON and USING INDEX take it unqualified) */
  bare: string;
  table: number;
  tident: string;
  def: string;
  clustered: boolean;
  replident: boolean;
  constraint: boolean;
  parent: { oid: number; ident: string } | null;
  stats: { num: number; target: number }[] | null;
  comment: string | null;
  owner: string;
}

/** Indexes (those not made by a constraint), with CLUSTER ON, REPLICA IDENTITY USING INDEX and partition attachments. */
export async function readIndexes(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.relations.length === 0) return [];
  const r = await ctx.db.query<IndexRow>(
    `SELECT ic.oid::int AS oid, n.nspname AS schema, ic.relname AS name, format('%I.%I', n.nspname, ic.relname) AS ident, quote_ident(ic.relname) AS bare, c.oid::int AS table,
            format('%I.%I', tn.nspname, c.relname) AS tident, pg_get_indexdef(ic.oid) AS def, x.indisclustered AS clustered, x.indisreplident AS replident,
            EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = ic.oid AND k.contype IN ('p', 'u', 'x') AND k.conrelid = c.oid) AS constraint,
            (SELECT json_build_object('oid', p.oid::int, 'ident', format('%I.%I', pn.nspname, p.relname)) FROM pg_catalog.pg_inherits i
               JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = ic.oid) AS parent,
            (SELECT json_agg(json_build_object('num', a.attnum, 'target', a.attstattarget) ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = ic.oid AND a.attstattarget IS NOT NULL AND a.attstattarget >= 0 AND a.attnum > 0) AS stats,
            ${commentExpr('pg_class', 'ic.oid')} AS comment, quote_ident(pg_get_userbyid(c.relowner)) AS owner
       FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
       JOIN pg_catalog.pg_class c ON c.oid = x.indrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace
      WHERE x.indrelid = ANY($1::oid[])
      ORDER BY n.nspname, ic.relname`,
    [ctx.relations],
  );
  const out: SchemaItem[] = [];
  for (const x of r.rows) {
    let sql = x.constraint ? '' : `${x.def};\n`;
    for (const s of x.stats ?? []) sql += `ALTER INDEX ${x.ident} ALTER COLUMN ${s.num} SET STATISTICS ${s.target};\n`;
    if (x.clustered) sql += `ALTER TABLE ${x.tident} CLUSTER ON ${x.bare};\n`;
    if (x.replident) sql += `ALTER TABLE ONLY ${x.tident} REPLICA IDENTITY USING INDEX ${x.bare};\n`;
    sql += commentSql('INDEX', x.ident, x.comment);
    // a key's index is made by its constraint: what it needs besides goes in the constraint's item, after it
    const own = {
      desc: 'INDEX',
      section: 'post-data' as const,
      catalog: 'pg_class',
      oid: x.oid,
      schema: x.schema,
      name: x.name,
      owner: x.owner,
      sql,
      priority: PRIORITY.index,
    };
    if (!x.constraint) out.push(item({ ...own, key: ref('pg_class', x.oid), deps: [ref('pg_class', x.table)] }));
    else if (sql !== '') out.push(item({ ...own, key: `${ref('pg_class', x.oid)}/extra`, into: ref('pg_class', x.oid) }));
    if (x.parent) {
      out.push(
        item({
          key: `${ref('pg_class', x.oid)}/attach`,
          desc: 'INDEX ATTACH',
          section: 'post-data',
          catalog: 'pg_class',
          oid: x.oid,
          schema: x.schema,
          name: x.name,
          owner: x.owner,
          sql: `ALTER INDEX ${x.parent.ident} ATTACH PARTITION ${x.ident};\n`,
          deps: [ref('pg_class', x.oid), ref('pg_class', x.parent.oid)],
          priority: PRIORITY.indexAttach,
        }),
      );
    }
  }
  return out;
}

/** Triggers (not internal, not a partition's clone of its parent's), with their enabled state. */
export async function readTriggers(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.relations.length === 0) return [];
  const r = await ctx.db.query<{
    oid: number;
    schema: string;
    table: string;
    tident: string;
    name: string;
    tname: string;
    def: string;
    enabled: string;
    comment: string | null;
    owner: string;
    relkind: string;
  }>(
    `SELECT g.oid::int AS oid, n.nspname AS schema, c.relname AS table, format('%I.%I', n.nspname, c.relname) AS tident, g.tgname AS name,
            quote_ident(g.tgname) AS tname, pg_get_triggerdef(g.oid) AS def, g.tgenabled::text AS enabled, ${commentExpr('pg_trigger', 'g.oid')} AS comment,
            quote_ident(pg_get_userbyid(c.relowner)) AS owner, c.relkind::text AS relkind
       FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE g.tgrelid = ANY($1::oid[]) AND NOT g.tgisinternal AND g.tgparentid = 0
      ORDER BY n.nspname, c.relname, g.tgname`,
    [ctx.relations],
  );
  // a partition's clone of its parent's trigger (internal on 13 and 14) keeps a state of its own: set after the parent's is made
  const clones = await ctx.db.query<{ oid: number; parent: number; tident: string; tname: string; enabled: string }>(
    `SELECT g.oid::int AS oid, g.tgparentid::int AS parent, format('%I.%I', n.nspname, c.relname) AS tident, quote_ident(g.tgname) AS tname, g.tgenabled::text AS enabled
       FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_trigger p ON p.oid = g.tgparentid
      WHERE g.tgrelid = ANY($1::oid[]) AND g.tgparentid <> 0 AND g.tgenabled <> p.tgenabled
      ORDER BY n.nspname, c.relname, g.tgname`,
    [ctx.relations],
  );
  const cloneItems = clones.rows.map((g) => {
    const state = { O: 'ENABLE', D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' }[g.enabled] ?? 'ENABLE';
    return item({
      key: `${ref('pg_trigger', g.oid)}/state`,
      desc: 'TRIGGER',
      section: 'post-data',
      catalog: 'pg_trigger',
      oid: g.oid,
      schema: null,
      name: g.tname,
      owner: null,
      sql: `ALTER TABLE ${g.tident} ${state} TRIGGER ${g.tname};\n`,
      priority: PRIORITY.trigger,
      into: ref('pg_trigger', g.parent),
    });
  });
  const own = r.rows.map((g) => {
    const state = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' }[g.enabled];
    const alter = g.relkind === 'v' ? 'VIEW' : g.relkind === 'f' ? 'FOREIGN TABLE' : 'TABLE';
    const sql = `${g.def};\n${state ? `ALTER ${alter} ${g.tident} ${state} TRIGGER ${g.tname};\n` : ''}${commentSql(`TRIGGER ${g.tname} ON`, g.tident, g.comment)}`;
    return onTable(g, 'pg_trigger', 'TRIGGER', sql, PRIORITY.trigger);
  });
  return [...own, ...cloneItems];
}

/** Rules other than a view's own _RETURN, with their enabled state. */
export async function readRules(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.relations.length === 0) return [];
  const r = await ctx.db.query<{
    oid: number;
    schema: string;
    table: string;
    tident: string;
    name: string;
    rname: string;
    def: string;
    enabled: string;
    comment: string | null;
    owner: string;
  }>(
    `SELECT w.oid::int AS oid, n.nspname AS schema, c.relname AS table, format('%I.%I', n.nspname, c.relname) AS tident, w.rulename AS name,
            quote_ident(w.rulename) AS rname, pg_get_ruledef(w.oid) AS def, w.ev_enabled::text AS enabled, ${commentExpr('pg_rewrite', 'w.oid')} AS comment,
            quote_ident(pg_get_userbyid(c.relowner)) AS owner
       FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_class c ON c.oid = w.ev_class JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE w.ev_class = ANY($1::oid[]) AND w.rulename <> '_RETURN'
      ORDER BY n.nspname, c.relname, w.rulename`,
    [ctx.relations],
  );
  return r.rows.map((w) => {
    const state = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' }[w.enabled];
    const def = w.def.trim().endsWith(';') ? w.def.trim() : `${w.def.trim()};`;
    const sql = `${def}\n${state ? `ALTER TABLE ${w.tident} ${state} RULE ${w.rname};\n` : ''}${commentSql(`RULE ${w.rname} ON`, w.tident, w.comment)}`;
    return onTable(w, 'pg_rewrite', 'RULE', sql, PRIORITY.rule);
  });
}

/** Row-level security policies. */
export async function readPolicies(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.relations.length === 0) return [];
  const r = await ctx.db.query<{
    oid: number;
    schema: string;
    table: string;
    tident: string;
    name: string;
    pname: string;
    cmd: string;
    permissive: boolean;
    roles: string[];
    qual: string | null;
    check: string | null;
    comment: string | null;
    owner: string;
  }>(
    `SELECT p.oid::int AS oid, n.nspname AS schema, c.relname AS table, format('%I.%I', n.nspname, c.relname) AS tident, p.polname AS name,
            quote_ident(p.polname) AS pname, p.polcmd::text AS cmd, p.polpermissive AS permissive,
            array(SELECT CASE WHEN ro = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(ro)) END FROM unnest(p.polroles) WITH ORDINALITY u(ro, o) ORDER BY o) AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check,
            ${commentExpr('pg_policy', 'p.oid')} AS comment, quote_ident(pg_get_userbyid(c.relowner)) AS owner
       FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE p.polrelid = ANY($1::oid[])
      ORDER BY n.nspname, c.relname, p.polname`,
    [ctx.relations],
  );
  const cmds: Record<string, string> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };
  return r.rows.map((p) => {
    let sql = `CREATE POLICY ${p.pname} ON ${p.tident}${p.permissive ? '' : ' AS RESTRICTIVE'} FOR ${cmds[p.cmd] ?? 'ALL'} TO ${p.roles.join(', ')}`;
    if (p.qual !== null) sql += ` USING (${p.qual})`;
    if (p.check !== null) sql += ` WITH CHECK (${p.check})`;
    sql += `;\n${commentSql(`POLICY ${p.pname} ON`, p.tident, p.comment)}`;
    return onTable(p, 'pg_policy', 'POLICY', sql, PRIORITY.policy);
  });
}

/** Extended statistics (CREATE STATISTICS) on the selected tables. */
export async function readStatistics(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.relations.length === 0) return [];
  const v17 = ctx.version >= 170000;
  const r = await ctx.db.query<{
    oid: number;
    schema: string;
    name: string;
    ident: string;
    def: string;
    target: number | null;
    owner: string;
    comment: string | null;
  }>(
    `SELECT s.oid::int AS oid, n.nspname AS schema, s.stxname AS name, format('%I.%I', n.nspname, s.stxname) AS ident, pg_get_statisticsobjdef(s.oid) AS def,
            ${v17 ? 's.stxstattarget' : 'NULLIF(s.stxstattarget, -1)'} AS target, quote_ident(pg_get_userbyid(s.stxowner)) AS owner, ${commentExpr('pg_statistic_ext', 's.oid')} AS comment
       FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
      WHERE s.stxrelid = ANY($1::oid[])
      ORDER BY n.nspname, s.stxname`,
    [ctx.relations],
  );
  return r.rows.map((s) =>
    item({
      key: ref('pg_statistic_ext', s.oid),
      desc: 'STATISTICS',
      section: 'post-data',
      catalog: 'pg_statistic_ext',
      oid: s.oid,
      schema: s.schema,
      name: s.name,
      owner: s.owner,
      sql: `${s.def};\n${s.target !== null ? `ALTER STATISTICS ${s.ident} SET STATISTICS ${s.target};\n` : ''}${ownerSql(ctx, 'STATISTICS', s.ident, s.owner)}${commentSql('STATISTICS', s.ident, s.comment)}`,
      priority: PRIORITY.statistics,
    }),
  );
}
