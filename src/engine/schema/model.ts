// The built-in schema engine's vocabulary: what a reader returns for each object it reads from the source's catalogs.
import type pg from 'pg';
import type { Filters } from '../../events/schemas.js';

export type Section = 'pre-data' | 'post-data';

/**
 * One object (or one part of one: a column default, a constraint) with the SQL that makes it on an empty target.
 * `key` and `provides` are catalog references, `catalog:oid` (e.g. `pg_class:16384`); pg_depend's rows between
 * references become the order the items are applied in. Nothing here holds an oid in its SQL: the text is the same
 * on every reading of an unchanged source (it is hashed, and post-data item ids come from it).
 */
export interface SchemaItem {
  key: string;
  /** pg_dump's word for the kind (TOC description): TABLE, INDEX, FK CONSTRAINT, MATERIALIZED VIEW DATA … */
  desc: string;
  section: Section;
  /** the catalog the object lives in, and its oid there (what pg_dump's TOC calls tableoid and oid) */
  catalog: string;
  oid: number;
  /** for messages and the TOC: schema (null for schemaless objects), name, owner */
  schema: string | null;
  name: string;
  owner: string | null;
  /** complete statements, each ending in `;` and a newline */
  sql: string;
  /** references this item needs first (besides what pg_depend records): `catalog:oid` */
  deps: string[];
  /** more references this item creates: a table's row type and array type, a view's rewrite rule, a domain's constraints */
  provides: string[];
  /** order among items with no dependency between them: lower first (pg_dump's object-type priority) */
  priority: number;
  /**
   * Not an item of its own: its SQL is appended to the item that holds this reference (what must follow another
   * item's statement in the same transaction — a key's CLUSTER ON, a partition's trigger disabled after its parent's
   * is made — where the post-data scheduler, which runs a table's items as that table is ready, could not order two).
   */
  into?: string;
  /**
   * A foreign key only: the same statement NOT VALID, and the VALIDATE that makes it valid. A run that catches up
   * adds its foreign keys unvalidated before catch-up (rows read in different snapshots may not match until the
   * source's changes are applied) and validates them once it has caught up.
   */
  deferred?: Deferred;
}

/** A foreign key's NOT VALID form, its VALIDATE, and its name for messages (`fk on public.t`). */
export interface Deferred {
  sql: string;
  validate: string;
  name: string;
}

export interface ReadOptions {
  filters: Filters;
  /** relations to read besides what the filters select, as schema and name */
  alsoTables: { schema: string; name: string }[];
  noOwner: boolean;
  noAcl: boolean;
}

/** An item with what most leave out filled in: no deps, no provides, pre-data. */
export function schemaItem(x: Omit<SchemaItem, 'deps' | 'provides' | 'section'> & Partial<Pick<SchemaItem, 'deps' | 'provides' | 'section'>>): SchemaItem {
  return { section: 'pre-data', deps: [], provides: [], ...x };
}

/** What every reader gets: the source connection (in the run's snapshot, search_path empty), its version, the selection. */
export interface ReadContext {
  db: pg.ClientBase;
  /** server_version_num of the source, e.g. 150004 */
  version: number;
  opts: ReadOptions;
  /** oids of the namespaces whose objects are read (schema filters applied) */
  namespaces: number[];
  /** oids of the relations that are read (tables, views, matviews, sequences, foreign tables; table filters applied) */
  relations: number[];
  /** true when no --schema or --table narrows the selection (pg_dump's include_everything): schemaless objects are read */
  everything: boolean;
}

/** An object the engine cannot reproduce: refused by name in preflight. */
export interface Unsupported {
  kind: string;
  identity: string;
  why: string;
}

/** pg_dump's priorities (pg_dump_sort.c), the order objects with no dependency between them are applied in. */
export const PRIORITY = {
  schema: 1,
  extension: 2,
  language: 3,
  type: 4,
  collation: 5,
  function: 6,
  aggregate: 7,
  operator: 8,
  opfamily: 9,
  cast: 10,
  conversion: 11,
  tsparser: 12,
  tstemplate: 13,
  tsdict: 14,
  tsconfig: 15,
  fdw: 16,
  server: 17,
  table: 18,
  tableAttach: 19,
  default: 20,
  sequence: 21,
  sequenceOwned: 22,
  defaultAcl: 23,
  check: 24,
  matviewData: 30,
  index: 31,
  indexAttach: 32,
  statistics: 33,
  constraint: 34,
  fkConstraint: 35,
  trigger: 36,
  rule: 37,
  rowSecurity: 39,
  policy: 40,
  publication: 41,
  publicationRel: 42,
  /** last, as pg_dump puts them: one on ddl_command_start would fire during the items after it */
  eventTrigger: 50,
} as const;
