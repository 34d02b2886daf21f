// The roles the schema names: which they are on the source, and (--roles) creating the missing ones on the target — never a password.
import type pg from 'pg';
import { quoteIdent } from '../../events/names.js';
import type { RunOptions } from '../../events/schemas.js';
import { mapRole, type RoleMapping } from '../role-map.js';
import { isOwnSetting, settingSql, splitSetting } from './settings.js';

/** A source role as `pg_dumpall --roles-only --no-role-passwords` would write it: attributes, VALID UNTIL, its own settings, memberships, comment. */
export interface RoleSpec {
  name: string;
  superuser: boolean;
  inherit: boolean;
  createRole: boolean;
  createDb: boolean;
  login: boolean;
  replication: boolean;
  bypassRls: boolean;
  connLimit: number;
  /** rolvaliduntil as JSON writes a timestamptz (ISO 8601, or `infinity`); null when the role has none */
  validUntil: string | null;
  /** ALTER ROLE … SET (in every database), in stored order; pgclone's own left out */
  settings: { name: string; value: string }[];
  comment: string | null;
  /** roles this one is a member of (names on the target, after the map) */
  memberOf: { role: string; admin: boolean }[];
  /** roles that are members of this one (names on the target, after the map) */
  members: { role: string; admin: boolean }[];
}

/** Every role the dump will name as an owner, grantee or policy role, as the source calls it. */
export async function schemaRoleNames(source: pg.ClientBase, options: Pick<RunOptions, 'noOwner' | 'noAcl'>): Promise<string[]> {
  const r = await source.query<{ rolname: string }>(
    `WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pgclone') AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%')
     SELECT DISTINCT rolname FROM pg_roles WHERE oid IN (
       SELECT unnest(polroles) FROM pg_policy
       UNION SELECT nspowner FROM pg_namespace WHERE $1 AND oid IN (SELECT oid FROM ns)
       UNION SELECT relowner FROM pg_class WHERE $1 AND relnamespace IN (SELECT oid FROM ns)
       UNION SELECT proowner FROM pg_proc WHERE $1 AND pronamespace IN (SELECT oid FROM ns)
       UNION SELECT typowner FROM pg_type WHERE $1 AND typnamespace IN (SELECT oid FROM ns)
       UNION SELECT (aclexplode(nspacl)).grantee FROM pg_namespace WHERE $2 AND oid IN (SELECT oid FROM ns)
       UNION SELECT (aclexplode(relacl)).grantee FROM pg_class WHERE $2 AND relnamespace IN (SELECT oid FROM ns)
       UNION SELECT (aclexplode(proacl)).grantee FROM pg_proc WHERE $2 AND pronamespace IN (SELECT oid FROM ns))
     ORDER BY rolname`,
    [!options.noOwner, !options.noAcl],
  );
  return r.rows.map((x) => x.rolname);
}

type RoleRow = Omit<RoleSpec, 'memberOf' | 'members' | 'settings'> & {
  settings: string[];
  memberOf: { role: string; admin: boolean }[] | null;
  members: { role: string; admin: boolean }[] | null;
};

/** The source's definitions of the named roles (those it has), memberships named as on the target. */
export async function readSourceRoles(source: pg.ClientBase, names: string[], map: RoleMapping[]): Promise<RoleSpec[]> {
  const r = await source.query<RoleRow>(
    `SELECT r.rolname AS name, r.rolsuper AS superuser, r.rolinherit AS inherit, r.rolcreaterole AS "createRole",
            r.rolcreatedb AS "createDb", r.rolcanlogin AS login, r.rolreplication AS replication, r.rolbypassrls AS "bypassRls",
            r.rolconnlimit AS "connLimit", to_json(r.rolvaliduntil) #>> '{}' AS "validUntil",
            coalesce((SELECT array_agg(u.c ORDER BY u.ord) FROM pg_db_role_setting s, unnest(s.setconfig) WITH ORDINALITY u(c, ord)
                       WHERE s.setrole = r.oid AND s.setdatabase = 0), '{}') AS settings,
            shobj_description(r.oid, 'pg_authid') AS comment,
            (SELECT json_agg(json_build_object('role', g.rolname, 'admin', m.admin_option) ORDER BY g.rolname)
               FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid) AS "memberOf",
            (SELECT json_agg(json_build_object('role', g.rolname, 'admin', m.admin_option) ORDER BY g.rolname)
               FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.member WHERE m.roleid = r.oid) AS members
       FROM pg_roles r WHERE r.rolname = ANY($1) ORDER BY r.rolname`,
    [names],
  );
  const named = (l: { role: string; admin: boolean }[] | null) => (l ?? []).map((m) => ({ role: mapRole(m.role, map), admin: m.admin }));
  return r.rows.map((x) => ({
    ...x,
    settings: x.settings.map(splitSetting).filter((s) => !isOwnSetting(s.name)),
    memberOf: named(x.memberOf),
    members: named(x.members),
  }));
}

/** Which of these role names exist on this server. */
export async function existingRoles(db: pg.ClientBase, names: string[]): Promise<Set<string>> {
  const r = await db.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [names]);
  return new Set(r.rows.map((x) => x.rolname));
}

/** The roles of `specs` the target does not have. */
export async function absentRoles(target: pg.ClientBase, specs: RoleSpec[]): Promise<RoleSpec[]> {
  const present = await existingRoles(
    target,
    specs.map((s) => s.name),
  );
  return specs.filter((s) => !present.has(s.name));
}

/** The attributes a role has that only a superuser may grant. */
export function superuserAttributes(s: RoleSpec): string[] {
  return [s.superuser && 'SUPERUSER', s.replication && 'REPLICATION', s.bypassRls && 'BYPASSRLS'].filter((x): x is string => typeof x === 'string');
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** CREATE ROLE with the source's attributes and VALID UNTIL; never a password. */
export function createRoleStatement(s: RoleSpec): string {
  const attrs = [
    s.superuser && 'SUPERUSER',
    !s.inherit && 'NOINHERIT',
    s.createRole && 'CREATEROLE',
    s.createDb && 'CREATEDB',
    s.login ? 'LOGIN' : 'NOLOGIN',
    s.replication && 'REPLICATION',
    s.bypassRls && 'BYPASSRLS',
    s.connLimit >= 0 && `CONNECTION LIMIT ${s.connLimit}`,
    s.validUntil !== null && `VALID UNTIL ${literal(s.validUntil)}`,
  ].filter((x): x is string => typeof x === 'string');
  return `CREATE ROLE ${quoteIdent(s.name)} WITH ${attrs.join(' ')}`;
}

/**
 * Create the roles of `specs` the target lacks, on a connection in a transaction: attributes, VALID UNTIL, their own
 * settings, comments, and memberships among them and to roles the target has (others are left out). Returns the names created.
 */
export async function createRoles(db: pg.ClientBase, specs: RoleSpec[]): Promise<string[]> {
  const missing = await absentRoles(db, specs);
  if (missing.length === 0) return [];
  for (const s of missing) {
    await db.query(createRoleStatement(s));
    for (const g of s.settings) await db.query(await settingSql(db, { kind: 'role', role: s.name }, g.name, g.value));
    if (s.comment !== null) await db.query(`COMMENT ON ROLE ${quoteIdent(s.name)} IS ${literal(s.comment)}`);
  }
  const created = new Set(missing.map((s) => s.name));
  const grants: { role: string; member: string; admin: boolean }[] = [];
  for (const s of missing) {
    for (const m of s.memberOf) grants.push({ role: m.role, member: s.name, admin: m.admin });
    for (const m of s.members) if (!created.has(m.role)) grants.push({ role: s.name, member: m.role, admin: m.admin });
  }
  const names = [...new Set(grants.flatMap((g) => [g.role, g.member]))];
  const exist = await existingRoles(db, names);
  for (const g of grants) {
    if (!exist.has(g.role) || !exist.has(g.member)) continue;
    await db.query(`GRANT ${quoteIdent(g.role)} TO ${quoteIdent(g.member)}${g.admin ? ' WITH ADMIN OPTION' : ''}`);
  }
  return missing.map((s) => s.name);
}
