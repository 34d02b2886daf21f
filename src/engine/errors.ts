// Typed errors, exit codes and the one place SQLSTATEs and socket errors are classified.
import { CommitLost } from '../events/transaction.js';

/** Exit codes, documented in the README. */
export const EXIT = {
  finished: 0,
  failed: 1,
  usage: 2,
  resumable: 3,
  verifyMismatch: 4,
  nothingToDo: 5,
  connect: 6,
  preflight: 7,
  locked: 8,
  resumeRefused: 9,
  corruptLog: 10,
  /** the retained-WAL guard dropped the run's replication slot: catch-up cannot make the run exact any more */
  walGuard: 11,
  /** Ctrl-C (SIGINT), as a shell reports a process it ended: 128 + 2 */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type ErrorKind =
  | 'usage'
  | 'connect'
  | 'preflight'
  | 'locked'
  | 'resume-refused'
  | 'corrupt-log'
  | 'nothing-to-do'
  | 'mismatch'
  | 'transient'
  | 'failed'
  | 'wal-guard'
  | 'schema-changed';

export const EXIT_OF: Record<ErrorKind, ExitCode> = {
  usage: EXIT.usage,
  connect: EXIT.connect,
  preflight: EXIT.preflight,
  locked: EXIT.locked,
  'resume-refused': EXIT.resumeRefused,
  'corrupt-log': EXIT.corruptLog,
  'nothing-to-do': EXIT.nothingToDo,
  mismatch: EXIT.verifyMismatch,
  transient: EXIT.resumable,
  failed: EXIT.failed,
  'wal-guard': EXIT.walGuard,
  /** the source's schema changed while a run followed it: as a resume would answer (9) */
  'schema-changed': EXIT.resumeRefused,
};

/** An error understood where it happened: one line for the operator, a kind, an exit code. */
export class PgcloneError extends Error {
  readonly exitCode: ExitCode;
  /** a failure that may pass if tried again (a connection refused while a server restarts) — for the engine's retries, not for preflight */
  readonly retryable: boolean;
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly sqlstate: string | null = null,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options);
    this.name = 'PgcloneError';
    this.exitCode = EXIT_OF[kind];
    this.retryable = options?.retryable ?? kind === 'transient';
  }
}

export class UsageError extends PgcloneError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

interface PgLikeError {
  code?: string;
  message?: string;
  errno?: number;
  syscall?: string;
}

const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '55P03', // lock_not_available (lock_timeout)
  '25P03', // idle_in_transaction_session_timeout
]);

const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'EAI_AGAIN']);

/**
 * SQLSTATE of a pg error, or null for socket and other errors. A socket error's code can look like one
 * ("EPIPE" is five capitals): those carry errno and syscall, a server's error does not.
 */
export function sqlstateOf(e: unknown): string | null {
  const err = e as PgLikeError | null;
  const code = err?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return null;
  return err?.errno === undefined && err?.syscall === undefined ? code : null;
}

/** Only connection-class failures and a few server conditions are worth retrying; everything else is reported. */
export function isTransient(e: unknown): boolean {
  if (e instanceof PgcloneError) return e.retryable;
  // the transaction is gone but the connection may be fine: the log says what to do again
  if (e instanceof CommitLost) return true;
  const err = e as PgLikeError | null;
  if (!err) return false;
  const state = sqlstateOf(err);
  if (state !== null) return state.startsWith('08') || TRANSIENT_SQLSTATES.has(state);
  if (typeof err.code === 'string' && TRANSIENT_SOCKET_CODES.has(err.code)) return true;
  const msg = String(err.message ?? '');
  return /Connection terminated|connection timeout|timeout expired|Query read timeout|Connection ended|not queryable|terminating connection|server closed the connection|timed out|stalled|Client has encountered a connection error|EPIPE|ECONNRESET|ECONNREFUSED|socket hang up|read ETIMEDOUT/i.test(
    msg,
  );
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The shape the log records for an error (see ErrorInfo). */
export function errorInfo(e: unknown): { message: string; sqlstate: string | null; kind: string } {
  const kind = e instanceof PgcloneError ? e.kind : isTransient(e) ? 'transient' : 'failed';
  const sqlstate = e instanceof PgcloneError ? e.sqlstate : sqlstateOf(e);
  return { message: errorMessage(e), sqlstate, kind };
}

/** `p`, or `error()` thrown when `p` has not settled within `ms` (a peer that stopped answering). */
export async function within<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
