// SQL fragments the readers share (owner, grants, comments, security labels read in the same query as their object)
// and the statements made from what they read. Names come back from the source already quoted (quote_ident, format %I).
import type { ReadContext } from './model.js';

/** One privilege of an ACL, in the order the source's aclitem array holds it. */
export interface AclEntry {
  /** quoted role name, or PUBLIC */
  g: string;
  /** SELECT, UPDATE, EXECUTE, USAGE … */
  p: string;
  /** WITH GRANT OPTION */
  o: boolean;
  /** quoted role name of the grantor */
  r: string;
}

export interface Label {
  provider: string;
  /** a quoted literal */
  label: string;
}

/** SQL: the ACL as a JSON array of AclEntry in array order, or NULL when the ACL is the default (NULL). */
export function aclJson(aclExpr: string): string {
  return `(SELECT json_agg(json_build_object('g', CASE WHEN pgc_a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(pgc_a.grantee)) END,
                  'p', pgc_a.privilege_type, 'o', pgc_a.is_grantable, 'r', quote_ident(pg_get_userbyid(pgc_a.grantor))) ORDER BY pgc_a.n)
             FROM (SELECT pgc_e.*, row_number() OVER () AS n FROM aclexplode(${aclExpr}) pgc_e) pgc_a)`;
}

/** SQL: an empty JSON array for an ACL that is set but grants nothing, to tell it from NULL (the default). */
export function aclExpr(acl: string): string {
  return `CASE WHEN ${acl} IS NULL THEN NULL ELSE coalesce(${aclJson(acl)}, '[]'::json) END`;
}

/** SQL: the quoted comment on an object, or NULL. */
export function commentExpr(catalog: string, oid: string, subid = '0'): string {
  return `(SELECT quote_literal(pgc_d.description) FROM pg_catalog.pg_description pgc_d
            WHERE pgc_d.classoid = 'pg_catalog.${catalog}'::pg_catalog.regclass AND pgc_d.objoid = ${oid} AND pgc_d.objsubid = ${subid})`;
}

/** SQL: the security labels on an object, as a JSON array of Label, or NULL. */
export function labelsExpr(catalog: string, oid: string, subid = '0'): string {
  return `(SELECT json_agg(json_build_object('provider', quote_ident(pgc_l.provider), 'label', quote_literal(pgc_l.label)) ORDER BY pgc_l.provider)
             FROM pg_catalog.pg_seclabel pgc_l
            WHERE pgc_l.classoid = 'pg_catalog.${catalog}'::pg_catalog.regclass AND pgc_l.objoid = ${oid} AND pgc_l.objsubid = ${subid})`;
}

export function ownerSql(ctx: ReadContext, kind: string, ident: string, owner: string | null): string {
  if (ctx.opts.noOwner || owner === null) return '';
  return `ALTER ${kind} ${ident} OWNER TO ${owner};\n`;
}

export function commentSql(kind: string, ident: string, comment: string | null | undefined): string {
  return comment == null ? '' : `COMMENT ON ${kind} ${ident} IS ${comment};\n`;
}

export function labelSql(kind: string, ident: string, labels: Label[] | null | undefined): string {
  return (labels ?? []).map((l) => `SECURITY LABEL FOR ${l.provider} ON ${kind} ${ident} IS ${l.label};\n`).join('');
}

/** Consecutive privileges to one grantee with one grant option, from one grantor, become one GRANT. */
export function grantRuns(acl: AclEntry[]): { g: string; o: boolean; r: string; privs: string[] }[] {
  const out: { g: string; o: boolean; r: string; privs: string[] }[] = [];
  for (const e of acl) {
    const last = out.at(-1);
    if (last && last.g === e.g && last.o === e.o && last.r === e.r) last.privs.push(e.p);
    else out.push({ g: e.g, o: e.o, r: e.r, privs: [e.p] });
  }
  return out;
}

/** A grant made by another role than the owner is made as that role, as pg_dump makes it (the grantor is part of the ACL). */
function asGrantor(ctx: ReadContext, owner: string | null, grantor: string, sql: string): string {
  if (ctx.opts.noOwner || owner === null || grantor === owner) return sql;
  return `SET SESSION AUTHORIZATION ${grantor};\n${sql}RESET SESSION AUTHORIZATION;\n`;
}

/**
 * The grants that give the object exactly the source's ACL, in the source's order: NULL (the default) needs
 * nothing; otherwise everything the default gives is revoked first (from PUBLIC and from the owner), then each
 * entry granted in turn — the target's aclitem array then holds the source's entries in the source's order.
 * `on` is what follows ON: `TABLE public.t`, `FUNCTION public.f(integer)`, `SCHEMA s`.
 */
export function aclSql(ctx: ReadContext, on: string, owner: string | null, acl: AclEntry[] | null | undefined): string {
  if (ctx.opts.noAcl || acl == null) return '';
  let sql = `REVOKE ALL ON ${on} FROM PUBLIC;\n`;
  if (owner !== null) sql += `REVOKE ALL ON ${on} FROM ${owner};\n`;
  for (const r of grantRuns(acl)) sql += asGrantor(ctx, owner, r.r, `GRANT ${r.privs.join(',')} ON ${on} TO ${r.g}${r.o ? ' WITH GRANT OPTION' : ''};\n`);
  return sql;
}

/** Column privileges: `GRANT SELECT (col) ON TABLE t TO r` for each entry; a column's default ACL is empty. */
export function columnAclSql(ctx: ReadContext, table: string, column: string, acl: AclEntry[] | null | undefined, owner: string | null = null): string {
  if (ctx.opts.noAcl || acl == null) return '';
  return grantRuns(acl)
    .map((r) =>
      asGrantor(ctx, owner, r.r, `GRANT ${r.privs.map((p) => `${p}(${column})`).join(',')} ON TABLE ${table} TO ${r.g}${r.o ? ' WITH GRANT OPTION' : ''};\n`),
    )
    .join('');
}

/** `catalog:oid`, the reference items and pg_depend rows are matched by. */
export const ref = (catalog: string, oid: number | string): string => `${catalog}:${oid}`;

/** reloptions (text[] of name=value) as a WITH list. */
export function withOptions(opts: string[] | null | undefined): string {
  if (!opts || opts.length === 0) return '';
  return ` WITH (${opts.map(optionText).join(', ')})`;
}

/** name=value as SQL: the value quoted unless it is a plain word or number. */
export function optionText(o: string): string {
  const i = o.indexOf('=');
  const name = i < 0 ? o : o.slice(0, i);
  const value = i < 0 ? null : o.slice(i + 1);
  if (value === null) return name;
  return `${name}=${/^[A-Za-z0-9_.]+$/.test(value) ? value : `'${value.replace(/'/g, "''")}'`}`;
}

/** Generic options (FDW, server, foreign table, column): OPTIONS (name 'value', …). */
export function genericOptions(opts: string[] | null | undefined): string {
  if (!opts || opts.length === 0) return '';
  const parts = opts.map((o) => {
    const i = o.indexOf('=');
    const name = i < 0 ? o : o.slice(0, i);
    const value = i < 0 ? '' : o.slice(i + 1);
    return `${/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`} '${value.replace(/'/g, "''")}'`;
  });
  return ` OPTIONS (${parts.join(', ')})`;
}
