// Wipe: drop exactly what a run created (its own record in SchemaApplied), keep the log, append RunWiped — one transaction.
import { decideWipe, type WipeDecision } from '../events/decide.js';
import { foldRun } from '../events/fold.js';
import { takeRunLock } from '../events/lock.js';
import type { CreatedObject, NewEventOf } from '../events/schemas.js';
import { dropSlotAndPublication } from './pg/slot.js';
import type { RunState } from '../events/state.js';
import { appendEvents, readRun } from '../events/store.js';
import { inSavepoint, inTransaction } from '../events/transaction.js';
import { PgcloneError } from './errors.js';
import { newRunId, operator } from './operator.js';
import { pickRun } from './pick-run.js';
import { closeClient, openClient } from './pg/connect.js';
import type { ConnInfo } from './pg/conninfo.js';
import { clearTargetMark } from './target-state.js';
import { undoDatabase } from './phases/database.js';
import { quoteIdent } from '../events/names.js';
import type pg from 'pg';

function dropStatement(o: CreatedObject): string {
  const keyword = o.kind === 'foreign-data wrapper' ? 'FOREIGN DATA WRAPPER' : o.kind.toUpperCase();
  return `DROP ${keyword} IF EXISTS ${o.identity} CASCADE`;
}

/**
 * Drop a role the run created, in a savepoint: null when dropped (or already gone), else why it stays — PostgreSQL
 * refuses (2BP01) while the role owns anything or holds a privilege anywhere on the cluster, and says what.
 */
async function dropRole(db: pg.ClientBase, name: string): Promise<string | null> {
  const r = await inSavepoint(
    db,
    () => db.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`),
    (code) => code === '2BP01' || code === '55006',
  );
  if (r.ok) return null;
  const err = r.error as { detail?: string; message?: string };
  return `still in use (${(err.detail ?? err.message ?? '').split('\n').slice(0, 3).join('; ')})`;
}

/** Errors that mean "already gone with something dropped before it". */
const GONE = new Set(['42704', '3F000', '42883', '42P01', '2BP01']);

export interface WipeResult {
  state: RunState;
  dropped: string[];
  /** roles the run created that something else still uses, each with why */
  kept: string[];
  restartedAs: string | null;
}

export interface WipePlan {
  state: RunState;
  decision: WipeDecision;
  /** for a run already wiped: the id its restart takes (the one RunWiped announced, unless that run exists) */
  restartId: string;
}

/** What a wipe of the run would do, read only: the drops, or why not (the lock is tried, and released with the connection). */
export async function planWipe(target: ConnInfo, runId: string): Promise<WipePlan> {
  const db = await openClient(target, { side: 'target', purpose: 'wipe' });
  try {
    const state = await pickRun(db, runId, 'any');
    const fact = await takeRunLock(db, state.runId);
    const announced = state.outcome.kind === 'wiped' ? state.outcome.restartedAs : null;
    const restartId = announced && (await readRun(db, announced)).length === 0 ? announced : newRunId();
    return { state, decision: decideWipe(state, fact), restartId };
  } finally {
    await closeClient(db);
  }
}

/**
 * Wipe a run. The identities come from the run's own SchemaApplied record; pg_identify_object wrote them
 * quoted, so they go into DROP as they are.
 */
/**
 * What catch-up left on the source (a run that did not finish still has its slot): dropped over a connection to the
 * source (the caller's, or made from the run's record by the caller: the CLI takes its password from the environment as
 * resume does, the library from the call), or said plainly when that fails —
 * a slot left behind holds the source's WAL, so it is never left unmentioned.
 */
async function releaseOnSource(state: RunState, source: SourceOf): Promise<{ event: NewEventOf<'CatchUpReleased'> | null; kept: string | null }> {
  const c = state.catchUp;
  if (!c || c.released) return { event: null, kept: null };
  const info = typeof source === 'function' ? source(state) : source;
  try {
    const db = await openClient(info, { side: 'source', purpose: 'wipe' });
    try {
      const dropped = await dropSlotAndPublication(db, c.slot, c.publication);
      return { event: { type: 'CatchUpReleased', runId: state.runId, dropped, by: 'wipe' }, kept: null };
    } finally {
      await closeClient(db);
    }
  } catch (e) {
    const where = `${state.source.database} on ${state.source.host}:${state.source.port}`;
    return {
      event: null,
      kept: `replication slot ${c.slot} and publication ${c.publication} on the source ${where}: ${(e as Error).message} — drop them there: SELECT pg_drop_replication_slot('${c.slot}'); DROP PUBLICATION ${quoteIdent(c.publication)};`,
    };
  }
}

/** The source a wipe connects to for what catch-up left there: given, or made from the run's own record (the caller decides where a password comes from). */
export type SourceOf = ConnInfo | ((state: RunState) => ConnInfo);

export async function wipeRun(target: ConnInfo, runId: string | undefined, opts: { restart: boolean; source: SourceOf }): Promise<WipeResult> {
  const lock = await openClient(target, { side: 'target', purpose: 'wipe' });
  try {
    const state = await pickRun(lock, runId, 'any');
    const fact = await takeRunLock(lock, state.runId);
    const decision = decideWipe(state, fact);
    if (decision.kind === 'refuse') throw new PgcloneError(decision.reason === 'locked' ? 'locked' : 'nothing-to-do', decision.message);

    const dropped: string[] = [];
    const kept: string[] = [];
    const restartedAs = opts.restart ? newRunId() : null;
    const onSource = await releaseOnSource(state, opts.source);
    dropped.push(...(onSource.event?.dropped.map((d) => `${d} on the source`) ?? []));
    if (onSource.kept) kept.push(onSource.kept);
    await inTransaction(lock, async () => {
      for (const o of decision.drop) {
        if (
          (
            await inSavepoint(
              lock,
              () => lock.query(dropStatement(o)),
              (code) => GONE.has(code),
            )
          ).ok
        )
          dropped.push(`${o.kind} ${o.identity}`);
      }
      // the run's large objects: every one in the oid ranges its batches recorded (preflight saw none there before)
      if (decision.largeObjects.length > 0) {
        const r = await lock.query<{ n: number }>(
          `SELECT count(pg_catalog.lo_unlink(m.oid))::int AS n FROM pg_catalog.pg_largeobject_metadata m
             JOIN unnest($1::int8[], $2::int8[]) AS r(lo, hi) ON m.oid::int8 BETWEEN r.lo AND r.hi`,
          [decision.largeObjects.map((b) => b.fromOid), decision.largeObjects.map((b) => b.toOid)],
        );
        const n = r.rows[0]?.n ?? 0;
        if (n > 0) dropped.push(`${n} large object(s)`);
      }
      // the database's own settings, comment and grants the run set go back to what they were
      if (state.databaseChanges) dropped.push(...(await undoDatabase(lock, state.databaseChanges)));
      // last, the roles the run created (--roles), each only if nothing else on the cluster uses it any more
      for (const name of state.rolesCreated ?? []) {
        const why = await dropRole(lock, name);
        if (why === null) dropped.push(`role ${quoteIdent(name)}`);
        else kept.push(`role ${quoteIdent(name)}: ${why}`);
      }
      // nothing of the run is left: neither is its "clone in progress" marker
      await clearTargetMark(lock, state.runId);
      const r = await appendEvents(lock, [
        ...(onSource.event ? [onSource.event] : []),
        { type: 'RunWiped', runId: state.runId, operator: operator(), dropped, ...(kept.length > 0 ? { kept } : {}), restartedAs },
      ]);
      if (!r.ok) throw new PgcloneError('nothing-to-do', `run ${state.runId} was already wiped`);
    });
    return { state: foldRun(await readRun(lock, state.runId)), dropped, kept, restartedAs };
  } finally {
    await closeClient(lock);
  }
}
