// Roles' settings and VALID UNTIL: which roles' settings in the database a clone sets (never a reserved role's), the
// CREATE ROLE --roles writes (VALID UNTIL, never a password), and the record a wipe reads, old logs without it included.
import { describe, expect, it } from 'vitest';
import { roleSettingsToCopy } from '../../src/engine/phases/database.js';
import { createRoleStatement, type RoleSpec } from '../../src/engine/pg/roles.js';
import { foldRun } from '../../src/events/fold.js';
import { LogBuilder, plannedTable } from '../fixtures/events.js';

const spec = (over: Partial<RoleSpec>): RoleSpec => ({
  name: 'app',
  superuser: false,
  inherit: true,
  createRole: false,
  createDb: false,
  login: true,
  replication: false,
  bypassRls: false,
  connLimit: -1,
  validUntil: null,
  settings: [],
  comment: null,
  memberOf: [],
  members: [],
  ...over,
});

describe('roleSettingsToCopy', () => {
  it('keeps the settings of roles the target has, in order, and says once per role why the others are left out', () => {
    const settings = [
      { role: 'app', name: 'work_mem', value: '8MB' },
      { role: 'app', name: 'search_path', value: 'app, public' },
      { role: 'pg_monitor', name: 'work_mem', value: '1MB' },
      { role: 'rds_superuser', name: 'statement_timeout', value: '5s' },
      { role: 'Gone Role', name: 'work_mem', value: '2MB' },
      { role: 'Gone Role', name: 'lock_timeout', value: '1s' },
    ];
    const r = roleSettingsToCopy(settings, new Set(['app', 'pg_monitor', 'rds_superuser']));
    expect(r.copy).toEqual(settings.slice(0, 2));
    expect(r.notes).toEqual([
      `the settings of role "pg_monitor" in the source database (work_mem) are not copied: a clone does not touch that role (PostgreSQL reserves names starting with pg_)`,
      `the settings of role "rds_superuser" in the source database (statement_timeout) are not copied: a clone does not touch that role (an Amazon RDS role)`,
      `the settings of role "Gone Role" in the source database (work_mem, lock_timeout) are not copied: the target has no role "Gone Role"`,
    ]);
  });

  it('has nothing to say when every role is there', () => {
    expect(roleSettingsToCopy([], new Set())).toEqual({ copy: [], notes: [] });
  });
});

describe('createRoleStatement', () => {
  it('writes VALID UNTIL as a literal, and never a password', () => {
    expect(createRoleStatement(spec({ validUntil: '2031-02-03T04:05:06+00:00', connLimit: 3 }))).toBe(
      `CREATE ROLE "app" WITH LOGIN CONNECTION LIMIT 3 VALID UNTIL '2031-02-03T04:05:06+00:00'`,
    );
    expect(createRoleStatement(spec({ name: "o'k", login: false, validUntil: 'infinity' }))).toBe(`CREATE ROLE "o'k" WITH NOLOGIN VALID UNTIL 'infinity'`);
    expect(createRoleStatement(spec({}))).not.toMatch(/PASSWORD|VALID/);
  });
});

describe('SchemaApplied: the roles settings in the database', () => {
  it('are kept in the fold for a wipe to put back, and a log without them still parses', () => {
    const database = {
      settings: [],
      comment: null,
      grants: [],
      roleSettings: [
        { role: 'app', name: 'work_mem', value: '8MB', previous: null },
        { role: 'app', name: 'search_path', value: 'app', previous: 'public' },
      ],
    };
    const b = new LogBuilder('run_role_settings_1').started([plannedTable('t', 1)]).phase('schema');
    expect(foldRun(b.add({ type: 'SchemaApplied', objects: [], database, statements: 1, durationMs: 5 }).build()).databaseChanges).toEqual(database);
    const old = { settings: [{ name: 'work_mem', value: '8MB', previous: null }], comment: null, grants: [] };
    const o = new LogBuilder('run_role_settings_2').started([plannedTable('t', 1)]).phase('schema');
    expect(foldRun(o.add({ type: 'SchemaApplied', objects: [], database: old, statements: 1, durationMs: 5 }).build()).databaseChanges).toEqual(old);
  });
});
