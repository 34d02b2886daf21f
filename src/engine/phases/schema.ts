// Phase 2: the pre-data schema (and --roles' roles), applied in one transaction with its event and a record of what it created.
import type pg from 'pg';
import { quoteIdent } from '../../events/names.js';
import type { CreatedObject } from '../../events/schemas.js';
import { applyDatabase } from './database.js';
import { createRoles } from '../pg/roles.js';
import { closeTracked, commitWith, openTracked, type RunContext } from '../context.js';

/** Every catalog whose rows pre-data can create; new rows are found by oid, before and after, in one transaction. */
const INVENTORY_SQL = `
SELECT classid::oid::int AS classid, objid::int AS objid FROM (
  SELECT 'pg_namespace'::regclass AS classid, oid AS objid FROM pg_namespace
  UNION ALL SELECT 'pg_class'::regclass, oid FROM pg_class WHERE relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  UNION ALL SELECT 'pg_type'::regclass, oid FROM pg_type WHERE typtype IN ('b', 'c', 'd', 'e', 'r', 'm') AND typrelid = 0 AND NOT (typcategory = 'A' AND typelem <> 0)
  UNION ALL SELECT 'pg_type'::regclass, t.oid FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
  UNION ALL SELECT 'pg_proc'::regclass, oid FROM pg_proc
  UNION ALL SELECT 'pg_extension'::regclass, oid FROM pg_extension
  UNION ALL SELECT 'pg_collation'::regclass, oid FROM pg_collation
  UNION ALL SELECT 'pg_conversion'::regclass, oid FROM pg_conversion
  UNION ALL SELECT 'pg_operator'::regclass, oid FROM pg_operator
  UNION ALL SELECT 'pg_opfamily'::regclass, oid FROM pg_opfamily
  UNION ALL SELECT 'pg_opclass'::regclass, oid FROM pg_opclass
  UNION ALL SELECT 'pg_ts_config'::regclass, oid FROM pg_ts_config
  UNION ALL SELECT 'pg_ts_dict'::regclass, oid FROM pg_ts_dict
  UNION ALL SELECT 'pg_ts_parser'::regclass, oid FROM pg_ts_parser
  UNION ALL SELECT 'pg_ts_template'::regclass, oid FROM pg_ts_template
  UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, oid FROM pg_foreign_data_wrapper
  UNION ALL SELECT 'pg_foreign_server'::regclass, oid FROM pg_foreign_server
  UNION ALL SELECT 'pg_cast'::regclass, oid FROM pg_cast
  UNION ALL SELECT 'pg_language'::regclass, oid FROM pg_language
  UNION ALL SELECT 'pg_transform'::regclass, oid FROM pg_transform
  UNION ALL SELECT 'pg_am'::regclass, oid FROM pg_am
) x`;

type Ref = { classid: number; objid: number };

async function inventory(db: pg.ClientBase): Promise<Ref[]> {
  return (await db.query<Ref>(INVENTORY_SQL)).rows;
}

/**
 * Describe the objects that are new since `before`, leaving out those that go with something else
 * (extension members, and objects bound internally to another object).
 */
async function describeNew(db: pg.ClientBase, before: Ref[]): Promise<CreatedObject[]> {
  const seen = new Set(before.map((r) => `${r.classid}/${r.objid}`));
  const fresh = (await inventory(db)).filter((r) => !seen.has(`${r.classid}/${r.objid}`));
  if (fresh.length === 0) return [];
  const r = await db.query<{ kind: string; identity: string }>(
    `SELECT CASE WHEN o.type = 'type' AND t.typtype = 'd' THEN 'domain' ELSE o.type END AS kind, o.identity
       FROM unnest($1::oid[], $2::oid[]) WITH ORDINALITY AS x(classid, objid, ord)
       CROSS JOIN LATERAL pg_identify_object(x.classid, x.objid, 0) o
       LEFT JOIN pg_type t ON x.classid = 'pg_type'::regclass AND t.oid = x.objid
      WHERE NOT EXISTS (SELECT 1 FROM pg_depend d
                         WHERE d.classid = x.classid AND d.objid = x.objid AND d.deptype IN ('e', 'i'))
      ORDER BY x.ord`,
    [fresh.map((f) => f.classid), fresh.map((f) => f.objid)],
  );
  return r.rows;
}

/**
 * Schemas already on the target, holding nothing (no object depends on them), that the pre-data creates: an
 * operator or a test harness made them ready. They are used as they are — not created, so not recorded as
 * created and never dropped by a wipe. A schema that holds anything stays a conflict (CREATE SCHEMA fails).
 */
async function reusableSchemas(db: pg.ClientBase, sql: string): Promise<{ name: string; ident: string }[]> {
  const r = await db.query<{ name: string; ident: string }>(
    `SELECT n.nspname AS name, quote_ident(n.nspname) AS ident FROM pg_namespace n
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgclone') AND n.nspname !~ '^pg_'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = n.oid)
      ORDER BY n.nspname`,
  );
  return r.rows.filter((x) => createSchemaLine(x.ident).test(sql) || createSchemaLine(quoteIdent(x.name)).test(sql));
}

export function createSchemaLine(ident: string): RegExp {
  return new RegExp(`^CREATE SCHEMA ${ident.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')};$`, 'm');
}

export interface PreDataResult {
  objects: CreatedObject[];
  /** empty schemas the target already had, used rather than created (quoted as pg_identify_object quotes) */
  reusedSchemas: string[];
}

/** Execute pre-data SQL on a connection already in a transaction and return what it created. */
export async function applyPreData(db: pg.ClientBase, sql: string): Promise<PreDataResult> {
  const before = await inventory(db);
  const reused = await reusableSchemas(db, sql);
  let text = sql;
  for (const r of reused) {
    for (const ident of new Set([r.ident, quoteIdent(r.name)])) text = text.replace(createSchemaLine(ident), () => `CREATE SCHEMA IF NOT EXISTS ${ident};`);
  }
  await db.query(text);
  // pg_dump's script sets search_path to '' for the session; the rest of this session does not rely on it
  return { objects: await describeNew(db, before), reusedSchemas: reused.map((r) => r.ident) };
}

export function statementCount(sql: string): number {
  return sql.split('\n').filter((l) => /;\s*$/.test(l) && !l.startsWith('--')).length;
}

/** Step 2: the pre-data SQL and SchemaApplied, with the record of what it created, in one target transaction. */
export async function applySchema(ctx: RunContext): Promise<void> {
  const db = await openTracked(ctx, 'target', 'schema');
  const t0 = Date.now();
  await commitWith(ctx, db, [], async () => {
    // roles first: the pre-data's owners and grants name them
    const rolesCreated = ctx.dump.roles ? await createRoles(db, ctx.dump.roles) : [];
    const { objects, reusedSchemas } = await applyPreData(db, ctx.dump.preDataSql);
    const database = (await applyDatabase(db, ctx.dump.database)) ?? undefined;
    return [
      {
        type: 'SchemaApplied',
        runId: ctx.runId,
        objects,
        reusedSchemas,
        database,
        ...(rolesCreated.length > 0 ? { rolesCreated } : {}),
        statements: statementCount(ctx.dump.preDataSql),
        durationMs: Date.now() - t0,
      },
    ];
  });
  await closeTracked(ctx, db);
}
