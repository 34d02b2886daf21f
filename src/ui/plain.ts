// Plain progress lines for pipes, cron and CI: one per phase and notable event, one every few seconds in data.
import { tableLabel } from '../events/codec.js';
import { describeHolder, type Classification } from '../events/liveness.js';
import type { LoggedEvent } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { formatBytes, formatDuration, formatInt, formatRate, percent, whereStopped } from './format.js';
import { addSample, dataEta, rates, totals, type Sample } from './progress.js';

/** The line an event deserves on its own, or null when progress lines cover it. */
export function eventLine(ev: LoggedEvent, state: RunState): string | null {
  switch (ev.type) {
    case 'RunStarted': {
      const t = totals(state);
      return `run ${ev.runId}: ${ev.source.database}@${ev.source.host}:${ev.source.port} → ${ev.target.database}@${ev.target.host}:${ev.target.port}; ${t.tables} tables (~${formatBytes(t.bytesTotal)}), ${t.items} post-data items, ${ev.options.jobs} jobs`;
    }
    case 'RunResumed':
      return `run ${ev.runId} resumed by ${ev.operator.user}@${ev.operator.host} from ${ev.fromPhase}${ev.snapshotLost ? ' (a new source snapshot: consistency across the break is not guaranteed)' : ''}`;
    case 'PhaseStarted':
      return ev.phase === 'preflight' ? null : `${ev.phase}: started`;
    case 'PhaseCompleted':
      return `${ev.phase}: done in ${formatDuration(ev.durationMs)}`;
    case 'SchemaApplied':
      return `schema: ${ev.statements} statements, ${ev.objects.length} objects created`;
    case 'TableCompleted':
      return `data: ${tableLabel(ev.table)} copied — ${formatInt(ev.rows)} rows, ${formatBytes(ev.bytes)}`;
    case 'SequencesSynced':
      return `sequences: ${ev.count} set to their source values`;
    case 'TableVerified':
      return ev.match ? null : `verify: MISMATCH in ${tableLabel(ev.table)}: source ${formatInt(ev.sourceRows)} rows, target ${formatInt(ev.targetRows)}${ev.sourceChecksum !== ev.targetChecksum ? ' (checksums differ)' : ''}`;
    case 'RetryScheduled':
      return `retry ${ev.attempt} after ${formatDuration(ev.delayMs)} in ${ev.phase}: ${ev.error.message}${ev.snapshotLost ? ' (new source snapshot)' : ''}`;
    case 'RunSuspended':
      return `stopped in ${ev.phase}: ${ev.reason}; resumable at ${whereStopped(state)} — pgclone resume ${ev.runId}`;
    case 'RunFailed':
      return `failed in ${ev.phase}: ${ev.error.message}${ev.error.sqlstate ? ` [${ev.error.sqlstate}]` : ''}${ev.resumable ? ` — pgclone resume ${ev.runId}` : ''}`;
    case 'RunFinished': {
      const t = ev.totals;
      return `finished in ${formatDuration(ev.durationMs)}: ${t.tables} tables, ${formatInt(t.rows)} rows, ${formatBytes(t.bytes)}, ${t.postDataItems} post-data items, ${t.sequences} sequences; verification ${ev.verification}`;
    }
    case 'RunWiped':
      return `run ${ev.runId} wiped: ${ev.dropped.length} objects dropped${ev.restartedAs ? `; restarting as ${ev.restartedAs}` : ''}`;
    default:
      return null;
  }
}

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
        const line = eventLine(ev, s);
        if (line) out(line);
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

export function statusLine(state: RunState, c: Classification): string {
  const where = c.state === 'finished' || c.state === 'wiped' ? '' : ` at ${whereStopped(state)}`;
  const holder = c.holder && (c.state === 'stalled' || c.state === 'running') ? ` — held by ${describeHolder(c.holder)}` : '';
  return `${state.runId} ${c.state}${where}${holder}`;
}
