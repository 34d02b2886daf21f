// The fidelity fixture's named cases: each applies alone and creates only objects under its prefix; together they apply
// as one query after FIDELITY_SQL, and each leaves objects of its own kind, and rows in every table.
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { fidelityCases, fidelitySql, type FidelityCase } from '../fixtures/fidelity.js';

/**
 * Every user object of the database, named by what a case's prefix is matched against: its schema, or its own name
 * when it has none (a cast by the schema of its user-defined type, a user mapping or a publication's member by the
 * server or publication). `name` is null for what no name can carry: default privileges for all schemas, and the
 * database's own settings other than custom ones, its comment and its grants. Objects of extensions are left out.
 */
function censusSql(major: number): string {
  const own = (catalog: string, alias = 'x') =>
    `${alias}.oid >= 16384 AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${alias}.oid AND e.deptype = 'e')`;
  const inSchema = (kind: string, catalog: string, nsp: string) =>
    `SELECT '${kind}', n.nspname::text FROM ${catalog} x JOIN pg_namespace n ON n.oid = x.${nsp} WHERE ${own(catalog)}`;
  const onRelation = (kind: string, catalog: string, rel: string, extra: string) =>
    `SELECT '${kind}', n.nspname::text FROM ${catalog} x JOIN pg_class c ON c.oid = x.${rel} JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${own(catalog)} AND ${extra}`;
  const parts = [
    `SELECT 'schema', nspname::text FROM pg_namespace x WHERE ${own('pg_namespace')}`,
    inSchema('relation', 'pg_class', 'relnamespace'),
    inSchema('type', 'pg_type', 'typnamespace'),
    inSchema('function', 'pg_proc', 'pronamespace'),
    inSchema('constraint', 'pg_constraint', 'connamespace'),
    inSchema('collation', 'pg_collation', 'collnamespace'),
    inSchema('conversion', 'pg_conversion', 'connamespace'),
    inSchema('operator', 'pg_operator', 'oprnamespace'),
    inSchema('operator class', 'pg_opclass', 'opcnamespace'),
    inSchema('operator family', 'pg_opfamily', 'opfnamespace'),
    inSchema('text search configuration', 'pg_ts_config', 'cfgnamespace'),
    inSchema('text search dictionary', 'pg_ts_dict', 'dictnamespace'),
    inSchema('text search parser', 'pg_ts_parser', 'prsnamespace'),
    inSchema('text search template', 'pg_ts_template', 'tmplnamespace'),
    inSchema('statistics', 'pg_statistic_ext', 'stxnamespace'),
    inSchema('extension', 'pg_extension', 'extnamespace'),
    onRelation('trigger', 'pg_trigger', 'tgrelid', 'NOT x.tgisinternal'),
    onRelation('policy', 'pg_policy', 'polrelid', 'true'),
    onRelation('rule', 'pg_rewrite', 'ev_class', `x.rulename <> '_RETURN'`),
    onRelation('default', 'pg_attrdef', 'adrelid', 'true'),
    `SELECT 'default privileges', n.nspname::text FROM pg_default_acl x LEFT JOIN pg_namespace n ON n.oid = x.defaclnamespace WHERE ${own('pg_default_acl')}`,
    `SELECT 'cast', n.nspname::text FROM pg_cast x JOIN pg_type t ON t.oid = CASE WHEN x.castsource >= 16384 THEN x.castsource ELSE x.casttarget END
       JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ${own('pg_cast')}`,
    `SELECT 'event trigger', evtname::text FROM pg_event_trigger x WHERE ${own('pg_event_trigger')}`,
    `SELECT 'publication', pubname::text FROM pg_publication x WHERE ${own('pg_publication')}`,
    `SELECT 'publication table', p.pubname::text FROM pg_publication_rel x JOIN pg_publication p ON p.oid = x.prpubid WHERE ${own('pg_publication_rel')}`,
    ...(major >= 15
      ? [
          `SELECT 'publication schema', p.pubname::text FROM pg_publication_namespace x JOIN pg_publication p ON p.oid = x.pnpubid WHERE ${own('pg_publication_namespace')}`,
        ]
      : []),
    `SELECT 'foreign-data wrapper', fdwname::text FROM pg_foreign_data_wrapper x WHERE ${own('pg_foreign_data_wrapper')}`,
    `SELECT 'server', srvname::text FROM pg_foreign_server x WHERE ${own('pg_foreign_server')}`,
    `SELECT 'user mapping', s.srvname::text FROM pg_user_mapping x JOIN pg_foreign_server s ON s.oid = x.umserver WHERE ${own('pg_user_mapping')}`,
    `SELECT 'access method', amname::text FROM pg_am x WHERE ${own('pg_am')}`,
    `SELECT 'database setting', CASE WHEN split_part(c, '=', 1) LIKE '%.%' THEN split_part(c, '=', 1) END
       FROM pg_db_role_setting s CROSS JOIN unnest(s.setconfig) c WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    `SELECT 'database comment', NULL FROM pg_database d WHERE d.datname = current_database() AND shobj_description(d.oid, 'pg_database') IS NOT NULL`,
    `SELECT 'database grants', NULL FROM pg_database d WHERE d.datname = current_database() AND d.datacl IS NOT NULL`,
  ];
  return `SELECT kind, name FROM (${parts.join('\n UNION ALL ')}) o(kind, name)
           WHERE name IS NULL OR name NOT IN ('pg_catalog', 'information_schema', 'pgclone') AND name NOT LIKE 'pg\\_toast%'`;
}

/** One query per case, true when the case made its kind of object (not merely something under its prefix). */
const PROBES: Record<string, string> = {
  'enum type': `SELECT bool_or(e.enumsortorder <> floor(e.enumsortorder)) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typnamespace = 'k_enum'::regnamespace`,
  'composite type': `SELECT count(*) >= 4 AND EXISTS (SELECT FROM pg_class WHERE oid = 'k_comp.people'::regclass AND reloftype <> 0) FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid
    WHERE c.relkind = 'c' AND t.typnamespace = 'k_comp'::regnamespace`,
  'domain with constraints': `SELECT bool_or(NOT convalidated) AND count(*) >= 5 FROM pg_constraint WHERE contypid <> 0 AND connamespace = 'k_dom'::regnamespace`,
  'range type': `SELECT count(*) = 3 FROM pg_range r JOIN pg_type t ON t.oid = r.rngtypid WHERE t.typnamespace = 'k_range'::regnamespace`,
  'multirange (14)': `SELECT count(*) = 1 FROM pg_type WHERE typtype = 'm' AND typname = 'intr_set' AND typnamespace = 'k_mrange'::regnamespace`,
  collation: `SELECT count(*) >= 3 FROM pg_collation WHERE collnamespace = 'k_coll'::regnamespace`,
  'column types, typmods and arrays': `SELECT count(*) FILTER (WHERE atttypmod <> -1) >= 10 AND count(*) FILTER (WHERE attndims > 0 OR atttypid IN (SELECT typarray FROM pg_type)) >= 4
    FROM pg_attribute WHERE attrelid = 'k_types.t'::regclass AND attnum > 0`,
  'dropped and added columns': `SELECT count(*) FILTER (WHERE attisdropped) = 3 AND bool_or(atthasmissing) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = 'k_dropped'::regnamespace AND attnum > 0`,
  'identity options': `SELECT count(*) FILTER (WHERE attidentity = 'a') = 2 AND count(*) FILTER (WHERE attidentity = 'd') = 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = 'k_ident'::regnamespace AND c.relkind = 'r'`,
  'identity on a partitioned table (17)': `SELECT bool_or(attidentity = 'a') FROM pg_attribute WHERE attrelid = 'k_pident.t'::regclass`,
  'generated stored': `SELECT count(*) FILTER (WHERE attgenerated = 's') >= 3 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relnamespace = 'k_gen'::regnamespace`,
  'virtual generated (18)': `SELECT count(*) FILTER (WHERE attgenerated = 'v') = 2 FROM pg_attribute WHERE attrelid = 'k_virt.t'::regclass`,
  'not null constraints (18, named, NOT VALID)': `SELECT bool_or(contype = 'n' AND NOT convalidated) AND bool_or(contype = 'n' AND conname = 't_id_named') AND bool_or(contype = 'n' AND connoinherit)
    FROM pg_constraint WHERE connamespace = 'k_nn'::regnamespace`,
  'storage and column options': `SELECT count(*) FILTER (WHERE a.attstorage <> t.typstorage) = 3 AND bool_or(a.attoptions IS NOT NULL) AND bool_or(a.attstattarget > 0)
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = 'k_stor.t'::regclass AND a.attnum > 0`,
  'compression (14)': `SELECT count(*) FILTER (WHERE attcompression <> '') >= 2 FROM pg_attribute WHERE attrelid = 'k_toast.t'::regclass`,
  'reloptions and unlogged': `SELECT count(*) FILTER (WHERE reloptions IS NOT NULL) >= 4 AND bool_or(relpersistence = 'u') FROM pg_class WHERE relnamespace = 'k_rel'::regnamespace`,
  'unlogged sequence (15)': `SELECT count(*) = 2 FROM pg_class WHERE relkind = 'S' AND relpersistence = 'u' AND relnamespace = 'k_useq'::regnamespace`,
  'replica identity': `SELECT count(DISTINCT relreplident) = 4 FROM pg_class WHERE relkind = 'r' AND relnamespace = 'k_ri'::regnamespace`,
  inheritance: `SELECT count(*) >= 4 AND count(DISTINCT inhrelid) < count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relnamespace = 'k_inh'::regnamespace`,
  'inheritance added later, columns in their own order': `SELECT (SELECT attname FROM pg_attribute WHERE attrelid = 'k_latinh.late'::regclass AND attnum = 1) = 'own'
    AND EXISTS (SELECT FROM pg_inherits WHERE inhrelid = 'k_latinh.late'::regclass)`,
  'partitions and default partition': `SELECT count(*) FILTER (WHERE c.relispartition) >= 10 AND (SELECT count(*) FROM pg_partitioned_table p JOIN pg_class t ON t.oid = p.partrelid
    WHERE p.partdefid <> 0 AND t.relnamespace = 'k_part'::regnamespace) = 2 FROM pg_class c WHERE c.relnamespace = 'k_part'::regnamespace`,
  'partitioned index attached': `SELECT count(*) FILTER (WHERE p.relkind = 'I') >= 4 AND bool_or(NOT x.indisvalid) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
    JOIN pg_index x ON x.indexrelid = p.oid WHERE p.relnamespace = 'k_pidx'::regnamespace`,
  'unique nulls not distinct (15)': `SELECT count(*) FILTER (WHERE x.indnullsnotdistinct) = 2 FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relnamespace = 'k_unnd'::regnamespace`,
  'deferrable unique': `SELECT count(*) FILTER (WHERE condeferrable) = 3 AND count(*) FILTER (WHERE condeferred) = 1 FROM pg_constraint WHERE connamespace = 'k_defer'::regnamespace`,
  'check not valid / no inherit': `SELECT bool_or(contype = 'c' AND NOT convalidated) AND bool_or(contype = 'c' AND connoinherit) FROM pg_constraint WHERE connamespace = 'k_chk'::regnamespace`,
  'fk actions, match full, deferrable, not valid': `SELECT bool_or(confmatchtype = 'f') AND bool_or(condeferred) AND bool_or(NOT convalidated) AND bool_or(confdeltype = 'd') AND bool_or(confupdtype = 'c')
    AND bool_or(confrelid = 'k_fk.pp'::regclass) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'k_fk'::regnamespace`,
  'fk set null column list (15)': `SELECT count(*) FILTER (WHERE confdelsetcols IS NOT NULL) = 2 FROM pg_constraint WHERE contype = 'f' AND connamespace = 'k_setnull'::regnamespace`,
  'not enforced constraints (18)': `SELECT count(*) FILTER (WHERE NOT conenforced) = 3 FROM pg_constraint WHERE connamespace = 'k_unenf'::regnamespace`,
  'temporal keys, WITHOUT OVERLAPS and PERIOD (18)': `SELECT count(*) FILTER (WHERE conperiod) = 3 FROM pg_constraint WHERE connamespace = 'k_temporal'::regnamespace`,
  'exclusion constraint': `SELECT count(*) FILTER (WHERE contype = 'x') = 3 FROM pg_constraint WHERE connamespace = 'k_excl'::regnamespace`,
  'index partial/expression/include/opclass/collation': `SELECT bool_or(x.indpred IS NOT NULL) AND bool_or(x.indexprs IS NOT NULL) AND bool_or(x.indnkeyatts < x.indnatts)
    AND count(DISTINCT c.relam) >= 6 FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relnamespace = 'k_idx'::regnamespace`,
  'view options (security_barrier, check option, column defaults)': `SELECT count(*) FILTER (WHERE reloptions IS NOT NULL) >= 2 AND count(*) FILTER (WHERE pg_get_viewdef(oid) LIKE '%CHECK OPTION%' OR reloptions::text LIKE '%check_option%') >= 2
    AND EXISTS (SELECT FROM pg_attrdef WHERE adrelid = 'k_view.aliased'::regclass) FROM pg_class WHERE relkind = 'v' AND relnamespace = 'k_view'::regnamespace`,
  'view security_invoker (15)': `SELECT count(*) = 2 FROM pg_class WHERE relkind = 'v' AND ('security_invoker=true' = ANY (reloptions) OR 'security_invoker=on' = ANY (reloptions)) AND relnamespace = 'k_vinv'::regnamespace`,
  'view with SQL/JSON constructors (16)': `SELECT bool_or(pg_get_viewdef(oid) LIKE '%JSON_OBJECT(%') AND bool_or(pg_get_viewdef(oid) LIKE '%JSON_ARRAYAGG(%') FROM pg_class WHERE relkind = 'v' AND relnamespace = 'k_json16'::regnamespace`,
  'view with JSON_TABLE and SQL/JSON queries (17)': `SELECT bool_or(pg_get_viewdef(oid) LIKE '%JSON_TABLE(%') AND bool_or(pg_get_viewdef(oid) LIKE '%JSON_VALUE(%') FROM pg_class WHERE relkind = 'v' AND relnamespace = 'k_json17'::regnamespace`,
  'materialized view with index': `SELECT count(DISTINCT m.oid) = 2 AND count(x.indexrelid) = 2 FROM pg_class m LEFT JOIN pg_index x ON x.indrelid = m.oid
    WHERE m.relkind = 'm' AND m.relispopulated AND m.relnamespace = 'k_mv'::regnamespace`,
  'materialized view not populated': `SELECT bool_and(NOT relispopulated) FROM pg_class WHERE relkind = 'm' AND relnamespace = 'k_unpop'::regnamespace`,
  'functions in every language (sql, plpgsql, internal) and their options': `SELECT count(DISTINCT prolang) = 3 AND bool_or(prosecdef) AND bool_or(proconfig IS NOT NULL) AND bool_or(proleakproof) AND bool_or(provariadic <> 0)
    AND bool_or(proretset) FROM pg_proc WHERE pronamespace = 'k_fn'::regnamespace`,
  'functions and procedures with SQL-standard bodies (14)': `SELECT count(*) FILTER (WHERE prosqlbody IS NOT NULL) = 4 AND bool_or(prokind = 'p' AND prosqlbody IS NOT NULL) FROM pg_proc WHERE pronamespace = 'k_stdbody'::regnamespace`,
  procedure: `SELECT count(*) FILTER (WHERE prokind = 'p') = 3 FROM pg_proc WHERE pronamespace = 'k_proc'::regnamespace`,
  aggregate: `SELECT count(*) = 5 AND bool_or(a.aggkind = 'o') AND bool_or(a.aggmtransfn <> 0) AND bool_or(a.aggcombinefn <> 0) AND bool_or(a.aggsortop <> 0)
    FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.pronamespace = 'k_agg'::regnamespace`,
  'trigger states (enabled/disabled/replica/always) and constraint trigger': `SELECT count(DISTINCT t.tgenabled) = 4 AND bool_or(t.tgconstraint <> 0) AND bool_or(t.tgnewtable IS NOT NULL)
    AND EXISTS (SELECT FROM pg_trigger p WHERE p.tgrelid = 'k_trg.parted_2'::regclass AND p.tgparentid <> 0 AND p.tgenabled = 'D')
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relnamespace = 'k_trg'::regnamespace`,
  'event trigger': `SELECT count(DISTINCT evtenabled) = 4 FROM pg_event_trigger WHERE evtname LIKE 'k\\_evt%'`,
  'login event trigger (17)': `SELECT count(*) = 1 FROM pg_event_trigger WHERE evtevent = 'login' AND evtname LIKE 'k\\_login%'`,
  rule: `SELECT count(*) = 5 AND count(DISTINCT r.ev_enabled) = 3 FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE r.rulename <> '_RETURN' AND c.relnamespace = 'k_rule'::regnamespace`,
  'row-level security and policies': `SELECT (SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'k_rls.doc'::regclass)
    AND (SELECT count(*) = 5 AND bool_or(NOT polpermissive) FROM pg_policy WHERE polrelid = 'k_rls.doc'::regclass)`,
  'comments on everything commentable': `SELECT count(DISTINCT d.classoid) >= 20 FROM pg_description d, pg_identify_object(d.classoid, d.objoid, 0) o
    WHERE o.schema = 'k_cmt' OR o.identity LIKE 'k\\_cmt%' OR o.identity LIKE '% k\\_cmt.%'`,
  'ownership and grants (table, column, sequence, function, schema, type) and default privileges': `SELECT
        (SELECT nspowner = 'k_owner'::regrole AND nspacl IS NOT NULL FROM pg_namespace WHERE nspname = 'k_grant')
    AND (SELECT count(*) FILTER (WHERE relacl IS NOT NULL) >= 5 AND bool_or(relowner = 'k_owner'::regrole) AND bool_or(relkind = 'S' AND relacl IS NOT NULL) FROM pg_class WHERE relnamespace = 'k_grant'::regnamespace)
    AND EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'k_grant.t'::regclass AND attacl IS NOT NULL)
    AND EXISTS (SELECT FROM pg_proc WHERE pronamespace = 'k_grant'::regnamespace AND proacl IS NOT NULL)
    AND (SELECT count(*) = 2 FROM pg_type WHERE typnamespace = 'k_grant'::regnamespace AND typacl IS NOT NULL)
    AND (SELECT count(*) FILTER (WHERE defaclnamespace = 0) = 3 AND count(*) FILTER (WHERE defaclnamespace = 'k_grant'::regnamespace) = 3 FROM pg_default_acl WHERE defaclrole = 'k_owner'::regrole)
    AND EXISTS (SELECT FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = 'k_grant.t'::regclass AND a.grantor = 'k_writer'::regrole)`,
  'maintain privilege (17)': `SELECT count(*) = 2 FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = 'k_maint.t'::regclass AND a.privilege_type = 'MAINTAIN' AND a.grantee <> c.relowner`,
  'database settings, comment and grants': `SELECT
        (SELECT count(*) = 1 FROM pg_db_role_setting s, pg_database d WHERE d.datname = current_database() AND s.setdatabase = d.oid AND s.setrole = 0 AND 'k_db.mode=clone me' = ANY (s.setconfig))
    AND (SELECT count(*) = 1 FROM pg_db_role_setting s, pg_database d WHERE d.datname = current_database() AND s.setdatabase = d.oid AND s.setrole = 'k_reader'::regrole)
    AND (SELECT shobj_description(oid, 'pg_database') LIKE 'k_db:%' AND datacl::text LIKE '%k_reader=%' FROM pg_database WHERE datname = current_database())`,
  publication: `SELECT count(*) = 4 AND bool_or(pubviaroot) AND bool_or(pubowner = 'k_owner'::regrole) AND bool_or(pubtruncate AND NOT pubinsert) FROM pg_publication WHERE pubname LIKE 'k\\_pub\\_%'`,
  'publication with column list, row filter and schema (15)': `SELECT (SELECT count(*) FILTER (WHERE prqual IS NOT NULL) = 2 AND count(*) FILTER (WHERE prattrs IS NOT NULL) = 1 FROM pg_publication_rel r
      JOIN pg_publication p ON p.oid = r.prpubid WHERE p.pubname = 'k_pfil_cols') AND EXISTS (SELECT FROM pg_publication_namespace WHERE pnnspid = 'k_pfil'::regnamespace)`,
  'text search configuration, dictionary, template and parser': `SELECT (SELECT count(*) FROM pg_ts_config WHERE cfgnamespace = 'k_ts'::regnamespace) = 2 AND (SELECT count(*) FROM pg_ts_dict WHERE dictnamespace = 'k_ts'::regnamespace) = 2
    AND (SELECT count(*) FROM pg_ts_template WHERE tmplnamespace = 'k_ts'::regnamespace) = 1 AND (SELECT count(*) FROM pg_ts_parser WHERE prsnamespace = 'k_ts'::regnamespace) = 1`,
  'user-defined cast': `SELECT count(*) FILTER (WHERE castmethod = 'f' AND castcontext = 'a') = 1 AND count(*) FILTER (WHERE castmethod = 'i') = 1 FROM pg_cast c JOIN pg_type t ON t.oid = c.castsource
    WHERE t.typnamespace = 'k_cast'::regnamespace`,
  'operator and operator class/family': `SELECT (SELECT count(*) FROM pg_operator WHERE oprnamespace = 'k_op'::regnamespace) = 2 AND (SELECT count(*) FROM pg_opclass WHERE opcnamespace = 'k_op'::regnamespace) = 2
    AND (SELECT count(*) FROM pg_opfamily WHERE opfnamespace = 'k_op'::regnamespace) = 2
    AND EXISTS (SELECT FROM pg_amproc p JOIN pg_opfamily f ON f.oid = p.amprocfamily WHERE f.opfnamespace = 'k_op'::regnamespace AND p.amprocnum = 2)
    AND (SELECT p.partclass[0] = o.oid FROM pg_partitioned_table p, pg_opclass o
          WHERE p.partrelid = 'k_op.parted'::regclass AND o.opcname = 'int_hash_ops' AND o.opcnamespace = 'k_op'::regnamespace)`,
  'extended statistics': `SELECT count(*) = 3 AND bool_or('m' = ANY (stxkind)) AND bool_or('f' = ANY (stxkind)) AND bool_or(stxstattarget > 0) FROM pg_statistic_ext WHERE stxnamespace = 'k_stats'::regnamespace`,
  'expression statistics (14)': `SELECT count(*) FILTER (WHERE stxexprs IS NOT NULL) = 2 FROM pg_statistic_ext WHERE stxnamespace = 'k_xstats'::regnamespace`,
  'foreign data wrapper, server, user mapping and foreign table': `SELECT EXISTS (SELECT FROM pg_foreign_table f JOIN pg_class c ON c.oid = f.ftrelid WHERE c.relnamespace = 'k_fdw'::regnamespace AND f.ftoptions IS NOT NULL)
    AND EXISTS (SELECT FROM pg_user_mapping u JOIN pg_foreign_server s ON s.oid = u.umserver WHERE s.srvname = 'k_fdw_srv' AND u.umoptions IS NOT NULL)
    AND EXISTS (SELECT FROM pg_foreign_data_wrapper WHERE fdwname = 'k_fdw_plain' AND fdwacl IS NOT NULL AND fdwhandler = 0)
    AND (SELECT count(*) FROM pg_foreign_server WHERE srvname LIKE 'k\\_fdw%') >= 2`,
  'cluster on': `SELECT count(*) = 3 FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE x.indisclustered AND c.relnamespace = 'k_clu'::regnamespace`,
  'sequence options and owned by': `SELECT bool_or(s.seqcycle) AND bool_or(s.seqincrement < 0) AND bool_or(s.seqtypid = 'int2'::regtype)
    AND EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = 'k_seq.owned'::regclass AND d.refobjid = 'k_seq.t'::regclass AND d.deptype = 'a')
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = 'k_seq'::regnamespace`,
  'extension in a schema': `SELECT count(*) = 1 FROM pg_extension WHERE extname = 'hstore' AND extnamespace = 'k_hstore'::regnamespace`,
  'extension at a non-default version': `SELECT count(*) = 1 FROM pg_extension WHERE extname = 'seg' AND extversion = '1.1' AND extnamespace = 'k_oldver'::regnamespace`,
  'table access method': `SELECT count(*) = 2 FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'k_am_heap' AND c.relnamespace = 'k_am'::regnamespace`,
  conversion: `SELECT count(*) = 2 FROM pg_conversion WHERE connamespace = 'k_conv'::regnamespace`,
  'cycles (defaults, checks, views and functions that name each other)': `SELECT
        EXISTS (SELECT FROM pg_depend WHERE classid = 'pg_attrdef'::regclass AND refobjid = 'k_cyc.blank_item()'::regprocedure)
    AND EXISTS (SELECT FROM pg_depend WHERE classid = 'pg_constraint'::regclass AND refobjid = 'k_cyc.item_ok(k_cyc.item)'::regprocedure)
    AND EXISTS (SELECT FROM pg_depend WHERE classid = 'pg_rewrite'::regclass AND refobjid = 'k_cyc.item_count()'::regprocedure)
    AND (SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'k_cyc'::regnamespace) = 3`,
  'cycles through SQL-standard bodies (14)': `SELECT
        EXISTS (SELECT FROM pg_depend WHERE classid = 'pg_proc'::regclass AND objid = 'k_stdcyc.blank()'::regprocedure AND refobjid = 'k_stdcyc.acct'::regclass)
    AND EXISTS (SELECT FROM pg_depend WHERE classid = 'pg_attrdef'::regclass AND refobjid = 'k_stdcyc.blank()'::regprocedure)
    AND EXISTS (SELECT FROM pg_depend WHERE classid = 'pg_proc'::regclass AND objid = 'k_stdcyc.from_view()'::regprocedure AND refobjid = 'k_stdcyc.v'::regclass)`,
  'RETURNING old and new in a function body (18)': `SELECT pg_get_functiondef('k_ret18.bump(int)'::regprocedure) ~* 'RETURNING old\\.n,\\s+new\\.n'`,
};

const owns = (c: FidelityCase, name: string | null) => name !== null && name.startsWith(c.objects);

async function serverMajor(db: TestDb): Promise<number> {
  const r = await db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  return Math.floor(Number(r[0]!.v) / 10000);
}

async function census(c: pg.ClientBase, major: number): Promise<{ kind: string; name: string | null }[]> {
  return (await c.query<{ kind: string; name: string | null }>(censusSql(major))).rows;
}

describe('the fidelity cases', () => {
  const every = fidelityCases(18);

  it('are named once each, with prefixes none of which begins another, and a probe of their kind each', () => {
    expect(new Set(every.map((c) => c.name)).size).toBe(every.length);
    const clashes = every.flatMap((a) => every.filter((b) => a !== b && b.objects.startsWith(a.objects)).map((b) => `${a.objects} begins ${b.objects}`));
    expect(clashes).toEqual([]);
    expect(every.filter((c) => !c.objects.startsWith('k_')).map((c) => c.name)).toEqual([]);
    expect(every.filter((c) => !(c.name in PROBES)).map((c) => c.name)).toEqual([]);
    expect(Object.keys(PROBES).filter((name) => !every.some((c) => c.name === name))).toEqual([]);
    expect(fidelityCases(13).every((c) => (c.minMajor ?? 13) <= 13)).toBe(true);
    expect(fidelityCases(13).length).toBeLessThan(every.length);
  });

  describe('on the test server', () => {
    let major: number;
    beforeAll(async () => {
      major = await serverMajor(await createTestDb('fidcase_v'));
    });

    it('each applies on its own and creates objects under its prefix and nowhere else', async () => {
      const db = await createTestDb('fidcase_alone');
      const c = await db.client();
      c.on('notice', () => undefined);
      const failures: string[] = [];
      try {
        for (const k of fidelityCases(major)) {
          await c.query('BEGIN');
          try {
            await c.query(k.sql);
            const objects = await census(c, major);
            const own = objects.filter((o) => o.kind !== 'schema' && owns(k, o.name));
            const strays = objects.filter((o) => o.name !== null && !owns(k, o.name));
            if (own.length === 0) failures.push(`${k.name}: nothing under ${k.objects}`);
            for (const s of strays) failures.push(`${k.name}: a ${s.kind} under ${s.name}, outside ${k.objects}`);
            const probe = await c.query<{ ok: boolean | null }>(`SELECT (${PROBES[k.name]!}) AS ok`);
            if (probe.rows[0]?.ok !== true) failures.push(`${k.name}: its probe found no object of its kind`);
          } catch (e) {
            failures.push(`${k.name}: ${(e as Error).message}`);
          } finally {
            await c.query('ROLLBACK');
          }
        }
      } finally {
        await c.end();
      }
      expect(failures).toEqual([]);
    });

    it('apply after FIDELITY_SQL as one query, each leaving its objects, and rows in every table', async () => {
      const db = await createTestDb('fidcase_all');
      const c = await db.client();
      c.on('notice', () => undefined);
      try {
        await c.query(fidelitySql(major));
        const objects = await census(c, major);
        const failures: string[] = [];
        for (const k of fidelityCases(major)) {
          const n = objects.filter((o) => o.kind !== 'schema' && owns(k, o.name)).length;
          if (n === 0) failures.push(`${k.name}: nothing under ${k.objects}`);
          const probe = await c.query<{ ok: boolean | null }>(`SELECT (${PROBES[k.name]!}) AS ok`);
          if (probe.rows[0]?.ok !== true) failures.push(`${k.name}: its probe found no object of its kind`);
        }
        const tables = await c.query<{ name: string; schema: string }>(
          `SELECT format('%I.%I', n.nspname, c.relname) AS name, n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname LIKE 'k\\_%' ORDER BY 1`,
        );
        expect(tables.rows.length).toBeGreaterThan(80);
        for (const t of tables.rows) {
          const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ONLY ${t.name}`);
          if (r.rows[0]!.n === 0) failures.push(`${t.name} has no rows`);
        }
        expect(failures).toEqual([]);
      } finally {
        await c.end();
      }
    });
  });
});
