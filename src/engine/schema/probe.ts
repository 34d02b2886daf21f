// The safety net under the readers: every user object in the selection that no item makes is refused by name, so a
// kind the engine forgets to read is a refusal in preflight rather than an object silently missing on the target.
import { notCatchUpPublication } from '../pg/slot.js';
import type { ReadContext, Unsupported } from './model.js';
import { castSelected } from './read-extra.js';

/** One catalog's user objects in the selection ($1 namespaces, $2 relations, $3 everything). */
interface Branch {
  catalog: string;
  from: string;
  where: string;
  /** the object's oid column, when not `oid` of the catalog's row */
  oid?: string;
}

function branches(version: number): Branch[] {
  const ns = (col: string) => `${col} = ANY($1::oid[])`;
  const rel = (col: string) => `${col} = ANY($2::oid[])`;
  const all = '$3::bool';
  const list: Branch[] = [
    {
      catalog: 'pg_class',
      from: 'pg_catalog.pg_class x',
      where: `(x.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${rel('x.oid')}) OR (x.relkind = 'c' AND ${ns('x.relnamespace')})
           OR (x.relkind IN ('i', 'I') AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indexrelid = x.oid AND ${rel('i.indrelid')}))`,
    },
    // base types need C input and output functions (an array type or a relation's row type goes with its owner);
    // a shell type (CREATE TYPE name, never defined) is a pseudo-type of its own
    {
      catalog: 'pg_type',
      from: 'pg_catalog.pg_type x',
      where: `${ns('x.typnamespace')} AND ((x.typtype = 'b' AND x.typrelid = 0 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = x.oid))
                                        OR (x.typtype = 'p' AND NOT x.typisdefined))`,
    },
    { catalog: 'pg_proc', from: 'pg_catalog.pg_proc x', where: ns('x.pronamespace') },
    // what PostgreSQL makes itself goes with what it is made from: inherited checks and not-nulls, the foreign keys
    // and constraint triggers a partition clones from its parent
    {
      catalog: 'pg_constraint',
      from: 'pg_catalog.pg_constraint x',
      where: `(${rel('x.conrelid')} OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.oid = x.contypid AND x.contypid <> 0 AND ${ns('t.typnamespace')}))
          AND NOT (x.contype IN ('c', 'n') AND NOT x.conislocal) AND NOT (x.contype IN ('f', 't') AND x.conparentid <> 0)`,
    },
    { catalog: 'pg_trigger', from: 'pg_catalog.pg_trigger x', where: `${rel('x.tgrelid')} AND NOT x.tgisinternal AND x.tgparentid = 0` },
    { catalog: 'pg_rewrite', from: 'pg_catalog.pg_rewrite x', where: `${rel('x.ev_class')} AND x.rulename <> '_RETURN'` },
    { catalog: 'pg_policy', from: 'pg_catalog.pg_policy x', where: rel('x.polrelid') },
    { catalog: 'pg_statistic_ext', from: 'pg_catalog.pg_statistic_ext x', where: rel('x.stxrelid') },
    { catalog: 'pg_operator', from: 'pg_catalog.pg_operator x', where: ns('x.oprnamespace') },
    { catalog: 'pg_opclass', from: 'pg_catalog.pg_opclass x', where: ns('x.opcnamespace') },
    { catalog: 'pg_opfamily', from: 'pg_catalog.pg_opfamily x', where: ns('x.opfnamespace') },
    { catalog: 'pg_cast', from: 'pg_catalog.pg_cast x', where: castSelected('x', '$1', '$3') },
    { catalog: 'pg_conversion', from: 'pg_catalog.pg_conversion x', where: ns('x.connamespace') },
    { catalog: 'pg_collation', from: 'pg_catalog.pg_collation x', where: ns('x.collnamespace') },
    { catalog: 'pg_ts_config', from: 'pg_catalog.pg_ts_config x', where: ns('x.cfgnamespace') },
    { catalog: 'pg_ts_dict', from: 'pg_catalog.pg_ts_dict x', where: ns('x.dictnamespace') },
    { catalog: 'pg_ts_parser', from: 'pg_catalog.pg_ts_parser x', where: ns('x.prsnamespace') },
    { catalog: 'pg_ts_template', from: 'pg_catalog.pg_ts_template x', where: ns('x.tmplnamespace') },
    { catalog: 'pg_foreign_data_wrapper', from: 'pg_catalog.pg_foreign_data_wrapper x', where: all },
    { catalog: 'pg_foreign_server', from: 'pg_catalog.pg_foreign_server x', where: all },
    // the catalog itself is a superuser's; the view lists every mapping to anyone
    { catalog: 'pg_user_mapping', from: 'pg_catalog.pg_user_mappings x', where: all, oid: 'x.umid' },
    // a run's own catch-up publication is not the source's to clone
    { catalog: 'pg_publication', from: 'pg_catalog.pg_publication x', where: `${all} AND ${notCatchUpPublication('x.pubname')}` },
    {
      catalog: 'pg_publication_rel',
      from: 'pg_catalog.pg_publication_rel x',
      where: `${all} AND ${rel('x.prrelid')} AND (SELECT ${notCatchUpPublication('p.pubname')} FROM pg_catalog.pg_publication p WHERE p.oid = x.prpubid)`,
    },
    { catalog: 'pg_event_trigger', from: 'pg_catalog.pg_event_trigger x', where: all },
    { catalog: 'pg_language', from: 'pg_catalog.pg_language x', where: all },
    { catalog: 'pg_transform', from: 'pg_catalog.pg_transform x', where: all },
    { catalog: 'pg_am', from: 'pg_catalog.pg_am x', where: all },
    {
      catalog: 'pg_extension',
      from: 'pg_catalog.pg_extension x',
      where: `${all} AND (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid = x.extnamespace) <> 'pgclone'`,
    },
    { catalog: 'pg_namespace', from: 'pg_catalog.pg_namespace x', where: ns('x.oid') },
    { catalog: 'pg_default_acl', from: 'pg_catalog.pg_default_acl x', where: `${ns('x.defaclnamespace')} OR (x.defaclnamespace = 0 AND ${all})` },
    // a subscription is this database's too, though its catalog is shared
    {
      catalog: 'pg_subscription',
      from: 'pg_catalog.pg_subscription x',
      where: `${all} AND x.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())`,
    },
  ];
  if (version >= 150000)
    list.push({ catalog: 'pg_publication_namespace', from: 'pg_catalog.pg_publication_namespace x', where: `${all} AND ${ns('x.pnnspid')}` });
  return list;
}

/**
 * Every object in the selected namespaces and relations (and in the schemaless catalogs when ctx.everything)
 * that is neither built in nor an extension's member and whose `catalog:oid` is not in `covered` (the keys and
 * provides of every item the engine produced), with pg_identify_object's type and identity.
 */
export async function completenessProbe(ctx: ReadContext, covered: Set<string>): Promise<Unsupported[]> {
  const union = branches(ctx.version)
    .map(
      (b) => `SELECT '${b.catalog}'::text AS catalog, 'pg_catalog.${b.catalog}'::pg_catalog.regclass::oid AS classid, ${b.oid ?? 'x.oid'} AS oid
                   FROM ${b.from} WHERE ${b.where}`,
    )
    .join('\n UNION ALL\n');
  const r = await ctx.db.query<{ kind: string; identity: string }>(
    // covered as a relation of its own: an anti-join the planner hashes, not a scan of the array per object
    `WITH objects AS (${union}), covered AS (SELECT unnest($4::text[]) AS k)
     SELECT (pg_catalog.pg_identify_object(o.classid, o.oid, 0)).type AS kind, (pg_catalog.pg_identify_object(o.classid, o.oid, 0)).identity AS identity
       FROM objects o
      WHERE o.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM covered c WHERE c.k = o.catalog || ':' || o.oid)
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = o.classid AND e.objid = o.oid AND e.deptype IN ('e', 'i'))
      ORDER BY 1, 2`,
    [ctx.namespaces, ctx.relations, ctx.everything, [...covered]],
  );
  return r.rows.map((u) => ({ kind: u.kind, identity: u.identity, why: 'not reproduced by the built-in engine' }));
}
