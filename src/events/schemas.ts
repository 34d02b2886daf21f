// The event log's vocabulary: one zod schema per event, which is both the runtime check and the type.
import { z } from 'zod';

export const EVENT_VERSION = 1 as const;

/** 'catch-up' runs only in a run whose options say so (catchUp); older logs never open it. */
export const PHASES = ['preflight', 'schema', 'data', 'post-data', 'large-objects', 'catch-up', 'sequences', 'verify'] as const;
export const Phase = z.enum(PHASES);
export type Phase = z.infer<typeof Phase>;

/** A table or other relation, unquoted parts. */
export const TableRef = z.object({ schema: z.string(), name: z.string() });
export type TableRef = z.infer<typeof TableRef>;

/** Who and where a database is — never a password. */
export const ConnectionIdentity = z
  .object({
    host: z.string(),
    port: z.number().int(),
    database: z.string(),
    user: z.string(),
    serverVersion: z.string(),
    fingerprint: z.string(),
  })
  .strict();
export type ConnectionIdentity = z.infer<typeof ConnectionIdentity>;

export const Operator = z.object({ user: z.string(), host: z.string(), pid: z.number().int() });
export type Operator = z.infer<typeof Operator>;

export const Filters = z.object({
  schemas: z.array(z.string()),
  excludeSchemas: z.array(z.string()),
  tables: z.array(z.string()),
  excludeTables: z.array(z.string()),
  excludeTableData: z.array(z.string()),
});
export type Filters = z.infer<typeof Filters>;

export const VerifyMode = z.enum(['none', 'count', 'checksum']);
export type VerifyMode = z.infer<typeof VerifyMode>;

export const RunOptions = z.object({
  filters: Filters,
  jobs: z.number().int().positive(),
  indexJobs: z.number().int().positive(),
  verify: VerifyMode,
  batchBytes: z.number().int().positive(),
  noOwner: z.boolean(),
  noAcl: z.boolean(),
  binary: z.boolean(),
  /** per index job; absent in older logs (the server's setting then) */
  maintenanceWorkMemBytes: z.number().int().positive().optional(),
  /** leave the target's planner statistics to autovacuum; absent in older logs (whose plans hold no analyze items) */
  noAnalyze: z.boolean().optional(),
  /** --roles: create the roles the schema names that the target lacks; absent in older logs */
  roles: z.boolean().optional(),
  /** --role-map: owners and grantees named `from` on the source are `to` on the target; absent in older logs */
  roleMap: z.array(z.object({ from: z.string(), to: z.string() })).optional(),
  /** what reads the schema: the built-in engine (catalog queries) or pg_dump; absent in older logs, which used pg_dump */
  schemaEngine: z.enum(['builtin', 'pg_dump']).optional(),
  /**
   * Catch-up through a logical replication slot (issue 16). Asked for by default; RunStarted records what preflight
   * decided (false when the source does not allow it, or --no-catch-up). Absent in older logs: off.
   */
  catchUp: z.boolean().optional(),
  /**
   * --max-retained-wal: the most WAL the run's slot may hold on the source before the run drops it and stops; 0 means
   * no limit. Absent in older logs: the default (DEFAULT_MAX_RETAINED_WAL_BYTES).
   */
  maxRetainedWalBytes: z.number().int().nonnegative().optional(),
  /** --follow: after catch-up, keep applying the source's changes until a cutover is asked for; absent in older logs */
  follow: z.boolean().optional(),
});
export type RunOptions = z.infer<typeof RunOptions>;

export const CopyStrategy = z.enum(['keyset', 'tid', 'whole']);
export type CopyStrategy = z.infer<typeof CopyStrategy>;

export const PlannedTable = z.object({
  table: TableRef,
  estRows: z.number().nonnegative(),
  estBytes: z.number().nonnegative(),
  strategy: CopyStrategy,
  /** keyset: the key columns; tid / whole: empty */
  key: z.array(z.string()),
});
export type PlannedTable = z.infer<typeof PlannedTable>;

export const PostDataKind = z.enum([
  'index',
  'constraint',
  'fk-constraint',
  'trigger',
  'rule',
  'policy',
  'index-attach',
  'matview-refresh',
  'statistics',
  'comment',
  'other',
  /** ANALYZE of one table, partitioned parent or materialized view, once everything else on it is in */
  'analyze',
]);
export type PostDataKind = z.infer<typeof PostDataKind>;

export const PlannedPostDataItem = z.object({
  /** stable id of the item inside this run: a hash of its kind and SQL (dump ids shift between dumps; the text of an unchanged item does not) */
  id: z.string(),
  kind: PostDataKind,
  /** pg_dump's description, e.g. "FK CONSTRAINT" */
  desc: z.string(),
  name: z.string(),
  table: TableRef.nullable(),
  /** a foreign key's referenced table: the item locks it too */
  refTable: TableRef.nullable().optional(),
});
export type PlannedPostDataItem = z.infer<typeof PlannedPostDataItem>;

export const Plan = z.object({
  tables: z.array(PlannedTable),
  postData: z.array(PlannedPostDataItem),
});
export type Plan = z.infer<typeof Plan>;

/** A batch's share of a table: a key range (lo exclusive, hi inclusive), a page range, or all of it. */
export const CopyRange = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('key'), lo: z.array(z.string()).nullable(), hi: z.array(z.string()).nullable() }),
  z.object({ kind: z.literal('tid'), fromPage: z.number().int().nonnegative(), toPage: z.number().int().positive().nullable() }),
  z.object({ kind: z.literal('all') }),
]);
export type CopyRange = z.infer<typeof CopyRange>;

export const CreatedObject = z.object({ kind: z.string(), identity: z.string() });
export type CreatedObject = z.infer<typeof CreatedObject>;

/** What a run changed on the target database itself (pg_dump --create's part), with the values it replaced, so a wipe puts them back. */
export const DatabaseChanges = z.object({
  settings: z.array(z.object({ name: z.string(), value: z.string(), previous: z.string().nullable() })),
  comment: z.object({ value: z.string(), previous: z.string().nullable() }).nullable(),
  grants: z.array(z.object({ grantee: z.string(), privilege: z.string(), grantable: z.boolean() })),
  /** ALTER ROLE … IN DATABASE … SET the run did, each with the target's value before (null: none); absent when none (and in older logs) */
  roleSettings: z.array(z.object({ role: z.string(), name: z.string(), value: z.string(), previous: z.string().nullable() })).optional(),
});
export type DatabaseChanges = z.infer<typeof DatabaseChanges>;

export const ErrorInfo = z.object({
  message: z.string(),
  sqlstate: z.string().nullable(),
  kind: z.string(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

const envelope = {
  v: z.literal(EVENT_VERSION),
  runId: z.string().min(1),
  at: z.iso.datetime({ offset: true }),
};

export const RunStarted = z.object({
  type: z.literal('RunStarted'),
  ...envelope,
  toolVersion: z.string(),
  operator: Operator,
  source: ConnectionIdentity,
  target: ConnectionIdentity,
  options: RunOptions,
  plan: Plan,
  schemaHash: z.string(),
  /** why the run does not catch up through a logical slot (options.catchUp false): the source's setting, a role, --no-catch-up; absent in older logs */
  catchUpOff: z.string().optional(),
});
export const PhaseStarted = z.object({ type: z.literal('PhaseStarted'), ...envelope, phase: Phase });
export const PhaseCompleted = z.object({
  type: z.literal('PhaseCompleted'),
  ...envelope,
  phase: Phase,
  durationMs: z.number().nonnegative(),
});
export const SchemaApplied = z.object({
  type: z.literal('SchemaApplied'),
  ...envelope,
  objects: z.array(CreatedObject),
  /** empty schemas the target already had and the run used without creating them: never dropped by a wipe; absent in older logs */
  reusedSchemas: z.array(z.string()).optional(),
  /** the target database's settings, comment and grants the run set; absent when none (and in older logs) */
  database: DatabaseChanges.optional(),
  /** roles --roles created in this transaction, for a wipe to drop when nothing else uses them; absent when none */
  rolesCreated: z.array(z.string()).optional(),
  statements: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});
export const TableStarted = z.object({
  type: z.literal('TableStarted'),
  ...envelope,
  table: TableRef,
  strategy: CopyStrategy,
  estRows: z.number().nonnegative(),
  estBytes: z.number().nonnegative(),
  /** an exact count taken in the run's snapshot when the table is small enough to count cheaply */
  exactRows: z.number().int().nonnegative().nullable(),
  batches: z.array(CopyRange).min(1),
});
export const BatchCopied = z.object({
  type: z.literal('BatchCopied'),
  ...envelope,
  table: TableRef,
  batch: z.number().int().nonnegative(),
  range: CopyRange,
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  worker: z.number().int().nonnegative(),
});
export const TableCompleted = z.object({
  type: z.literal('TableCompleted'),
  ...envelope,
  table: TableRef,
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
export const PostDataItemApplied = z.object({
  type: z.literal('PostDataItemApplied'),
  ...envelope,
  itemId: z.string(),
  kind: PostDataKind,
  name: z.string(),
  durationMs: z.number().nonnegative(),
  worker: z.number().int().nonnegative(),
  /** an analyze item: the source's statistics carried (PostgreSQL 18+ on both sides), or ANALYZE run; absent in older logs */
  statistics: z.enum(['carried', 'analyzed']).optional(),
});
export const SequencesSynced = z.object({
  type: z.literal('SequencesSynced'),
  ...envelope,
  count: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});
export const TableVerified = z.object({
  type: z.literal('TableVerified'),
  ...envelope,
  table: TableRef,
  sourceRows: z.number().int().nonnegative(),
  targetRows: z.number().int().nonnegative(),
  sourceChecksum: z.string().nullable(),
  targetChecksum: z.string().nullable(),
  match: z.boolean(),
  /** how sourceRows was had: a count(*) in the snapshot, or the sum of the rows the source sent for every batch in it */
  sourceCountedBy: z.enum(['scan', 'copy']).optional(),
});
/** A sequence owned by a column (serial, identity) whose next value is not past the values the column holds. */
export const SequenceBehind = z.object({
  sequence: TableRef,
  table: TableRef,
  column: z.string(),
  /** what nextval() would return on the target */
  nextValue: z.string(),
  /** the column's largest value (smallest, for a descending sequence) on the target */
  columnLimit: z.string(),
});
export type SequenceBehind = z.infer<typeof SequenceBehind>;
/** After the sequences are set: every owned sequence checked against its column on the target. */
export const SequencesVerified = z.object({
  type: z.literal('SequencesVerified'),
  ...envelope,
  checked: z.number().int().nonnegative(),
  behind: z.array(SequenceBehind),
});
/** One batch of large objects, in oid order: every source object with fromOid <= oid <= toOid, with its owner, ACL and contents. */
export const LargeObjectsCopied = z.object({
  type: z.literal('LargeObjectsCopied'),
  ...envelope,
  fromOid: z.number().int().nonnegative(),
  toOid: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  bytes: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});
/** The large objects compared: count and an order-independent checksum of (oid, md5 of contents) on each side. */
export const LargeObjectsVerified = z.object({
  type: z.literal('LargeObjectsVerified'),
  ...envelope,
  sourceCount: z.number().int().nonnegative(),
  targetCount: z.number().int().nonnegative(),
  sourceChecksum: z.string(),
  targetChecksum: z.string(),
  match: z.boolean(),
});
/** A table catch-up keeps exact: applied by its replica identity's columns. */
export const CaughtUpTable = z.object({ table: TableRef, key: z.array(z.string()).min(1) });
export type CaughtUpTable = z.infer<typeof CaughtUpTable>;
/** What the run created on the source before any row was copied: a publication of its tables and a logical slot. */
export const CatchUpPrepared = z.object({
  type: z.literal('CatchUpPrepared'),
  ...envelope,
  slot: z.string(),
  publication: z.string(),
  plugin: z.string(),
  /** the slot's consistent point: every change committed after it is decoded */
  consistentLsn: z.string(),
  tables: z.array(CaughtUpTable),
  /** planned tables catch-up cannot keep exact, each with why (they are not in the publication) */
  excluded: z.array(z.object({ table: TableRef, reason: z.string() })),
  /** the source catalog's digest of the run's schemas when the slot was made (a follower compares it); absent in older logs */
  catalogFingerprint: z.string().optional(),
});
/** A catch-up pass begins: it applies what the slot decodes up to targetLsn (the source's WAL position at its start). */
export const CatchUpStarted = z.object({
  type: z.literal('CatchUpStarted'),
  ...envelope,
  targetLsn: z.string(),
});
/** Source transactions applied to the target in the transaction of this event, up to the end of the last one's commit. */
export const ChangesApplied = z.object({
  type: z.literal('ChangesApplied'),
  ...envelope,
  lsn: z.string(),
  transactions: z.number().int().nonnegative(),
  inserts: z.number().int().nonnegative(),
  updates: z.number().int().nonnegative(),
  deletes: z.number().int().nonnegative(),
  truncates: z.number().int().nonnegative(),
  /** updates that left some TOASTed columns out and found no row to update (a later change removes it) */
  skipped: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  /** the source's WAL position the pass applying this chunk reads up to (lag in bytes = sourceLsn − lsn); absent in older logs */
  sourceLsn: z.string().optional(),
  /** when the last of these source transactions committed on the source (lag in time = at − commitTime); absent in older logs */
  commitTime: z.iso.datetime({ offset: true }).optional(),
});
/**
 * An operator asked a run to cut over (`pgclone cutover`, the dashboard's C), from any process: the run that follows
 * sees it in the log, applies what the source has up to its position then, syncs sequences, verifies and finishes.
 * It records no change to the target; appended by a process that may not hold the run's lock, so the fold takes it
 * at any point (one per run: the log's unique step).
 */
export const CutoverRequested = z.object({
  type: z.literal('CutoverRequested'),
  ...envelope,
  operator: Operator,
});
/** The cutover is done: the target equals the source at `lsn` (the source's position when the last pass began). */
export const CutoverCompleted = z.object({
  type: z.literal('CutoverCompleted'),
  ...envelope,
  lsn: z.string(),
  /** from the request to this event */
  durationMs: z.number().nonnegative(),
});
/** The foreign keys added NOT VALID before catch-up, validated in the transaction of this event once it caught up. */
export const ConstraintsValidated = z.object({
  type: z.literal('ConstraintsValidated'),
  ...envelope,
  constraints: z.array(z.string()),
  durationMs: z.number().nonnegative(),
});
/**
 * The slot and publication are gone from the source; dropped lists what this call dropped. By finish or wipe; by the
 * retained-WAL guard (the slot held more than the run's limit: retainedBytes, limitBytes and why); by a resume the
 * operator told to go on without catch-up (--no-catch-up); by cutover.
 */
export const CatchUpReleased = z.object({
  type: z.literal('CatchUpReleased'),
  ...envelope,
  dropped: z.array(z.string()),
  by: z.enum(['finish', 'wipe', 'guard', 'resume', 'cutover']),
  /** why, in words (guard, resume); absent otherwise and in older logs */
  reason: z.string().optional(),
  /** guard: the WAL the slot held when it was dropped, and the limit */
  retainedBytes: z.number().int().nonnegative().optional(),
  limitBytes: z.number().int().nonnegative().optional(),
});
export const RetryScheduled = z.object({
  type: z.literal('RetryScheduled'),
  ...envelope,
  phase: Phase,
  error: ErrorInfo,
  attempt: z.number().int().positive(),
  delayMs: z.number().nonnegative(),
  snapshotLost: z.boolean(),
});
export const RunResumed = z.object({
  type: z.literal('RunResumed'),
  ...envelope,
  operator: Operator,
  toolVersion: z.string(),
  fromPhase: Phase,
  source: ConnectionIdentity,
  snapshotLost: z.boolean(),
});
export const RunSuspended = z.object({
  type: z.literal('RunSuspended'),
  ...envelope,
  phase: Phase,
  reason: z.string(),
});
export const RunFailed = z.object({
  type: z.literal('RunFailed'),
  ...envelope,
  phase: Phase,
  error: ErrorInfo,
  resumable: z.boolean(),
});
export const RunFinished = z.object({
  type: z.literal('RunFinished'),
  ...envelope,
  durationMs: z.number().nonnegative(),
  totals: z.object({
    tables: z.number().int().nonnegative(),
    rows: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    postDataItems: z.number().int().nonnegative(),
    sequences: z.number().int().nonnegative(),
  }),
  verification: z.enum(['passed', 'mismatch', 'skipped']),
});
export const RunWiped = z.object({
  type: z.literal('RunWiped'),
  ...envelope,
  operator: Operator,
  dropped: z.array(z.string()),
  /** roles the run created that the wipe kept, each with why (something else on the cluster uses it); absent when none */
  kept: z.array(z.string()).optional(),
  restartedAs: z.string().nullable(),
});

export const PgcloneEvent = z.discriminatedUnion('type', [
  RunStarted,
  PhaseStarted,
  PhaseCompleted,
  SchemaApplied,
  TableStarted,
  BatchCopied,
  TableCompleted,
  PostDataItemApplied,
  SequencesSynced,
  TableVerified,
  SequencesVerified,
  LargeObjectsCopied,
  LargeObjectsVerified,
  CatchUpPrepared,
  CatchUpStarted,
  ChangesApplied,
  ConstraintsValidated,
  CatchUpReleased,
  CutoverRequested,
  CutoverCompleted,
  RetryScheduled,
  RunResumed,
  RunSuspended,
  RunFailed,
  RunFinished,
  RunWiped,
]);
export type PgcloneEvent = z.infer<typeof PgcloneEvent>;
export type EventType = PgcloneEvent['type'];
export type EventOf<T extends EventType> = Extract<PgcloneEvent, { type: T }>;

/** An event as read back from the log: its id is the log's, assigned at insert. */
export type LoggedEvent = PgcloneEvent & { id: number };

/** What a caller hands to append: the envelope's version and time are filled in. */
export type NewEvent = PgcloneEvent extends infer E ? (E extends PgcloneEvent ? Omit<E, 'v' | 'at'> & { at?: string } : never) : never;
export type NewEventOf<T extends EventType> = Extract<NewEvent, { type: T }>;
