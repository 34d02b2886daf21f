// The less common kinds, read from the source's catalogs: aggregates, operators, operator families and classes,
// casts, conversions, collations, text search dictionaries and configurations, foreign-data wrappers, servers and
// user mappings, publications, event triggers and default privileges; and, by name, what cannot be reproduced.
import { notCatchUpPublication } from '../pg/slot.js';
import { PRIORITY, schemaItem, type ReadContext, type SchemaItem, type Unsupported } from './model.js';
import { aclExpr, aclSql, commentExpr, commentSql, genericOptions, labelsExpr, labelSql, ownerSql, ref, type AclEntry, type Label } from './sql.js';
import { userMade } from './select.js';

export interface ExtraReading {
  items: SchemaItem[];
  unsupported: Unsupported[];
  notes: string[];
}

type Part = Partial<ExtraReading>;

/** SQL: the quoted owner. */
const ownerOf = (col: string) => `quote_ident(pg_catalog.pg_get_userbyid(${col}))`;

/** SQL: the quoted name of an object in a namespace, `schema.name`, from a catalog's name and namespace columns. */
const qualified = (nsp: string, name: string) => `format('%I.%I', (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = ${nsp}), ${name})`;

/** SQL: `OPERATOR(schema.op)`, the form that names an operator whose argument types come from the context. */
const operatorRef = (oid: string) =>
  `(SELECT format('OPERATOR(%I.%s)', rn.nspname, ro.oprname) FROM pg_catalog.pg_operator ro JOIN pg_catalog.pg_namespace rn ON rn.oid = ro.oprnamespace WHERE ro.oid = ${oid})`;

/** SQL: a regproc column as the (quoted, qualified when needed) function name, NULL for none. */
const procName = (col: string) => `NULLIF(${col}::pg_catalog.oid, 0)::pg_catalog.regproc::text`;

/**
 * SQL: the `catalog:oid` references the members (pg_amop, pg_amproc rows) tied to one operator class or family
 * depend on — their operators, functions and sort families — which pg_depend records for the members, not for
 * the class or family whose statement adds them.
 */
function memberDeps(ownerCatalog: string, ownerOid: string): string {
  return `array(SELECT DISTINCT replace(d2.refclassid::pg_catalog.regclass::text, 'pg_catalog.', '') || ':' || d2.refobjid
                  FROM pg_catalog.pg_depend d1 JOIN pg_catalog.pg_depend d2 ON d2.classid = d1.classid AND d2.objid = d1.objid
                 WHERE d1.refclassid = 'pg_catalog.${ownerCatalog}'::pg_catalog.regclass AND d1.refobjid = ${ownerOid}
                   AND d1.classid IN ('pg_catalog.pg_amop'::pg_catalog.regclass, 'pg_catalog.pg_amproc'::pg_catalog.regclass)
                   AND d2.deptype IN ('n', 'a', 'i') AND d2.refobjid >= 16384
                   AND NOT (d2.refclassid = d1.refclassid AND d2.refobjid = d1.refobjid)
                 ORDER BY 1)`;
}

/** SQL: the OPERATOR and FUNCTION clauses of the members tied (by pg_depend) to one operator class or family. */
function memberClauses(ownerCatalog: string, ownerOid: string, family: string): string {
  return `array(SELECT format('OPERATOR %s %s', ao.amopstrategy, ao.amopopr::pg_catalog.regoperator)
                       || coalesce((SELECT format(' FOR ORDER BY %I.%I', sn.nspname, sf.opfname) FROM pg_catalog.pg_opfamily sf
                                      JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace WHERE sf.oid = ao.amopsortfamily), '')
                  FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND d.objid = ao.oid
                 WHERE d.refclassid = 'pg_catalog.${ownerCatalog}'::pg_catalog.regclass AND d.refobjid = ${ownerOid} AND ao.amopfamily = ${family}
                 ORDER BY ao.amopstrategy, format_type(ao.amoplefttype, NULL), format_type(ao.amoprighttype, NULL))
         || array(SELECT format('FUNCTION %s (%s, %s) %s', ap.amprocnum, format_type(ap.amproclefttype, NULL), format_type(ap.amprocrighttype, NULL),
                                ap.amproc::pg_catalog.regprocedure)
                  FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.objid = ap.oid
                 WHERE d.refclassid = 'pg_catalog.${ownerCatalog}'::pg_catalog.regclass AND d.refobjid = ${ownerOid}
                 ORDER BY ap.amprocnum, format_type(ap.amproclefttype, NULL), format_type(ap.amprocrighttype, NULL))`;
}

const item = schemaItem;

interface Described {
  oid: number;
  owner: string | null;
  comment: string | null;
}

// ---------------------------------------------------------------------------------------------------- aggregates

interface AggregateRow extends Described {
  schema: string;
  sig: string;
  qname: string;
  args: string;
  iargs: string;
  nargs: number;
  acl: AclEntry[] | null;
  labels: Label[] | null;
  kind: string;
  sfunc: string;
  stype: string;
  sspace: number;
  initcond: string | null;
  finalfn: string | null;
  finalextra: boolean;
  finalmodify: string;
  combinefn: string | null;
  serialfn: string | null;
  deserialfn: string | null;
  msfunc: string | null;
  minvfunc: string | null;
  mstype: string | null;
  msspace: number;
  minitcond: string | null;
  mfinalfn: string | null;
  mfinalextra: boolean;
  mfinalmodify: string;
  sortop: string | null;
  parallel: string;
}

const MODIFY: Record<string, string> = { r: 'READ_ONLY', s: 'SHAREABLE', w: 'READ_WRITE' };
const PARALLEL: Record<string, string> = { s: 'safe', r: 'restricted' };

/** CREATE AGGREGATE with every option the source's pg_aggregate row sets. */
export function aggregateSql(ctx: ReadContext, a: AggregateRow): string {
  const opts = [`SFUNC = ${a.sfunc}`, `STYPE = ${a.stype}`];
  if (a.sspace !== 0) opts.push(`SSPACE = ${a.sspace}`);
  if (a.initcond !== null) opts.push(`INITCOND = ${a.initcond}`);
  if (a.finalfn !== null) opts.push(`FINALFUNC = ${a.finalfn}`);
  if (a.finalextra) opts.push('FINALFUNC_EXTRA');
  // the default modify flag is DefineAggregate's: read-only for plain aggregates, read-write for ordered-set ones
  const defaultModify = a.kind === 'n' ? 'r' : 'w';
  if (a.finalmodify !== defaultModify) opts.push(`FINALFUNC_MODIFY = ${MODIFY[a.finalmodify]}`);
  if (a.combinefn !== null) opts.push(`COMBINEFUNC = ${a.combinefn}`);
  if (a.serialfn !== null) opts.push(`SERIALFUNC = ${a.serialfn}`);
  if (a.deserialfn !== null) opts.push(`DESERIALFUNC = ${a.deserialfn}`);
  if (a.msfunc !== null) opts.push(`MSFUNC = ${a.msfunc}`, `MINVFUNC = ${a.minvfunc}`, `MSTYPE = ${a.mstype}`);
  if (a.msspace !== 0) opts.push(`MSSPACE = ${a.msspace}`);
  if (a.minitcond !== null) opts.push(`MINITCOND = ${a.minitcond}`);
  if (a.mfinalfn !== null) opts.push(`MFINALFUNC = ${a.mfinalfn}`);
  if (a.mfinalextra) opts.push('MFINALFUNC_EXTRA');
  if (a.mfinalmodify !== defaultModify) opts.push(`MFINALFUNC_MODIFY = ${MODIFY[a.mfinalmodify]}`);
  if (a.sortop !== null) opts.push(`SORTOP = ${a.sortop}`);
  if (a.kind === 'h') opts.push('HYPOTHETICAL');
  if (PARALLEL[a.parallel]) opts.push(`PARALLEL = ${PARALLEL[a.parallel]}`);
  // pg_get_function_arguments writes ORDER BY into an ordered-set aggregate's list, and nothing for (*)
  const ident = `${a.qname}(${a.nargs === 0 ? '*' : a.iargs})`;
  return (
    `CREATE AGGREGATE ${a.qname}(${a.nargs === 0 ? '*' : a.args}) (\n    ${opts.join(',\n    ')}\n);\n` +
    ownerSql(ctx, 'AGGREGATE', ident, a.owner) +
    // there is no GRANT … ON AGGREGATE: an aggregate's privileges are granted as a function's
    aclSql(ctx, `FUNCTION ${a.sig}`, a.owner, a.acl) +
    commentSql('AGGREGATE', ident, a.comment) +
    labelSql('AGGREGATE', ident, a.labels)
  );
}

async function readAggregates(ctx: ReadContext): Promise<Part> {
  if (ctx.namespaces.length === 0) return {};
  const r = await ctx.db.query<AggregateRow>(
    `SELECT p.oid::int AS oid, n.nspname AS schema, p.oid::pg_catalog.regprocedure::text AS sig, format('%I.%I', n.nspname, p.proname) AS qname,
            pg_catalog.pg_get_function_arguments(p.oid) AS args, pg_catalog.pg_get_function_identity_arguments(p.oid) AS iargs, p.pronargs::int AS nargs,
            ${ownerOf('p.proowner')} AS owner, ${aclExpr('p.proacl')} AS acl, ${commentExpr('pg_proc', 'p.oid')} AS comment,
            ${labelsExpr('pg_proc', 'p.oid')} AS labels, p.proparallel::text AS parallel,
            a.aggkind::text AS kind, a.aggtransfn::pg_catalog.regproc::text AS sfunc, format_type(a.aggtranstype, NULL) AS stype,
            a.aggtransspace::int AS sspace, quote_literal(a.agginitval) AS initcond,
            ${procName('a.aggfinalfn')} AS finalfn, a.aggfinalextra AS finalextra, a.aggfinalmodify::text AS finalmodify,
            ${procName('a.aggcombinefn')} AS combinefn, ${procName('a.aggserialfn')} AS serialfn, ${procName('a.aggdeserialfn')} AS deserialfn,
            ${procName('a.aggmtransfn')} AS msfunc, ${procName('a.aggminvtransfn')} AS minvfunc,
            CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS mstype, a.aggmtransspace::int AS msspace,
            quote_literal(a.aggminitval) AS minitcond, ${procName('a.aggmfinalfn')} AS mfinalfn, a.aggmfinalextra AS mfinalextra,
            a.aggmfinalmodify::text AS mfinalmodify, ${operatorRef('a.aggsortop')} AS sortop
       FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE p.prokind = 'a' AND p.pronamespace = ANY($1::oid[]) AND ${userMade('pg_proc', 'p.oid')}
      ORDER BY n.nspname, p.proname, 3`,
    [ctx.namespaces],
  );
  return {
    items: r.rows.map((a) =>
      item({
        key: ref('pg_proc', a.oid),
        desc: 'AGGREGATE',
        catalog: 'pg_proc',
        oid: a.oid,
        schema: a.schema,
        name: a.sig,
        owner: a.owner,
        sql: aggregateSql(ctx, a),
        priority: PRIORITY.aggregate,
      }),
    ),
  };
}

// ---------------------------------------------------------------------------------------------------- operators

interface OperatorRow extends Described {
  schema: string;
  name: string;
  qname: string;
  kind: string;
  fn: string;
  lt: string | null;
  rt: string | null;
  com: string | null;
  neg: string | null;
  shells: number[];
  merges: boolean;
  hashes: boolean;
  rest: string | null;
  join: string | null;
}

export function operatorSql(ctx: ReadContext, o: OperatorRow, ident: string): string {
  const opts = [`FUNCTION = ${o.fn}`];
  if (o.lt !== null) opts.push(`LEFTARG = ${o.lt}`);
  if (o.rt !== null) opts.push(`RIGHTARG = ${o.rt}`);
  // a commutator or negator not made yet becomes a shell here, which its own CREATE OPERATOR later fills in
  if (o.com !== null) opts.push(`COMMUTATOR = ${o.com}`);
  if (o.neg !== null) opts.push(`NEGATOR = ${o.neg}`);
  if (o.merges) opts.push('MERGES');
  if (o.hashes) opts.push('HASHES');
  if (o.rest !== null) opts.push(`RESTRICT = ${o.rest}`);
  if (o.join !== null) opts.push(`JOIN = ${o.join}`);
  const create = `CREATE OPERATOR ${o.qname} (\n    ${opts.join(',\n    ')}\n);\n`;
  return create + ownerSql(ctx, 'OPERATOR', ident, o.owner) + commentSql('OPERATOR', ident, o.comment);
}

async function readOperators(ctx: ReadContext): Promise<Part> {
  if (ctx.namespaces.length === 0) return {};
  const r = await ctx.db.query<OperatorRow>(
    `SELECT o.oid::int AS oid, n.nspname AS schema, o.oprname AS name, format('%I.%s', n.nspname, o.oprname) AS qname, o.oprkind::text AS kind,
            o.oprcode::pg_catalog.regproc::text AS fn,
            CASE WHEN o.oprleft <> 0 THEN format_type(o.oprleft, NULL) END AS lt, CASE WHEN o.oprright <> 0 THEN format_type(o.oprright, NULL) END AS rt,
            ${operatorRef('o.oprcom')} AS com, ${operatorRef('o.oprnegate')} AS neg,
            array(SELECT s.oid::int FROM pg_catalog.pg_operator s WHERE s.oid IN (o.oprcom, o.oprnegate) AND s.oprcode::pg_catalog.oid = 0 ORDER BY 1) AS shells,
            o.oprcanmerge AS merges, o.oprcanhash AS hashes, ${procName('o.oprrest')} AS rest, ${procName('o.oprjoin')} AS join,
            ${ownerOf('o.oprowner')} AS owner, ${commentExpr('pg_operator', 'o.oid')} AS comment
       FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
      WHERE o.oprnamespace = ANY($1::oid[]) AND o.oprcode::pg_catalog.oid <> 0 AND ${userMade('pg_operator', 'o.oid')}
      ORDER BY n.nspname, o.oprname, 7, 8`,
    [ctx.namespaces],
  );
  const items: SchemaItem[] = [];
  const unsupported: Unsupported[] = [];
  for (const o of r.rows) {
    const ident = `${o.qname} (${o.lt ?? 'NONE'}, ${o.rt ?? 'NONE'})`;
    if (o.kind === 'r') {
      unsupported.push({ kind: 'operator', identity: ident, why: 'postfix operators are not supported from PostgreSQL 14 on' });
      continue;
    }
    items.push(
      item({
        key: ref('pg_operator', o.oid),
        desc: 'OPERATOR',
        catalog: 'pg_operator',
        oid: o.oid,
        schema: o.schema,
        name: `${o.name}(${o.lt ?? 'NONE'}, ${o.rt ?? 'NONE'})`,
        owner: o.owner,
        sql: operatorSql(ctx, o, ident),
        // the shells PostgreSQL makes for a commutator or negator that is not an operator of its own (yet)
        provides: o.shells.map((s) => ref('pg_operator', s)),
        priority: PRIORITY.operator,
      }),
    );
  }
  return { items, unsupported };
}

// ------------------------------------------------------------------------------- operator families and classes

interface OpFamilyRow extends Described {
  schema: string;
  name: string;
  qname: string;
  am: string;
  members: string[];
  deps: string[];
}

interface OpClassRow extends OpFamilyRow {
  isdefault: boolean;
  intype: string;
  keytype: string | null;
  family: string;
}

export function opFamilySql(ctx: ReadContext, f: OpFamilyRow): string {
  const ident = `${f.qname} USING ${f.am}`;
  let sql = `CREATE OPERATOR FAMILY ${ident};\n`;
  // the "loose" members: added to the family itself, not by one of its classes
  if (f.members.length > 0) sql += `ALTER OPERATOR FAMILY ${ident} ADD\n    ${f.members.join(',\n    ')};\n`;
  return sql + ownerSql(ctx, 'OPERATOR FAMILY', ident, f.owner) + commentSql('OPERATOR FAMILY', ident, f.comment);
}

export function opClassSql(ctx: ReadContext, c: OpClassRow): string {
  const ident = `${c.qname} USING ${c.am}`;
  const clauses = [...(c.keytype !== null ? [`STORAGE ${c.keytype}`] : []), ...c.members];
  // a class with nothing of its own still needs one clause; STORAGE of its own type changes nothing (pg_dump's trick)
  if (clauses.length === 0) clauses.push(`STORAGE ${c.intype}`);
  return (
    `CREATE OPERATOR CLASS ${c.qname}\n    ${c.isdefault ? 'DEFAULT ' : ''}FOR TYPE ${c.intype} USING ${c.am} FAMILY ${c.family} AS\n` +
    `    ${clauses.join(',\n    ')};\n` +
    ownerSql(ctx, 'OPERATOR CLASS', ident, c.owner) +
    commentSql('OPERATOR CLASS', ident, c.comment)
  );
}

async function readOpFamilies(ctx: ReadContext): Promise<Part> {
  if (ctx.namespaces.length === 0) return {};
  const families = await ctx.db.query<OpFamilyRow>(
    `SELECT f.oid::int AS oid, n.nspname AS schema, f.opfname AS name, format('%I.%I', n.nspname, f.opfname) AS qname, quote_ident(am.amname) AS am,
            ${memberClauses('pg_opfamily', 'f.oid', 'f.oid')} AS members, ${memberDeps('pg_opfamily', 'f.oid')} AS deps,
            ${ownerOf('f.opfowner')} AS owner, ${commentExpr('pg_opfamily', 'f.oid')} AS comment
       FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod
      WHERE f.opfnamespace = ANY($1::oid[]) AND ${userMade('pg_opfamily', 'f.oid')}
      ORDER BY n.nspname, f.opfname, am.amname`,
    [ctx.namespaces],
  );
  const classes = await ctx.db.query<OpClassRow>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.opcname AS name, format('%I.%I', n.nspname, c.opcname) AS qname, quote_ident(am.amname) AS am,
            c.opcdefault AS isdefault, format_type(c.opcintype, NULL) AS intype, CASE WHEN c.opckeytype <> 0 THEN format_type(c.opckeytype, NULL) END AS keytype,
            ${qualified('f.opfnamespace', 'f.opfname')} AS family,
            ${memberClauses('pg_opclass', 'c.oid', 'c.opcfamily')} AS members, ${memberDeps('pg_opclass', 'c.oid')} AS deps,
            ${ownerOf('c.opcowner')} AS owner, ${commentExpr('pg_opclass', 'c.oid')} AS comment
       FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod
       JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily
      WHERE c.opcnamespace = ANY($1::oid[]) AND ${userMade('pg_opclass', 'c.oid')}
      ORDER BY n.nspname, c.opcname, am.amname`,
    [ctx.namespaces],
  );
  return {
    items: [
      ...families.rows.map((f) =>
        item({
          key: ref('pg_opfamily', f.oid),
          desc: 'OPERATOR FAMILY',
          catalog: 'pg_opfamily',
          oid: f.oid,
          schema: f.schema,
          name: `${f.name} USING ${f.am}`,
          owner: f.owner,
          sql: opFamilySql(ctx, f),
          deps: f.deps,
          priority: PRIORITY.opfamily,
        }),
      ),
      ...classes.rows.map((c) =>
        item({
          key: ref('pg_opclass', c.oid),
          desc: 'OPERATOR CLASS',
          catalog: 'pg_opclass',
          oid: c.oid,
          schema: c.schema,
          name: `${c.name} USING ${c.am}`,
          owner: c.owner,
          sql: opClassSql(ctx, c),
          deps: c.deps,
          priority: PRIORITY.opfamily,
        }),
      ),
    ],
  };
}

// --------------------------------------------------------------------------------------------------------- casts

interface CastRow extends Described {
  src: string;
  tgt: string;
  method: string;
  context: string;
  fn: string | null;
}

export function castSql(c: CastRow): string {
  const how = c.method === 'b' ? 'WITHOUT FUNCTION' : c.method === 'i' ? 'WITH INOUT' : `WITH FUNCTION ${c.fn}`;
  const context = c.context === 'a' ? ' AS ASSIGNMENT' : c.context === 'i' ? ' AS IMPLICIT' : '';
  return `CREATE CAST (${c.src} AS ${c.tgt}) ${how}${context};\n${commentSql('CAST', `(${c.src} AS ${c.tgt})`, c.comment)}`;
}

/** SQL: a cast is read with everything, or when its function or one of its types is (`ns` and `everything` are parameters). */
export function castSelected(c: string, ns: string, everything: string): string {
  const readType = (col: string) =>
    `EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.oid = ${col} AND t.typnamespace = ANY(${ns}::oid[]) AND ${userMade('pg_type', 't.oid')})`;
  return `(${everything}::bool OR ${readType(`${c}.castsource`)} OR ${readType(`${c}.casttarget`)}
           OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.oid = ${c}.castfunc AND p.pronamespace = ANY(${ns}::oid[]) AND ${userMade('pg_proc', 'p.oid')}))`;
}

async function readCasts(ctx: ReadContext): Promise<Part> {
  const r = await ctx.db.query<CastRow>(
    `SELECT c.oid::int AS oid, format_type(c.castsource, NULL) AS src, format_type(c.casttarget, NULL) AS tgt, c.castmethod::text AS method,
            c.castcontext::text AS context, CASE WHEN c.castfunc <> 0 THEN c.castfunc::pg_catalog.regprocedure::text END AS fn,
            NULL AS owner, ${commentExpr('pg_cast', 'c.oid')} AS comment
       FROM pg_catalog.pg_cast c
      WHERE ${userMade('pg_cast', 'c.oid')} AND ${castSelected('c', '$1', '$2')}
      ORDER BY 2, 3`,
    [ctx.namespaces, ctx.everything],
  );
  return {
    items: r.rows.map((c) =>
      item({
        key: ref('pg_cast', c.oid),
        desc: 'CAST',
        catalog: 'pg_cast',
        oid: c.oid,
        schema: null,
        name: `${c.src} AS ${c.tgt}`,
        owner: null,
        sql: castSql(c),
        priority: PRIORITY.cast,
      }),
    ),
  };
}

// ---------------------------------------------------------------------------------- conversions and collations

interface ConversionRow extends Described {
  schema: string;
  name: string;
  ident: string;
  src: string;
  dst: string;
  proc: string;
  isdefault: boolean;
}

async function readConversions(ctx: ReadContext): Promise<Part> {
  if (ctx.namespaces.length === 0) return {};
  const r = await ctx.db.query<ConversionRow>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.conname AS name, format('%I.%I', n.nspname, c.conname) AS ident,
            quote_literal(pg_catalog.pg_encoding_to_char(c.conforencoding)) AS src, quote_literal(pg_catalog.pg_encoding_to_char(c.contoencoding)) AS dst,
            c.conproc::pg_catalog.regproc::text AS proc, c.condefault AS isdefault,
            ${ownerOf('c.conowner')} AS owner, ${commentExpr('pg_conversion', 'c.oid')} AS comment
       FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
      WHERE c.connamespace = ANY($1::oid[]) AND ${userMade('pg_conversion', 'c.oid')}
      ORDER BY n.nspname, c.conname`,
    [ctx.namespaces],
  );
  return {
    items: r.rows.map((c) =>
      item({
        key: ref('pg_conversion', c.oid),
        desc: 'CONVERSION',
        catalog: 'pg_conversion',
        oid: c.oid,
        schema: c.schema,
        name: c.name,
        owner: c.owner,
        sql:
          `CREATE ${c.isdefault ? 'DEFAULT ' : ''}CONVERSION ${c.ident} FOR ${c.src} TO ${c.dst} FROM ${c.proc};\n` +
          ownerSql(ctx, 'CONVERSION', c.ident, c.owner) +
          commentSql('CONVERSION', c.ident, c.comment),
        priority: PRIORITY.conversion,
      }),
    ),
  };
}

interface CollationRow extends Described {
  schema: string;
  name: string;
  ident: string;
  provider: string;
  deterministic: boolean;
  collate: string | null;
  ctype: string | null;
  locale: string | null;
  rules: string | null;
  /** collencoding -1: usable with any encoding (a copy of "C" or "POSIX") */
  anyenc: boolean;
}

/** CREATE COLLATION as the source's provider knows it; the version is the target's own, as after any CREATE. */
export function collationSql(ctx: ReadContext, c: CollationRow): string | null {
  const opts: string[] = [];
  // CREATE COLLATION (locale = …) binds a libc collation to the database's encoding; only a copy keeps "any"
  if (c.provider === 'c' && c.anyenc && c.collate === c.ctype && (c.collate === `'C'` || c.collate === `'POSIX'`) && c.deterministic)
    return `CREATE COLLATION ${c.ident} FROM pg_catalog.${c.collate === `'C'` ? '"C"' : '"POSIX"'};\n${ownerSql(ctx, 'COLLATION', c.ident, c.owner)}${commentSql('COLLATION', c.ident, c.comment)}`;
  if (c.provider === 'c') {
    opts.push('provider = libc');
    if (c.collate !== null && c.collate === c.ctype) opts.push(`locale = ${c.collate}`);
    else opts.push(`lc_collate = ${c.collate ?? "''"}`, `lc_ctype = ${c.ctype ?? "''"}`);
  } else if (c.provider === 'i') {
    // before 15 an ICU collation kept its locale in collcollate
    opts.push('provider = icu', `locale = ${(ctx.version >= 150000 ? c.locale : c.collate) ?? "''"}`);
    if (c.rules !== null) opts.push(`rules = ${c.rules}`);
  } else if (c.provider === 'b') opts.push('provider = builtin', `locale = ${c.locale ?? "''"}`);
  else return null;
  if (!c.deterministic) opts.push('deterministic = false');
  return `CREATE COLLATION ${c.ident} (${opts.join(', ')});\n${ownerSql(ctx, 'COLLATION', c.ident, c.owner)}${commentSql('COLLATION', c.ident, c.comment)}`;
}

async function readCollations(ctx: ReadContext): Promise<Part> {
  if (ctx.namespaces.length === 0) return {};
  const locale = ctx.version >= 170000 ? 'c.colllocale' : ctx.version >= 150000 ? 'c.colliculocale' : 'NULL::text';
  const rules = ctx.version >= 160000 ? 'c.collicurules' : 'NULL::text';
  const r = await ctx.db.query<CollationRow>(
    // before 15 collcollate and collctype are names, never NULL: empty stands for none
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.collname AS name, format('%I.%I', n.nspname, c.collname) AS ident, c.collprovider::text AS provider,
            c.collisdeterministic AS deterministic, quote_literal(NULLIF(c.collcollate::text, '')) AS collate, quote_literal(NULLIF(c.collctype::text, '')) AS ctype,
            quote_literal(${locale}) AS locale, quote_literal(${rules}) AS rules, c.collencoding = -1 AS anyenc,
            ${ownerOf('c.collowner')} AS owner, ${commentExpr('pg_collation', 'c.oid')} AS comment
       FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
      WHERE c.collnamespace = ANY($1::oid[]) AND ${userMade('pg_collation', 'c.oid')}
      ORDER BY n.nspname, c.collname`,
    [ctx.namespaces],
  );
  const items: SchemaItem[] = [];
  const unsupported: Unsupported[] = [];
  for (const c of r.rows) {
    const sql = collationSql(ctx, c);
    if (sql === null) unsupported.push({ kind: 'collation', identity: c.ident, why: `its provider '${c.provider}' cannot be named in CREATE COLLATION` });
    else
      items.push(
        item({
          key: ref('pg_collation', c.oid),
          desc: 'COLLATION',
          catalog: 'pg_collation',
          oid: c.oid,
          schema: c.schema,
          name: c.name,
          owner: c.owner,
          sql,
          priority: PRIORITY.collation,
        }),
      );
  }
  return { items, unsupported };
}

// --------------------------------------------------------------------------------------------------- text search

interface TsDictRow extends Described {
  schema: string;
  name: string;
  ident: string;
  template: string;
  options: string | null;
}

interface TsConfigRow extends Described {
  schema: string;
  name: string;
  ident: string;
  parser: string;
  maps: { token: string; dict: string }[] | null;
}

export function tsConfigSql(ctx: ReadContext, c: TsConfigRow): string {
  let sql = `CREATE TEXT SEARCH CONFIGURATION ${c.ident} (\n    PARSER = ${c.parser} );\n`;
  // one ADD MAPPING per token type, its dictionaries in the source's order
  const byToken: { token: string; dicts: string[] }[] = [];
  for (const m of c.maps ?? []) {
    const last = byToken.at(-1);
    if (last && last.token === m.token) last.dicts.push(m.dict);
    else byToken.push({ token: m.token, dicts: [m.dict] });
  }
  for (const t of byToken) sql += `ALTER TEXT SEARCH CONFIGURATION ${c.ident}\n    ADD MAPPING FOR ${t.token} WITH ${t.dicts.join(', ')};\n`;
  return sql + ownerSql(ctx, 'TEXT SEARCH CONFIGURATION', c.ident, c.owner) + commentSql('TEXT SEARCH CONFIGURATION', c.ident, c.comment);
}

async function readTextSearch(ctx: ReadContext): Promise<Part> {
  if (ctx.namespaces.length === 0) return {};
  const dicts = await ctx.db.query<TsDictRow>(
    `SELECT dt.oid::int AS oid, n.nspname AS schema, dt.dictname AS name, format('%I.%I', n.nspname, dt.dictname) AS ident,
            ${qualified('t.tmplnamespace', 't.tmplname')} AS template, dt.dictinitoption AS options,
            ${ownerOf('dt.dictowner')} AS owner, ${commentExpr('pg_ts_dict', 'dt.oid')} AS comment
       FROM pg_catalog.pg_ts_dict dt JOIN pg_catalog.pg_namespace n ON n.oid = dt.dictnamespace JOIN pg_catalog.pg_ts_template t ON t.oid = dt.dicttemplate
      WHERE dt.dictnamespace = ANY($1::oid[]) AND ${userMade('pg_ts_dict', 'dt.oid')}
      ORDER BY n.nspname, dt.dictname`,
    [ctx.namespaces],
  );
  const configs = await ctx.db.query<TsConfigRow>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.cfgname AS name, format('%I.%I', n.nspname, c.cfgname) AS ident,
            ${qualified('p.prsnamespace', 'p.prsname')} AS parser,
            (SELECT json_agg(json_build_object('token', quote_ident(t.alias), 'dict', m.mapdict::pg_catalog.regdictionary::text) ORDER BY m.maptokentype, m.mapseqno)
               FROM pg_catalog.pg_ts_config_map m JOIN pg_catalog.ts_token_type(c.cfgparser) t ON t.tokid = m.maptokentype
              WHERE m.mapcfg = c.oid) AS maps,
            ${ownerOf('c.cfgowner')} AS owner, ${commentExpr('pg_ts_config', 'c.oid')} AS comment
       FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser
      WHERE c.cfgnamespace = ANY($1::oid[]) AND ${userMade('pg_ts_config', 'c.oid')}
      ORDER BY n.nspname, c.cfgname`,
    [ctx.namespaces],
  );
  return {
    items: [
      ...dicts.rows.map((d) =>
        item({
          key: ref('pg_ts_dict', d.oid),
          desc: 'TEXT SEARCH DICTIONARY',
          catalog: 'pg_ts_dict',
          oid: d.oid,
          schema: d.schema,
          name: d.name,
          owner: d.owner,
          // dictinitoption is the option list as CREATE wrote it (name = 'value', …)
          sql:
            `CREATE TEXT SEARCH DICTIONARY ${d.ident} (\n    TEMPLATE = ${d.template}${d.options ? `,\n    ${d.options}` : ''} );\n` +
            ownerSql(ctx, 'TEXT SEARCH DICTIONARY', d.ident, d.owner) +
            commentSql('TEXT SEARCH DICTIONARY', d.ident, d.comment),
          priority: PRIORITY.tsdict,
        }),
      ),
      ...configs.rows.map((c) =>
        item({
          key: ref('pg_ts_config', c.oid),
          desc: 'TEXT SEARCH CONFIGURATION',
          catalog: 'pg_ts_config',
          oid: c.oid,
          schema: c.schema,
          name: c.name,
          owner: c.owner,
          sql: tsConfigSql(ctx, c),
          priority: PRIORITY.tsconfig,
        }),
      ),
    ],
  };
}

// ------------------------------------------------------------------------- foreign-data wrappers, servers, mappings

interface FdwRow extends Described {
  name: string;
  ident: string;
  handler: string | null;
  validator: string | null;
  options: string[] | null;
  acl: AclEntry[] | null;
}

interface ServerRow extends FdwRow {
  type: string | null;
  version: string | null;
  fdw: string;
}

interface MappingRow {
  oid: number;
  identity: string;
  server: string;
  srvname: string;
  who: string;
  usename: string;
  options: string[] | null;
  password: boolean;
  visible: boolean;
}

async function readForeign(ctx: ReadContext): Promise<Part> {
  if (!ctx.everything) return {};
  const fdws = await ctx.db.query<FdwRow>(
    `SELECT w.oid::int AS oid, w.fdwname AS name, quote_ident(w.fdwname) AS ident, ${procName('w.fdwhandler')} AS handler, ${procName('w.fdwvalidator')} AS validator,
            w.fdwoptions AS options, ${ownerOf('w.fdwowner')} AS owner, ${aclExpr('w.fdwacl')} AS acl, ${commentExpr('pg_foreign_data_wrapper', 'w.oid')} AS comment
       FROM pg_catalog.pg_foreign_data_wrapper w
      WHERE ${userMade('pg_foreign_data_wrapper', 'w.oid')}
      ORDER BY w.fdwname`,
  );
  const servers = await ctx.db.query<ServerRow>(
    `SELECT s.oid::int AS oid, s.srvname AS name, quote_ident(s.srvname) AS ident, quote_literal(s.srvtype) AS type, quote_literal(s.srvversion) AS version,
            quote_ident(w.fdwname) AS fdw, s.srvoptions AS options, ${ownerOf('s.srvowner')} AS owner, ${aclExpr('s.srvacl')} AS acl,
            ${commentExpr('pg_foreign_server', 's.oid')} AS comment
       FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
      WHERE ${userMade('pg_foreign_server', 's.oid')}
      ORDER BY s.srvname`,
  );
  // pg_user_mappings, not pg_user_mapping (superusers only); it hides the options from whoever may not read them,
  // which this query works out the view's way to tell "no options" from "options hidden"
  const mappings = await ctx.db.query<MappingRow>(
    `SELECT u.umid::int AS oid, (pg_catalog.pg_identify_object('pg_catalog.pg_user_mapping'::pg_catalog.regclass, u.umid, 0)).identity,
            quote_ident(u.srvname) AS server, u.srvname, CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(u.usename) END AS who, u.usename,
            array(SELECT o FROM unnest(u.umoptions) WITH ORDINALITY AS x(o, i) WHERE o NOT LIKE 'password=%' ORDER BY i) AS options,
            EXISTS (SELECT 1 FROM unnest(u.umoptions) o WHERE o LIKE 'password=%') AS password,
            (u.umuser <> 0 AND u.usename = current_user AND (pg_has_role(s.srvowner, 'USAGE') OR has_server_privilege(s.oid, 'USAGE')))
              OR (u.umuser = 0 AND pg_has_role(s.srvowner, 'USAGE'))
              OR coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user), false) AS visible
       FROM pg_catalog.pg_user_mappings u JOIN pg_catalog.pg_foreign_server s ON s.oid = u.srvid
      WHERE ${userMade('pg_user_mapping', 'u.umid')} AND ${userMade('pg_foreign_server', 's.oid')}
      ORDER BY u.srvname, u.usename`,
  );
  const items: SchemaItem[] = [];
  const unsupported: Unsupported[] = [];
  const notes: string[] = [];
  for (const w of fdws.rows) {
    items.push(
      item({
        key: ref('pg_foreign_data_wrapper', w.oid),
        desc: 'FOREIGN DATA WRAPPER',
        catalog: 'pg_foreign_data_wrapper',
        oid: w.oid,
        schema: null,
        name: w.name,
        owner: w.owner,
        sql:
          `CREATE FOREIGN DATA WRAPPER ${w.ident}${w.handler ? ` HANDLER ${w.handler}` : ''}${w.validator ? ` VALIDATOR ${w.validator}` : ''}` +
          `${genericOptions(w.options)};\n` +
          ownerSql(ctx, 'FOREIGN DATA WRAPPER', w.ident, w.owner) +
          aclSql(ctx, `FOREIGN DATA WRAPPER ${w.ident}`, w.owner, w.acl) +
          commentSql('FOREIGN DATA WRAPPER', w.ident, w.comment),
        priority: PRIORITY.fdw,
      }),
    );
  }
  for (const s of servers.rows) {
    items.push(
      item({
        key: ref('pg_foreign_server', s.oid),
        desc: 'SERVER',
        catalog: 'pg_foreign_server',
        oid: s.oid,
        schema: null,
        name: s.name,
        owner: s.owner,
        sql:
          `CREATE SERVER ${s.ident}${s.type !== null ? ` TYPE ${s.type}` : ''}${s.version !== null ? ` VERSION ${s.version}` : ''}` +
          ` FOREIGN DATA WRAPPER ${s.fdw}${genericOptions(s.options)};\n` +
          ownerSql(ctx, 'SERVER', s.ident, s.owner) +
          aclSql(ctx, `FOREIGN SERVER ${s.ident}`, s.owner, s.acl) +
          commentSql('SERVER', s.ident, s.comment),
        priority: PRIORITY.server,
      }),
    );
  }
  for (const m of mappings.rows) {
    if (!m.visible) {
      unsupported.push({ kind: 'user mapping', identity: m.identity, why: 'its options can be read only by a superuser or the mapped role' });
      continue;
    }
    if (m.password) notes.push(`user mapping for ${m.usename} on server ${m.srvname}: its password was not copied (pgclone never copies a secret)`);
    items.push(
      item({
        key: ref('pg_user_mapping', m.oid),
        desc: 'USER MAPPING',
        catalog: 'pg_user_mapping',
        oid: m.oid,
        schema: null,
        name: `${m.usename} SERVER ${m.srvname}`,
        owner: null,
        sql: `CREATE USER MAPPING FOR ${m.who} SERVER ${m.server}${genericOptions(m.options)};\n`,
        priority: PRIORITY.server,
      }),
    );
  }
  return { items, unsupported, notes };
}

// ---------------------------------------------------------------------------------------------------- publications

interface PublicationRow extends Described {
  name: string;
  ident: string;
  alltables: boolean;
  publish: string[];
  viaroot: boolean;
  gencols: string;
  labels: Label[] | null;
}

export function publicationSql(ctx: ReadContext, p: PublicationRow): string {
  const opts = [`publish = '${p.publish.join(', ')}'`];
  if (p.viaroot) opts.push('publish_via_partition_root = true');
  if (p.gencols === 's') opts.push('publish_generated_columns = stored');
  return (
    `CREATE PUBLICATION ${p.ident}${p.alltables ? ' FOR ALL TABLES' : ''} WITH (${opts.join(', ')});\n` +
    ownerSql(ctx, 'PUBLICATION', p.ident, p.owner) +
    commentSql('PUBLICATION', p.ident, p.comment) +
    labelSql('PUBLICATION', p.ident, p.labels)
  );
}

async function readPublications(ctx: ReadContext): Promise<Part> {
  if (!ctx.everything) return {};
  const v15 = ctx.version >= 150000;
  const pubs = await ctx.db.query<PublicationRow>(
    `SELECT p.oid::int AS oid, p.pubname AS name, quote_ident(p.pubname) AS ident, p.puballtables AS alltables,
            array_remove(ARRAY[CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END,
                               CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END], NULL) AS publish,
            p.pubviaroot AS viaroot, ${ctx.version >= 180000 ? 'p.pubgencols::text' : "'n'"} AS gencols,
            ${ownerOf('p.pubowner')} AS owner, ${commentExpr('pg_publication', 'p.oid')} AS comment, ${labelsExpr('pg_publication', 'p.oid')} AS labels
       FROM pg_catalog.pg_publication p
      WHERE ${userMade('pg_publication', 'p.oid')} AND ${notCatchUpPublication('p.pubname')}
      ORDER BY p.pubname`,
  );
  const rels = await ctx.db.query<{
    oid: number;
    pub: number;
    pubname: string;
    pubident: string;
    schema: string;
    name: string;
    rel: string;
    cols: string[] | null;
    qual: string | null;
  }>(
    `SELECT r.oid::int AS oid, p.oid::int AS pub, p.pubname, quote_ident(p.pubname) AS pubident, n.nspname AS schema, c.relname AS name,
            format('%I.%I', n.nspname, c.relname) AS rel,
            ${
              v15
                ? `CASE WHEN r.prattrs IS NOT NULL THEN array(SELECT quote_ident(a.attname) FROM unnest(r.prattrs::int2[]) WITH ORDINALITY AS x(num, i)
                       JOIN pg_catalog.pg_attribute a ON a.attrelid = r.prrelid AND a.attnum = x.num ORDER BY x.i) END`
                : 'NULL::text[]'
            } AS cols,
            ${v15 ? 'pg_catalog.pg_get_expr(r.prqual, r.prrelid)' : 'NULL::text'} AS qual
       FROM pg_catalog.pg_publication_rel r JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid
       JOIN pg_catalog.pg_class c ON c.oid = r.prrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE r.prrelid = ANY($1::oid[]) AND ${userMade('pg_publication', 'p.oid')} AND ${notCatchUpPublication('p.pubname')}
      ORDER BY p.pubname, n.nspname, c.relname`,
    [ctx.relations],
  );
  const schemas = v15
    ? await ctx.db.query<{ oid: number; pub: number; pubname: string; pubident: string; schema: string; ident: string }>(
        `SELECT s.oid::int AS oid, p.oid::int AS pub, p.pubname, quote_ident(p.pubname) AS pubident, n.nspname AS schema, quote_ident(n.nspname) AS ident
           FROM pg_catalog.pg_publication_namespace s JOIN pg_catalog.pg_publication p ON p.oid = s.pnpubid
           JOIN pg_catalog.pg_namespace n ON n.oid = s.pnnspid
          WHERE s.pnnspid = ANY($1::oid[]) AND ${userMade('pg_publication', 'p.oid')} AND ${notCatchUpPublication('p.pubname')}
          ORDER BY p.pubname, n.nspname`,
        [ctx.namespaces],
      )
    : { rows: [] };
  return {
    items: [
      ...pubs.rows.map((p) =>
        item({
          key: ref('pg_publication', p.oid),
          desc: 'PUBLICATION',
          section: 'post-data',
          catalog: 'pg_publication',
          oid: p.oid,
          schema: null,
          name: p.name,
          owner: p.owner,
          sql: publicationSql(ctx, p),
          priority: PRIORITY.publication,
        }),
      ),
      ...rels.rows.map((r) =>
        item({
          key: ref('pg_publication_rel', r.oid),
          desc: 'PUBLICATION TABLE',
          section: 'post-data',
          catalog: 'pg_publication_rel',
          oid: r.oid,
          schema: r.schema,
          name: `${r.pubname} ${r.name}`,
          owner: null,
          // WHERE needs its own parentheses: pg_get_expr leaves them off a bare TRUE
          sql: `ALTER PUBLICATION ${r.pubident} ADD TABLE ONLY ${r.rel}${r.cols ? ` (${r.cols.join(', ')})` : ''}${r.qual !== null ? ` WHERE (${r.qual})` : ''};\n`,
          deps: [ref('pg_publication', r.pub)],
          priority: PRIORITY.publicationRel,
        }),
      ),
      ...schemas.rows.map((s) =>
        item({
          key: ref('pg_publication_namespace', s.oid),
          desc: 'PUBLICATION TABLES IN SCHEMA',
          section: 'post-data',
          catalog: 'pg_publication_namespace',
          oid: s.oid,
          schema: s.schema,
          name: `${s.pubname} ${s.schema}`,
          owner: null,
          sql: `ALTER PUBLICATION ${s.pubident} ADD TABLES IN SCHEMA ${s.ident};\n`,
          deps: [ref('pg_publication', s.pub)],
          priority: PRIORITY.publicationRel,
        }),
      ),
    ],
  };
}

// ------------------------------------------------------------------------------------------------- event triggers

interface EventTriggerRow extends Described {
  name: string;
  ident: string;
  event: string;
  tags: string[] | null;
  fn: string;
  enabled: string;
  labels: Label[] | null;
}

const EVENT_ENABLED: Record<string, string> = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' };

export function eventTriggerSql(ctx: ReadContext, e: EventTriggerRow): string {
  const when = e.tags && e.tags.length > 0 ? `\n    WHEN TAG IN (${e.tags.join(', ')})` : '';
  let sql = `CREATE EVENT TRIGGER ${e.ident} ON ${e.event}${when}\n    EXECUTE FUNCTION ${e.fn}();\n`;
  if (EVENT_ENABLED[e.enabled]) sql += `ALTER EVENT TRIGGER ${e.ident} ${EVENT_ENABLED[e.enabled]};\n`;
  return (
    sql + ownerSql(ctx, 'EVENT TRIGGER', e.ident, e.owner) + commentSql('EVENT TRIGGER', e.ident, e.comment) + labelSql('EVENT TRIGGER', e.ident, e.labels)
  );
}

async function readEventTriggers(ctx: ReadContext): Promise<Part> {
  if (!ctx.everything) return {};
  const r = await ctx.db.query<EventTriggerRow>(
    `SELECT e.oid::int AS oid, e.evtname AS name, quote_ident(e.evtname) AS ident, quote_ident(e.evtevent) AS event,
            array(SELECT quote_literal(t) FROM unnest(e.evttags) WITH ORDINALITY AS x(t, i) ORDER BY i) AS tags,
            e.evtfoid::pg_catalog.regproc::text AS fn, e.evtenabled::text AS enabled,
            ${ownerOf('e.evtowner')} AS owner, ${commentExpr('pg_event_trigger', 'e.oid')} AS comment, ${labelsExpr('pg_event_trigger', 'e.oid')} AS labels
       FROM pg_catalog.pg_event_trigger e
      WHERE ${userMade('pg_event_trigger', 'e.oid')}
      ORDER BY e.evtname`,
  );
  return {
    items: r.rows.map((e) =>
      item({
        key: ref('pg_event_trigger', e.oid),
        desc: 'EVENT TRIGGER',
        section: 'post-data',
        catalog: 'pg_event_trigger',
        oid: e.oid,
        schema: null,
        name: e.name,
        owner: e.owner,
        sql: eventTriggerSql(ctx, e),
        priority: PRIORITY.eventTrigger,
      }),
    ),
  };
}

// --------------------------------------------------------------------------------------------- default privileges

interface DefaultAclRow {
  oid: number;
  role: string;
  schema: string | null;
  ident: string | null;
  objtype: string;
  acl: AclEntry[];
}

const DEFACL_ON: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS' };

/**
 * ALTER DEFAULT PRIVILEGES giving exactly the source's entry, in its order. A global entry replaces the built-in
 * default (acldefault: the owner's, and PUBLIC's for functions and types), so that is revoked first; an entry for
 * one schema only adds to what is granted anyway, starting from nothing.
 */
export function defaultAclSql(d: DefaultAclRow): string {
  const prefix = `ALTER DEFAULT PRIVILEGES FOR ROLE ${d.role}${d.ident !== null ? ` IN SCHEMA ${d.ident}` : ''}`;
  const on = DEFACL_ON[d.objtype];
  let sql = d.ident === null ? `${prefix} REVOKE ALL ON ${on} FROM PUBLIC;\n${prefix} REVOKE ALL ON ${on} FROM ${d.role};\n` : '';
  const runs: { g: string; o: boolean; privs: string[] }[] = [];
  for (const e of d.acl) {
    const last = runs.at(-1);
    if (last && last.g === e.g && last.o === e.o) last.privs.push(e.p);
    else runs.push({ g: e.g, o: e.o, privs: [e.p] });
  }
  for (const r of runs) sql += `${prefix} GRANT ${r.privs.join(',')} ON ${on} TO ${r.g}${r.o ? ' WITH GRANT OPTION' : ''};\n`;
  return sql;
}

async function readDefaultAcls(ctx: ReadContext): Promise<Part> {
  if (ctx.opts.noAcl) return {};
  const r = await ctx.db.query<DefaultAclRow & { rolename: string }>(
    `SELECT d.oid::int AS oid, ${ownerOf('d.defaclrole')} AS role, pg_catalog.pg_get_userbyid(d.defaclrole) AS rolename,
            n.nspname AS schema, quote_ident(n.nspname) AS ident, d.defaclobjtype::text AS objtype, ${aclExpr('d.defaclacl')} AS acl
       FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
      WHERE (d.defaclnamespace = 0 AND $2::bool) OR d.defaclnamespace = ANY($1::oid[])
      ORDER BY pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname NULLS FIRST, d.defaclobjtype`,
    [ctx.namespaces, ctx.everything],
  );
  return {
    items: r.rows.map((d) =>
      item({
        key: ref('pg_default_acl', d.oid),
        desc: 'DEFAULT ACL',
        catalog: 'pg_default_acl',
        oid: d.oid,
        schema: d.schema,
        name: `DEFAULT PRIVILEGES FOR ${DEFACL_ON[d.objtype]}`,
        owner: d.role,
        sql: defaultAclSql({ ...d, acl: d.acl ?? [] }),
        priority: PRIORITY.defaultAcl,
      }),
    ),
  };
}

// ------------------------------------------------------------------------------------------- what is refused

const WHY_EXTENSION = 'it needs a superuser and C functions; only an extension can make it on the target';

/**
 * Text search parsers and templates and access methods made outside an extension: CREATE … naming their functions
 * (built-in ones such as dsimple_lexize or heap_tableam_handler, or the source's own C functions), as pg_dump does;
 * making them needs a superuser on the target, which the dry run finds out.
 */
async function readSearchMachinery(ctx: ReadContext): Promise<Part> {
  const fn = (col: string) => `NULLIF(${col}, 0)::pg_catalog.regproc::text`;
  const r = await ctx.db.query<{
    catalog: string;
    oid: number;
    schema: string | null;
    name: string;
    ident: string;
    sql: string;
    comment: string | null;
    priority: number;
  }>(
    `SELECT 'pg_ts_parser' AS catalog, p.oid::int AS oid, n.nspname AS schema, p.prsname::text AS name, format('%I.%I', n.nspname, p.prsname) AS ident,
            format('(START = %s, GETTOKEN = %s, END = %s, LEXTYPES = %s%s)', ${fn('p.prsstart')}, ${fn('p.prstoken')}, ${fn('p.prsend')}, ${fn('p.prslextype')},
                   coalesce(', HEADLINE = ' || ${fn('p.prsheadline')}, '')) AS sql,
            ${commentExpr('pg_ts_parser', 'p.oid')} AS comment, ${PRIORITY.tsparser} AS priority
       FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
      WHERE p.prsnamespace = ANY($1::oid[]) AND ${userMade('pg_ts_parser', 'p.oid')}
     UNION ALL
     SELECT 'pg_ts_template', t.oid::int, n.nspname, t.tmplname::text, format('%I.%I', n.nspname, t.tmplname),
            format('(%sLEXIZE = %s)', coalesce('INIT = ' || ${fn('t.tmplinit')} || ', ', ''), ${fn('t.tmpllexize')}),
            ${commentExpr('pg_ts_template', 't.oid')}, ${PRIORITY.tstemplate}
       FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
      WHERE t.tmplnamespace = ANY($1::oid[]) AND ${userMade('pg_ts_template', 't.oid')}
     UNION ALL
     SELECT 'pg_am', a.oid::int, NULL, a.amname::text, quote_ident(a.amname),
            format('TYPE %s HANDLER %s', CASE a.amtype WHEN 't' THEN 'TABLE' ELSE 'INDEX' END, ${fn('a.amhandler')}),
            ${commentExpr('pg_am', 'a.oid')}, ${PRIORITY.aggregate}
       FROM pg_catalog.pg_am a
      WHERE ${userMade('pg_am', 'a.oid')}
        AND ($2::bool OR EXISTS (SELECT 1 FROM pg_catalog.pg_opfamily f WHERE f.opfmethod = a.oid AND f.opfnamespace = ANY($1::oid[]))
                      OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relam = a.oid AND c.relnamespace = ANY($1::oid[])))
     ORDER BY 1, 3, 4`,
    [ctx.namespaces, ctx.everything],
  );
  const words: Record<string, { word: string; desc: string }> = {
    pg_ts_parser: { word: 'TEXT SEARCH PARSER', desc: 'TEXT SEARCH PARSER' },
    pg_ts_template: { word: 'TEXT SEARCH TEMPLATE', desc: 'TEXT SEARCH TEMPLATE' },
    pg_am: { word: 'ACCESS METHOD', desc: 'ACCESS METHOD' },
  };
  return {
    items: r.rows.map((x) => {
      const w = words[x.catalog] as { word: string; desc: string };
      return item({
        key: ref(x.catalog, x.oid),
        desc: w.desc,
        catalog: x.catalog,
        oid: x.oid,
        schema: x.schema,
        name: x.name,
        owner: null,
        sql: `CREATE ${w.word} ${x.ident} ${x.sql};\n${commentSql(w.word, x.ident, x.comment)}`,
        priority: x.priority,
      });
    }),
  };
}

/** Languages and transforms made outside an extension. */
async function readUnreproducible(ctx: ReadContext): Promise<Part> {
  const identify = (catalog: string, oid: string) =>
    `(pg_catalog.pg_identify_object('pg_catalog.${catalog}'::pg_catalog.regclass, ${oid}, 0)).type AS kind,
     (pg_catalog.pg_identify_object('pg_catalog.${catalog}'::pg_catalog.regclass, ${oid}, 0)).identity AS identity`;
  const r = await ctx.db.query<{ kind: string; identity: string }>(
    `SELECT ${identify('pg_language', 'l.oid')} FROM pg_catalog.pg_language l WHERE ${userMade('pg_language', 'l.oid')}
        AND ($2::bool OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.prolang = l.oid AND p.pronamespace = ANY($1::oid[])))
     UNION ALL
     SELECT ${identify('pg_transform', 'x.oid')} FROM pg_catalog.pg_transform x WHERE ${userMade('pg_transform', 'x.oid')}
        AND ($2::bool OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.oid = x.trftype AND t.typnamespace = ANY($1::oid[])))
     ORDER BY 1, 2`,
    [ctx.namespaces, ctx.everything],
  );
  return { unsupported: r.rows.map((u) => ({ kind: u.kind, identity: u.identity, why: WHY_EXTENSION })) };
}

// ------------------------------------------------------------------------------------------------------------------

const READERS = [
  readAggregates,
  readOperators,
  readOpFamilies,
  readCasts,
  readConversions,
  readCollations,
  readTextSearch,
  readForeign,
  readPublications,
  readEventTriggers,
  readDefaultAcls,
  readSearchMachinery,
  readUnreproducible,
];

/** Every kind of this file, for the selection in ctx; the queries run one after another on ctx.db (one snapshot). */
export async function readExtra(ctx: ReadContext): Promise<ExtraReading> {
  const out: ExtraReading = { items: [], unsupported: [], notes: [] };
  for (const read of READERS) {
    const part = await read(ctx);
    out.items.push(...(part.items ?? []));
    out.unsupported.push(...(part.unsupported ?? []));
    out.notes.push(...(part.notes ?? []));
  }
  return out;
}
