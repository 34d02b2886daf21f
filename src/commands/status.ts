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
import { acrossBreaksText, durationOf, followOf, followText, runSummary, slotText, type SlotReading } from '../events/summary.js';
import { quoteIdent } from '../events/names.js';
import { readRunSlots } from '../engine/live-slots.js';
import { recordedSource } from '../engine/start.js';

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

/** What catch-up has (or had) on the source, in status's words: the slot, what it holds now, who dropped it and why. */
function catchUpLines(s: RunState, slot: SlotReading | undefined): string[] {
  const cu = s.catchUp;
  if (!cu) return s.catchUpOff ? [`    catch-up: off (${s.catchUpOff}) — not exact across a break while the source takes writes`] : [];
  const limit = s.options.maxRetainedWalBytes ?? null;
  if (!cu.released) {
    const applied = cu.appliedLsn ? `up to ${cu.appliedLsn}` : `nothing yet since ${cu.consistentLsn}`;
    return [
      `    on the source: replication slot ${cu.slot} and publication ${cu.publication} (catch-up of ${cu.tables.length} tables; applied ${applied}) — the slot holds the source's WAL until the run finishes or is wiped`,
      `    slot ${cu.slot}: ${slotText(slot, limit)}`,
    ];
  }
  const r = cu.released;
  const lines = [
    r.by === 'guard'
      ? `    catch-up: ABANDONED — the retained-WAL guard dropped slot ${cu.slot} and publication ${cu.publication}: ${r.reason ?? 'it held too much WAL'}; the run cannot be made exact on a live source any more`
      : `    catch-up: slot ${cu.slot} and publication ${cu.publication} dropped from the source (${r.by}${r.reason ? `: ${r.reason}` : ''})`,
  ];
  // a drop that did not happen (a wipe while the source was down) leaves the slot there: never unseen
  if (slot?.read === 'ok' && slot.onSource)
    lines.push(
      `    but slot ${cu.slot} is still on the source and ${slotText(slot, null)}: drop it there: SELECT pg_drop_replication_slot('${cu.slot}'); DROP PUBLICATION IF EXISTS ${quoteIdent(cu.publication)};`,
    );
  return lines;
}

function textOf(s: RunState, c: Classification, slot?: SlotReading): string[] {
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
  lines.push(...catchUpLines(s, slot));
  const across = acrossBreaksText(s);
  if (across) lines.push(`    ${across}`);
  const f = followOf(s, slot ?? null);
  if (f?.following) lines.push(`    following the source: ${followText(f)}${f.lagFrom === 'log' ? ' (lag as the last applied changes saw it)' : ''}`);
  if (f?.cutoverRequestedAt && !f.cutoverCompletedAt) lines.push(`    cutover asked for at ${timestamp(f.cutoverRequestedAt)}`);
  if (f?.cutoverCompletedAt) lines.push(`    cut over at ${timestamp(f.cutoverCompletedAt)}: the target equals the source at ${f.cutoverLsn}`);
  if (f?.following && (c.state === 'running' || c.state === 'stalled')) lines.push(`    cut over: ${suggest('cutover', s)}`);
  if (c.state === 'mismatched') {
    lines.push(`    MISMATCH in ${describeMismatches(s)}`);
    lines.push(`    next: ${mismatchNextSteps(s)}`);
  }
  if (c.holder && (c.state === 'running' || c.state === 'stalled')) lines.push(`    lock held by ${describeHolder(c.holder)}`);
  if (c.state === 'stalled') lines.push(`    stalled: no event for ${ago(c.silentForMs).replace(' ago', '')} while the lock is held`);
  if (s.outcome.kind === 'failed') lines.push(`    error: ${s.outcome.error.message}`);
  if (c.state === 'interrupted' || c.state === 'failed') {
    const abandoned = s.catchUp?.released?.by === 'guard' && s.phases['catch-up'].status !== 'done';
    lines.push(
      `    resume: ${suggest('resume', s, abandoned ? ['--no-catch-up'] : [])}${abandoned ? ' (without catch-up: not exact if the source changed)' : ''}`,
    );
    lines.push(`    wipe:   ${suggest('wipe', s)}`);
  }
  return lines;
}

export async function statusCommand(runId: string | undefined, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  const source = connFlag(flags, 'source', false);
  out.addSecrets(secretsOf(target, source));
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
    // every slot a run here made, read live from its source (without --source: the recorded one, PGPASSWORD / ~/.pgpass)
    const slots = await readRunSlots(runs, (s) => source ?? recordedSource(s, process.env));
    const rows = runs.map((s) => ({ s, c: classifyRun(s, locks.get(s.runId) ?? null, now, threshold) }));
    if (flags.json === true) for (const { s, c } of rows) out.line(JSON.stringify(runSummary(s, c, slots.get(s.runId) ?? null)));
    else if (rows.length === 0) out.line('no runs in the target’s pgclone log');
    else for (const { s, c } of rows) for (const l of textOf(s, c, slots.get(s.runId))) out.line(l);
    const one = rows[0];
    return runId !== undefined && one ? STATUS_EXIT[one.c.state] : EXIT.finished;
  } finally {
    await closeClient(db);
  }
}
