// The short version's brake: a SHARE lock on the target's log (pgclone.events) that every engine transaction must
// pass to commit, since each change commits with its event. Held, it stops the engine at its next commit — a batch
// in flight stays in flight, uncommitted — and opened for one round at a time it lets exactly the transactions then
// waiting through. So the first invocation is cut inside storyboard_panels every time, whatever the machine's speed.
import type pg from 'pg';
import { foldRun, listRuns, readRun, type RunState } from '../../src/events/index.js';
import { connect } from '../helpers/pg.js';

const LOCK = 'LOCK TABLE pgclone.events IN SHARE MODE';

export interface LogGate {
  /** let the transactions waiting now commit, and close again behind them, until `enough` holds of the newest run */
  stepUntil(enough: (s: RunState) => boolean, timeoutMs: number): Promise<RunState>;
  /** transactions waiting at the gate that hold rows of `table` uncommitted: batches in flight */
  inFlight(table: string): Promise<number>;
  /** open for good (the held transaction ends) */
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newestRun(db: pg.Client): Promise<RunState | null> {
  const last = (await listRuns(db)).at(-1);
  return last ? foldRun(await readRun(db, last.runId)) : null;
}

/** Close the gate as soon as the log exists (the first RunStarted creates it): polled every 10 ms. */
export async function closeGateWhenLogExists(targetUrl: string, timeoutMs: number): Promise<LogGate> {
  const gate = await connect(targetUrl);
  const reader = await connect(targetUrl);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const r = await gate.query<{ t: string | null }>(`SELECT to_regclass('pgclone.events')::text AS t`);
      if (r.rows[0]?.t) break;
      if (Date.now() > deadline) throw new Error(`no log appeared in the target within ${timeoutMs / 1000} s`);
      await sleep(10);
    }
    await gate.query(`BEGIN; ${LOCK}`);
  } catch (e) {
    await Promise.all([gate.end(), reader.end()]);
    throw e;
  }
  let open = false;
  const waiting = async () =>
    Number(
      (
        await reader.query<{ n: string }>(`SELECT count(*) AS n FROM pg_locks WHERE relation = 'pgclone.events'::regclass AND NOT granted AND pid <> $1`, [
          (gate as unknown as { processID: number }).processID,
        ])
      ).rows[0]?.n ?? 0,
    );
  return {
    async stepUntil(enough, stepTimeoutMs) {
      const until = Date.now() + stepTimeoutMs;
      for (;;) {
        const s = await newestRun(reader);
        if (s && enough(s)) return s;
        if (Date.now() > until) throw new Error(`the run never reached the state asked for within ${stepTimeoutMs / 1000} s`);
        if ((await waiting()) === 0) {
          await sleep(10);
          continue;
        }
        // one message: the waiters are granted at COMMIT, and the new SHARE request queues behind them and ahead of
        // any transaction that asks after it — it returns once the ones let through have committed
        await gate.query(`COMMIT; BEGIN; ${LOCK}`);
      }
    },
    async inFlight(table) {
      const r = await reader.query<{ n: string }>(
        `SELECT count(DISTINCT w.pid) AS n FROM pg_locks w JOIN pg_locks l ON l.pid = w.pid
          WHERE w.relation = 'pgclone.events'::regclass AND NOT w.granted
            AND l.relation = to_regclass($1) AND l.granted AND l.mode = 'RowExclusiveLock'`,
        [table],
      );
      return Number(r.rows[0]?.n ?? 0);
    },
    async release() {
      if (open) return;
      open = true;
      await gate.query('ROLLBACK').catch(() => undefined);
      await Promise.all([gate.end(), reader.end()]);
    },
  };
}
