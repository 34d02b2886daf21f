// The built-in engine's readers of the less common kinds: each kind made on a source, read, applied to a target that
// has what the items need, and the two compared (pg_dump --schema-only with owners and grants, and catalog rows);
// what cannot be reproduced is refused by name, and the completeness probe names what no item covers.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadContext, SchemaItem, Unsupported } from '../../src/engine/schema/model.js';
import { completenessProbe } from '../../src/engine/schema/probe.js';
import { readExtra, type ExtraReading } from '../../src/engine/schema/read-extra.js';
import { adminQuery, connect, createTestDb, dropAllTestDbs, serverUrl, type TestDb } from '../helpers/db.js';
import { pgDumpFor, pgEnv, serverMajor } from '../helpers/compare.js';

/** pg_dump where one can read the test server (a machine with Node only has none: the catalog rows below still judge) */
const pgDump = await pgDumpFor(await serverMajor(serverUrl()));

const run = promisify(execFile);
const suffix = randomBytes(3).toString('hex');
const ROLE = `xtra_role_${suffix}`;
const READER = `xtra_reader_${suffix}`;
/** the reader logs in with a password: an embedded test server asks for one (scram), a trust server ignores it */
const READER_PASSWORD = `pw_${suffix}`;

/** What the items need on the target: made with plain SQL on both databases. */
const PREREQ = `
  CREATE SCHEMA ext;
  CREATE SCHEMA "Odd Schema";
  CREATE TYPE ext.mood AS ENUM ('sad', 'ok', 'happy');
  CREATE FUNCTION ext.mood_int(ext.mood) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT array_position(enum_range(NULL::ext.mood), $1) $$;
  CREATE TABLE ext.t (id int PRIMARY KEY, note text, secret text);
  CREATE TABLE ext.u (id int);
  CREATE TABLE "Odd Schema".v (id int);
  CREATE FUNCTION ext.add(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
  CREATE FUNCTION ext.sub(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 - $2';
  CREATE FUNCTION ext.inc(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 1';
  CREATE FUNCTION ext.fin(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 10';
  CREATE FUNCTION ext.fin_extra(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1';
  CREATE FUNCTION ext.int_eq(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
  CREATE FUNCTION ext.int_ne(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 <> $2';
  CREATE FUNCTION ext.int_lt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 < $2';
  CREATE FUNCTION ext.int_gt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 > $2';
  CREATE FUNCTION ext.neg(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT -$1';
  CREATE FUNCTION ext.noop_evt() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN END$$;
`;

/** One object (or more) of every kind the readers cover, with owners, grants and comments. */
const OBJECTS_ALL = `
  -- aggregates: every option, zero arguments, ordered-set and hypothetical-set
  CREATE AGGREGATE ext.my_sum(int) (SFUNC = ext.add, STYPE = int, INITCOND = '0', FINALFUNC = ext.fin, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = ext.add, MSFUNC = ext.add, MINVFUNC = ext.sub, MSTYPE = int, MINITCOND = '0', MFINALFUNC = ext.fin,
    MFINALFUNC_MODIFY = SHAREABLE, SORTOP = OPERATOR(pg_catalog.>), PARALLEL = SAFE);
  CREATE AGGREGATE ext.my_avg(numeric) (SFUNC = numeric_avg_accum, STYPE = internal, SSPACE = 128, FINALFUNC = numeric_avg,
    COMBINEFUNC = numeric_avg_combine, SERIALFUNC = numeric_avg_serialize, DESERIALFUNC = numeric_avg_deserialize,
    MSFUNC = numeric_avg_accum, MINVFUNC = numeric_accum_inv, MSTYPE = internal, MSSPACE = 64, MFINALFUNC = numeric_avg, PARALLEL = RESTRICTED);
  CREATE AGGREGATE ext.extra(int) (SFUNC = ext.add, STYPE = int, FINALFUNC = ext.fin_extra, FINALFUNC_EXTRA);
  CREATE AGGREGATE ext.cnt(*) (SFUNC = ext.inc, STYPE = int, INITCOND = '0');
  CREATE AGGREGATE ext.pct(float8 ORDER BY anyelement) (SFUNC = ordered_set_transition, STYPE = internal,
    FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA);
  CREATE AGGREGATE ext.hrank(VARIADIC "any" ORDER BY VARIADIC "any") (SFUNC = ordered_set_transition_multi, STYPE = internal,
    FINALFUNC = rank_final, FINALFUNC_EXTRA, HYPOTHETICAL);
  ALTER AGGREGATE ext.my_sum(int) OWNER TO ${ROLE};
  REVOKE ALL ON FUNCTION ext.my_sum(int) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION ext.my_sum(int) TO ${READER} WITH GRANT OPTION;
  REVOKE EXECUTE ON FUNCTION ext.cnt() FROM PUBLIC;
  COMMENT ON AGGREGATE ext.pct(float8 ORDER BY anyelement) IS 'a percentile';
  COMMENT ON AGGREGATE ext.cnt(*) IS 'counts';

  -- operators: commutator and negator pairs, a prefix operator, a commutator that stays a shell
  CREATE OPERATOR ext.=== (FUNCTION = ext.int_eq, LEFTARG = int, RIGHTARG = int, COMMUTATOR = OPERATOR(ext.===), NEGATOR = OPERATOR(ext.!==),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
  CREATE OPERATOR ext.!== (FUNCTION = ext.int_ne, LEFTARG = int, RIGHTARG = int, COMMUTATOR = OPERATOR(ext.!==), NEGATOR = OPERATOR(ext.===),
    RESTRICT = neqsel, JOIN = neqjoinsel);
  CREATE OPERATOR ext.<<< (FUNCTION = ext.int_lt, LEFTARG = int, RIGHTARG = int, COMMUTATOR = OPERATOR(ext.>>>));
  CREATE OPERATOR ext.>>> (FUNCTION = ext.int_gt, LEFTARG = int, RIGHTARG = int, COMMUTATOR = OPERATOR(ext.<<<));
  CREATE OPERATOR ext.~~~ (FUNCTION = ext.neg, RIGHTARG = int);
  CREATE OPERATOR ext.<~> (FUNCTION = ext.int_lt, LEFTARG = int, RIGHTARG = int, COMMUTATOR = OPERATOR(ext.<~~>));
  COMMENT ON OPERATOR ext.=== (int, int) IS 'triple equals';
  ALTER OPERATOR ext.~~~ (NONE, int) OWNER TO ${ROLE};

  -- operator families and classes: loose members, an implicit family, STORAGE and FOR ORDER BY (GiST's members are loose)
  CREATE OPERATOR FAMILY ext.fam USING btree;
  CREATE OPERATOR CLASS ext.int_cls FOR TYPE int USING btree FAMILY ext.fam AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(int, int);
  ALTER OPERATOR FAMILY ext.fam USING btree ADD OPERATOR 1 < (int, bigint), OPERATOR 3 = (int, bigint), FUNCTION 1 (int, bigint) btint48cmp(int, bigint);
  CREATE OPERATOR CLASS ext.int_hash FOR TYPE int USING hash AS OPERATOR 1 ext.===, FUNCTION 1 hashint4(int);
  CREATE OPERATOR CLASS ext.pt_ops FOR TYPE point USING gist AS STORAGE box,
    OPERATOR 1 <<, OPERATOR 15 <-> (point, point) FOR ORDER BY pg_catalog.float_ops,
    FUNCTION 1 gist_point_consistent(internal, point, smallint, oid, internal), FUNCTION 2 gist_box_union(internal, internal),
    FUNCTION 3 gist_point_compress(internal), FUNCTION 5 gist_box_penalty(internal, internal, internal),
    FUNCTION 6 gist_box_picksplit(internal, internal), FUNCTION 7 gist_box_same(box, box, internal),
    FUNCTION 8 gist_point_distance(internal, point, smallint, oid, internal);
  COMMENT ON OPERATOR FAMILY ext.fam USING btree IS 'a family';
  COMMENT ON OPERATOR CLASS ext.int_hash USING hash IS 'a class';
  ALTER OPERATOR CLASS ext.int_cls USING btree OWNER TO ${ROLE};

  -- casts, a conversion, collations
  CREATE CAST (ext.mood AS int) WITH FUNCTION ext.mood_int(ext.mood) AS ASSIGNMENT;
  CREATE CAST (xid AS int) WITHOUT FUNCTION;
  CREATE CAST (ext.mood AS text) WITH INOUT AS IMPLICIT;
  COMMENT ON CAST (ext.mood AS int) IS 'mood as a number';
  CREATE CONVERSION ext.my_conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
  COMMENT ON CONVERSION ext.my_conv IS 'latin';
  CREATE COLLATION ext.c_posix (locale = 'POSIX');
  CREATE COLLATION ext.mixed (lc_collate = 'C', lc_ctype = 'POSIX');
  CREATE COLLATION "Odd Schema"."Case Blind" (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
  ALTER COLLATION "Odd Schema"."Case Blind" OWNER TO ${ROLE};
  COMMENT ON COLLATION ext.c_posix IS 'posix';

  -- text search
  CREATE TEXT SEARCH DICTIONARY ext.stem (TEMPLATE = snowball, language = 'english', stopwords = 'english');
  CREATE TEXT SEARCH DICTIONARY ext.simple_d (TEMPLATE = pg_catalog.simple, stopwords = 'english', accept = false);
  CREATE TEXT SEARCH CONFIGURATION ext.cfg (PARSER = default);
  ALTER TEXT SEARCH CONFIGURATION ext.cfg ADD MAPPING FOR asciiword, word WITH ext.stem, ext.simple_d;
  ALTER TEXT SEARCH CONFIGURATION ext.cfg ADD MAPPING FOR int WITH simple;
  COMMENT ON TEXT SEARCH CONFIGURATION ext.cfg IS 'a configuration';
  ALTER TEXT SEARCH DICTIONARY ext.stem OWNER TO ${ROLE};

  -- foreign-data wrappers, servers, user mappings (one with a password, which is never copied)
  CREATE FOREIGN DATA WRAPPER my_fdw OPTIONS (debug 'true', "Odd Option" 'it''s');
  CREATE FOREIGN DATA WRAPPER fdw2 VALIDATOR postgresql_fdw_validator;
  GRANT USAGE ON FOREIGN DATA WRAPPER my_fdw TO ${ROLE};
  COMMENT ON FOREIGN DATA WRAPPER my_fdw IS 'a wrapper';
  CREATE SERVER srv1 TYPE 'pg' VERSION '15' FOREIGN DATA WRAPPER fdw2 OPTIONS (host 'localhost', port '5432', dbname 'x');
  CREATE SERVER "Srv Two" FOREIGN DATA WRAPPER my_fdw;
  ALTER SERVER "Srv Two" OWNER TO ${ROLE};
  GRANT USAGE ON FOREIGN SERVER srv1 TO ${READER};
  COMMENT ON SERVER srv1 IS 'a server';
  CREATE USER MAPPING FOR postgres SERVER srv1 OPTIONS (user 'remote', password 'secret');
  CREATE USER MAPPING FOR PUBLIC SERVER srv1 OPTIONS (user 'anon');
  CREATE USER MAPPING FOR ${ROLE} SERVER "Srv Two";

  -- publications: all tables, tables with a column list and a row filter (15+), a schema (15+)
  CREATE PUBLICATION pub_all FOR ALL TABLES WITH (publish = 'insert, update');
  CREATE PUBLICATION pub_some FOR TABLE ext.t (id, note) WHERE (id > 10), ext.u WITH (publish_via_partition_root = true);
  CREATE PUBLICATION "Pub Schema" FOR TABLES IN SCHEMA "Odd Schema" WITH (publish = 'truncate');
  COMMENT ON PUBLICATION pub_some IS 'some tables';

  -- event triggers in each state
  CREATE EVENT TRIGGER evt_off ON ddl_command_start WHEN TAG IN ('CREATE TABLE', 'DROP TABLE') EXECUTE FUNCTION ext.noop_evt();
  ALTER EVENT TRIGGER evt_off DISABLE;
  CREATE EVENT TRIGGER evt_always ON sql_drop EXECUTE FUNCTION ext.noop_evt();
  ALTER EVENT TRIGGER evt_always ENABLE ALWAYS;
  CREATE EVENT TRIGGER evt_replica ON ddl_command_end EXECUTE FUNCTION ext.noop_evt();
  ALTER EVENT TRIGGER evt_replica ENABLE REPLICA;
  COMMENT ON EVENT TRIGGER evt_always IS 'on drops';

  -- default privileges, global and per schema (last: they change what is made after them)
  ALTER DEFAULT PRIVILEGES FOR ROLE ${ROLE} GRANT SELECT ON TABLES TO PUBLIC;
  ALTER DEFAULT PRIVILEGES FOR ROLE ${ROLE} REVOKE USAGE ON TYPES FROM PUBLIC;
  ALTER DEFAULT PRIVILEGES FOR ROLE postgres REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
  ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT CREATE ON SCHEMAS TO ${READER};
  ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA ext GRANT SELECT, UPDATE ON SEQUENCES TO ${READER} WITH GRANT OPTION;
  ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA "Odd Schema" GRANT USAGE ON TYPES TO ${ROLE}, ${READER};
`;

/**
 * The fixture in the syntax of the server's version: before 15 a publication has no column list, row filter or
 * schema; ICU tailoring rules are 16's, the builtin collation provider 17's, publishing generated columns 18's.
 */
function objects(version: number): string {
  let sql = OBJECTS_ALL;
  if (version >= 160000) sql += `CREATE COLLATION ext.ruled (provider = icu, locale = 'und', rules = '&a < g');\n`;
  if (version >= 170000) sql += `CREATE COLLATION ext.plain (provider = builtin, locale = 'C.UTF-8');\n`;
  if (version >= 180000) sql += `CREATE PUBLICATION pub_gen FOR TABLE ext.u WITH (publish_generated_columns = stored);\n`;
  if (version >= 150000) return sql;
  return sql
    .replace('FOR TABLE ext.t (id, note) WHERE (id > 10), ext.u', 'FOR TABLE ext.t, ext.u')
    .replace(`CREATE PUBLICATION "Pub Schema" FOR TABLES IN SCHEMA "Odd Schema"`, `CREATE PUBLICATION "Pub Schema"`);
}

/** The kinds (pg_identify_object's words) read-extra makes. */
const EXTRA_KINDS = [
  'aggregate',
  'operator',
  'operator class',
  'operator family',
  'cast',
  'conversion',
  'collation',
  'text search dictionary',
  'text search configuration',
  'foreign-data wrapper',
  'server',
  'user mapping',
  'publication',
  'publication relation',
  'publication namespace',
  'event trigger',
  'default acl',
];

/** pg_dump --schema-only with owners and grants, without the lines that differ between any two dumps. */
async function dump(url: string): Promise<string> {
  const { stdout } = await run(pgDump ?? 'pg_dump', ['--schema-only'], { env: pgEnv(url), maxBuffer: 64 << 20 });
  return stdout
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- Dumped (from|by)/.test(l))
    .join('\n');
}

/** A reading as the engine makes one: a REPEATABLE READ transaction with search_path empty; every user schema and relation. */
async function reading(c: pg.Client, everything = true): Promise<ReadContext> {
  await c.query(`BEGIN ISOLATION LEVEL REPEATABLE READ`);
  await c.query(`SET LOCAL search_path = ''`);
  const version = Number((await c.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
  const ns = await c.query<{ oid: number }>(
    `SELECT oid::int FROM pg_catalog.pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_' ORDER BY nspname`,
  );
  const rels = await c.query<{ oid: number }>(
    `SELECT c.oid::int FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'`,
  );
  return {
    db: c,
    version,
    opts: { filters: { schemas: [], excludeSchemas: [], tables: [], excludeTables: [], excludeTableData: [] }, alsoTables: [], noOwner: false, noAcl: false },
    namespaces: ns.rows.map((r) => r.oid),
    relations: rels.rows.map((r) => r.oid),
    everything,
  };
}

async function readFrom(db: TestDb): Promise<ExtraReading & { ctx: ReadContext; client: pg.Client }> {
  const client = await db.client();
  const ctx = await reading(client);
  return { ...(await readExtra(ctx)), ctx, client };
}

/** Each item's SQL in the order of priority, then as read. */
async function apply(target: TestDb, items: SchemaItem[]): Promise<void> {
  const c = await target.client();
  try {
    await c.query(`SET search_path = ''; SET check_function_bodies = off`);
    for (const it of [...items].sort((a, b) => a.priority - b.priority)) {
      try {
        await c.query(it.sql);
      } catch (e) {
        throw new Error(`${it.desc} ${it.name}: ${(e as Error).message}\n${it.sql}`, { cause: e });
      }
    }
  } finally {
    await c.end();
  }
}

const byText = (list: Unsupported[]) => list.map((u) => `${u.kind}: ${u.identity}: ${u.why}`).sort();
const covers = (items: SchemaItem[]) => new Set(items.flatMap((i) => [i.key, ...i.provides]));

let source: TestDb;
let target: TestDb;
let read: Awaited<ReturnType<typeof readFrom>>;
let version: number;

beforeAll(async () => {
  await adminQuery(`CREATE ROLE ${ROLE} NOLOGIN`);
  await adminQuery(`CREATE ROLE ${READER} LOGIN PASSWORD '${READER_PASSWORD}'`);
  source = await createTestDb('xtra_src');
  target = await createTestDb('xtra_dst');
  await source.query(PREREQ);
  await target.query(PREREQ);
  version = Number((await source.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`))[0]!.v);
  await source.query(objects(version));
  read = await readFrom(source);
  await apply(target, read.items);
});

afterAll(async () => {
  await read?.client.end();
  await dropAllTestDbs();
  await adminQuery(`DROP ROLE IF EXISTS ${ROLE}`);
  await adminQuery(`DROP ROLE IF EXISTS ${READER}`);
});

describe('read-extra', () => {
  it.runIf(pgDump !== null)('reproduces every kind: the target dumps as the source does, but for the password never copied', async () => {
    const [s, t] = await Promise.all([dump(source.url), dump(target.url)]);
    expect(s).toContain(`password 'secret'`);
    expect(t).not.toContain(`password 'secret'`);
    expect(t).toBe(s.replace(`    password 'secret',\n`, ''));
    expect(read.notes).toEqual([`user mapping for postgres on server srv1: its password was not copied (pgclone never copies a secret)`]);
    expect(read.unsupported).toEqual([]);
  });

  it('gives each item its kind, catalog reference, section and priority', () => {
    const byDesc = new Map<string, SchemaItem[]>();
    for (const i of read.items) byDesc.set(i.desc, [...(byDesc.get(i.desc) ?? []), i]);
    const count = Object.fromEntries([...byDesc].map(([d, l]) => [d, l.length]));
    expect(count).toEqual({
      AGGREGATE: 6,
      OPERATOR: 6,
      'OPERATOR FAMILY': 3,
      'OPERATOR CLASS': 3,
      CAST: 3,
      CONVERSION: 1,
      COLLATION: 3 + (version >= 160000 ? 1 : 0) + (version >= 170000 ? 1 : 0),
      'TEXT SEARCH DICTIONARY': 2,
      'TEXT SEARCH CONFIGURATION': 1,
      'FOREIGN DATA WRAPPER': 2,
      SERVER: 2,
      'USER MAPPING': 3,
      PUBLICATION: version >= 180000 ? 4 : 3,
      'PUBLICATION TABLE': version >= 180000 ? 3 : 2,
      ...(version >= 150000 ? { 'PUBLICATION TABLES IN SCHEMA': 1 } : {}),
      'EVENT TRIGGER': 3,
      'DEFAULT ACL': 6,
    });
    for (const i of read.items) {
      expect(i.key).toBe(`${i.catalog}:${i.oid}`);
      expect(i.sql).toMatch(/;\n$/);
      expect(i.section).toBe(['PUBLICATION', 'PUBLICATION TABLE', 'PUBLICATION TABLES IN SCHEMA', 'EVENT TRIGGER'].includes(i.desc) ? 'post-data' : 'pre-data');
    }
    // the operator whose commutator was never made provides the shell PostgreSQL made for it
    const shellMaker = read.items.find((i) => i.desc === 'OPERATOR' && i.name.startsWith('<~>('));
    expect(shellMaker?.provides).toHaveLength(1);
    // the table of a publication goes after the publication
    for (const i of read.items.filter((x) => x.desc.startsWith('PUBLICATION TABLE'))) expect(i.deps[0]).toMatch(/^pg_publication:\d+$/);
    // a family's loose members need their operators and functions first
    const fam = read.items.find((i) => i.desc === 'OPERATOR FAMILY' && i.name === 'fam USING btree');
    expect(fam?.sql).toContain('ALTER OPERATOR FAMILY ext.fam USING btree ADD');
    const hash = read.items.find((i) => i.desc === 'OPERATOR CLASS' && i.name === 'int_hash USING hash');
    const eq = read.items.find((i) => i.desc === 'OPERATOR' && i.name.startsWith('===('));
    expect(hash?.deps).toContain(eq?.key);
  });

  it('reads the same text on every reading of an unchanged source', async () => {
    const again = await readFrom(source);
    try {
      expect(again.items.map((i) => i.sql)).toEqual(read.items.map((i) => i.sql));
    } finally {
      await again.client.end();
    }
  });

  it('keeps every catalog fact pg_dump does not show: members tied to class or family, operator links, default ACL order', async () => {
    const facts = `
      SELECT 'amop ' || f.opfname || ' ' || ao.amopstrategy || ' ' || ao.amopopr::regoperator || ' ' || d.refclassid::regclass || ' ' || d.deptype::text AS x
        FROM pg_amop ao JOIN pg_opfamily f ON f.oid = ao.amopfamily JOIN pg_depend d ON d.classid = 'pg_amop'::regclass AND d.objid = ao.oid
       WHERE f.opfnamespace = 'ext'::regnamespace AND d.refclassid IN ('pg_opclass'::regclass, 'pg_opfamily'::regclass)
      UNION ALL
      SELECT 'amproc ' || f.opfname || ' ' || ap.amprocnum || ' ' || ap.amproc::regprocedure || ' ' || d.refclassid::regclass || ' ' || d.deptype::text
        FROM pg_amproc ap JOIN pg_opfamily f ON f.oid = ap.amprocfamily JOIN pg_depend d ON d.classid = 'pg_amproc'::regclass AND d.objid = ap.oid
       WHERE f.opfnamespace = 'ext'::regnamespace AND d.refclassid IN ('pg_opclass'::regclass, 'pg_opfamily'::regclass)
      UNION ALL
      SELECT 'opr ' || o.oid::regoperator || ' code ' || o.oprcode || ' com ' || coalesce(o.oprcom::regoperator::text, '-') || ' neg ' || coalesce(o.oprnegate::regoperator::text, '-')
        FROM pg_operator o WHERE o.oprnamespace = 'ext'::regnamespace
      UNION ALL
      SELECT 'defacl ' || pg_get_userbyid(defaclrole) || ' ' || defaclnamespace::regnamespace || ' ' || defaclobjtype::text || ' ' || defaclacl::text FROM pg_default_acl
      UNION ALL
      SELECT 'agg ' || aggfnoid::regprocedure || ' ' || row(aggkind, aggnumdirectargs, aggtransfn, aggfinalfn, aggcombinefn, aggserialfn, aggdeserialfn,
             aggmtransfn, aggminvtransfn, aggmfinalfn, aggfinalextra, aggmfinalextra, aggfinalmodify, aggmfinalmodify, aggsortop::regoperator,
             aggtranstype::regtype, aggtransspace, aggmtranstype::regtype, aggmtransspace, agginitval, aggminitval)::text
        FROM pg_aggregate WHERE aggfnoid::regprocedure::text LIKE 'ext.%'
      UNION ALL
      SELECT 'coll ' || (to_jsonb(c) - 'oid' - 'collnamespace' - 'collowner' - 'collversion')::text FROM pg_collation c WHERE collnamespace <> 'pg_catalog'::regnamespace
      UNION ALL
      SELECT 'um ' || srvname || ' ' || usename || ' ' || coalesce(umoptions::text, '-') FROM pg_user_mappings
      UNION ALL
      SELECT 'evt ' || evtname || ' ' || evtevent || ' ' || evtenabled::text || ' ' || coalesce(evttags::text, '-') FROM pg_event_trigger
      UNION ALL
      SELECT 'pub ' || pubname || ' ' || (to_jsonb(p) - 'oid' - 'pubowner')::text FROM pg_publication p
      UNION ALL
      SELECT 'cast ' || format_type(castsource, NULL) || ' ' || format_type(casttarget, NULL) || ' ' || castmethod::text || castcontext::text || ' '
             || coalesce(NULLIF(castfunc, 0)::regprocedure::text, '-') FROM pg_cast WHERE oid >= 16384
      UNION ALL
      SELECT 'conv ' || conname || ' ' || conforencoding || ' ' || contoencoding || ' ' || conproc::text || ' ' || condefault FROM pg_conversion WHERE oid >= 16384
      UNION ALL
      SELECT 'opc ' || opcname || ' ' || opcdefault || ' ' || opcintype::regtype || ' ' || opckeytype::regtype || ' ' || (SELECT opfname FROM pg_opfamily WHERE oid = opcfamily)
        FROM pg_opclass WHERE oid >= 16384
      UNION ALL
      SELECT 'dict ' || dictname || ' ' || (SELECT tmplname FROM pg_ts_template WHERE oid = dicttemplate) || ' ' || coalesce(dictinitoption, '-') FROM pg_ts_dict WHERE oid >= 16384
      UNION ALL
      SELECT 'tsmap ' || c.cfgname || ' ' || m.maptokentype || ' ' || m.mapseqno || ' ' || m.mapdict::regdictionary
        FROM pg_ts_config_map m JOIN pg_ts_config c ON c.oid = m.mapcfg WHERE c.oid >= 16384
      UNION ALL
      SELECT 'fdw ' || fdwname || ' ' || fdwhandler::regproc::text || ' ' || fdwvalidator::regproc::text || ' ' || coalesce(fdwoptions::text, '-') || ' ' || coalesce(fdwacl::text, '-')
        FROM pg_foreign_data_wrapper
      UNION ALL
      SELECT 'srv ' || srvname || ' ' || coalesce(srvtype, '-') || ' ' || coalesce(srvversion, '-') || ' ' || coalesce(srvoptions::text, '-') || ' ' || coalesce(srvacl::text, '-')
        FROM pg_foreign_server
      UNION ALL
      SELECT 'comment ' || (pg_identify_object(classoid, objoid, objsubid)).type || ' ' || (pg_identify_object(classoid, objoid, objsubid)).identity || ' ' || description
        FROM pg_description WHERE objoid >= 16384
      UNION ALL
      SELECT 'pubrel ' || p.pubname || ' ' || r.prrelid::regclass || ' ' || (to_jsonb(r) - 'oid' - 'prpubid' - 'prrelid' - 'prqual')::text
             || ' ' || ${version >= 150000 ? `coalesce(pg_get_expr(r.prqual, r.prrelid), '-')` : `'-'`}
        FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid
      ORDER BY 1`;
    const [s, t] = await Promise.all([source.query<{ x: string }>(facts), target.query<{ x: string }>(facts)]);
    const src = s.map((r) => r.x).map((x) => x.replace(',password=secret', ''));
    expect(t.map((r) => r.x)).toEqual(src);
    // from 14 on GiST's operators are the family's (amadjustmembers), its required functions the class's: both paths were taken
    expect(src.filter((x) => x.startsWith('amop pt_ops')).every((x) => x.includes(version >= 140000 ? 'pg_opfamily' : 'pg_opclass'))).toBe(true);
    expect(src.some((x) => x.startsWith('amproc pt_ops 1 ') && x.includes('pg_opclass'))).toBe(true);
    expect(src.some((x) => x.startsWith('opr ext.<~~>(integer,integer) code -'))).toBe(true);
  });

  it('reads nothing schemaless without everything, and no grants with noAcl', async () => {
    const c = await source.client();
    try {
      const ctx = await reading(c, false);
      const r = await readExtra({ ...ctx, opts: { ...ctx.opts, noAcl: true, noOwner: true } });
      const descs = new Set(r.items.map((i) => i.desc));
      for (const d of ['FOREIGN DATA WRAPPER', 'SERVER', 'USER MAPPING', 'PUBLICATION', 'PUBLICATION TABLE', 'EVENT TRIGGER', 'DEFAULT ACL'])
        expect(descs.has(d)).toBe(false);
      // a cast is still read when its function or one of its types is; one between two built-in types is not
      expect(r.items.filter((i) => i.desc === 'CAST').map((i) => i.name)).toEqual(['ext.mood AS integer', 'ext.mood AS text']);
      for (const i of r.items) expect(i.sql).not.toMatch(/OWNER TO|GRANT|REVOKE/);
    } finally {
      await c.end();
    }
  });
});

describe('refusals and the completeness probe', () => {
  let db: TestDb;
  /** pg_identify_object's words for a transform changed with the version */
  let TRANSFORM: string;

  beforeAll(async () => {
    db = await createTestDb('xtra_refuse');
    await db.query(`
      CREATE SCHEMA ext;
      CREATE TEXT SEARCH TEMPLATE ext.tmpl (INIT = dsimple_init, LEXIZE = dsimple_lexize);
      CREATE TEXT SEARCH PARSER ext.prs (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
      CREATE ACCESS METHOD my_am TYPE INDEX HANDLER bthandler;
      CREATE LANGUAGE my_lang HANDLER plpgsql_call_handler;
      CREATE TRANSFORM FOR int LANGUAGE my_lang (FROM SQL WITH FUNCTION gtsvector_compress(internal), TO SQL WITH FUNCTION int4recv(internal));
      CREATE FOREIGN DATA WRAPPER w;
      CREATE SERVER s FOREIGN DATA WRAPPER w;
      CREATE USER MAPPING FOR postgres SERVER s OPTIONS (user 'x');
      GRANT USAGE ON FOREIGN SERVER s TO ${READER};
      CREATE FUNCTION ext.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
      CREATE TYPE ext.shell;
      CREATE OPERATOR CLASS ext.cls FOR TYPE int USING btree AS OPERATOR 1 <, FUNCTION 1 btint4cmp(int, int);`);
    const [t] = await db.query<{ identity: string }>(
      `SELECT (pg_identify_object('pg_transform'::regclass, oid, 0)).identity FROM pg_transform WHERE trflang = (SELECT oid FROM pg_language WHERE lanname = 'my_lang')`,
    );
    expect(t!.identity).toMatch(/^for integer (on )?language my_lang$/);
    TRANSFORM = `transform: ${t!.identity}`;
  });

  it('refuses by name what only an extension can make, and makes access methods and text search parsers and templates by CREATE', async () => {
    const r = await readFrom(db);
    try {
      expect(r.unsupported.map((u) => `${u.kind}: ${u.identity}`)).toEqual(['language: my_lang', TRANSFORM]);
      for (const u of r.unsupported) expect(u.why).toMatch(/extension/);
      const made = r.items.filter((i) => ['ACCESS METHOD', 'TEXT SEARCH PARSER', 'TEXT SEARCH TEMPLATE'].includes(i.desc));
      expect(made.map((i) => `${i.desc} ${i.schema ?? '-'}.${i.name}`).sort()).toEqual([
        'ACCESS METHOD -.my_am',
        'TEXT SEARCH PARSER ext.prs',
        'TEXT SEARCH TEMPLATE ext.tmpl',
      ]);
      for (const i of made) expect(i.sql).toMatch(/^CREATE (ACCESS METHOD|TEXT SEARCH (PARSER|TEMPLATE)) /);
    } finally {
      await r.client.end();
    }
  });

  it('refuses a user mapping whose options the reading role may not see', async () => {
    const u = new URL(db.url);
    u.username = READER;
    u.password = READER_PASSWORD;
    const c = await connect(u.toString());
    try {
      const r = await readExtra(await reading(c));
      expect(r.unsupported.filter((u) => u.kind === 'user mapping')).toEqual([
        { kind: 'user mapping', identity: 'postgres on server s', why: 'its options can be read only by a superuser or the mapped role' },
      ]);
      expect(r.items.filter((i) => i.desc === 'USER MAPPING')).toEqual([]);
    } finally {
      await c.end();
    }
  });

  it('names every object no item covers, and nothing an item covers', async () => {
    const covered = covers(read.items);
    const rest = await completenessProbe(read.ctx, covered);
    // what the lead's readers make (schemas, functions, tables and their constraints — a key's index goes with its
    // constraint) is all that is left
    expect(rest.filter((u) => EXTRA_KINDS.includes(u.kind))).toEqual([]);
    expect(new Set(rest.map((u) => u.kind))).toEqual(new Set(['schema', 'function', 'table', 'table constraint']));
    for (const u of rest) expect(u.why).toBe('not reproduced by the built-in engine');
    expect(rest).toContainEqual({ kind: 'function', identity: 'ext.add(integer,integer)', why: 'not reproduced by the built-in engine' });

    // a kind a reader forgot is a refusal
    for (const [desc, name, kind, identity] of [
      ['OPERATOR CLASS', 'int_cls USING btree', 'operator class', 'ext.int_cls USING btree'],
      ['USER MAPPING', 'postgres SERVER srv1', 'user mapping', 'postgres on server srv1'],
      ['EVENT TRIGGER', 'evt_off', 'event trigger', 'evt_off'],
      ['PUBLICATION TABLE', 'pub_some t', 'publication relation', 'ext.t in publication pub_some'],
      ['DEFAULT ACL', 'DEFAULT PRIVILEGES FOR SEQUENCES', 'default acl', `for role postgres in schema ext on sequences`],
    ] as const) {
      const gone = read.items.find((i) => i.desc === desc && i.name === name);
      expect(gone, desc).toBeDefined();
      const less = new Set([...covered].filter((k) => k !== gone!.key));
      expect(byText(await completenessProbe(read.ctx, less))).toEqual(byText([...rest, { kind, identity, why: 'not reproduced by the built-in engine' }]));
    }

    // the shell operator is covered by the operator that makes it
    const shellMaker = read.items.find((i) => i.desc === 'OPERATOR' && i.name.startsWith('<~>('))!;
    const noShell = new Set([...covered].filter((k) => k !== shellMaker.provides[0]));
    expect((await completenessProbe(read.ctx, noShell)).filter((u) => u.kind === 'operator')).toEqual([
      { kind: 'operator', identity: 'ext.<~~>(integer,integer)', why: 'not reproduced by the built-in engine' },
    ]);
  });

  it('names the objects of another database that only an extension could make', async () => {
    const c = await db.client();
    try {
      const ctx = await reading(c);
      const all = await completenessProbe(ctx, new Set());
      const kinds = all.map((u) => `${u.kind}: ${u.identity}`);
      for (const k of [
        'access method: my_am',
        'language: my_lang',
        'text search parser: ext.prs',
        'text search template: ext.tmpl',
        TRANSFORM,
        'operator class: ext.cls USING btree',
        'operator family: ext.cls USING btree',
        'foreign-data wrapper: w',
        'server: s',
        'user mapping: postgres on server s',
        'schema: ext',
        'function: ext.f()',
        'type: ext.shell',
      ])
        expect(kinds).toContain(k);
      // a --schema or --table reading looks at no schemaless catalog
      const narrow = await completenessProbe({ ...ctx, everything: false }, new Set());
      expect(
        narrow.map((u) => u.kind).filter((k) => ['access method', 'language', 'foreign-data wrapper', 'server', 'user mapping', 'transform'].includes(k)),
      ).toEqual([]);
    } finally {
      await c.end();
    }
  });
});
