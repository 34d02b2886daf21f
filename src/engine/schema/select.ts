// What the filters select, as pg_dump selects it: namespaces (--schema, --exclude-schema) and relations (--table,
// --exclude-table); a --table selection reads only relations and what belongs to them.
import type pg from 'pg';
import { matchesAny, parseNamePattern } from '../patterns.js';
import type { ReadOptions } from './model.js';

/** Schemas pgclone never reads: the system's, and its own log. */
export const SYSTEM_SCHEMAS_SQL = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgclone') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;

/** SQL: the object (catalog, oid) is a member of an extension. */
export function extensionMember(catalog: string, oid: string): string {
  return `EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.${catalog}'::pg_catalog.regclass AND e.objid = ${oid} AND e.deptype = 'e')`;
}

/**
 * SQL: the object was made by a user — not built in, not by an extension's script, not internally by another object
 * (a multirange's constructors and casts, a key's index): what goes with something else is not read on its own.
 */
export function userMade(catalog: string, oid: string): string {
  return `${oid} >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend member
            WHERE member.classid = 'pg_catalog.${catalog}'::pg_catalog.regclass AND member.objid = ${oid} AND member.deptype IN ('e', 'i'))`;
}

export interface Selection {
  namespaces: number[];
  relations: number[];
  everything: boolean;
}

export async function selectObjects(db: pg.ClientBase, opts: ReadOptions): Promise<Selection> {
  const f = opts.filters;
  const ns = await db.query<{ oid: number; nspname: string }>(
    `SELECT n.oid::int AS oid, n.nspname FROM pg_catalog.pg_namespace n WHERE ${SYSTEM_SCHEMAS_SQL} AND NOT ${extensionMember('pg_namespace', 'n.oid')} ORDER BY n.nspname`,
  );
  const include = f.schemas.map((s) => parseNamePattern(s).name);
  const exclude = f.excludeSchemas.map((s) => parseNamePattern(s).name);
  const byTable = f.tables.length > 0;
  const schemaOk = (name: string) => (include.length === 0 || include.some((re) => re.test(name))) && !exclude.some((re) => re.test(name));
  const namespaces = byTable ? [] : ns.rows.filter((n) => schemaOk(n.nspname)).map((n) => n.oid);
  // relations in any user schema; identity sequences and other internally owned relations go with their owner
  const rels = await db.query<{ oid: number; schema: string; name: string; nsp: number; owner_table: number | null }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, n.oid::int AS nsp,
            (SELECT d.refobjid::int FROM pg_catalog.pg_depend d
              WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                AND d.deptype = 'a' AND c.relkind = 'S' LIMIT 1) AS owner_table
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${SYSTEM_SCHEMAS_SQL}
        AND NOT ${extensionMember('pg_class', 'c.oid')}
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'i' AND d.refobjid <> c.oid)
      ORDER BY n.nspname, c.relname`,
  );
  const tables = f.tables.map(parseNamePattern);
  const excludedTables = f.excludeTables.map(parseNamePattern);
  const also = new Set(opts.alsoTables.map((t) => `${t.schema}\0${t.name}`));
  const nsOk = new Set(namespaces);
  const chosen = new Set<number>();
  for (const r of rels.rows) {
    const t = { schema: r.schema, name: r.name };
    if (also.has(`${r.schema}\0${r.name}`)) chosen.add(r.oid);
    else if (matchesAny(t, excludedTables) || exclude.some((re) => re.test(r.schema))) continue;
    else if (byTable ? matchesAny(t, tables) : nsOk.has(r.nsp)) chosen.add(r.oid);
  }
  // a sequence owned by a chosen table's column goes with it (pg_dump's owned sequences)
  for (const r of rels.rows)
    if (r.owner_table !== null && chosen.has(r.owner_table) && !matchesAny({ schema: r.schema, name: r.name }, excludedTables)) chosen.add(r.oid);
  const everything = f.schemas.length === 0 && f.tables.length === 0;
  return { namespaces, relations: rels.rows.filter((r) => chosen.has(r.oid)).map((r) => r.oid), everything };
}
