// Plain progress lines for pipes, cron and CI: one per phase and notable event, one every few seconds in data.
import type { LoggedEvent } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { eventText, printedInPlain } from './event-text.js';
import { formatBytes, formatDuration, formatInt, formatRate, percent } from './format.js';
import { addSample, dataEta, rates, totals, type Sample } from './progress.js';

export function progressLine(state: RunState, samples: Sample[]): string {
  const t = totals(state);
  const r = rates(samples);
  const eta = dataEta(t, r.bytesPerSec);
  const etaText = eta === null ? '' : `, ETA ${formatDuration(eta)} at ${formatRate(r.bytesPerSec, 'bytes')} over ${formatDuration(r.windowMs)}`;
  if (state.phase === 'data' || state.phases.data.status === 'running') {
    return `data: ${percent(t.bytesDone, t.bytesTotal)} % — ${formatInt(t.rowsDone)} rows, ${formatBytes(t.bytesDone)} of ~${formatBytes(t.bytesTotal)}, ${t.tablesDone}/${t.tables} tables, ${formatRate(r.rowsPerSec, 'rows')}${etaText}`;
  }
  if (state.phase === 'post-data') return `post-data: ${t.itemsDone}/${t.items} items applied`;
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
  const timer = setInterval(() => {
    if (!state || state.outcome.kind !== 'open') return;
    if (now() - lastProgress < intervalMs) return;
    lastProgress = now();
    out(progressLine(state, samples));
  }, Math.min(1000, intervalMs));
  timer.unref();
  return {
    onEvents(events, s) {
      state = s;
      samples = addSample(samples, { at: now(), rows: s.rowsDone, bytes: s.bytesDone });
      for (const ev of events) {
        if (printedInPlain(ev)) out(eventText(ev, s));
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
