// The database itself, as pg_dump --create carries it: ALTER DATABASE … SET, COMMENT ON DATABASE, database grants,
// ALTER ROLE … IN DATABASE … SET. Applied in the schema's transaction and recorded with the target's previous values,
// so a wipe puts them back.
import type pg from 'pg';
import type { DatabaseChanges } from '../../events/schemas.js';
import { inSavepoint } from '../../events/transaction.js';
import { quoteIdent } from '../../events/names.js';
import { existingRoles } from '../pg/roles.js';
import { isOwnSetting, settingSql, splitSetting } from '../pg/settings.js';
import { reservedRoleReason } from '../role-map.js';

export interface DatabaseGrant {
  /** a role name, or PUBLIC */
  grantee: string;
  privilege: string;
  grantable: boolean;
}

export interface SourceDatabase {
  /** name=value, as pg_db_role_setting holds them for the database and no role; pgclone's own left out */
  settings: { name: string; value: string }[];
  comment: string | null;
  grants: DatabaseGrant[];
  /** ALTER ROLE … IN DATABASE (this one) SET: each role's settings in their stored order, the role named as on the target */
  roleSettings: RoleSetting[];
}

export interface RoleSetting {
  role: string;
  name: string;
  value: string;
}

/**
 * Of the roles' settings in the database, those a clone sets on the target — the roles it has (or --roles creates),
 * never a reserved one — and one line for each role left out, saying why.
 */
export function roleSettingsToCopy(settings: RoleSetting[], targetRoles: ReadonlySet<string>): { copy: RoleSetting[]; notes: string[] } {
  const copy: RoleSetting[] = [];
  const left = new Map<string, { why: string; names: string[] }>();
  for (const s of settings) {
    const reserved = reservedRoleReason(s.role);
    const why =
      reserved !== null ? `a clone does not touch that role (${reserved})` : targetRoles.has(s.role) ? null : `the target has no role ${quoteIdent(s.role)}`;
    if (why === null) {
      copy.push(s);
      continue;
    }
    const entry = left.get(s.role) ?? { why, names: [] };
    entry.names.push(s.name);
    left.set(s.role, entry);
  }
  const notes = [...left].map(
    ([role, { why, names }]) => `the settings of role ${quoteIdent(role)} in the source database (${names.join(', ')}) are not copied: ${why}`,
  );
  return { copy, notes };
}

/** One generated statement: the server quotes names and literals (format's %I and %L), never this code. */
async function statement(db: pg.ClientBase, sql: string, params: unknown[]): Promise<string> {
  const r = await db.query<{ sql: string }>(sql, params);
  const text = r.rows[0]?.sql;
  if (text === undefined) throw new Error('a statement was not generated');
  return text;
}

type Row = { settings: string[]; comment: string | null; grants: DatabaseGrant[] | null; owner: string };

/** The current database's settings, comment and grants (other than its owner's own); `effective`: the default ACL when none is set. */
async function readDatabase(db: pg.ClientBase, effective: boolean): Promise<Row> {
  const r = await db.query<Row>(
    `SELECT coalesce((SELECT array_agg(c ORDER BY ord) FROM pg_db_role_setting s, unnest(s.setconfig) WITH ORDINALITY u(c, ord)
                       WHERE s.setrole = 0 AND s.setdatabase = d.oid), '{}') AS settings,
            shobj_description(d.oid, 'pg_database') AS comment,
            pg_get_userbyid(d.datdba) AS owner,
            (SELECT json_agg(json_build_object('grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                                               'privilege', a.privilege_type, 'grantable', a.is_grantable) ORDER BY a.grantee, a.privilege_type)
               FROM aclexplode(CASE WHEN $1 THEN coalesce(d.datacl, acldefault('d', d.datdba)) ELSE d.datacl END) a
              WHERE a.grantee <> d.datdba) AS grants
       FROM pg_database d WHERE d.datname = current_database()`,
    [effective],
  );
  const row = r.rows[0];
  if (!row) throw new Error('the current database is not in pg_database');
  return row;
}

/** Every role's settings in the current database (pg_db_role_setting with this database and a role), in stored order. */
async function readRoleSettings(db: pg.ClientBase): Promise<RoleSetting[]> {
  const r = await db.query<{ role: string; setting: string }>(
    `SELECT pg_get_userbyid(s.setrole) AS role, u.c AS setting FROM pg_db_role_setting s, unnest(s.setconfig) WITH ORDINALITY u(c, ord)
      WHERE s.setrole <> 0 AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY 1, u.ord`,
  );
  return r.rows.map((x) => ({ role: x.role, ...splitSetting(x.setting) })).filter((s) => !isOwnSetting(s.name));
}

export async function readSourceDatabase(source: pg.ClientBase, opts: { noAcl: boolean }): Promise<SourceDatabase> {
  const row = await readDatabase(source, false);
  return {
    settings: row.settings.map(splitSetting).filter((s) => !isOwnSetting(s.name)),
    comment: row.comment,
    grants: opts.noAcl ? [] : (row.grants ?? []),
    roleSettings: await readRoleSettings(source),
  };
}

/** ALTER DATABASE (this one) SET name TO value, or RESET name when value is null. */
export async function setSql(db: pg.ClientBase, name: string, value: string | null): Promise<string> {
  return settingSql(db, { kind: 'database' }, name, value);
}

async function commentSql(db: pg.ClientBase, value: string | null): Promise<string> {
  return statement(db, `SELECT format('COMMENT ON DATABASE %I IS %s', current_database(), coalesce(quote_literal($1::text), 'NULL')) AS sql`, [value]);
}

async function grantSql(db: pg.ClientBase, g: DatabaseGrant, revoke: boolean): Promise<string> {
  return statement(
    db,
    `SELECT format($4::text, $1::text, current_database(), CASE WHEN $2 = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident($2) END) || $3::text AS sql`,
    [
      g.privilege,
      g.grantee,
      revoke ? ' CASCADE' : g.grantable ? ' WITH GRANT OPTION' : '',
      revoke ? 'REVOKE %s ON DATABASE %I FROM %s' : 'GRANT %s ON DATABASE %I TO %s',
    ],
  );
}

/** Make the target database's settings, comment and grants the source's, in the caller's transaction; what was changed, with what it replaced. */
export async function applyDatabase(db: pg.ClientBase, src: SourceDatabase | undefined): Promise<DatabaseChanges | null> {
  if (!src || (src.settings.length === 0 && src.comment === null && src.grants.length === 0 && src.roleSettings.length === 0)) return null;
  const cur = await readDatabase(db, true);
  const had = new Map(cur.settings.map(splitSetting).map((s) => [s.name, s.value]));
  const changes: DatabaseChanges = { settings: [], comment: null, grants: [] };
  for (const s of src.settings) {
    const previous = had.get(s.name) ?? null;
    if (previous === s.value) continue;
    await db.query(await setSql(db, s.name, s.value));
    changes.settings.push({ name: s.name, value: s.value, previous });
  }
  if (src.comment !== null && src.comment !== cur.comment) {
    await db.query(await commentSql(db, src.comment));
    changes.comment = { value: src.comment, previous: cur.comment };
  }
  const held = new Set((cur.grants ?? []).map((g) => `${g.grantee}/${g.privilege}/${g.grantable}`));
  for (const g of src.grants) {
    if (held.has(`${g.grantee}/${g.privilege}/${g.grantable}`) || (!g.grantable && held.has(`${g.grantee}/${g.privilege}/true`))) continue;
    await db.query(await grantSql(db, g, false));
    changes.grants.push(g);
  }
  const roleSettings = await applyRoleSettings(db, src.roleSettings);
  if (roleSettings.length > 0) changes.roleSettings = roleSettings;
  return changes.settings.length + changes.grants.length + roleSettings.length === 0 && changes.comment === null ? null : changes;
}

/** The roles' settings in this database, for the roles the target has (preflight said which it leaves out); what changed. */
async function applyRoleSettings(db: pg.ClientBase, settings: RoleSetting[]): Promise<NonNullable<DatabaseChanges['roleSettings']>> {
  if (settings.length === 0) return [];
  const present = await existingRoles(db, [...new Set(settings.map((s) => s.role))]);
  const had = new Map((await readRoleSettings(db)).map((s) => [`${s.role}\0${s.name}`, s.value]));
  const out: NonNullable<DatabaseChanges['roleSettings']> = [];
  for (const s of settings) {
    if (!present.has(s.role) || reservedRoleReason(s.role) !== null) continue;
    const previous = had.get(`${s.role}\0${s.name}`) ?? null;
    if (previous === s.value) continue;
    const sql = await settingSql(db, { kind: 'role-in-database', role: s.role }, s.name, s.value);
    await db.query(sql).catch((e: unknown) => {
      // the server's reason alone ("must be superuser to alter superusers") does not say which setting
      const err = e as { code?: string; message?: string };
      if (err.code !== '42501') throw e;
      throw Object.assign(new Error(`setting ${s.name} of role ${quoteIdent(s.role)} in the database: ${err.message}`), { code: err.code });
    });
    out.push({ ...s, previous });
  }
  return out;
}

/** Wipe: put back what applyDatabase changed, in the caller's transaction; a line for each. */
export async function undoDatabase(db: pg.ClientBase, c: DatabaseChanges): Promise<string[]> {
  const out: string[] = [];
  for (const s of c.settings) {
    await db.query(await setSql(db, s.name, s.previous));
    out.push(`database setting ${s.name} (${s.previous === null ? 'reset' : 'put back'})`);
  }
  if (c.comment) {
    await db.query(await commentSql(db, c.comment.previous));
    out.push(`database comment (${c.comment.previous === null ? 'removed' : 'put back'})`);
  }
  for (const g of c.grants) {
    await db.query(await grantSql(db, g, true));
    out.push(`database grant of ${g.privilege} to ${g.grantee}`);
  }
  for (const s of c.roleSettings ?? []) {
    // a role dropped since has no settings left to put back
    const sql = await settingSql(db, { kind: 'role-in-database', role: s.role }, s.name, s.previous);
    const r = await inSavepoint(
      db,
      () => db.query(sql),
      (code) => code === '42704',
    );
    const what = `setting ${s.name} of role ${quoteIdent(s.role)} in the database`;
    out.push(r.ok ? `${what} (${s.previous === null ? 'reset' : 'put back'})` : `${what} (the role is gone)`);
  }
  return out;
}
