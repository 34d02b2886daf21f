// The folded state of one run: everything the engine, resume, wipe and the dashboard know about it.
import type {
  CaughtUpTable,
  ConnectionIdentity,
  CopyRange,
  CopyStrategy,
  CreatedObject,
  DatabaseChanges,
  ErrorInfo,
  Operator,
  PgcloneEvent,
  Phase,
  PostDataKind,
  RunOptions,
  SequenceBehind,
  TableRef,
} from './schemas.js';

export type PhaseStatus = 'pending' | 'running' | 'done';

export interface PhaseState {
  status: PhaseStatus;
  startedAt: string | null;
  durationMs: number | null;
}

export type TableStatus = 'pending' | 'copying' | 'copied';

export interface TableState {
  key: string;
  table: TableRef;
  status: TableStatus;
  strategy: CopyStrategy;
  keyColumns: string[];
  estRows: number;
  estBytes: number;
  /** exact row count in the run's snapshot, when it was taken */
  exactRows: number | null;
  rowsDone: number;
  bytesDone: number;
  /** the batch plan, fixed by TableStarted; null until the table starts */
  batches: CopyRange[] | null;
  /** indices of committed batches, ascending */
  batchesDone: number[];
  /** the upper key of the last batch of the committed prefix: every row up to it is in the target */
  resumePoint: string[] | null;
  /** TableCompleted was recorded (the fold already knows a table is copied once all its batches are) */
  completedLogged: boolean;
  startedAt: string | null;
  lastBatchAt: string | null;
  lastWorker: number | null;
  /** the run's snapshot epochs (RunState.snapshotEpoch) its batches were read in, ascending: more than one, read across a break */
  readInEpochs: number[];
}

export interface PostDataItemState {
  id: string;
  kind: PostDataKind;
  desc: string;
  name: string;
  table: TableRef | null;
  refTable?: TableRef | null;
  applied: boolean;
  durationMs: number | null;
  appliedAt: string | null;
}

export interface VerifiedTable {
  table: TableRef;
  sourceRows: number;
  targetRows: number;
  match: boolean;
  sourceChecksum: string | null;
  targetChecksum: string | null;
  /** when it was verified (TableVerified's time) */
  at: string;
}

/** A committed batch of large objects: the oid range it covers (both ends inclusive). */
export interface LargeObjectBatch {
  fromOid: number;
  toOid: number;
  count: number;
  bytes: number;
}

export interface LargeObjectsState {
  /** committed batches, ascending and disjoint */
  batches: LargeObjectBatch[];
  count: number;
  bytes: number;
  verified: { sourceCount: number; targetCount: number; sourceChecksum: string; targetChecksum: string; match: boolean } | null;
}

export type CatchUpReleasedBy = 'finish' | 'wipe' | 'guard' | 'resume' | 'cutover';

/** What the run made on the source for catch-up, and how far it has applied. */
export interface CatchUpState {
  slot: string;
  publication: string;
  plugin: string;
  consistentLsn: string;
  tables: CaughtUpTable[];
  excluded: { table: TableRef; reason: string }[];
  /** the source catalog's digest of the run's schemas when the slot was made (null in older logs) */
  catalogFingerprint: string | null;
  /** the target of the latest pass (CatchUpStarted) */
  targetLsn: string | null;
  /** the end of the last source transaction applied: changes at or below it are in the target */
  appliedLsn: string | null;
  transactions: number;
  inserts: number;
  updates: number;
  deletes: number;
  truncates: number;
  skipped: number;
  /** the foreign keys added NOT VALID before catch-up were validated after it (ConstraintsValidated) */
  constraintsValidated: boolean;
  /** the latest ChangesApplied: the source's position its pass read up to, when its last transaction committed, when applied */
  sourceLsn: string | null;
  lastCommitTime: string | null;
  lastAppliedAt: string | null;
  /** the latest ChangesApplied (at most RECENT_CHANGES), for the apply rate */
  recent: { at: string; transactions: number; changes: number }[];
  /** a cutover was asked for (CutoverRequested), and when it completed, at which LSN */
  cutover: { requestedAt: string; by: Operator; completedAt: string | null; lsn: string | null } | null;
  /** the slot and publication were dropped from the source */
  released: { at: string; dropped: string[]; by: CatchUpReleasedBy; reason: string | null; retainedBytes: number | null; limitBytes: number | null } | null;
}

export interface RetryRecord {
  eventId: number;
  at: string;
  phase: Phase;
  error: ErrorInfo;
  attempt: number;
  delayMs: number;
}

export type RunOutcome =
  | { kind: 'open' }
  | { kind: 'suspended'; at: string; reason: string; phase: Phase }
  | { kind: 'failed'; at: string; phase: Phase; error: ErrorInfo; resumable: boolean }
  | { kind: 'finished'; at: string; durationMs: number; verification: 'passed' | 'mismatch' | 'skipped' }
  | { kind: 'wiped'; at: string; dropped: string[]; restartedAs: string | null };

export interface RunState {
  runId: string;
  toolVersion: string;
  operator: Operator;
  source: ConnectionIdentity;
  target: ConnectionIdentity;
  options: RunOptions;
  schemaHash: string;
  startedAt: string;
  firstEventId: number;
  lastEventId: number;
  lastEventAt: string;
  lastEventType: PgcloneEvent['type'];
  eventCount: number;
  /** the phase the run is in, or was in when it stopped */
  phase: Phase;
  phases: Record<Phase, PhaseState>;
  schemaObjects: CreatedObject[] | null;
  /** what the schema step changed on the target database itself, for a wipe to put back */
  databaseChanges: DatabaseChanges | null;
  /** roles the schema step created (--roles); absent when none */
  rolesCreated?: string[];
  tables: Record<string, TableState>;
  /** table keys in plan order (largest first) */
  tableOrder: string[];
  postData: Record<string, PostDataItemState>;
  postDataOrder: string[];
  sequencesSynced: number | null;
  verified: Record<string, VerifiedTable>;
  /** the check of owned sequences against their columns, once made: those found behind */
  sequencesVerified: { checked: number; behind: SequenceBehind[] } | null;
  largeObjects: LargeObjectsState;
  /** null: the run does not catch up (its options say so, or the log predates catch-up) */
  catchUp: CatchUpState | null;
  /** why it does not, as RunStarted recorded it (null in older logs and when it does) */
  catchUpOff: string | null;
  retries: RetryRecord[];
  lastError: (ErrorInfo & { at: string; eventId: number }) | null;
  snapshotLost: boolean;
  /**
   * Which source snapshot the run reads in now: 0 from RunStarted, one more at each RunResumed (a new process, a new
   * snapshot) and at each RetryScheduled whose snapshot was lost. Rows read in different epochs come from different moments.
   */
  snapshotEpoch: number;
  resumes: { at: string; operator: Operator; fromPhase: Phase }[];
  /**
   * Times the run was stopped: from its last event before a RunResumed (a RunSuspended, a RunFailed, or whatever
   * was logged before a kill) to that RunResumed. Work time is elapsed time less these.
   */
  pauses: { from: string; to: string }[];
  outcome: RunOutcome;
  rowsDone: number;
  bytesDone: number;
}

/** Before RunStarted there is no run: the fold starts from nothing. */
export type FoldState = RunState | null;
