// Functions and procedures (every language), as pg_get_functiondef writes them; aggregates are read-extra's.
import { PRIORITY, type ReadContext, type SchemaItem } from './model.js';
import { aclExpr, aclSql, commentExpr, commentSql, labelsExpr, labelSql, ownerSql, ref, type AclEntry, type Label } from './sql.js';
import { userMade } from './select.js';

export async function readRoutines(ctx: ReadContext): Promise<SchemaItem[]> {
  if (ctx.namespaces.length === 0) return [];
  const r = await ctx.db.query<{
    oid: number;
    schema: string;
    name: string;
    sig: string;
    kind: string;
    def: string;
    owner: string;
    acl: AclEntry[] | null;
    comment: string | null;
    labels: Label[] | null;
    types: number[];
  }>(
    `SELECT p.oid::int AS oid, n.nspname AS schema, p.proname AS name, p.oid::pg_catalog.regprocedure::text AS sig, p.prokind::text AS kind,
            pg_get_functiondef(p.oid) AS def, quote_ident(pg_get_userbyid(p.proowner)) AS owner, ${aclExpr('p.proacl')} AS acl,
            ${commentExpr('pg_proc', 'p.oid')} AS comment, ${labelsExpr('pg_proc', 'p.oid')} AS labels,
            array(SELECT x::int FROM unnest(p.proargtypes::oid[] || coalesce(p.proallargtypes, '{}'::oid[]) || ARRAY[p.prorettype]) x) AS types
       FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE p.pronamespace = ANY($1::oid[]) AND p.prokind IN ('f', 'p', 'w') AND ${userMade('pg_proc', 'p.oid')}
      ORDER BY n.nspname, p.proname, p.oid::pg_catalog.regprocedure::text`,
    [ctx.namespaces],
  );
  return r.rows.map((p) => {
    const word = p.kind === 'p' ? 'PROCEDURE' : 'FUNCTION';
    // pg_get_functiondef says CREATE OR REPLACE and ends without a semicolon
    const body = p.def.replace(/^CREATE OR REPLACE /, 'CREATE ').replace(/\s*$/, '');
    const sql = `${body};\n${ownerSql(ctx, word, p.sig, p.owner)}${aclSql(ctx, `${word} ${p.sig}`, p.owner, p.acl)}${commentSql(word, p.sig, p.comment)}${labelSql(word, p.sig, p.labels)}`;
    return {
      key: ref('pg_proc', p.oid),
      desc: word,
      section: 'pre-data' as const,
      catalog: 'pg_proc',
      oid: p.oid,
      schema: p.schema,
      name: p.sig,
      owner: p.owner,
      sql,
      // the types of its signature (pg_depend records them too; a table's row type is the table's)
      deps: p.types.map((t) => ref('pg_type', t)),
      provides: [],
      priority: PRIORITY.function,
    };
  });
}
