// Schemas, extensions, types (enum, composite, domain, range) and sequences, read from the source's catalogs.
import { PRIORITY, schemaItem, type ReadContext, type SchemaItem, type Unsupported } from './model.js';
import { aclExpr, aclSql, commentExpr, commentSql, labelsExpr, labelSql, ownerSql, ref, type AclEntry, type Label } from './sql.js';
import { userMade } from './select.js';

const item = schemaItem;

interface Described {
  owner: string | null;
  acl: AclEntry[] | null;
  comment: string | null;
  labels: Label[] | null;
}

export async function readSchemas(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.namespaces.length === 0) return [];
  const r = await ctx.db.query<Described & { oid: number; name: string; ident: string; dflt_owner: boolean; dflt_acl: boolean; dflt_comment: boolean }>(
    `SELECT n.oid::int AS oid, n.nspname AS name, quote_ident(n.nspname) AS ident, quote_ident(pg_get_userbyid(n.nspowner)) AS owner,
            ${aclExpr('n.nspacl')} AS acl, ${commentExpr('pg_namespace', 'n.oid')} AS comment, ${labelsExpr('pg_namespace', 'n.oid')} AS labels,
            pg_get_userbyid(n.nspowner) = CASE WHEN $2::int >= 150000 THEN 'pg_database_owner' ELSE pg_get_userbyid(10) END AS dflt_owner,
            n.nspacl::text[] IS NOT DISTINCT FROM CASE WHEN $2::int >= 150000
                 THEN ARRAY['pg_database_owner=UC/pg_database_owner', '=U/pg_database_owner']
                 ELSE ARRAY[format('%1$s=UC/%1$s', quote_ident(pg_get_userbyid(10))), format('=UC/%s', quote_ident(pg_get_userbyid(10)))] END AS dflt_acl,
            ${commentExpr('pg_namespace', 'n.oid')} IS NOT DISTINCT FROM quote_literal('standard public schema') AS dflt_comment
       FROM pg_catalog.pg_namespace n WHERE n.oid = ANY($1::oid[]) ORDER BY n.nspname`,
    [ctx.namespaces, ctx.version],
  );
  return r.rows.map((n) => {
    let sql: string;
    if (n.name === 'public') {
      // public exists on every target: what differs from a new database's public schema is set, nothing else
      sql = '';
      if (!n.dflt_owner) sql += ownerSql(ctx, 'SCHEMA', n.ident, n.owner);
      if (!n.dflt_acl) sql += aclSql(ctx, `SCHEMA ${n.ident}`, n.owner, n.acl ?? []);
      if (!n.dflt_comment) sql += n.comment === null ? `COMMENT ON SCHEMA public IS NULL;\n` : commentSql('SCHEMA', n.ident, n.comment);
    } else {
      sql = `CREATE SCHEMA ${n.ident};\n${ownerSql(ctx, 'SCHEMA', n.ident, n.owner)}${aclSql(ctx, `SCHEMA ${n.ident}`, n.owner, n.acl)}${commentSql('SCHEMA', n.ident, n.comment)}`;
    }
    sql += labelSql('SCHEMA', n.ident, n.labels);
    return item({
      key: ref('pg_namespace', n.oid),
      desc: 'SCHEMA',
      section: 'pre-data',
      catalog: 'pg_namespace',
      oid: n.oid,
      schema: null,
      name: n.name,
      owner: n.owner,
      sql,
      priority: PRIORITY.schema,
    });
  });
}

export async function readExtensions(ctx: ReadContext): Promise<SchemaItem[]> {
  if (!ctx.everything) return [];
  const r = await ctx.db.query<{ oid: number; name: string; ident: string; schema: string; version: string; comment: string | null; members: string[] }>(
    `SELECT x.oid::int AS oid, x.extname AS name, quote_ident(x.extname) AS ident, quote_ident(n.nspname) AS schema, x.extversion AS version,
            ${commentExpr('pg_extension', 'x.oid')} AS comment,
            array(SELECT d.classid::pg_catalog.regclass::text || ':' || d.objid FROM pg_catalog.pg_depend d
                   WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.refobjid = x.oid AND d.deptype = 'e') AS members
       FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace
      WHERE x.oid >= 16384 AND n.nspname <> 'pgclone' ORDER BY x.extname`,
  );
  return r.rows.map((x) =>
    item({
      key: ref('pg_extension', x.oid),
      desc: 'EXTENSION',
      section: 'pre-data',
      catalog: 'pg_extension',
      oid: x.oid,
      schema: null,
      name: x.name,
      owner: null,
      sql: `CREATE EXTENSION IF NOT EXISTS ${x.ident} WITH SCHEMA ${x.schema} VERSION '${x.version.replace(/'/g, "''")}';\n${commentSql('EXTENSION', x.ident, x.comment)}`,
      // what the extension creates is its own: a table using citext depends on the extension
      provides: x.members.map((m) => m.replace(/^pg_catalog\./, '')),
      priority: PRIORITY.extension,
    }),
  );
}

interface TypeRow extends Described {
  oid: number;
  schema: string;
  name: string;
  ident: string;
  typtype: string;
  array: number;
  relid: number;
  labels_enum: string[] | null;
  attrs: { name: string; type: string; collate: string | null; comment: string | null }[] | null;
  base: string | null;
  collate: string | null;
  dflt: string | null;
  notnull: boolean;
  checks: { name: string; def: string; valid: boolean; comment: string | null; oid: number }[] | null;
  rng: {
    subtype: string;
    opclass: string | null;
    collation: string | null;
    canonical: string | null;
    diff: string | null;
    multi: string | null;
    multi_oid: number;
    multi_array: number;
  } | null;
}

export async function readTypes(ctx: ReadContext): Promise<{ items: SchemaItem[]; unsupported: Unsupported[] }> {
  if (ctx.namespaces.length === 0) return { items: [], unsupported: [] };
  const v14 = ctx.version >= 140000;
  const v17 = ctx.version >= 170000;
  const r = await ctx.db.query<TypeRow>(
    `SELECT t.oid::int AS oid, n.nspname AS schema, t.typname AS name, format('%I.%I', n.nspname, t.typname) AS ident, t.typtype::text AS typtype,
            t.typarray::int AS array, t.typrelid::int AS relid, quote_ident(pg_get_userbyid(t.typowner)) AS owner,
            ${aclExpr('t.typacl')} AS acl, ${commentExpr('pg_type', 't.oid')} AS comment, ${labelsExpr('pg_type', 't.oid')} AS labels,
            CASE WHEN t.typtype = 'e' THEN array(SELECT quote_literal(e.enumlabel) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) END AS labels_enum,
            CASE WHEN t.typtype = 'c' THEN (SELECT json_agg(json_build_object('name', quote_ident(a.attname), 'type', format_type(a.atttypid, a.atttypmod),
                     'collate', CASE WHEN a.attcollation <> at.typcollation AND a.attcollation <> 0 THEN (SELECT format('%I.%I', cn.nspname, co.collname)
                       FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,
                     'comment', ${commentExpr('pg_class', 't.typrelid', 'a.attnum')}) ORDER BY a.attnum)
                 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END AS attrs,
            CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base,
            CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN (SELECT format('%I.%I', cn.nspname, co.collname)
                 FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END AS collate,
            CASE WHEN t.typtype = 'd' THEN pg_get_expr(t.typdefaultbin, 0) END AS dflt,
            t.typnotnull AS notnull,
            CASE WHEN t.typtype = 'd' THEN (SELECT json_agg(json_build_object('name', quote_ident(c.conname), 'def', pg_get_constraintdef(c.oid), 'valid', c.convalidated,
                     'comment', ${commentExpr('pg_constraint', 'c.oid')}, 'oid', c.oid::int, 'type', c.contype) ORDER BY c.conname)
                 FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid ${v17 ? '' : ''}) END AS checks,
            CASE WHEN t.typtype = 'r' THEN (SELECT json_build_object('subtype', format_type(g.rngsubtype, NULL),
                     'opclass', CASE WHEN NOT oc.opcdefault THEN format('%I.%I', ocn.nspname, oc.opcname) END,
                     'collation', CASE WHEN g.rngcollation <> 0 AND g.rngcollation <> st.typcollation THEN (SELECT format('%I.%I', cn.nspname, co.collname)
                        FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = g.rngcollation) END,
                     'canonical', NULLIF(g.rngcanonical, 0)::pg_catalog.regproc::text, 'diff', NULLIF(g.rngsubdiff, 0)::pg_catalog.regproc::text,
                     ${
                       v14
                         ? `'multi', (SELECT format('%I.%I', mn.nspname, mt.typname) FROM pg_catalog.pg_type mt JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace WHERE mt.oid = g.rngmultitypid),
                     'multi_oid', g.rngmultitypid::int, 'multi_array', (SELECT mt.typarray::int FROM pg_catalog.pg_type mt WHERE mt.oid = g.rngmultitypid)`
                         : `'multi', NULL, 'multi_oid', 0, 'multi_array', 0`
                     })
                 FROM pg_catalog.pg_range g JOIN pg_catalog.pg_opclass oc ON oc.oid = g.rngsubopc JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace
                 JOIN pg_catalog.pg_type st ON st.oid = g.rngsubtype WHERE g.rngtypid = t.oid) END AS rng
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
       LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
      WHERE t.typnamespace = ANY($1::oid[]) AND t.typtype IN ('e', 'c', 'd', 'r')
        AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
        AND ${userMade('pg_type', 't.oid')}
      ORDER BY n.nspname, t.typname`,
    [ctx.namespaces],
  );
  const items: SchemaItem[] = [];
  const later: SchemaItem[] = [];
  const unsupported: Unsupported[] = [];
  for (const t of r.rows) {
    const provides = [ref('pg_type', t.array)];
    let sql = '';
    let kind = 'TYPE';
    if (t.typtype === 'e') sql = `CREATE TYPE ${t.ident} AS ENUM (${(t.labels_enum ?? []).join(', ')});\n`;
    else if (t.typtype === 'c') {
      sql = `CREATE TYPE ${t.ident} AS (${(t.attrs ?? []).map((a) => `${a.name} ${a.type}${a.collate ? ` COLLATE ${a.collate}` : ''}`).join(', ')});\n`;
      provides.push(ref('pg_class', t.relid));
    } else if (t.typtype === 'd') {
      kind = 'DOMAIN';
      const checks = (t.checks ?? []) as (NonNullable<TypeRow['checks']>[number] & { type: string })[];
      const inline = checks.filter((c) => c.valid);
      const notNullNamed = inline.filter((c) => c.type === 'n');
      sql = `CREATE DOMAIN ${t.ident} AS ${t.base}${t.collate ? ` COLLATE ${t.collate}` : ''}${t.dflt !== null ? ` DEFAULT ${t.dflt}` : ''}`;
      if (notNullNamed.length > 0) sql += notNullNamed.map((c) => ` CONSTRAINT ${c.name} ${c.def}`).join('');
      else if (t.notnull) sql += ' NOT NULL';
      sql += inline
        .filter((c) => c.type !== 'n')
        .map((c) => ` CONSTRAINT ${c.name} ${c.def}`)
        .join('');
      sql += ';\n';
      // a NOT VALID one goes in after the data: a COPY checks every constraint of a domain, valid or not, and the
      // source's rows may break it (that is what NOT VALID allowed)
      for (const c of checks.filter((x) => !x.valid))
        later.push(
          item({
            key: ref('pg_constraint', c.oid),
            desc: 'CHECK CONSTRAINT',
            section: 'post-data',
            catalog: 'pg_constraint',
            oid: c.oid,
            schema: t.schema,
            name: `${t.name} ${c.name}`,
            owner: t.owner,
            sql: `ALTER DOMAIN ${t.ident} ADD CONSTRAINT ${c.name} ${c.def};\n${commentSql(`CONSTRAINT ${c.name} ON DOMAIN`, t.ident, c.comment)}`,
            deps: [ref('pg_type', t.oid)],
            priority: PRIORITY.check,
          }),
        );
      for (const c of inline) sql += commentSql(`CONSTRAINT ${c.name} ON DOMAIN`, t.ident, c.comment);
      for (const c of inline) provides.push(ref('pg_constraint', c.oid));
    } else if (t.typtype === 'r' && t.rng) {
      const g = t.rng;
      if (g.canonical) {
        unsupported.push({
          kind: 'range type',
          identity: t.ident,
          why: `its canonical function ${g.canonical} needs a shell type, which the built-in engine does not make`,
        });
        continue;
      }
      const parts = [`SUBTYPE = ${g.subtype}`];
      if (g.opclass) parts.push(`SUBTYPE_OPCLASS = ${g.opclass}`);
      if (g.collation) parts.push(`COLLATION = ${g.collation}`);
      if (g.diff) parts.push(`SUBTYPE_DIFF = ${g.diff}`);
      if (g.multi) parts.push(`MULTIRANGE_TYPE_NAME = ${g.multi}`);
      sql = `CREATE TYPE ${t.ident} AS RANGE (${parts.join(', ')});\n`;
      if (g.multi_oid) provides.push(ref('pg_type', g.multi_oid), ref('pg_type', g.multi_array));
    }
    sql += ownerSql(ctx, kind === 'DOMAIN' ? 'DOMAIN' : 'TYPE', t.ident, t.owner);
    sql += aclSql(ctx, `${kind === 'DOMAIN' ? 'DOMAIN' : 'TYPE'} ${t.ident}`, t.owner, t.acl);
    sql += commentSql(kind, t.ident, t.comment);
    for (const a of t.attrs ?? []) sql += commentSql('COLUMN', `${t.ident}.${a.name}`, a.comment);
    sql += labelSql(kind, t.ident, t.labels);
    items.push(
      item({
        key: ref('pg_type', t.oid),
        desc: kind,
        section: 'pre-data',
        catalog: 'pg_type',
        oid: t.oid,
        schema: t.schema,
        name: t.name,
        owner: t.owner,
        sql,
        provides,
        priority: PRIORITY.type,
      }),
    );
  }
  return { items: [...items, ...later], unsupported };
}

interface SeqRow extends Described {
  oid: number;
  schema: string;
  name: string;
  ident: string;
  unlogged: boolean;
  type: string;
  start: string;
  inc: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  owned: { table: number; ident: string; column: string } | null;
  identity: { table: number; tident: string; column: string; kind: string } | null;
}

const SEQ_COLS = `format_type(s.seqtypid, NULL) AS type, s.seqstart::text AS start, s.seqincrement::text AS inc, s.seqmin::text AS min,
                  s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle`;

export function sequenceOptions(s: Pick<SeqRow, 'type' | 'start' | 'inc' | 'min' | 'max' | 'cache' | 'cycle'>, withType = true): string {
  return `${withType ? `AS ${s.type} ` : ''}START WITH ${s.start} INCREMENT BY ${s.inc} MINVALUE ${s.min} MAXVALUE ${s.max} CACHE ${s.cache}${s.cycle ? ' CYCLE' : ' NO CYCLE'}`;
}

/** Sequences of the selection, and identity columns' sequences (made by ALTER TABLE … ADD GENERATED, as pg_dump does). */
export async function readSequences(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.relations.length === 0) return [];
  const r = await ctx.db.query<SeqRow>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, format('%I.%I', n.nspname, c.relname) AS ident, c.relpersistence = 'u' AS unlogged,
            ${SEQ_COLS}, quote_ident(pg_get_userbyid(c.relowner)) AS owner, ${aclExpr('c.relacl')} AS acl,
            ${commentExpr('pg_class', 'c.oid')} AS comment, ${labelsExpr('pg_class', 'c.oid')} AS labels,
            (SELECT json_build_object('table', t.oid::int, 'ident', format('%I.%I', tn.nspname, t.relname), 'column', quote_ident(a.attname))
               FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t ON t.oid = d.refobjid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
               JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                AND d.deptype = 'a' LIMIT 1) AS owned,
            NULL::json AS identity
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
      WHERE c.oid = ANY($1::oid[]) AND c.relkind = 'S'
     UNION ALL
     SELECT c.oid::int, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname), c.relpersistence = 'u',
            ${SEQ_COLS}, quote_ident(pg_get_userbyid(c.relowner)), ${aclExpr('c.relacl')}, ${commentExpr('pg_class', 'c.oid')}, ${labelsExpr('pg_class', 'c.oid')},
            NULL::json,
            json_build_object('table', t.oid::int, 'tident', format('%I.%I', tn.nspname, t.relname), 'column', quote_ident(a.attname), 'kind', a.attidentity::text)
       FROM pg_catalog.pg_depend d
       JOIN pg_catalog.pg_class c ON c.oid = d.objid AND c.relkind = 'S' JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
       JOIN pg_catalog.pg_class t ON t.oid = d.refobjid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid AND a.attidentity <> ''
      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'i'
        AND t.oid = ANY($1::oid[]) AND NOT (t.relispartition AND $2::int >= 170000 AND EXISTS (
              SELECT 1 FROM pg_catalog.pg_attribute pa JOIN pg_catalog.pg_inherits i ON i.inhparent = pa.attrelid
               WHERE i.inhrelid = t.oid AND pa.attname = a.attname AND pa.attidentity <> ''))
      ORDER BY 2, 3`,
    [ctx.relations, ctx.version],
  );
  const out: SchemaItem[] = [];
  for (const s of r.rows) {
    let sql: string;
    const deps: string[] = [];
    if (s.identity) {
      const kind = s.identity.kind === 'a' ? 'ALWAYS' : 'BY DEFAULT';
      sql = `ALTER TABLE ${s.identity.tident} ALTER COLUMN ${s.identity.column} ADD GENERATED ${kind} AS IDENTITY (SEQUENCE NAME ${s.ident} ${sequenceOptions(s, false)});\n`;
      if (s.unlogged) sql += `ALTER SEQUENCE ${s.ident} SET UNLOGGED;\n`;
      deps.push(ref('pg_class', s.identity.table));
    } else {
      sql = `CREATE ${s.unlogged ? 'UNLOGGED ' : ''}SEQUENCE ${s.ident} ${sequenceOptions(s)};\n${ownerSql(ctx, 'SEQUENCE', s.ident, s.owner)}`;
    }
    sql += aclSql(ctx, `SEQUENCE ${s.ident}`, s.owner, s.acl);
    sql += commentSql('SEQUENCE', s.ident, s.comment);
    sql += labelSql('SEQUENCE', s.ident, s.labels);
    const seq = { catalog: 'pg_class', oid: s.oid, schema: s.schema, name: s.name, owner: s.owner };
    out.push(item({ ...seq, key: ref('pg_class', s.oid), desc: 'SEQUENCE', sql, deps, priority: PRIORITY.sequence }));
    if (s.owned) {
      out.push(
        item({
          ...seq,
          key: `${ref('pg_class', s.oid)}/owned`,
          desc: 'SEQUENCE OWNED BY',
          sql: `ALTER SEQUENCE ${s.ident} OWNED BY ${s.owned.ident}.${s.owned.column};\n`,
          deps: [ref('pg_class', s.oid), ref('pg_class', s.owned.table)],
          priority: PRIORITY.sequenceOwned,
        }),
      );
    }
  }
  return out;
}

/**
 * Grants changed on what an extension created (pgcopydb's fixture revokes EXECUTE on pg_stat_statements): CREATE
 * EXTENSION makes its objects with the privileges pg_init_privs records; what differs from those is set after it.
 */
export async function readExtensionAcls(ctx: ReadContext): Promise<SchemaItem[]> {
  if (!ctx.everything || ctx.opts.noAcl) return [];
  const r = await ctx.db.query<{ catalog: string; oid: number; ext: number; on: string; schema: string | null; name: string; owner: string; acl: AclEntry[] }>(
    `WITH members AS (
       SELECT 'pg_proc' AS catalog, p.oid, 'FUNCTION ' || p.oid::pg_catalog.regprocedure::text AS "on", p.pronamespace AS nsp, p.proname::text AS name, p.proowner AS owner, p.proacl AS acl,
              'pg_catalog.pg_proc'::pg_catalog.regclass AS classid
         FROM pg_catalog.pg_proc p
       UNION ALL
       SELECT 'pg_class', c.oid, CASE WHEN c.relkind = 'S' THEN 'SEQUENCE ' ELSE 'TABLE ' END || format('%I.%I', n.nspname, c.relname), c.relnamespace, c.relname::text, c.relowner, c.relacl,
              'pg_catalog.pg_class'::pg_catalog.regclass
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       UNION ALL
       SELECT 'pg_type', t.oid, 'TYPE ' || format('%I.%I', n.nspname, t.typname), t.typnamespace, t.typname::text, t.typowner, t.typacl,
              'pg_catalog.pg_type'::pg_catalog.regclass
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r', 'm') AND t.typrelid = 0
     )
     SELECT m.catalog, m.oid::int AS oid, d.refobjid::int AS ext, m."on", n.nspname AS schema, m.name, quote_ident(pg_get_userbyid(m.owner)) AS owner,
            ${aclExpr('m.acl')} AS acl
       FROM members m
       JOIN pg_catalog.pg_depend d ON d.classid = m.classid AND d.objid = m.oid AND d.deptype = 'e' AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
       JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid AND x.oid >= 16384
       LEFT JOIN pg_catalog.pg_namespace n ON n.oid = m.nsp
       LEFT JOIN pg_catalog.pg_init_privs ip ON ip.classoid = m.classid AND ip.objoid = m.oid AND ip.objsubid = 0
      WHERE m.acl IS NOT NULL AND m.acl IS DISTINCT FROM ip.initprivs
      ORDER BY 4`,
  );
  return r.rows.map((m) =>
    item({
      key: `${ref(m.catalog, m.oid)}/acl`,
      desc: 'ACL',
      section: 'pre-data',
      catalog: m.catalog,
      oid: m.oid,
      schema: m.schema,
      name: m.name,
      owner: m.owner,
      sql: aclSql(ctx, m.on, m.owner, m.acl),
      deps: [ref('pg_extension', m.ext)],
      priority: PRIORITY.defaultAcl,
    }),
  );
}
