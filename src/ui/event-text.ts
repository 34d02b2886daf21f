// The one place an event becomes text: a line for every event (log, L view, plain lines), and which ones plain output prints.
import { suggest, suggestForget } from '../events/commands.js';
import { tableLabel } from '../events/names.js';
import { evolve } from '../events/fold.js';
import type { CopyRange, LoggedEvent, SequenceBehind } from '../events/schemas.js';
import type { FoldState, RunState } from '../events/state.js';
import { formatBytes, formatDuration, formatInt, whereStopped, workAndElapsed } from './format.js';
import { totals } from './progress.js';

function rangeText(r: CopyRange): string {
  switch (r.kind) {
    case 'all':
      return 'the whole table';
    case 'tid':
      return `pages ${r.fromPage}–${r.toPage ?? 'end'}`;
    case 'key':
      return `keys (${r.lo ? r.lo.join(', ') : '−∞'}, ${r.hi ? r.hi.join(', ') : '+∞'}]`;
  }
}

function behindText(b: SequenceBehind): string {
  return `sequence ${tableLabel(b.sequence)} would next give ${b.nextValue}, but ${tableLabel(b.table)}.${b.column} already holds ${b.columnLimit}`;
}

/** A line for any event, told with the run's state as it was just after it; `detail` adds what an audit wants (a batch's key range). */
export function eventText(ev: LoggedEvent, state: RunState, detail = false): string {
  switch (ev.type) {
    case 'RunStarted': {
      const t = totals(state);
      // a run that cannot catch up says why once: stopped and resumed while the source takes writes, it is not exact
      const off = ev.catchUpOff ? `; catch-up off (${ev.catchUpOff}): not exact across breaks on a source taking writes` : '';
      return `run ${ev.runId}: ${ev.source.database}@${ev.source.host}:${ev.source.port} → ${ev.target.database}@${ev.target.host}:${ev.target.port}; ${t.tables} tables (~${formatBytes(t.bytesTotal)}), ${t.items} post-data items, ${ev.options.jobs} jobs${off}`;
    }
    case 'RunResumed':
      return `run ${ev.runId} resumed by ${ev.operator.user}@${ev.operator.host} from ${ev.fromPhase}${ev.snapshotLost ? ' (a new source snapshot: consistency across the break is not guaranteed)' : ''}`;
    case 'PhaseStarted':
      return `${ev.phase}: started`;
    case 'PhaseCompleted': {
      // the engine times a phase from its PhaseStarted: a stop and resume inside it is not work
      const from = state.phases[ev.phase].startedAt;
      return `${ev.phase}: done in ${from ? workAndElapsed(state, from, ev.at, ev.durationMs) : formatDuration(ev.durationMs)}`;
    }
    case 'SchemaApplied':
      return `schema: ${ev.statements} statements, ${ev.objects.length} objects created`;
    case 'TableStarted': {
      const rows = ev.exactRows !== null ? `${formatInt(ev.exactRows)} rows` : `~${formatInt(ev.estRows)} rows`;
      return `data: ${tableLabel(ev.table)} started — ${rows}, ${ev.batches.length} batch${ev.batches.length === 1 ? '' : 'es'}, ${ev.strategy}`;
    }
    case 'BatchCopied':
      return `data: ${tableLabel(ev.table)} batch ${ev.batch}${detail ? ` (${rangeText(ev.range)})` : ''}: ${formatInt(ev.rows)} rows, ${formatBytes(ev.bytes)} in ${formatDuration(ev.durationMs)} (w${ev.worker})`;
    case 'TableCompleted':
      return `data: ${tableLabel(ev.table)} copied — ${formatInt(ev.rows)} rows, ${formatBytes(ev.bytes)}`;
    case 'PostDataItemApplied':
      return `post-data: ${ev.kind} ${ev.name}${ev.statistics === 'carried' ? ' (the source’s statistics)' : ''} in ${formatDuration(ev.durationMs)} (w${ev.worker})`;
    case 'SequencesSynced':
      return `sequences: ${ev.count} set to their source values`;
    case 'TableVerified':
      return ev.match
        ? `verify: ${tableLabel(ev.table)} matches — ${formatInt(ev.sourceRows)} rows`
        : `verify: MISMATCH in ${tableLabel(ev.table)}: source ${formatInt(ev.sourceRows)} rows, target ${formatInt(ev.targetRows)}${ev.sourceChecksum !== ev.targetChecksum ? ' (checksums differ)' : ''}`;
    case 'SequencesVerified':
      return ev.behind.length === 0
        ? `verify: ${ev.checked} owned sequences ahead of their columns`
        : `verify: MISMATCH: ${ev.behind.map(behindText).join('; ')}`;
    case 'LargeObjectsCopied':
      return `large objects: ${formatInt(ev.count)} (oids ${ev.fromOid}–${ev.toOid}), ${formatBytes(ev.bytes)} in ${formatDuration(ev.durationMs)}`;
    case 'LargeObjectsVerified':
      return ev.match
        ? `verify: large objects match — ${formatInt(ev.sourceCount)}`
        : `verify: MISMATCH in large objects: source ${formatInt(ev.sourceCount)}, target ${formatInt(ev.targetCount)}${ev.sourceChecksum !== ev.targetChecksum ? ' (checksums differ)' : ''}`;
    case 'CatchUpPrepared':
      return `catch-up: publication ${ev.publication} and replication slot ${ev.slot} (${ev.plugin}) created on the source, consistent at ${ev.consistentLsn}; ${ev.tables.length} tables kept exact${ev.excluded.length ? `, ${ev.excluded.length} left out (${ev.excluded.map((x) => tableLabel(x.table)).join(', ')})` : ''}`;
    case 'CatchUpStarted':
      return `catch-up: applying the source's changes up to ${ev.targetLsn}`;
    case 'ChangesApplied':
      return `catch-up: ${formatInt(ev.transactions)} source transaction${ev.transactions === 1 ? '' : 's'} applied up to ${ev.lsn} — ${formatInt(ev.inserts)} inserts, ${formatInt(ev.updates)} updates, ${formatInt(ev.deletes)} deletes${ev.truncates ? `, ${formatInt(ev.truncates)} truncates` : ''}${ev.skipped ? ` (${formatInt(ev.skipped)} updates of rows a later change removes)` : ''} in ${formatDuration(ev.durationMs)}`;
    case 'ConstraintsValidated':
      return `catch-up: ${formatInt(ev.constraints.length)} foreign key${ev.constraints.length === 1 ? '' : 's'} added NOT VALID before catch-up validated in ${formatDuration(ev.durationMs)}`;
    case 'CatchUpReleased':
      if (ev.by === 'guard')
        return `catch-up ABANDONED: the retained-WAL guard dropped ${ev.dropped.length ? ev.dropped.join(' and ') : 'nothing (already gone)'} on the source — ${ev.reason ?? 'it held too much WAL'}`;
      return `catch-up: ${ev.dropped.length ? `dropped ${ev.dropped.join(' and ')}` : 'nothing left to drop'} on the source (${ev.by}${ev.reason ? `: ${ev.reason}` : ''})`;
    case 'CutoverRequested':
      return `cutover asked for by ${ev.operator.user}@${ev.operator.host}: the run applies what the source has up to now, syncs sequences, verifies and finishes`;
    case 'CutoverCompleted':
      return `cutover: the target equals the source at ${ev.lsn} (${formatDuration(ev.durationMs)} after it was asked for); the slot and publication go next`;
    case 'RetryScheduled':
      return `retry ${ev.attempt} after ${formatDuration(ev.delayMs)} in ${ev.phase}: ${ev.error.message}${ev.snapshotLost ? ' (new source snapshot)' : ''}`;
    case 'RunSuspended':
      return `stopped in ${ev.phase}: ${ev.reason}; resumable at ${whereStopped(state)} — ${suggest('resume', state)}`;
    case 'RunFailed':
      return `failed in ${ev.phase}: ${ev.error.message}${ev.error.sqlstate ? ` [${ev.error.sqlstate}]` : ''}${ev.resumable ? ` — ${suggest('resume', state)}` : ''}`;
    case 'RunFinished': {
      const t = ev.totals;
      // work time and elapsed time apart: a run stopped and resumed did not take the time it was stopped
      const took = workAndElapsed(state, state.startedAt, ev.at, ev.durationMs);
      return `finished in ${took}: ${t.tables} tables, ${formatInt(t.rows)} rows, ${formatBytes(t.bytes)}, ${t.postDataItems} post-data items, ${t.sequences} sequences; verification ${ev.verification}; the log stays in schema pgclone — to keep it in a file and remove it: ${suggestForget(state)}`;
    }
    case 'RunWiped':
      return `run ${ev.runId} wiped: ${ev.dropped.length} objects dropped${ev.kept?.length ? `; kept ${ev.kept.join('; ')}` : ''}${ev.restartedAs ? `; restarting as ${ev.restartedAs}` : ''}`;
    default: {
      const never: never = ev;
      return String((never as LoggedEvent).type);
    }
  }
}

/** What an event records, in words for people (the log's type names are for the log): "a batch copied". */
export function eventNoun(type: LoggedEvent['type']): string {
  switch (type) {
    case 'RunStarted':
      return 'the run started';
    case 'RunResumed':
      return 'the run resumed';
    case 'PhaseStarted':
      return 'a phase started';
    case 'PhaseCompleted':
      return 'a phase done';
    case 'SchemaApplied':
      return 'the schema applied';
    case 'TableStarted':
      return 'a table started';
    case 'BatchCopied':
      return 'a batch copied';
    case 'TableCompleted':
      return 'a table copied';
    case 'PostDataItemApplied':
      return 'an index or constraint applied';
    case 'SequencesSynced':
      return 'sequences set';
    case 'SequencesVerified':
      return 'sequences checked against their columns';
    case 'TableVerified':
      return 'a table verified';
    case 'LargeObjectsCopied':
      return 'a batch of large objects copied';
    case 'LargeObjectsVerified':
      return 'the large objects verified';
    case 'CatchUpPrepared':
      return 'the replication slot created';
    case 'CatchUpStarted':
      return 'a catch-up pass started';
    case 'ChangesApplied':
      return 'source changes applied';
    case 'ConstraintsValidated':
      return 'the foreign keys validated';
    case 'CatchUpReleased':
      return 'the replication slot dropped';
    case 'CutoverRequested':
      return 'a cutover asked for';
    case 'CutoverCompleted':
      return 'the cutover completed';
    case 'RetryScheduled':
      return 'a retry scheduled';
    case 'RunSuspended':
      return 'the run stopped';
    case 'RunFailed':
      return 'the run failed';
    case 'RunFinished':
      return 'the run finished';
    case 'RunWiped':
      return 'the run wiped';
    default: {
      const never: never = type;
      return String(never);
    }
  }
}

/** Plain output prints an event's line unless progress lines already tell it (batches, items, tables starting, matches). */
export function printedInPlain(ev: LoggedEvent): boolean {
  switch (ev.type) {
    case 'TableStarted':
    case 'BatchCopied':
    case 'PostDataItemApplied':
    case 'ChangesApplied':
      return false;
    case 'PhaseStarted':
      return ev.phase !== 'preflight';
    case 'TableVerified':
      return !ev.match;
    case 'SequencesVerified':
      return ev.behind.length > 0;
    case 'LargeObjectsVerified':
      return !ev.match;
    default:
      return true;
  }
}

export interface EventLogLine {
  id: number;
  at: string;
  text: string;
}

/**
 * Each line is told with the state as it was at that event (a suspension names where it stopped then, not now).
 * Should the events not fold from the start (a partial log), the run's final state stands in.
 */
export function eventLogLines(events: readonly LoggedEvent[], finalState: RunState): EventLogLine[] {
  let state: FoldState = null;
  let folding = true;
  return events.map((ev) => {
    if (folding) {
      try {
        state = evolve(state, ev);
      } catch {
        folding = false;
      }
    }
    const at = folding && state ? state : finalState;
    return { id: ev.id, at: ev.at, text: eventText(ev, at) };
  });
}
