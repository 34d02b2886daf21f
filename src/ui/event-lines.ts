// One line per logged event for the L view: the plain printer's line where it has one, else a compact summary.
import { tableLabel } from '../events/codec.js';
import { evolve } from '../events/fold.js';
import type { LoggedEvent } from '../events/schemas.js';
import type { FoldState, RunState } from '../events/state.js';
import { formatBytes, formatDuration, formatInt } from './format.js';
import { eventLine } from './plain.js';

export interface EventLogLine {
  id: number;
  at: string;
  text: string;
}

/** For the events the plain printer leaves to its progress lines. */
export function eventSummary(ev: LoggedEvent): string {
  switch (ev.type) {
    case 'PhaseStarted':
      return `${ev.phase}: started`;
    case 'TableStarted': {
      const rows = ev.exactRows !== null ? `${formatInt(ev.exactRows)} rows` : `~${formatInt(ev.estRows)} rows`;
      return `data: ${tableLabel(ev.table)} started — ${rows}, ${ev.batches.length} batch${ev.batches.length === 1 ? '' : 'es'}, ${ev.strategy}`;
    }
    case 'BatchCopied':
      return `data: ${tableLabel(ev.table)} batch ${ev.batch}: ${formatInt(ev.rows)} rows, ${formatBytes(ev.bytes)} in ${formatDuration(ev.durationMs)} (w${ev.worker})`;
    case 'PostDataItemApplied':
      return `post-data: ${ev.kind} ${ev.name} in ${formatDuration(ev.durationMs)} (w${ev.worker})`;
    case 'TableVerified':
      return `verify: ${tableLabel(ev.table)} matches — ${formatInt(ev.sourceRows)} rows`;
    default:
      return ev.type;
  }
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
    return { id: ev.id, at: ev.at, text: eventLine(ev, at) ?? eventSummary(ev) };
  });
}
