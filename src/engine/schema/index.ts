// The built-in schema engine: the source's schema read from its catalogs, in the run's snapshot, over the
// connection that holds it — the same SchemaDump the pg_dump engine makes, with no client program.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DumpOptions, SchemaDump, TocEntry } from '../pg/dump.js';
import { mapRolesInSql } from '../role-map.js';
import type { ReadContext, SchemaItem, Unsupported } from './model.js';
import { readExtensionAcls, readExtensions, readSchemas, readSequences, readTypes } from './read-core.js';
import { readConstraints, readDefaults, readIndexes, readPolicies, readRelations, readRules, readStatistics, readTriggers } from './read-tables.js';
import { readRoutines } from './read-routines.js';
import { readExtra } from './read-extra.js';
import { completenessProbe } from './probe.js';
import { orderItems, readDepends } from './order.js';
import { selectObjects } from './select.js';

/** The session settings pg_dump's scripts start with: every item of either section runs after them. */
export const PREAMBLE = `SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
`;

export interface BuiltinSchema {
  dump: SchemaDump;
  /** what the engine cannot reproduce: preflight refuses the run, naming each */
  unsupported: Unsupported[];
  /** things said once (a user mapping's password left out) */
  notes: string[];
}

/**
 * Read the schema on `db`, a connection inside the run's snapshot (repeatable read). search_path is emptied for
 * the reading, so every name the server prints is qualified, and put back after.
 */
export async function readSchema(db: pg.ClientBase, version: number, opts: DumpOptions): Promise<BuiltinSchema> {
  const before = await db.query<{ path: string }>(`SELECT current_setting('search_path') AS path`);
  await db.query(`SELECT pg_catalog.set_config('search_path', '', true)`);
  {
    const sel = await selectObjects(db, { filters: opts.filters, alsoTables: opts.alsoTables ?? [], noOwner: opts.noOwner, noAcl: opts.noAcl });
    const ctx: ReadContext = {
      db,
      version,
      opts: { filters: opts.filters, alsoTables: opts.alsoTables ?? [], noOwner: opts.noOwner, noAcl: opts.noAcl },
      ...sel,
    };
    const types = await readTypes(ctx);
    const extra = await readExtra(ctx);
    const items: SchemaItem[] = [
      ...(await readSchemas(ctx)),
      ...(await readExtensions(ctx)),
      ...(await readExtensionAcls(ctx)),
      ...types.items,
      ...(await readRoutines(ctx)),
      ...(await readSequences(ctx)),
      ...(await readRelations(ctx)),
      ...(await readDefaults(ctx)),
      ...(await readConstraints(ctx)),
      ...(await readIndexes(ctx)),
      ...(await readTriggers(ctx)),
      ...(await readRules(ctx)),
      ...(await readPolicies(ctx)),
      ...(await readStatistics(ctx)),
      ...extra.items,
    ];
    const covered = new Set(items.flatMap((i) => [i.key, ...i.provides]));
    mergeInto(items);
    const unsupported = [...types.unsupported, ...extra.unsupported, ...(await completenessProbe(ctx, covered))];
    const { ordered, cycles } = orderItems(items, await readDepends(db));
    unsupported.push(...cycles);
    // a reader's own refusal says why; the probe's for the same object adds nothing
    const seen = new Set<string>();
    const refusals = unsupported.filter((u) => {
      const k = `${u.kind}\0${u.identity}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const catalogs = await catalogOids(db);
    // a failed reading leaves the transaction aborted (the run starts again with a new one): put it back only here
    await db.query(`SELECT pg_catalog.set_config('search_path', $1, true)`, [before.rows[0]?.path ?? 'pg_catalog']);
    return { dump: assemble(ordered, catalogs, opts), unsupported: refusals, notes: extra.notes };
  }
}

/** Items that say `into` leave the list: their SQL is appended to the item holding that reference. */
function mergeInto(items: SchemaItem[]): void {
  const holder = new Map<string, SchemaItem>();
  for (const it of items) if (!it.into) for (const k of [it.key, ...it.provides]) if (!holder.has(k)) holder.set(k, it);
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i] as SchemaItem;
    if (!it.into) continue;
    const to = holder.get(it.into);
    if (to) to.sql += it.sql;
    items.splice(i, 1);
  }
}

async function catalogOids(db: pg.ClientBase): Promise<Map<string, number>> {
  const r = await db.query<{ oid: number; relname: string }>(
    `SELECT c.oid::int AS oid, c.relname FROM pg_catalog.pg_class c WHERE c.relnamespace = 'pg_catalog'::pg_catalog.regnamespace AND c.relkind = 'r'`,
  );
  return new Map(r.rows.map((x) => [x.relname, x.oid]));
}

function assemble(ordered: SchemaItem[], catalogs: Map<string, number>, opts: DumpOptions): SchemaDump {
  const map = opts.roleMap ?? [];
  const toc: TocEntry[] = [];
  const pre: string[] = [];
  const postData: SchemaDump['postData'] = [];
  ordered.forEach((it, i) => {
    const entry: TocEntry = {
      dumpId: i + 1,
      tableoid: it.catalog === '' ? 0 : (catalogs.get(it.catalog) ?? 0),
      oid: it.oid,
      desc: it.desc,
      rest: `${it.schema ?? '-'} ${it.name} ${it.owner ?? '-'}`,
      section: it.section,
    };
    toc.push(entry);
    const sql = mapRolesInSql(it.sql, map);
    if (it.section === 'pre-data') pre.push(sql);
    else postData.push({ entry, sql, ...(it.deferred ? { deferred: { ...it.deferred, sql: mapRolesInSql(it.deferred.sql, map) } } : {}) });
  });
  const preDataSql = PREAMBLE + pre.join('');
  const hash = createHash('sha256').update(preDataSql).update('\0');
  for (const p of postData) hash.update(p.entry.desc).update('\0').update(p.sql).update('\0');
  return { preDataSql, postPreamble: PREAMBLE, toc, postData, hash: hash.digest('hex') };
}
