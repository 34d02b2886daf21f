// The catalog referee: every user object of a database as key → normalised facts, read with its own queries, and the
// differences between two databases' pictures. Deliberately shares nothing with src/engine (the schema generator it
// referees), so a kind the generator forgets cannot pass on both sides.
import type pg from 'pg';
import { connect } from './pg.js';

export interface CatalogDifference {
  key: string;
  source: string | null;
  target: string | null;
}

export interface PictureOptions {
  /**
   * Describe the catalog as a server of this major would: facts and rows a newer server adds by itself (18's NOT NULL
   * constraints, 14's multiranges and compression, …) are left out. catalogDifferences passes the older side's major.
   */
  asOfMajor?: number;
}

/** One object kind: rows of (catalog, objid, subid, key, value, owner, acl); owner and acl null where not applicable. */
interface Kind {
  catalog: string;
  sql: string;
}

interface Row {
  catalog: string;
  objid: string;
  subid: number;
  k: string;
  v: string;
  owner: string | null;
  acl: string | null;
}

// Schemas that are not the user's: the system's, the toast and temp ones, and pgclone's own log.
const USER_NS = `SELECT oid FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname NOT IN ('information_schema', 'pgclone')`;

const member = (catalog: string, oid: string): string =>
  `EXISTS (SELECT 1 FROM pg_depend xd WHERE xd.classid = '${catalog}'::regclass AND xd.objid = ${oid} AND xd.deptype = 'e')`;

// Made by the server as part of another object (array types, row types, multiranges, range constructors, their casts).
const internal = (catalog: string, oid: string): string =>
  `EXISTS (SELECT 1 FROM pg_depend xd WHERE xd.classid = '${catalog}'::regclass AND xd.objid = ${oid} AND xd.deptype = 'i')`;

/** pg_identify_object's "type identity": fully qualified, no oids (except large objects, whose oids are kept). */
const identity = (catalog: string, oid: string, sub = '0'): string =>
  `(SELECT i.type || ' ' || i.identity FROM pg_identify_object('${catalog}'::regclass, ${oid}, ${sub}) i)`;

const bare = (catalog: string, oid: string): string => `(SELECT i.identity FROM pg_identify_object('${catalog}'::regclass, ${oid}, 0) i)`;

/** Named facts, one line each; a NULL fact is left out (and an empty one is not). */
function facts(fields: [string, string][]): string {
  return `coalesce(concat_ws(E'\\n', ${fields.map(([n, e]) => `'${n}: ' || (${e})::text`).join(', ')}), '')`;
}

// An array's items in order (every ordering of names is in "C": the two databases may have different default
// collations); NULL stays NULL and an empty array is '' — an ACL revoked from everyone is not the default one.
const sorted = (arr: string): string =>
  `CASE WHEN ${arr} IS NOT NULL THEN coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text COLLATE "C") FROM unnest(${arr}) x), '') END`;
const proc = (oid: string): string => `(nullif(${oid}::oid, 0)::regprocedure)::text`;
const oper = (oid: string): string => `(nullif(${oid}::oid, 0)::regoperator)::text`;
const typ = (oid: string): string => `CASE WHEN ${oid} <> 0 THEN format_type(${oid}, NULL) END`;
const coll = (oid: string): string =>
  `(SELECT quote_ident(n.nspname) || '.' || quote_ident(k.collname) FROM pg_collation k JOIN pg_namespace n ON n.oid = k.collnamespace WHERE k.oid = ${oid})`;
// PostgreSQL 17 made attstattarget and stxstattarget nullable: NULL there is -1 before (the default).
const stattarget = (e: string): string => `CASE WHEN ${e} IS NULL OR ${e} < 0 THEN 'default' ELSE ${e}::text END`;

function kinds(major: number, asOf: number): Kind[] {
  const out: Kind[] = [];
  const add = (catalog: string, sql: string): void => {
    out.push({ catalog, sql });
  };
  const row = (catalog: string, oid: string, key: string, value: string, owner = 'NULL', acl = 'NULL', sub = '0'): string =>
    `SELECT '${catalog}'::text AS catalog, ${oid}::text AS objid, ${sub}::int AS subid, (${key})::text AS k, (${value})::text AS v, (${owner})::text AS owner, (${acl})::text AS acl`;
  const userRel = (rel: string): string =>
    `${rel} IN (SELECT c.oid FROM pg_class c WHERE c.relnamespace IN (${USER_NS}) AND NOT ${member('pg_class', 'c.oid')})`;

  add(
    'pg_namespace',
    `${row('pg_namespace', 'n.oid', identity('pg_namespace', 'n.oid'), `'schema'`, 'pg_get_userbyid(n.nspowner)', sorted('n.nspacl'))}
    FROM pg_namespace n WHERE n.oid IN (${USER_NS}) AND NOT ${member('pg_namespace', 'n.oid')}`,
  );

  add(
    'pg_extension',
    `${row(
      'pg_extension',
      'x.oid',
      identity('pg_extension', 'x.oid'),
      facts([
        ['version', 'x.extversion'],
        ['schema', 'x.extnamespace::regnamespace'],
      ]),
      'pg_get_userbyid(x.extowner)',
    )}
    FROM pg_extension x`,
  );

  // tables, partitioned tables and foreign tables
  add(
    'pg_class',
    `${row(
      'pg_class',
      'c.oid',
      identity('pg_class', 'c.oid'),
      facts([
        ['persistence', 'c.relpersistence'],
        ['options', sorted('c.reloptions')],
        ['toast options', `(SELECT ${sorted('t.reloptions')} FROM pg_class t WHERE t.oid = c.reltoastrelid)`],
        ['replica identity', 'c.relreplident'],
        ['row security', `c.relrowsecurity || CASE WHEN c.relforcerowsecurity THEN ' forced' ELSE '' END`],
        ['access method', '(SELECT a.amname FROM pg_am a WHERE a.oid = c.relam)'],
        ['of type', typ('c.reloftype')],
        ['inherits', `(SELECT string_agg(h.inhparent::regclass::text, ', ' ORDER BY h.inhseqno) FROM pg_inherits h WHERE h.inhrelid = c.oid)`],
        ['partition bound', `CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END`],
        ['partition key', `CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END`],
        ['server', `(SELECT s.srvname FROM pg_foreign_table f JOIN pg_foreign_server s ON s.oid = f.ftserver WHERE f.ftrelid = c.oid)`],
        ['foreign options', `(SELECT ${sorted('f.ftoptions')} FROM pg_foreign_table f WHERE f.ftrelid = c.oid)`],
      ]),
      'pg_get_userbyid(c.relowner)',
      sorted('c.relacl'),
    )}
    FROM pg_class c WHERE c.relkind IN ('r', 'p', 'f') AND ${userRel('c.oid')}`,
  );

  add(
    'pg_class',
    `${row(
      'pg_class',
      'c.oid',
      identity('pg_class', 'c.oid'),
      facts([
        ['definition', 'pg_get_viewdef(c.oid)'],
        ['options', sorted('c.reloptions')],
        ['populated', `CASE WHEN c.relkind = 'm' THEN c.relispopulated::text END`],
        ['access method', '(SELECT a.amname FROM pg_am a WHERE a.oid = c.relam)'],
      ]),
      'pg_get_userbyid(c.relowner)',
      sorted('c.relacl'),
    )}
    FROM pg_class c WHERE c.relkind IN ('v', 'm') AND ${userRel('c.oid')}`,
  );

  // sequences: options and OWNED BY / identity; last_value is data, compared by compareDatabases
  add(
    'pg_class',
    `${row(
      'pg_class',
      'c.oid',
      identity('pg_class', 'c.oid'),
      facts([
        ['type', 'format_type(s.seqtypid, NULL)'],
        ['start', 's.seqstart'],
        ['increment', 's.seqincrement'],
        ['min', 's.seqmin'],
        ['max', 's.seqmax'],
        ['cache', 's.seqcache'],
        ['cycle', 's.seqcycle'],
        ['persistence', 'c.relpersistence'],
        [
          'owned by',
          `(SELECT CASE d.deptype WHEN 'i' THEN 'identity of ' ELSE '' END || d.refobjid::regclass::text || '.' || quote_ident(a.attname)
            FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
           WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0)`,
        ],
      ]),
      'pg_get_userbyid(c.relowner)',
      sorted('c.relacl'),
    )}
    FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid WHERE c.relkind = 'S' AND ${userRel('c.oid')}`,
  );

  // indexes (an index's owner and ACL are its table's)
  add(
    'pg_class',
    `${row(
      'pg_class',
      'c.oid',
      identity('pg_class', 'c.oid'),
      facts([
        ['definition', 'pg_get_indexdef(c.oid)'],
        ['clustered', 'x.indisclustered'],
        ['replica identity', 'x.indisreplident'],
        ['attached to', `(SELECT string_agg(h.inhparent::regclass::text, ', ') FROM pg_inherits h WHERE h.inhrelid = c.oid)`],
        [
          'statistics',
          `(SELECT string_agg(a.attnum || '=' || ${stattarget('a.attstattarget')}, ',' ORDER BY a.attnum) FROM pg_attribute a
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND coalesce(a.attstattarget, -1) >= 0)`,
        ],
      ]),
    )}
    FROM pg_class c JOIN pg_index x ON x.indexrelid = c.oid WHERE c.relkind IN ('i', 'I') AND ${userRel('x.indrelid')}`,
  );

  // columns: position among live columns (attnum keeps the holes of dropped ones)
  add(
    'pg_class',
    `${row(
      'pg_class',
      'a.attrelid',
      identity('pg_class', 'a.attrelid', 'a.attnum'),
      facts([
        ['position', 'row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)'],
        ['type', 'format_type(a.atttypid, a.atttypmod)'],
        ['collation', coll('a.attcollation')],
        ['not null', 'a.attnotnull'],
        ['default', 'pg_get_expr(d.adbin, d.adrelid)'],
        ['identity', `nullif(a.attidentity, '')`],
        ['generated', `nullif(a.attgenerated, '')`],
        ['storage', 'a.attstorage'],
        ...(asOf >= 14 ? ([['compression', `nullif(a.attcompression, '')`]] as [string, string][]) : []),
        ['statistics', stattarget('a.attstattarget')],
        ['local', 'a.attislocal'],
        ['inherited', 'a.attinhcount'],
        // this server build keeps a value of its own in attoptions, pg_attver, set at the column's creation and
        // not settable (SET and RESET leave it; its pg_dump leaves it out): a clone has its own
        ['options', `(SELECT string_agg(x, ',' ORDER BY x COLLATE "C") FROM unnest(a.attoptions) x WHERE x NOT LIKE 'pg\\_attver=%')`],
        ['foreign options', sorted('a.attfdwoptions')],
      ]),
      'NULL',
      sorted('a.attacl'),
      'a.attnum',
    )}
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND ${userRel('c.oid')}`,
  );

  // constraints of tables and domains. The NOT NULL constraints a server keeps in pg_constraint by itself (tables on
  // 18, domains on 17) only count where both sides have them; attnotnull and typnotnull are compared on every version.
  const notNull = `(co.contype <> 'n' OR (co.conrelid <> 0 AND ${asOf >= 18}) OR (co.contypid <> 0 AND ${asOf >= 17}))`;
  add(
    'pg_constraint',
    `${row(
      'pg_constraint',
      'co.oid',
      // A foreign key to a partitioned table has a row of its own for each referenced partition, on the same table, which
      // the server names itself (fkey1, fkey2, … in the order it meets the partitions): such a row goes by its root
      // foreign key and the partition it references.
      `CASE WHEN root.oid IS NOT NULL THEN ${identity('pg_constraint', 'root.oid')} ELSE ${identity('pg_constraint', 'co.oid')} END
       || CASE WHEN co.contype = 'f' THEN ' references ' || co.confrelid::regclass::text ELSE '' END`,
      facts([
        ['definition', 'pg_get_constraintdef(co.oid)'],
        ['local', 'co.conislocal'],
        ['inherited', 'co.coninhcount'],
        // NO INHERIT means something for CHECK and NOT NULL only; on a partition's key the flag depends on how the
        // partition was made (PARTITION OF leaves it false, CREATE TABLE and ATTACH PARTITION set it, as pg_dump does)
        ['no inherit', `CASE WHEN co.contype IN ('c', 'n') THEN co.connoinherit::text END`],
        [
          'parent',
          `CASE WHEN root.oid IS NOT NULL THEN 'references ' || (SELECT p.confrelid::regclass::text FROM pg_constraint p WHERE p.oid = co.conparentid)
              WHEN co.conparentid <> 0 THEN ${bare('pg_constraint', 'co.conparentid')} END`,
        ],
      ]),
    )}
    FROM pg_constraint co
    LEFT JOIN LATERAL (
      WITH RECURSIVE up AS (
        SELECT p.oid, p.conparentid FROM pg_constraint p WHERE p.oid = co.conparentid AND p.conrelid = co.conrelid AND co.conrelid <> 0
        UNION ALL
        SELECT p.oid, p.conparentid FROM up JOIN pg_constraint p ON p.oid = up.conparentid AND p.conrelid = co.conrelid)
      SELECT up.oid FROM up WHERE NOT EXISTS (SELECT 1 FROM pg_constraint q WHERE q.oid = up.conparentid AND q.conrelid = co.conrelid)) root ON true
   WHERE ((co.conrelid <> 0 AND ${userRel('co.conrelid')})
      OR (co.contypid <> 0 AND co.contypid IN (SELECT t.oid FROM pg_type t WHERE t.typnamespace IN (${USER_NS}) AND NOT ${member('pg_type', 't.oid')})))
     AND ${notNull}`,
  );

  // triggers: the user's, and their clones on partitions; not the internal ones of foreign keys and deferrable keys
  // (named with oids). Clones were internal before 15, so tgisinternal itself is not compared.
  add(
    'pg_trigger',
    `${row(
      'pg_trigger',
      't.oid',
      identity('pg_trigger', 't.oid'),
      facts([
        ['definition', 'pg_get_triggerdef(t.oid)'],
        ['enabled', 't.tgenabled'],
      ]),
    )}
    FROM pg_trigger t
   WHERE ${userRel('t.tgrelid')} AND (NOT t.tgisinternal OR t.tgparentid <> 0)
     AND (t.tgconstraint = 0 OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.oid = t.tgconstraint AND k.contype = 't'))`,
  );

  add(
    'pg_rewrite',
    `${row(
      'pg_rewrite',
      'r.oid',
      identity('pg_rewrite', 'r.oid'),
      facts([
        ['definition', 'pg_get_ruledef(r.oid)'],
        ['enabled', 'r.ev_enabled'],
      ]),
    )}
    FROM pg_rewrite r WHERE r.rulename <> '_RETURN' AND ${userRel('r.ev_class')}`,
  );

  add(
    'pg_policy',
    `${row(
      'pg_policy',
      'p.oid',
      identity('pg_policy', 'p.oid'),
      facts([
        ['command', 'p.polcmd'],
        ['permissive', 'p.polpermissive'],
        [
          'roles',
          `(SELECT string_agg(n, ',' ORDER BY n COLLATE "C") FROM (SELECT CASE WHEN r = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(r)) END AS n FROM unnest(p.polroles) r) x)`,
        ],
        ['using', 'pg_get_expr(p.polqual, p.polrelid)'],
        ['with check', 'pg_get_expr(p.polwithcheck, p.polrelid)'],
      ]),
    )}
    FROM pg_policy p WHERE ${userRel('p.polrelid')}`,
  );

  const userProc = `p.pronamespace IN (${USER_NS}) AND NOT ${member('pg_proc', 'p.oid')} AND NOT ${internal('pg_proc', 'p.oid')}`;
  add(
    'pg_proc',
    `${row('pg_proc', 'p.oid', identity('pg_proc', 'p.oid'), facts([['definition', 'pg_get_functiondef(p.oid)']]), 'pg_get_userbyid(p.proowner)', sorted('p.proacl'))}
    FROM pg_proc p WHERE p.prokind <> 'a' AND ${userProc}`,
  );

  add(
    'pg_proc',
    `${row(
      'pg_proc',
      'p.oid',
      identity('pg_proc', 'p.oid'),
      facts([
        ['arguments', 'pg_get_function_arguments(p.oid)'],
        ['result', 'pg_get_function_result(p.oid)'],
        ['kind', 'g.aggkind'],
        ['direct arguments', 'g.aggnumdirectargs'],
        ['sfunc', proc('g.aggtransfn')],
        ['stype', typ('g.aggtranstype')],
        ['sspace', 'g.aggtransspace'],
        ['finalfunc', proc('g.aggfinalfn')],
        ['finalfunc extra', 'g.aggfinalextra'],
        ['finalfunc modify', 'g.aggfinalmodify'],
        ['combinefunc', proc('g.aggcombinefn')],
        ['serialfunc', proc('g.aggserialfn')],
        ['deserialfunc', proc('g.aggdeserialfn')],
        ['initcond', 'g.agginitval'],
        ['msfunc', proc('g.aggmtransfn')],
        ['minvfunc', proc('g.aggminvtransfn')],
        ['mstype', typ('g.aggmtranstype')],
        ['msspace', 'g.aggmtransspace'],
        ['mfinalfunc', proc('g.aggmfinalfn')],
        ['mfinalfunc extra', 'g.aggmfinalextra'],
        ['mfinalfunc modify', 'g.aggmfinalmodify'],
        ['minitcond', 'g.aggminitval'],
        ['sortop', oper('g.aggsortop')],
        ['parallel', 'p.proparallel'],
      ]),
      'pg_get_userbyid(p.proowner)',
      sorted('p.proacl'),
    )}
    FROM pg_proc p JOIN pg_aggregate g ON g.aggfnoid = p.oid WHERE p.prokind = 'a' AND ${userProc}`,
  );

  // types (not the server's own by-products: arrays, row types, multiranges — those have an internal dependency)
  add(
    'pg_type',
    `${row(
      'pg_type',
      't.oid',
      identity('pg_type', 't.oid'),
      facts([
        ['kind', 't.typtype'],
        [
          'labels',
          `CASE WHEN t.typtype = 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END`,
        ],
        [
          'attributes',
          `CASE WHEN t.typtype = 'c' THEN (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END`,
        ],
        ['base', `CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END`],
        ['collation', `CASE WHEN t.typtype = 'd' THEN ${coll('t.typcollation')} END`],
        ['default', `pg_get_expr(t.typdefaultbin, 0)`],
        ['not null', `CASE WHEN t.typtype = 'd' THEN t.typnotnull::text END`],
        ['subtype', `(SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid)`],
        ['subtype opclass', `(SELECT ${bare('pg_opclass', 'r.rngsubopc')} FROM pg_range r WHERE r.rngtypid = t.oid)`],
        ['subtype collation', `(SELECT ${coll('r.rngcollation')} FROM pg_range r WHERE r.rngtypid = t.oid)`],
        ['canonical', `(SELECT ${proc('r.rngcanonical')} FROM pg_range r WHERE r.rngtypid = t.oid)`],
        ['subtype diff', `(SELECT ${proc('r.rngsubdiff')} FROM pg_range r WHERE r.rngtypid = t.oid)`],
        ...(asOf >= 14 ? ([['multirange', `(SELECT r.rngmultitypid::regtype::text FROM pg_range r WHERE r.rngtypid = t.oid)`]] as [string, string][]) : []),
        // base types (C functions): the CREATE TYPE options
        [
          'base type',
          `CASE WHEN t.typtype = 'b' THEN concat_ws(' ', ${['typinput', 'typoutput', 'typreceive', 'typsend', 'typmodin', 'typmodout', 'typanalyze']
            .map((f) => proc(`t.${f}`))
            .join(
              ', ',
            )}, t.typlen, t.typbyval, t.typalign, t.typstorage, t.typcategory, t.typispreferred, t.typdelim, ${typ('t.typelem')}, ${coll('t.typcollation')}) END`,
        ],
      ]),
      'pg_get_userbyid(t.typowner)',
      sorted('t.typacl'),
    )}
    FROM pg_type t WHERE t.typnamespace IN (${USER_NS}) AND NOT ${member('pg_type', 't.oid')} AND NOT ${internal('pg_type', 't.oid')}`,
  );

  // attributes of composite types (their comments hang on the type's pg_class row)
  add(
    'pg_class',
    `${row(
      'pg_class',
      'a.attrelid',
      identity('pg_class', 'a.attrelid', 'a.attnum'),
      facts([
        ['position', 'row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)'],
        ['type', 'format_type(a.atttypid, a.atttypmod)'],
        ['collation', coll('a.attcollation')],
      ]),
      'NULL',
      'NULL',
      'a.attnum',
    )}
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
   WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind = 'c' AND c.relnamespace IN (${USER_NS}) AND NOT ${member('pg_type', 'c.reltype')}`,
  );

  // collations: the locale columns moved between majors (15: ICU's own column and nullable collcollate; 16: rules;
  // 17: colliculocale renamed colllocale); the facts are written the same way whatever the server.
  const icuLocale = major >= 17 ? 'k.colllocale' : major >= 15 ? 'k.colliculocale' : 'k.collcollate::text';
  add(
    'pg_collation',
    `${row(
      'pg_collation',
      'k.oid',
      identity('pg_collation', 'k.oid'),
      facts([
        ['provider', 'k.collprovider'],
        ['deterministic', 'k.collisdeterministic'],
        ['encoding', 'CASE WHEN k.collencoding >= 0 THEN pg_encoding_to_char(k.collencoding) END'],
        ['lc_collate', `CASE WHEN k.collprovider = 'c' THEN k.collcollate::text END`],
        ['lc_ctype', `CASE WHEN k.collprovider = 'c' THEN k.collctype::text END`],
        ['locale', `CASE WHEN k.collprovider <> 'c' THEN ${icuLocale} END`],
        ...(asOf >= 16 ? ([['rules', major >= 16 ? 'k.collicurules' : 'NULL']] as [string, string][]) : []),
      ]),
      'pg_get_userbyid(k.collowner)',
    )}
    FROM pg_collation k WHERE k.collnamespace IN (${USER_NS}) AND NOT ${member('pg_collation', 'k.oid')}`,
  );

  add(
    'pg_conversion',
    `${row(
      'pg_conversion',
      'v.oid',
      identity('pg_conversion', 'v.oid'),
      facts([
        ['from', 'pg_encoding_to_char(v.conforencoding)'],
        ['to', 'pg_encoding_to_char(v.contoencoding)'],
        ['function', proc('v.conproc')],
        ['default', 'v.condefault'],
      ]),
      'pg_get_userbyid(v.conowner)',
    )}
    FROM pg_conversion v WHERE v.connamespace IN (${USER_NS}) AND NOT ${member('pg_conversion', 'v.oid')}`,
  );

  add(
    'pg_cast',
    `${row(
      'pg_cast',
      'k.oid',
      identity('pg_cast', 'k.oid'),
      facts([
        ['function', proc('k.castfunc')],
        ['context', 'k.castcontext'],
        ['method', 'k.castmethod'],
      ]),
    )}
    FROM pg_cast k WHERE k.oid >= 16384 AND NOT ${member('pg_cast', 'k.oid')} AND NOT ${internal('pg_cast', 'k.oid')}`,
  );

  add(
    'pg_operator',
    `${row(
      'pg_operator',
      'o.oid',
      identity('pg_operator', 'o.oid'),
      facts([
        ['kind', 'o.oprkind'],
        ['left', typ('o.oprleft')],
        ['right', typ('o.oprright')],
        ['result', typ('o.oprresult')],
        ['function', proc('o.oprcode')],
        ['restrict', proc('o.oprrest')],
        ['join', proc('o.oprjoin')],
        ['commutator', oper('o.oprcom')],
        ['negator', oper('o.oprnegate')],
        ['merges', 'o.oprcanmerge'],
        ['hashes', 'o.oprcanhash'],
      ]),
      'pg_get_userbyid(o.oprowner)',
    )}
    FROM pg_operator o WHERE o.oprnamespace IN (${USER_NS}) AND NOT ${member('pg_operator', 'o.oid')}`,
  );

  const userFamily = (f: string): string =>
    `${f} IN (SELECT f.oid FROM pg_opfamily f WHERE f.opfnamespace IN (${USER_NS}) AND NOT ${member('pg_opfamily', 'f.oid')})`;
  add(
    'pg_opfamily',
    `${row('pg_opfamily', 'f.oid', identity('pg_opfamily', 'f.oid'), `'operator family'`, 'pg_get_userbyid(f.opfowner)')}
    FROM pg_opfamily f WHERE ${userFamily('f.oid')}`,
  );
  add(
    'pg_opclass',
    `${row(
      'pg_opclass',
      'k.oid',
      identity('pg_opclass', 'k.oid'),
      facts([
        ['family', bare('pg_opfamily', 'k.opcfamily')],
        ['type', typ('k.opcintype')],
        ['default', 'k.opcdefault'],
        ['storage', typ('k.opckeytype')],
      ]),
      'pg_get_userbyid(k.opcowner)',
    )}
    FROM pg_opclass k WHERE k.opcnamespace IN (${USER_NS}) AND NOT ${member('pg_opclass', 'k.oid')}`,
  );
  add(
    'pg_amop',
    `${row(
      'pg_amop',
      'o.oid',
      identity('pg_amop', 'o.oid'),
      facts([
        ['operator', oper('o.amopopr')],
        ['purpose', 'o.amoppurpose'],
        ['sort family', `CASE WHEN o.amopsortfamily <> 0 THEN ${bare('pg_opfamily', 'o.amopsortfamily')} END`],
      ]),
    )}
    FROM pg_amop o WHERE ${userFamily('o.amopfamily')}`,
  );
  add(
    'pg_amproc',
    `${row('pg_amproc', 'p.oid', identity('pg_amproc', 'p.oid'), facts([['function', proc('p.amproc')]]))}
    FROM pg_amproc p WHERE ${userFamily('p.amprocfamily')}`,
  );

  add(
    'pg_ts_config',
    `${row(
      'pg_ts_config',
      'g.oid',
      identity('pg_ts_config', 'g.oid'),
      facts([
        ['parser', bare('pg_ts_parser', 'g.cfgparser')],
        [
          'mappings',
          `(SELECT string_agg(m.alias || '=' || m.dicts, '; ' ORDER BY m.alias COLLATE "C") FROM (
            SELECT tt.alias, string_agg(cm.mapdict::regdictionary::text, ',' ORDER BY cm.mapseqno) AS dicts
              FROM pg_ts_config_map cm JOIN ts_token_type(g.cfgparser) tt ON tt.tokid = cm.maptokentype
             WHERE cm.mapcfg = g.oid GROUP BY tt.alias) m)`,
        ],
      ]),
      'pg_get_userbyid(g.cfgowner)',
    )}
    FROM pg_ts_config g WHERE g.cfgnamespace IN (${USER_NS}) AND NOT ${member('pg_ts_config', 'g.oid')}`,
  );
  add(
    'pg_ts_dict',
    `${row(
      'pg_ts_dict',
      'd.oid',
      identity('pg_ts_dict', 'd.oid'),
      facts([
        ['template', bare('pg_ts_template', 'd.dicttemplate')],
        ['options', 'd.dictinitoption'],
      ]),
      'pg_get_userbyid(d.dictowner)',
    )}
    FROM pg_ts_dict d WHERE d.dictnamespace IN (${USER_NS}) AND NOT ${member('pg_ts_dict', 'd.oid')}`,
  );
  add(
    'pg_ts_parser',
    `${row(
      'pg_ts_parser',
      'p.oid',
      identity('pg_ts_parser', 'p.oid'),
      facts(['prsstart', 'prstoken', 'prsend', 'prsheadline', 'prslextype'].map((f) => [f, proc(`p.${f}`)])),
    )}
    FROM pg_ts_parser p WHERE p.prsnamespace IN (${USER_NS}) AND NOT ${member('pg_ts_parser', 'p.oid')}`,
  );
  add(
    'pg_ts_template',
    `${row(
      'pg_ts_template',
      't.oid',
      identity('pg_ts_template', 't.oid'),
      facts([
        ['init', proc('t.tmplinit')],
        ['lexize', proc('t.tmpllexize')],
      ]),
    )}
    FROM pg_ts_template t WHERE t.tmplnamespace IN (${USER_NS}) AND NOT ${member('pg_ts_template', 't.oid')}`,
  );

  add(
    'pg_event_trigger',
    `${row(
      'pg_event_trigger',
      'e.oid',
      identity('pg_event_trigger', 'e.oid'),
      facts([
        ['event', 'e.evtevent'],
        ['tags', 'e.evttags::text'],
        ['function', proc('e.evtfoid')],
        ['enabled', 'e.evtenabled'],
      ]),
      'pg_get_userbyid(e.evtowner)',
    )}
    FROM pg_event_trigger e WHERE NOT ${member('pg_event_trigger', 'e.oid')}`,
  );

  add(
    'pg_publication',
    `${row(
      'pg_publication',
      'p.oid',
      identity('pg_publication', 'p.oid'),
      facts([
        ['all tables', 'p.puballtables'],
        ['insert', 'p.pubinsert'],
        ['update', 'p.pubupdate'],
        ['delete', 'p.pubdelete'],
        ['truncate', 'p.pubtruncate'],
        ['via root', 'p.pubviaroot'],
        ...(asOf >= 18 ? ([['generated columns', 'p.pubgencols']] as [string, string][]) : []),
      ]),
      'pg_get_userbyid(p.pubowner)',
    )}
    FROM pg_publication p`,
  );
  add(
    'pg_publication_rel',
    `${row(
      'pg_publication_rel',
      'r.oid',
      identity('pg_publication_rel', 'r.oid'),
      asOf >= 15
        ? facts([
            ['row filter', 'pg_get_expr(r.prqual, r.prrelid)'],
            [
              'columns',
              `(SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = r.prrelid AND a.attnum = ANY (r.prattrs))`,
            ],
          ])
        : `'member'`,
    )}
    FROM pg_publication_rel r`,
  );
  if (major >= 15) {
    add(
      'pg_publication_namespace',
      `${row('pg_publication_namespace', 'r.oid', identity('pg_publication_namespace', 'r.oid'), `'member'`)}
      FROM pg_publication_namespace r`,
    );
  }

  add(
    'pg_foreign_data_wrapper',
    `${row(
      'pg_foreign_data_wrapper',
      'w.oid',
      identity('pg_foreign_data_wrapper', 'w.oid'),
      facts([
        ['handler', proc('w.fdwhandler')],
        ['validator', proc('w.fdwvalidator')],
        ['options', sorted('w.fdwoptions')],
      ]),
      'pg_get_userbyid(w.fdwowner)',
      sorted('w.fdwacl'),
    )}
    FROM pg_foreign_data_wrapper w WHERE NOT ${member('pg_foreign_data_wrapper', 'w.oid')}`,
  );
  add(
    'pg_foreign_server',
    `${row(
      'pg_foreign_server',
      's.oid',
      identity('pg_foreign_server', 's.oid'),
      facts([
        ['wrapper', '(SELECT w.fdwname FROM pg_foreign_data_wrapper w WHERE w.oid = s.srvfdw)'],
        ['type', 's.srvtype'],
        ['version', 's.srvversion'],
        ['options', sorted('s.srvoptions')],
      ]),
      'pg_get_userbyid(s.srvowner)',
      sorted('s.srvacl'),
    )}
    FROM pg_foreign_server s WHERE NOT ${member('pg_foreign_server', 's.oid')}`,
  );

  add(
    'pg_default_acl',
    `${row('pg_default_acl', 'd.oid', identity('pg_default_acl', 'd.oid'), sorted('d.defaclacl'))}
    FROM pg_default_acl d WHERE d.defaclnamespace = 0 OR d.defaclnamespace IN (${USER_NS})`,
  );

  add(
    'pg_statistic_ext',
    `${row(
      'pg_statistic_ext',
      's.oid',
      identity('pg_statistic_ext', 's.oid'),
      facts([
        ['definition', 'pg_get_statisticsobjdef(s.oid)'],
        ['statistics', stattarget('s.stxstattarget')],
      ]),
      'pg_get_userbyid(s.stxowner)',
    )}
    FROM pg_statistic_ext s WHERE s.stxnamespace IN (${USER_NS}) AND NOT ${member('pg_statistic_ext', 's.oid')} AND ${userRel('s.stxrelid')}`,
  );

  add(
    'pg_language',
    `${row(
      'pg_language',
      'l.oid',
      identity('pg_language', 'l.oid'),
      facts([
        ['trusted', 'l.lanpltrusted'],
        ['handler', proc('l.lanplcallfoid')],
        ['inline', proc('l.laninline')],
        ['validator', proc('l.lanvalidator')],
      ]),
      'pg_get_userbyid(l.lanowner)',
      sorted('l.lanacl'),
    )}
    FROM pg_language l WHERE l.oid >= 16384 AND NOT ${member('pg_language', 'l.oid')}`,
  );
  add(
    'pg_am',
    `${row(
      'pg_am',
      'a.oid',
      identity('pg_am', 'a.oid'),
      facts([
        ['type', 'a.amtype'],
        ['handler', proc('a.amhandler')],
      ]),
    )}
    FROM pg_am a WHERE a.oid >= 16384 AND NOT ${member('pg_am', 'a.oid')}`,
  );
  add(
    'pg_transform',
    `${row(
      'pg_transform',
      't.oid',
      identity('pg_transform', 't.oid'),
      facts([
        ['from sql', proc('t.trffromsql')],
        ['to sql', proc('t.trftosql')],
      ]),
    )}
    FROM pg_transform t WHERE t.oid >= 16384 AND NOT ${member('pg_transform', 't.oid')}`,
  );
  // large objects keep their oids in a clone; their comments are filed under pg_largeobject
  add(
    'pg_largeobject',
    `${row('pg_largeobject', 'l.oid', identity('pg_largeobject', 'l.oid'), `'large object'`, 'pg_get_userbyid(l.lomowner)', sorted('l.lomacl'))}
    FROM pg_largeobject_metadata l`,
  );
  return out;
}

async function serverMajor(c: pg.Client): Promise<number> {
  const r = await c.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  return Math.floor(Number(r.rows[0]!.v) / 10000);
}

// Before 15 the public schema belonged to the bootstrap superuser and let everyone create in it; from 15 on it belongs
// to pg_database_owner and PUBLIC may only use it.
async function publicSchemaIsDefault(c: pg.Client, major: number): Promise<{ owner: boolean; acl: boolean }> {
  const r = await c.query<{ owner: boolean; acl: boolean }>(
    `SELECT pg_get_userbyid(n.nspowner) = CASE WHEN $1 THEN 'pg_database_owner' ELSE pg_get_userbyid(10) END AS owner,
            coalesce(${sorted('n.nspacl')}, '') = CASE WHEN $1 THEN '=U/pg_database_owner,pg_database_owner=UC/pg_database_owner'
                                           ELSE (SELECT format('=UC/%1$s,%1$s=UC/%1$s', quote_ident(rolname)) FROM pg_roles WHERE oid = 10) END AS acl
       FROM pg_namespace n WHERE n.nspname = 'public'`,
    [major >= 15],
  );
  return r.rows[0] ?? { owner: false, acl: false };
}

/** Every user object of the database as key → normalised facts (owners, ACLs, comments and security labels as keys of their own). */
export async function catalogPictureOf(url: string, opts: PictureOptions = {}): Promise<Map<string, string>> {
  const c = await connect(url);
  try {
    await c.query(`SET search_path = ''`);
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const major = await serverMajor(c);
    const asOf = Math.min(major, opts.asOfMajor ?? major);
    const picture = new Map<string, string>();
    const put = (k: string, v: string): void => {
      if (picture.has(k)) throw new Error(`catalog referee: two objects have the key "${k}"`);
      picture.set(k, v);
    };
    const known = new Map<string, string>();
    const catalogs = new Set<string>();
    // one statement: a round trip and a plan per kind would cost more than reading them all
    const all = kinds(major, asOf);
    for (const kind of all) catalogs.add(kind.catalog);
    const rows = (await c.query<Row>(all.map((k) => `(${k.sql})`).join('\nUNION ALL\n'))).rows;
    for (const r of rows) {
      put(r.k, r.v);
      if (r.owner !== null) put(`owner ${r.k}`, r.owner);
      if (r.acl !== null) put(`acl ${r.k}`, r.acl);
      known.set(`${r.catalog}:${r.objid}:${r.subid}`, r.k);
    }
    // comments and security labels: under the key of the object they describe; an object of a catalog the referee
    // reads but did not list is not the user's (pgclone's, an extension's, an internal trigger), one of a catalog it
    // does not read is named by pg_identify_object, so that no commented kind goes unseen
    const notes = await c.query<{ what: string; catalog: string; objid: string; subid: number; text: string; generic: string | null }>(
      `SELECT n.what, n.classoid::regclass::text AS catalog, n.objoid::text AS objid, n.objsubid AS subid, n.text,
              CASE WHEN i.schema IS NULL OR i.schema !~ '^pg_' AND i.schema NOT IN ('information_schema', 'pgclone') THEN i.type || ' ' || i.identity END AS generic
         FROM (SELECT 'comment' AS what, classoid, objoid, objsubid, description AS text FROM pg_description
               UNION ALL SELECT 'security label ' || provider, classoid, objoid, objsubid, label FROM pg_seclabel) n
         CROSS JOIN LATERAL pg_identify_object(n.classoid, n.objoid, n.objsubid) i
        WHERE (n.objoid >= 16384 OR (n.classoid = 'pg_namespace'::regclass AND n.objoid = 2200))
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = n.classoid AND e.objid = n.objoid AND e.deptype = 'e')`,
    );
    for (const n of notes.rows) {
      const k = known.get(`${n.catalog}:${n.objid}:${n.subid}`) ?? (catalogs.has(n.catalog) ? null : n.generic);
      if (k !== null) put(`${n.what} ${k}`, n.text);
    }
    await c.query('COMMIT');
    return picture;
  } finally {
    await c.end();
  }
}

interface ServerFacts {
  major: number;
  publicDefault: { owner: boolean; acl: boolean };
  /** every schema name, quoted as the def functions quote it */
  schemas: string[];
}

async function serverFacts(url: string): Promise<ServerFacts> {
  const c = await connect(url);
  try {
    await c.query(`SET search_path = ''`);
    const major = await serverMajor(c);
    const schemas = (await c.query<{ n: string }>(`SELECT quote_ident(nspname) AS n FROM pg_namespace`)).rows.map((r) => r.n);
    return { major, publicDefault: await publicSchemaIsDefault(c, major), schemas };
  } finally {
    await c.end();
  }
}

const IDENT = '(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")';

/** A view's definition without the relation names that qualify its columns (schema names are left). */
function unqualified(definition: string, schemas: ReadonlySet<string>): string {
  return definition.replace(new RegExp(`(?<![\\w$".])(${IDENT})\\.(?=[A-Za-z_"])`, 'g'), (m: string, q: string) => (schemas.has(q) ? m : ''));
}

/** An ACL's items (grantee=privileges/grantor, grantees quoted where needed), split where no quote is open. */
function aclItems(acl: string): string[] {
  const items: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < acl.length; i++) {
    if (acl[i] === '"') quoted = !quoted;
    else if (acl[i] === ',' && !quoted) {
      items.push(acl.slice(start, i));
      start = i + 1;
    }
  }
  items.push(acl.slice(start));
  return items;
}

/** A relation ACL with MAINTAIN left out of every item that holds all of a table's other privileges. */
function withoutMaintain(acl: string): string {
  return aclItems(acl)
    .map((item) => {
      let quoted = false;
      let eq = -1;
      for (let i = 0; i < item.length && eq < 0; i++) {
        if (item[i] === '"') quoted = !quoted;
        else if (item[i] === '=' && !quoted) eq = i;
      }
      const slash = item.lastIndexOf('/');
      const privileges = item.slice(eq + 1, slash);
      const held = privileges.replace(/\*/g, '');
      if (!held.includes('m') || !['a', 'r', 'w', 'd', 'D', 'x', 't'].every((p) => held.includes(p))) return item;
      return item.slice(0, eq + 1) + privileges.replace(/m\*?/, '') + item.slice(slash);
    })
    .sort()
    .join(',');
}

/**
 * The keys whose facts differ between source and target, sorted; a null side lacks the object. Across majors both are
 * described as of the older one (see PictureOptions.asOfMajor). Normalisations, each for a difference seen between
 * majors with the same DDL on both:
 * - the public schema's owner and ACL: 15 changed their defaults (pg_database_owner, no CREATE for PUBLIC), so where
 *   one side is before 15 and the other not, each side at its own major's default counts as equal;
 * - view and materialized view definitions: from 16 on, pg_get_viewdef no longer qualifies the columns of a query
 *   over one relation (`people.id` became `id`), so across 16 the relation qualifiers are left out on both sides;
 * - relation ACLs and default ACLs on tables: 17 added MAINTAIN (m) to a table's full set of privileges (an owner's,
 *   GRANT ALL's), so across 17 an item holding all of arwdDxt is compared without its m;
 * - procedure definitions: from 14 on, pg_get_functiondef writes a procedure's input arguments with IN (`IN msg
 *   text`), so across 14 a leading IN of a procedure's argument is left out on both sides;
 * - conversions: 14 gave the built-in conversion functions a sixth argument (noError boolean), so across 14 a
 *   conversion's function is compared by its name.
 * Every other pg_get_*def output is compared as printed.
 */
export async function catalogDifferences(sourceUrl: string, targetUrl: string, opts: { ignore?: (key: string) => boolean } = {}): Promise<CatalogDifference[]> {
  const [sf, tf] = await Promise.all([serverFacts(sourceUrl), serverFacts(targetUrl)]);
  const asOfMajor = Math.min(sf.major, tf.major);
  const across = (major: number): boolean => sf.major < major !== tf.major < major;
  const [s, t] = await Promise.all([catalogPictureOf(sourceUrl, { asOfMajor }), catalogPictureOf(targetUrl, { asOfMajor })]);
  if (across(15)) {
    // a clone that leaves the public schema at the target's default, as pg_dump does, is exact; so is a literal copy
    for (const part of ['owner', 'acl'] as const) {
      if (!sf.publicDefault[part] || !tf.publicDefault[part]) continue;
      s.set(`${part} schema public`, 'the default of its major');
      t.set(`${part} schema public`, 'the default of its major');
    }
  }
  const schemas = new Set([...sf.schemas, ...tf.schemas]);
  for (const picture of [s, t]) {
    for (const [key, value] of picture) {
      if (across(16) && /^(view|materialized view) /.test(key)) picture.set(key, unqualified(value, schemas));
      if (across(17) && /^acl (table|view|materialized view|foreign table) |^default acl .* on tables$/.test(key)) picture.set(key, withoutMaintain(value));
      if (across(14) && key.startsWith('procedure ')) picture.set(key, value.replace(/([(,]\s*)IN (?=\w)/g, '$1'));
      if (across(14) && key.startsWith('conversion ')) picture.set(key, value.replace(/^(function: [^(\n]*)\([^)\n]*\)/m, '$1'));
    }
  }
  const keys = [...new Set([...s.keys(), ...t.keys()])].sort();
  const out: CatalogDifference[] = [];
  for (const key of keys) {
    if (opts.ignore?.(key)) continue;
    const a = s.get(key) ?? null;
    const b = t.get(key) ?? null;
    if (a !== b) out.push({ key, source: a, target: b });
  }
  return out;
}
