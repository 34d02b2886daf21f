// The database itself, as pg_dump --create carries it: ALTER DATABASE … SET, COMMENT ON DATABASE, database grants.
// Applied in the schema's transaction and recorded with the target's previous values, so a wipe puts them back.
import type pg from 'pg';
import type { DatabaseChanges } from '../../events/schemas.js';

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
}

/** Settings whose value is a list of identifiers: the server stores each element quoted as needed (pg_dump's variable_is_guc_list_quote). */
const LIST_QUOTE = new Set([
  'local_preload_libraries',
  'search_path',
  'session_preload_libraries',
  'shared_preload_libraries',
  'temp_tablespaces',
  'unix_socket_directories',
]);

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

function splitSetting(s: string): { name: string; value: string } {
  const i = s.indexOf('=');
  return { name: s.slice(0, i), value: s.slice(i + 1) };
}

// pgclone's own settings (pgclone.state among them) are never copied or put back
const isOwn = (name: string) => name.toLowerCase().startsWith('pgclone.');

export async function readSourceDatabase(source: pg.ClientBase, opts: { noAcl: boolean }): Promise<SourceDatabase> {
  const row = await readDatabase(source, false);
  return {
    settings: row.settings.map(splitSetting).filter((s) => !isOwn(s.name)),
    comment: row.comment,
    grants: opts.noAcl ? [] : (row.grants ?? []),
  };
}

/**
 * A stored list value (`public, """abc"""`) as the SQL that stores it again: its elements as they are when each
 * is a plain or quoted identifier, else the whole as one literal (which the server then quotes as one element).
 */
function listValueSql(value: string): string | null {
  const parts = value.match(/\s*("(?:[^"]|"")*"|[^",\s]+)\s*(,|$)/g);
  if (!parts || parts.join('') !== value) return null;
  const elems = parts.map((p) => p.replace(/,$/, '').trim());
  if (elems.some((e) => e === '""')) return null;
  return elems.join(', ');
}

/** ALTER DATABASE (this one) SET name TO value, or RESET name when value is null. */
export async function setSql(db: pg.ClientBase, name: string, value: string | null): Promise<string> {
  if (value === null) {
    return statement(db, `SELECT format('ALTER DATABASE %I RESET %I', current_database(), $1::text) AS sql`, [name]);
  }
  const list = LIST_QUOTE.has(name.toLowerCase()) ? listValueSql(value) : null;
  return statement(db, `SELECT format('ALTER DATABASE %I SET %I TO ', current_database(), $1::text) || coalesce($3, format('%L', $2::text)) AS sql`, [
    name,
    value,
    list,
  ]);
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
  if (!src || (src.settings.length === 0 && src.comment === null && src.grants.length === 0)) return null;
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
  return changes.settings.length + changes.grants.length === 0 && changes.comment === null ? null : changes;
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
  return out;
}
