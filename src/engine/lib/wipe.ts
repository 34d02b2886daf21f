// wipe(): drop exactly what a run created, keep its log, append RunWiped — or, as a dry run, say what that would drop.
import { quoteIdent } from '../../events/names.js';
import type { RunState } from '../../events/state.js';
import { PgcloneError, UsageError } from '../errors.js';
import type { ConnInfo } from '../pg/conninfo.js';
import { planWipe, wipeRun, type SourceOf } from '../wipe.js';
import { connInfoOf, resumeSourceOf, type Connection } from './connection.js';

export interface WipeRequest {
  target: Connection;
  /** the run to wipe (a unique prefix will do) */
  runId: string;
  /** only say what would be dropped: nothing is written and no lock is kept */
  dryRun?: boolean;
  /**
   * The source, for a run whose catch-up left a replication slot and a publication there: as resume() takes it (a
   * config without a connectionString completes the source the run recorded, e.g. `{ password }`). Left out, the
   * recorded source without a password; when it cannot be reached, `kept` says what is left there and how to drop it.
   */
  source?: Connection;
}

export interface WipeResult {
  runId: string;
  dryRun: boolean;
  /**
   * What was dropped (objects, large objects, the database's own settings put back, roles). A dry run: the objects
   * the run recorded creating, then the roles it created — each of those is kept at the wipe if anything else on
   * the cluster still uses it.
   */
  dropped: string[];
  /** roles the run created that something else still uses, each with why (a dry run: none yet) */
  kept: string[];
}

/** The CLI's form: connections resolved; `restart` records a new run's id in RunWiped (and starts nothing itself). */
export interface WipeCall {
  target: ConnInfo;
  runId: string;
  dryRun?: boolean;
  restart?: boolean;
  /** where a slot catch-up left is dropped */
  source: SourceOf;
}

export interface WipeReport extends WipeResult {
  /** the run as its log stood (a dry run) or stands after the wipe */
  state: RunState;
  /** restart: the id the new run takes */
  restartedAs: string | null;
  /** restart of a run wiped before: nothing was dropped now, and restartedAs is the id its new run takes */
  alreadyWiped: boolean;
}

/** A wipe, or its dry run, with the CLI's refusals thrown (locked; nothing to do: already wiped, unless restarting). */
export async function wipeOrThrow(call: WipeCall): Promise<WipeReport> {
  if (typeof call.runId !== 'string' || call.runId === '') throw new UsageError('runId must be a run id (status() or runs() list them)');
  const restart = call.restart === true;
  if (call.dryRun === true) {
    const { state, decision, restartId } = await planWipe(call.target, call.runId);
    const base = { runId: state.runId, dryRun: true, kept: [], state };
    if (decision.kind === 'refuse') {
      // a run wiped before: a restart starts its new run now (what a plain wipe left undone)
      if (decision.reason === 'wiped' && restart) return { ...base, dropped: [], restartedAs: restartId, alreadyWiped: true };
      throw new PgcloneError(decision.reason === 'locked' ? 'locked' : 'nothing-to-do', decision.message);
    }
    const dropped = [...decision.drop.map((o) => `${o.kind} ${o.identity}`), ...(state.rolesCreated ?? []).map((n) => `role ${quoteIdent(n)}`)];
    return { ...base, dropped, restartedAs: null, alreadyWiped: false };
  }
  const w = await wipeRun(call.target, call.runId, { restart, source: call.source });
  return { runId: w.state.runId, dryRun: false, dropped: w.dropped, kept: w.kept, state: w.state, restartedAs: w.restartedAs, alreadyWiped: false };
}

/**
 * `pgclone wipe RUN`: drop what the run created (from its own record), keep its log, append RunWiped — one target
 * transaction. Refused (thrown) while another process holds the run (locked) or when it was wiped already (nothing-to-do).
 */
export async function wipe(req: WipeRequest): Promise<WipeResult> {
  const r = await wipeOrThrow({
    target: connInfoOf(req.target, 'target'),
    runId: req.runId,
    dryRun: req.dryRun === true,
    source: (state) => resumeSourceOf(req.source, state),
  });
  return { runId: r.runId, dryRun: r.dryRun, dropped: r.dropped, kept: r.kept };
}
