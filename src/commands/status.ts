// pgclone status [RUN]: every run in the target's log (or one), its state, where it stopped, and what it came to.
import { suggest } from '../events/commands.js';
import { checkpointOf, describeMismatches, mismatchNextSteps } from '../events/decide.js';
import { foldRun } from '../events/fold.js';
import { classifyRun, describeHolder, type Classification, type RunLiveness } from '../events/liveness.js';
import type { ConnectionIdentity } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { readAllRuns } from '../events/store.js';
import { readRunLocks } from '../events/lock.js';
import { closeClient, openClient } from '../engine/pg/connect.js';
import { EXIT, type ExitCode } from '../engine/errors.js';
import { pickRun } from '../engine/pick-run.js';
import { ago, formatBytes, formatDuration, formatInt, timestamp, whereStopped } from '../ui/format.js';
import { connFlag, secretsOf, stallThresholdFrom, type Flags, type Output } from './common.js';
import { eventNoun } from '../ui/event-text.js';
import { durationOf, runSummary } from '../events/summary.js';

/**
 * `status RUN` answers "did this run finish, verified?" by its exit code: 0 only for a finished run whose
 * verification passed (or was turned off with --verify none, as clone's own 0 means); otherwise the code
 * the run's own command would have ended with.
 */
export const STATUS_EXIT: Record<RunLiveness, ExitCode> = {
  finished: EXIT.finished,
  mismatched: EXIT.verifyMismatch,
  interrupted: EXIT.resumable,
  failed: EXIT.failed,
  running: EXIT.locked,
  stalled: EXIT.locked,
  wiped: EXIT.nothingToDo,
};

const where = (id: ConnectionIdentity) => `${id.user}@${id.host}:${id.port}/${id.database}`;

function textOf(s: RunState, c: Classification): string[] {
  const done = c.state === 'finished' || c.state === 'mismatched' || c.state === 'wiped';
  // a phase name only where it says where the run is (a finished run's last phase says nothing)
  const lines = [`${s.runId}  ${c.state}${done ? '' : `  in ${whereStopped(s)}`}`];
  lines.push(`    from ${where(s.source)} into ${where(s.target)}`);
  lines.push(
    `    started ${timestamp(s.startedAt)} by ${s.operator.user}@${s.operator.host}; last event ${ago(c.silentForMs)} (${eventNoun(s.lastEventType)})`,
  );
  const copied = `${s.tableOrder.length} tables, ${formatInt(s.rowsDone)} rows, ${formatBytes(s.bytesDone)}`;
  if (s.outcome.kind === 'finished') {
    lines.push(`    finished ${timestamp(s.outcome.at)} after ${formatDuration(s.outcome.durationMs)}: ${copied}; verification ${s.outcome.verification}`);
  } else if (s.outcome.kind !== 'wiped') {
    lines.push(
      `    copied so far ${formatInt(s.rowsDone)} of ~${formatInt(checkpointOf(s).rowsTotal)} rows, ${formatBytes(s.bytesDone)}, in ${formatDuration(durationOf(s))} since it started`,
    );
  } else {
    lines.push(
      `    wiped ${timestamp(s.outcome.at)}: ${s.outcome.dropped.length} objects dropped${s.outcome.restartedAs ? `; restarted as ${s.outcome.restartedAs}` : ''}`,
    );
  }
  const cu = s.catchUp;
  if (cu && !cu.released) {
    lines.push(
      `    on the source: replication slot ${cu.slot} and publication ${cu.publication} (catch-up of ${cu.tables.length} tables; applied ${cu.appliedLsn ? `up to ${cu.appliedLsn}` : `nothing yet since ${cu.consistentLsn}`}) — the slot holds the source's WAL until the run finishes or is wiped`,
    );
  } else if (cu?.released) lines.push(`    catch-up: slot ${cu.slot} and publication ${cu.publication} dropped from the source (${cu.released.by})`);
  else if (s.catchUpOff) lines.push(`    catch-up: off (${s.catchUpOff}) — not exact across a break while the source takes writes`);
  if (c.state === 'mismatched') {
    lines.push(`    MISMATCH in ${describeMismatches(s)}`);
    lines.push(`    next: ${mismatchNextSteps(s)}`);
  }
  if (c.holder && (c.state === 'running' || c.state === 'stalled')) lines.push(`    lock held by ${describeHolder(c.holder)}`);
  if (c.state === 'stalled') lines.push(`    stalled: no event for ${ago(c.silentForMs).replace(' ago', '')} while the lock is held`);
  if (s.outcome.kind === 'failed') lines.push(`    error: ${s.outcome.error.message}`);
  if (c.state === 'interrupted' || c.state === 'failed') {
    lines.push(`    resume: ${suggest('resume', s)}`);
    lines.push(`    wipe:   ${suggest('wipe', s)}`);
  }
  return lines;
}

export async function statusCommand(runId: string | undefined, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  out.addSecrets(secretsOf(target));
  const threshold = stallThresholdFrom(flags);
  const db = await openClient(target, { side: 'target', purpose: 'status' });
  try {
    // one run named: only its events are read (pickRun resolves a prefix as every command does)
    const runs = runId === undefined ? [...(await readAllRuns(db)).values()].map(foldRun) : [await pickRun(db, runId, 'any')];
    const locks = await readRunLocks(
      db,
      runs.map((r) => r.runId),
    );
    const now = new Date();
    const rows = runs.map((s) => ({ s, c: classifyRun(s, locks.get(s.runId) ?? null, now, threshold) }));
    if (flags.json === true) for (const { s, c } of rows) out.line(JSON.stringify(runSummary(s, c)));
    else if (rows.length === 0) out.line('no runs in the target’s pgclone log');
    else for (const { s, c } of rows) for (const l of textOf(s, c)) out.line(l);
    const one = rows[0];
    return runId !== undefined && one ? STATUS_EXIT[one.c.state] : EXIT.finished;
  } finally {
    await closeClient(db);
  }
}
