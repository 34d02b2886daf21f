// Plain progress lines for pipes, cron and CI: one per phase and notable event, one every few seconds in data.
import type { LoggedEvent } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { eventText, printedInPlain } from './event-text.js';
import { mismatchLines } from '../events/decide.js';
import { acrossBreaksText } from '../events/summary.js';
import { formatBytes, formatDuration, formatInt, formatRate, mismatchAdvice, mismatchSummary } from './format.js';
import { addSample, dataEta, postDataEta, rates, totals, verifyEta, type Sample } from './progress.js';

export function progressLine(state: RunState, samples: Sample[]): string {
  const t = totals(state);
  const r = rates(samples, state.pauses);
  const eta = dataEta(t, r.bytesPerSec);
  const over = state.pauses.length > 0 ? `${formatDuration(r.windowMs)} of work` : formatDuration(r.windowMs);
  const etaText = eta === null ? '' : `, ETA ${formatDuration(eta)} at ${formatRate(r.bytesPerSec, 'bytes')} over ${over}`;
  if (state.phase === 'data' || state.phases.data.status === 'running') {
    return `data: ${t.percent} % — ${formatInt(t.rowsDone)} rows, ${formatBytes(t.bytesDone)} of ${t.bytesExact ? '' : '~'}${formatBytes(t.bytesTotal)}, ${t.tablesDone}/${t.tables} tables, ${formatRate(r.rowsPerSec, 'rows')}${etaText}`;
  }
  if (state.phase === 'post-data') {
    const e = postDataEta(state, formatDuration);
    return `post-data: ${t.itemsDone}/${t.items} items applied${e ? `, ETA ${formatDuration(e.ms)} (${e.basis})` : ''}`;
  }
  if (state.phase === 'verify') {
    const e = verifyEta(state, (x) => formatRate(x, 'rows'));
    return `verify: ${Object.keys(state.verified).length}/${t.tables} tables counted${e ? `, ETA ${formatDuration(e.ms)} (${e.basis})` : ''}`;
  }
  return `${state.phase}: running`;
}

export interface LinePrinter {
  onEvents(events: LoggedEvent[], state: RunState): void;
  onNote(text: string): void;
  stop(): void;
}

/** Lines as events arrive, and a progress line every intervalMs while the run moves. */
export function createPlainPrinter(write: (line: string) => void, intervalMs = 5000, now: () => number = Date.now): LinePrinter {
  let state: RunState | null = null;
  let samples: Sample[] = [];
  let lastProgress = now();
  const stamp = () => new Date(now()).toISOString().slice(11, 19);
  const out = (line: string) => write(`${stamp()} ${line}`);
  const timer = setInterval(
    () => {
      if (!state || state.outcome.kind !== 'open') return;
      if (now() - lastProgress < intervalMs) return;
      lastProgress = now();
      out(progressLine(state, samples));
    },
    Math.min(1000, intervalMs),
  );
  timer.unref();
  return {
    onEvents(events, s) {
      state = s;
      samples = addSample(samples, { at: now(), rows: s.rowsDone, bytes: s.bytesDone });
      for (const ev of events) {
        if (printedInPlain(ev)) out(eventText(ev, s));
        // a failed verification must not read like a finish: say which tables, first, and what to do
        if (ev.type === 'RunFinished' && ev.verification === 'mismatch') {
          out(`VERIFICATION FAILED — ${mismatchSummary(s)}: ${mismatchLines(s).join('; ')}`);
          out(mismatchAdvice(s));
        }
        // without catch-up a finish on a live source may not be exact: say which tables were read across a break
        if (ev.type === 'RunFinished') {
          const across = acrossBreaksText(s);
          if (across) out(across);
        }
      }
    },
    onNote(text) {
      out(text);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
