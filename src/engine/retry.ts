// Transient failures retried in-process: cut everything, take the lock and the log again, a new snapshot if it died, go on.
import type pg from 'pg';
import { MalformedEventError } from '../events/codec.js';
import { suggest } from '../events/commands.js';
import { foldRun } from '../events/fold.js';
import { describeHolder } from '../events/liveness.js';
import { applicationName, readRunLocks, tryLockRun } from '../events/lock.js';
import type { ErrorInfo } from '../events/schemas.js';
import { readRun } from '../events/store.js';
import { BudgetSpent } from './budget.js';
import { connectTimeoutMs, destroyAll, record, type EngineOutcome, type RunContext, type RunResult } from './context.js';
import { errorInfo, isTransient, PgcloneError } from './errors.js';
import { closeClient, destroyClient, openClient } from './pg/connect.js';
import { exportSnapshot } from './pg/snapshot.js';
import { alive, startWatchdog } from './watchdog.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function backendPid(c: pg.ClientBase): Promise<number> {
  const r = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return r.rows[0]?.pid ?? 0;
}

/**
 * A cut network leaves this process's sessions open on the server — holding the run lock, row locks, a
 * transaction — until the server's keepalives notice, which can take hours. They are ours (the
 * application_name names this process), so end them.
 */
async function endOwnSessions(c: pg.ClientBase, keep: number[]): Promise<void> {
  await c.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = $1 AND datname = current_database() AND pid <> ALL($2::int[])`,
    [applicationName(), keep],
  );
}

/** After a transient failure: the lock again (or stop), the log again (it, not memory, says what committed), the snapshot if it died. */
async function recover(ctx: RunContext, error: ErrorInfo, attempt: number, delayMs: number): Promise<void> {
  ctx.recovering = true;
  try {
    await reconnect(ctx, error, attempt, delayMs);
  } finally {
    ctx.recovering = false;
  }
}

async function reconnect(ctx: RunContext, error: ErrorInfo, attempt: number, delayMs: number): Promise<void> {
  destroyAll(ctx);
  const lockAlive = await alive(ctx.lock, Math.min(5000, ctx.settings.ioTimeoutMs));
  if (!lockAlive) {
    destroyClient(ctx.lock);
    ctx.lock = await openClient(ctx.target, { side: 'target', purpose: 'lock', connectTimeoutMs: connectTimeoutMs(ctx) });
  }
  await endOwnSessions(ctx.lock, [await backendPid(ctx.lock)]);
  if (!lockAlive) {
    let locked = false;
    // our own old session may take a moment to end after being told to
    for (let i = 0; i < 40 && !locked; i++) {
      locked = await tryLockRun(ctx.lock, ctx.runId);
      if (!locked) await sleep(250);
    }
    if (!locked) {
      const holder = (await readRunLocks(ctx.lock, [ctx.runId])).get(ctx.runId);
      throw new PgcloneError(
        'locked',
        `while reconnecting, run ${ctx.runId} was taken over by ${holder ? describeHolder(holder) : 'another process'}; stopping`,
      );
    }
  }
  ctx.state = foldRun(await readRun(ctx.lock, ctx.runId));
  let snapshotLost = false;
  if (!ctx.snapshot || !(await alive(ctx.snapshot.holder, Math.min(5000, ctx.settings.ioTimeoutMs)))) {
    if (ctx.snapshot) destroyClient(ctx.snapshot.holder);
    const holder = await openClient(ctx.source, { side: 'source', purpose: 'snapshot', connectTimeoutMs: connectTimeoutMs(ctx) });
    ctx.snapshot = { holder, id: await exportSnapshot(holder) };
    ctx.sourceRowsRead.clear(); // those rows were read in the lost snapshot
    snapshotLost = true;
    ctx.snapshotIntact = false;
  }
  await endOwnSessions(ctx.snapshot.holder, [await backendPid(ctx.snapshot.holder)]);
  await record(ctx, [{ type: 'RetryScheduled', runId: ctx.runId, phase: ctx.state.phase, error, attempt, delayMs, snapshotLost }]);
}

async function recordFailure(ctx: RunContext, e: unknown, resumable: boolean): Promise<void> {
  try {
    if (!(await alive(ctx.lock, 3000))) return;
    await record(ctx, [{ type: 'RunFailed', runId: ctx.runId, phase: ctx.state.phase, error: errorInfo(e), resumable }]);
  } catch {
    /* the log cannot be reached: the run reads as interrupted, which is true */
  }
}

/**
 * Run `steps` with in-process retries of transient failures; a spent budget ends it as suspended.
 * Always releases the lock and the snapshot.
 */
export async function runWithRetries(ctx: RunContext, steps: (ctx: RunContext) => Promise<EngineOutcome>): Promise<RunResult> {
  const stopWatchdog = startWatchdog(ctx);
  let attempt = 0;
  let retry: { error: ErrorInfo; delayMs: number } | null = null;
  try {
    for (;;) {
      try {
        if (retry) {
          ctx.observer.onNote?.(
            `retrying in ${(retry.delayMs / 1000).toFixed(1)} s (attempt ${attempt} of ${ctx.settings.maxRetries}): ${retry.error.message}`,
          );
          await sleep(retry.delayMs);
          await recover(ctx, retry.error, attempt, retry.delayMs);
          retry = null;
        }
        const outcome = await steps(ctx);
        return { runId: ctx.runId, outcome, state: ctx.state };
      } catch (e) {
        destroyAll(ctx);
        if (e instanceof BudgetSpent) {
          await record(ctx, [{ type: 'RunSuspended', runId: ctx.runId, phase: ctx.state.phase, reason: ctx.budget.reason() }]);
          return { runId: ctx.runId, outcome: 'suspended', state: ctx.state };
        }
        if (e instanceof MalformedEventError) throw new PgcloneError('corrupt-log', e.message);
        const transient = isTransient(e);
        if (!transient || attempt >= ctx.settings.maxRetries) {
          const lockedOut = e instanceof PgcloneError && e.kind === 'locked';
          if (!lockedOut) await recordFailure(ctx, e, true);
          if (transient) {
            throw new PgcloneError(
              'transient',
              `stopped after ${attempt} retries; the run is resumable (${suggest('resume', ctx.state)}): ${errorInfo(e).message}`,
              errorInfo(e).sqlstate,
              { cause: e },
            );
          }
          throw e;
        }
        attempt++;
        retry = { error: errorInfo(e), delayMs: Math.min(8000, ctx.settings.retryBaseMs * 2 ** (attempt - 1)) };
      }
    }
  } finally {
    stopWatchdog();
    destroyAll(ctx);
    await closeClient(ctx.snapshot?.holder);
    await closeClient(ctx.lock);
  }
}
