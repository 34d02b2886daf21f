// Wipe: drop exactly what a run created (its own record in SchemaApplied), keep the log, append RunWiped — one transaction.
import { decideWipe } from '../events/decide.js';
import { foldRun } from '../events/fold.js';
import type { CreatedObject } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { appendEvents, readRun, readRunLocks } from '../events/store.js';
import { closeClient, openClient } from './pg/connect.js';
import type { ConnInfo } from './pg/conninfo.js';
import { PgcloneError } from './errors.js';
import { tryLockRun } from './lock.js';
import { newRunId, operator, pickRun } from './run.js';

/** Drop order: schemas (their contents go with them), relations, sequences, routines, types, the rest, extensions last. */
const ORDER = ['schema', 'materialized view', 'view', 'foreign table', 'table', 'sequence', 'function', 'procedure', 'aggregate', 'domain', 'type'];

function rank(kind: string): number {
  if (kind === 'extension') return ORDER.length + 1;
  const i = ORDER.indexOf(kind);
  return i < 0 ? ORDER.length : i;
}

export function dropStatement(o: CreatedObject): string {
  const keyword = o.kind === 'foreign-data wrapper' ? 'FOREIGN DATA WRAPPER' : o.kind.toUpperCase();
  return `DROP ${keyword} IF EXISTS ${o.identity} CASCADE`;
}

export function dropPlan(objects: CreatedObject[]): CreatedObject[] {
  return [...objects].sort((a, b) => rank(a.kind) - rank(b.kind));
}

/** Errors that mean "already gone with something dropped before it". */
const GONE = new Set(['42704', '3F000', '42883', '42P01', '2BP01']);

export interface WipeResult {
  state: RunState;
  dropped: string[];
  restartedAs: string | null;
}

/**
 * Wipe a run. The identities come from the run's own SchemaApplied record; pg_identify_object wrote them
 * quoted, so they go into DROP as they are.
 */
export async function wipeRun(target: ConnInfo, runId: string | undefined, opts: { restart: boolean }): Promise<WipeResult> {
  const lock = await openClient(target, { side: 'target', purpose: 'wipe' });
  try {
    const state = await pickRun(lock, runId, 'any');
    const got = await tryLockRun(lock, state.runId);
    const holder = got ? null : ((await readRunLocks(lock, [state.runId])).get(state.runId) ?? null);
    const decision = decideWipe(state, got ? null : (holder ?? { backendPid: 0, clientPid: null, clientHost: null, clientAddr: null, since: null }));
    if (decision.kind === 'refuse') throw new PgcloneError(decision.reason === 'locked' ? 'locked' : 'nothing-to-do', decision.message);

    const dropped: string[] = [];
    const restartedAs = opts.restart ? newRunId() : null;
    await lock.query('BEGIN');
    try {
      for (const o of dropPlan(state.schemaObjects ?? [])) {
        const sql = dropStatement(o);
        await lock.query('SAVEPOINT pgclone_drop');
        try {
          await lock.query(sql);
          await lock.query('RELEASE SAVEPOINT pgclone_drop');
          dropped.push(`${o.kind} ${o.identity}`);
        } catch (e) {
          await lock.query('ROLLBACK TO SAVEPOINT pgclone_drop');
          const code = (e as { code?: string }).code ?? '';
          if (!GONE.has(code)) throw e;
        }
      }
      const r = await appendEvents(lock, [{ type: 'RunWiped', runId: state.runId, operator: operator(), dropped, restartedAs }]);
      if (!r.ok) throw new PgcloneError('nothing-to-do', `run ${state.runId} was already wiped`);
      const c = await lock.query('COMMIT');
      if (c.command !== 'COMMIT') throw new PgcloneError('failed', 'the target rolled the wipe back at COMMIT');
    } catch (e) {
      await lock.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    return { state: foldRun(await readRun(lock, state.runId)), dropped, restartedAs };
  } finally {
    await closeClient(lock);
  }
}

