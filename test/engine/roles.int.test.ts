// Roles: --roles creates the roles the schema names on a target cluster that lacks them (with VALID UNTIL and their own
// settings, never a password) and wipe drops them again when unused; the roles' settings in the database follow them;
// --role-map writes owners, grantees and those settings under other names; reserved names are refused.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type EmbeddedServer } from '../../src/local/embedded.js';
import { adminQuery, createTestDb, type TestDb } from '../helpers/db.js';
import { createDatabase, query, withDatabase } from '../helpers/pg.js';
import { runCli } from '../helpers/cli.js';

const suffix = randomBytes(3).toString('hex');
const OWNER = `rl_owner_${suffix}`;
const READER = `rl_reader_${suffix}`;
/** a role both clusters have: a created role's membership in it is carried over */
const SHARED = `rl_shared_${suffix}`;
/** target-side names for --role-map, on the test server */
const MAPPED_OWNER = `rl_mowner_${suffix}`;
const MAPPED_READER = `rl_mreader_${suffix}`;
const PLATFORM = `rds_rl_${suffix}`;
const BYPASS = `rl_bypass_${suffix}`;
const ROLES = [READER, OWNER, SHARED, MAPPED_OWNER, MAPPED_READER, PLATFORM, BYPASS];

let source: TestDb;
let server: EmbeddedServer;

const ROLE_ROWS = `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit,
                          rolvaliduntil, rolconfig, shobj_description(oid, 'pg_authid') AS comment
                     FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`;
const MEMBER_ROWS = `SELECT r.rolname AS role, m.rolname AS member, a.admin_option FROM pg_auth_members a
                       JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
                      WHERE r.rolname = ANY($1) OR m.rolname = ANY($1) ORDER BY 1, 2`;
const OWNERS = `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl FROM pg_class c
                 WHERE c.relnamespace = 'app'::regnamespace AND c.relkind = 'r' ORDER BY 1`;
/** the roles' settings in the current database */
const IN_DATABASE = `SELECT pg_get_userbyid(setrole) AS role, setconfig FROM pg_db_role_setting
                      WHERE setrole <> 0 AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1`;
const POLICY_ROLES = `SELECT polname, array(SELECT rolname FROM pg_roles WHERE oid = ANY(polroles) ORDER BY 1)::text AS roles FROM pg_policy ORDER BY 1`;

beforeAll(async () => {
  await adminQuery(`CREATE ROLE ${SHARED} NOLOGIN`);
  await adminQuery(`CREATE ROLE ${OWNER} NOLOGIN CREATEDB CONNECTION LIMIT 4`);
  await adminQuery(`COMMENT ON ROLE ${OWNER} IS 'owns the app''s tables'`);
  await adminQuery(`ALTER ROLE ${OWNER} VALID UNTIL '2031-02-03 04:05:06.5+00'`);
  await adminQuery(`ALTER ROLE ${OWNER} SET search_path TO app, "with space"`);
  await adminQuery(`ALTER ROLE ${OWNER} SET work_mem = '16MB'`);
  await adminQuery(`CREATE ROLE ${READER} LOGIN NOINHERIT PASSWORD 'reader-secret-${suffix}'`);
  await adminQuery(`GRANT ${OWNER} TO ${READER} WITH ADMIN OPTION`);
  await adminQuery(`GRANT ${SHARED} TO ${OWNER}`);
  await adminQuery(`CREATE ROLE ${MAPPED_OWNER} NOLOGIN`);
  await adminQuery(`CREATE ROLE ${MAPPED_READER} NOLOGIN`);
  await adminQuery(`CREATE ROLE ${PLATFORM} NOLOGIN`);
  await adminQuery(`CREATE ROLE ${BYPASS} NOLOGIN BYPASSRLS`);
  source = await createTestDb('roles_src');
  await source.query(`CREATE SCHEMA app;
    CREATE TABLE app.items (id int PRIMARY KEY, owner text);
    INSERT INTO app.items SELECT g, 'u' || g FROM generate_series(1, 50) g;
    ALTER TABLE app.items ENABLE ROW LEVEL SECURITY;
    CREATE POLICY readers ON app.items FOR SELECT TO ${READER} USING (owner <> '${READER}');
    ALTER SCHEMA app OWNER TO ${OWNER};
    ALTER TABLE app.items OWNER TO ${OWNER};
    GRANT USAGE ON SCHEMA app TO ${READER};
    GRANT SELECT ON app.items TO ${READER};`);
  await adminQuery(`ALTER ROLE ${READER} IN DATABASE ${source.name} SET statement_timeout = '7s'`);
  await adminQuery(`ALTER ROLE ${OWNER} IN DATABASE ${source.name} SET lock_timeout = '3s'`);
  server = await startEmbedded({ label: 'roles' });
  await query(server.url, `CREATE ROLE ${SHARED} NOLOGIN`);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  for (const r of ROLES) {
    for (const db of (await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE 'pgclone_t_roles%'`)) as { datname: string }[]) {
      await query(withDatabase(adminUrl(), db.datname), `DROP OWNED BY ${r}`).catch(() => undefined);
    }
  }
  for (const r of ROLES) await adminQuery(`DROP ROLE IF EXISTS ${r}`).catch(() => undefined);
});

function adminUrl(): string {
  return source.url;
}

const ours = [OWNER, READER, SHARED];

describe('--roles on a target cluster that lacks them', () => {
  let target: string;
  let other: string;

  it('creates the roles with their attributes, VALID UNTIL, settings, comments and memberships, never a password; owners, grants, policies and settings in the database land', async () => {
    target = await createDatabase(server.url, 'roles_tgt');
    const r = await runCli(['clone', '--source', source.url, '--target', target, '--roles', '--plain']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await query(target, ROLE_ROWS, [ours])).toEqual(await source.query(ROLE_ROWS, [ours]));
    expect(await query(target, MEMBER_ROWS, [ours])).toEqual(await source.query(MEMBER_ROWS, [ours]));
    expect(await query(target, `SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1) ORDER BY 1`, [[OWNER, READER]])).toEqual([
      { rolname: OWNER, rolpassword: null },
      { rolname: READER, rolpassword: null },
    ]);
    expect(await query(target, OWNERS)).toEqual(await source.query(OWNERS));
    expect(await query(target, POLICY_ROLES)).toEqual(await source.query(POLICY_ROLES));
    expect(await query(target, IN_DATABASE)).toEqual(await source.query(IN_DATABASE));
    expect(await query(target, IN_DATABASE)).toEqual([
      { role: OWNER, setconfig: ['lock_timeout=3s'] },
      { role: READER, setconfig: ['statement_timeout=7s'] },
    ]);
    const owner = await query(target, `SELECT rolconfig, rolvaliduntil = '2031-02-03 04:05:06.5+00' AS until FROM pg_roles WHERE rolname = $1`, [OWNER]);
    expect(owner).toEqual([{ rolconfig: ['search_path=app, "with space"', 'work_mem=16MB'], until: true }]);
    const ev = await query<{ body: { rolesCreated?: string[] } }>(target, `SELECT payload AS body FROM pgclone.events WHERE type = 'SchemaApplied'`);
    expect(ev[0]?.body.rolesCreated?.sort()).toEqual([OWNER, READER].sort());
  }, 120_000);

  it('wipe drops a role it created once nothing uses it, and keeps one that something else on the cluster still uses, saying why', async () => {
    other = await createDatabase(server.url, 'roles_other');
    await query(other, `CREATE TABLE elsewhere (x int); GRANT SELECT ON elsewhere TO ${READER}`);
    const [run] = await query<{ id: string }>(target, `SELECT run_id AS id FROM pgclone.events WHERE type = 'RunStarted'`);
    const w = await runCli(['wipe', String(run?.id), '--target', target, '--yes']);
    expect(w.stderr).toBe('');
    expect(w.code).toBe(0);
    expect(w.stdout).toContain(`dropped role "${OWNER}"`);
    expect(w.stdout).toMatch(new RegExp(`kept role "${READER}": still in use \\(.*in database roles_other`));
    expect((await query(server.url, `SELECT rolname FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1`, [ours])).map((x) => x.rolname)).toEqual(
      [READER, SHARED].sort(),
    );
    const ev = await query<{ body: { kept?: string[] } }>(target, `SELECT payload AS body FROM pgclone.events WHERE type = 'RunWiped'`);
    expect(ev[0]?.body.kept).toHaveLength(1);
    const log = await runCli(['log', String(run?.id), '--target', target]);
    expect(log.stdout).toContain(`kept role "${READER}": still in use`);
    // the kept role's setting in this database went back to none; the dropped role's went with it
    expect(w.stdout).toContain(`dropped setting statement_timeout of role "${READER}" in the database (reset)`);
    expect(await query(target, IN_DATABASE)).toEqual([]);
  }, 120_000);

  it('a second run after the wipe creates the dropped role again and sets both roles in the database again', async () => {
    const r = await runCli(['clone', '--source', source.url, '--target', target, '--roles', '--plain']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await query(target, ROLE_ROWS, [ours])).toEqual(await source.query(ROLE_ROWS, [ours]));
    expect(await query(target, IN_DATABASE)).toEqual(await source.query(IN_DATABASE));
    const ev = await query<{ body: { rolesCreated?: string[] } }>(
      target,
      `SELECT payload AS body FROM pgclone.events WHERE type = 'SchemaApplied' ORDER BY id DESC LIMIT 1`,
    );
    expect(ev[0]?.body.rolesCreated).toEqual([OWNER]);
  }, 120_000);

  it('refuses to create a platform role, naming it (exit 7, nothing written)', async () => {
    const src = await createTestDb('roles_plat');
    await src.query(`CREATE TABLE t (x int); ALTER TABLE t OWNER TO ${PLATFORM}`);
    const tgt = await createDatabase(server.url, 'roles_plat_tgt');
    const r = await runCli(['clone', '--source', src.url, '--target', tgt, '--roles', '--plain']);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`--roles will not create ${PLATFORM} (an Amazon RDS role)`);
    expect(await query(tgt, `SELECT to_regclass('pgclone.events') AS log`)).toEqual([{ log: null }]);
  }, 120_000);

  it('refuses, by name, an attribute only a superuser may grant when the target role is not one (exit 7, nothing written)', async () => {
    const src = await createTestDb('roles_bypass');
    await src.query(`CREATE TABLE t (x int); ALTER TABLE t OWNER TO ${BYPASS}`);
    const admin = `rl_admin_${suffix}`;
    await query(server.url, `CREATE ROLE ${admin} LOGIN CREATEROLE PASSWORD 'admin-${suffix}'`);
    await query(server.url, `CREATE DATABASE roles_bypass_tgt OWNER ${admin}`);
    const tgt = `postgresql://${admin}:admin-${suffix}@127.0.0.1:${server.port}/roles_bypass_tgt`;
    const r = await runCli(['clone', '--source', src.url, '--target', tgt, '--roles', '--plain']);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`--roles: only a superuser may grant BYPASSRLS to ${BYPASS}, and the target role ${admin} is not one`);
    expect(await query(tgt, `SELECT to_regclass('pgclone.events') AS log`)).toEqual([{ log: null }]);
    expect(await query(server.url, `SELECT rolname FROM pg_roles WHERE rolname = $1`, [BYPASS])).toEqual([]);
  }, 120_000);
});

describe('--role-map', () => {
  it('writes owners, grants and policy roles under the mapped names', async () => {
    const target = await createTestDb('roles_map');
    const r = await runCli([
      'clone',
      '--source',
      source.url,
      '--target',
      target.url,
      '--role-map',
      `${OWNER}=${MAPPED_OWNER}`,
      '--role-map',
      `${READER}=${MAPPED_READER}`,
      '--plain',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await target.query(`SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'app'`)).toEqual([{ owner: MAPPED_OWNER }]);
    const rows = await target.query(OWNERS);
    expect(rows).toEqual([{ relname: 'items', owner: MAPPED_OWNER, acl: `{${MAPPED_OWNER}=arwdDxt/${MAPPED_OWNER},${MAPPED_READER}=r/${MAPPED_OWNER}}` }]);
    expect(await target.query(POLICY_ROLES)).toEqual([{ polname: 'readers', roles: `{${MAPPED_READER}}` }]);
    expect(await target.query(IN_DATABASE)).toEqual([
      { role: MAPPED_OWNER, setconfig: ['lock_timeout=3s'] },
      { role: MAPPED_READER, setconfig: ['statement_timeout=7s'] },
    ]);
    // the policy's expression spelled the source role in a string: data, not a role name, so it stays
    expect(await target.query(`SELECT pg_get_expr(polqual, polrelid) AS q FROM pg_policy`)).toEqual([{ q: `(owner <> '${READER}'::text)` }]);
    const opts = await target.query<{ body: { options: { roleMap?: unknown } } }>(`SELECT payload AS body FROM pgclone.events WHERE type = 'RunStarted'`);
    expect(opts[0]?.body.options.roleMap).toEqual([
      { from: OWNER, to: MAPPED_OWNER },
      { from: READER, to: MAPPED_READER },
    ]);
  }, 120_000);

  it('refuses a map to a predefined pg_ role (exit 2) and to a role the target lacks (exit 7)', async () => {
    const target = await createTestDb('roles_bad');
    const pgRole = await runCli(['clone', '--source', source.url, '--target', target.url, '--role-map', `${READER}=pg_read_all_data`, '--plain']);
    expect(pgRole.code).toBe(2);
    expect(pgRole.stderr).toContain(`pg_read_all_data is one of PostgreSQL's predefined roles`);
    const absent = await runCli(['clone', '--source', source.url, '--target', target.url, '--role-map', `${READER}=nobody_${suffix}`, '--plain']);
    expect(absent.code).toBe(7);
    expect(absent.stderr).toContain(`--role-map names roles the target does not have: nobody_${suffix} (for ${READER})`);
  }, 120_000);
});
