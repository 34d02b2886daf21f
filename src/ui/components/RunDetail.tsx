// The selected run in full: phases, table progress, workers, rates and ETA, retries, the last error, snapshot breaks.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { tableLabel } from '../../events/names.js';
import { PHASES } from '../../events/schemas.js';
import type { RunState, TableState } from '../../events/state.js';
import { formatBytes, formatDuration, formatInt, formatRate, percent, timestamp } from '../format.js';
import type { LiveCopy } from '../../events/activity.js';
import type { RunView } from '../model.js';
import { dataEta, rates, tablesForDisplay, totals, type Sample } from '../progress.js';
import { shortDuration, wrappedRows } from '../text.js';
import { theme, type Tone } from '../theme.js';
import { TableProgress } from './TableProgress.js';

export interface RunDetailProps {
  run: RunView;
  now: number;
  samples: Sample[];
  liveCopies: LiveCopy[];
  notes: string[];
  width: number;
  /** rows this view may take */
  height: number;
  /** most table rows to show however tall the terminal */
  tableCap: number;
}

const MAX_RETRIES_SHOWN = 3;

/** Each phase with its state and duration; a stopped run's running phase is marked stopped, timed to its last event. */
export function phaseParts(state: RunState, live: boolean, now: number): { text: string; tone: Tone }[] {
  return PHASES.map((p) => {
    const ph = state.phases[p];
    if (ph.status === 'done') return { text: `✓ ${p} ${shortDuration(ph.durationMs ?? 0)}`, tone: 'ok' as const };
    if (ph.status === 'running') {
      const end = live ? now : Date.parse(state.lastEventAt);
      // a wipe's event comes long after the work stopped: no duration to tell
      const ran = ph.startedAt && state.outcome.kind !== 'wiped' ? ` ${shortDuration(end - Date.parse(ph.startedAt))}` : '';
      return live ? { text: `▸ ${p}${ran}`, tone: 'accent' as const } : { text: `■ ${p}${ran}`, tone: 'warn' as const };
    }
    return { text: p, tone: 'dim' as const };
  });
}

/** The phases on one line when they fit, else split in two. */
export function phaseLines(parts: { text: string; tone: Tone }[], width: number): { text: string; tone: Tone }[][] {
  const length = (xs: { text: string }[]) => xs.reduce((n, x, i) => n + x.text.length + (i > 0 ? 2 : 0), 0);
  if (length(parts) <= width) return [parts];
  const half = Math.ceil(parts.length / 2);
  return [parts.slice(0, half), parts.slice(half)];
}

/** Each worker's current item, as far as the log shows: the table of its last batch while that table is copying. */
export function workerItems(state: RunState): string[] {
  const copying = state.tableOrder
    .map((k) => state.tables[k] as TableState)
    .filter((t) => t.status === 'copying')
    .sort((a, b) => (b.lastBatchAt ?? '').localeCompare(a.lastBatchAt ?? ''));
  const byWorker = new Map<number, string>();
  const starting: string[] = [];
  for (const t of copying) {
    if (t.lastWorker === null) starting.push(`${tableLabel(t.table)} (starting)`);
    else if (!byWorker.has(t.lastWorker)) byWorker.set(t.lastWorker, tableLabel(t.table));
  }
  const workers = [...byWorker.entries()].sort((a, b) => a[0] - b[0]).map(([w, label]) => `w${w} ${label}`);
  return [...workers, ...starting];
}

export function rateLine(state: RunState, samples: Sample[], silentForMs: number, stalled: boolean): string {
  if (stalled) return `Rate: no new event for ${formatDuration(silentForMs)}`;
  const r = rates(samples);
  if (r.windowMs <= 0) return 'Rate: measuring… (no ETA until there is a rate)';
  const eta = dataEta(totals(state), r.bytesPerSec);
  const etaText = eta === null ? 'no ETA: nothing moved' : `ETA ${formatDuration(eta)} at ${formatRate(r.bytesPerSec, 'bytes')}`;
  return `Rate: ${formatRate(r.rowsPerSec, 'rows')}, ${formatRate(r.bytesPerSec, 'bytes')} over ${formatDuration(r.windowMs)} · ${etaText}`;
}

function outcomeLine(state: RunState): string | null {
  const o = state.outcome;
  if (o.kind === 'finished') return `Finished ${timestamp(o.at)} in ${formatDuration(o.durationMs)} — verification ${o.verification}`;
  if (o.kind === 'wiped') {
    const restart = o.restartedAs ? `; restarted as ${o.restartedAs}` : '';
    return `Wiped ${timestamp(o.at)}: ${o.dropped.length} object${o.dropped.length === 1 ? '' : 's'} dropped${restart}`;
  }
  return null;
}

interface Section {
  key: string;
  rows: number;
  node: ReactNode;
}

export function RunDetail({ run, now, samples, liveCopies, notes, width, height, tableCap }: RunDetailProps) {
  const s = run.state;
  const live = run.liveness.state === 'running' || run.liveness.state === 'stalled';
  const line = (key: string, text: string, tone?: Tone): Section => ({
    key,
    rows: 1,
    node: (
      <Text key={key} wrap="truncate" {...(tone ? theme.tone(tone) : {})}>
        {text}
      </Text>
    ),
  });
  const before: Section[] = [];
  const after: Section[] = [];

  before.push(line('title', `${s.runId} · from ${s.source.database}@${s.source.host}:${s.source.port} · by ${s.operator.user}@${s.operator.host}`, 'accent'));
  for (const [i, parts] of phaseLines(phaseParts(s, live, now), width).entries()) {
    before.push({
      key: `phases-${i}`,
      rows: 1,
      node: (
        <Text key={`phases-${i}`} wrap="truncate">
          {parts.map((p, j) => (
            <Text key={p.text} {...theme.tone(p.tone)}>
              {j > 0 ? '  ' : ''}
              {p.text}
            </Text>
          ))}
        </Text>
      ),
    });
  }
  const t = totals(s);
  if (t.tables > 0) {
    const post = t.items > 0 ? ` · post-data ${t.itemsDone}/${t.items}` : '';
    before.push(
      line(
        'totals',
        `Rows ${formatInt(t.rowsDone)} / ~${formatInt(t.rowsTotal)} (${percent(t.rowsDone, t.rowsTotal)} %) · ${formatBytes(t.bytesDone)} / ~${formatBytes(t.bytesTotal)} · tables ${t.tablesDone}/${t.tables}${post}`,
      ),
    );
  }
  if (live && s.phase === 'data') before.push(line('rate', rateLine(s, samples, run.liveness.silentForMs, run.liveness.state === 'stalled')));

  if (live) {
    const workers = workerItems(s);
    if (s.phase === 'data' && workers.length > 0) after.push(line('workers', `Workers: ${workers.join(' · ')}`));
    // the catalog reports every COPY on the target; only this run's tables belong here
    const ours = new Set(s.tableOrder.map((k) => tableLabel((s.tables[k] as TableState).table)));
    const copies = liveCopies.filter((c) => ours.has(c.table));
    if (copies.length > 0) {
      const texts = copies.map((c) => `${c.table} ${formatInt(c.tuplesProcessed)} rows ${formatBytes(c.bytesProcessed)}`);
      after.push(line('copies', `COPY in flight: ${texts.join(' · ')}`));
    }
  }
  const outcome = outcomeLine(s);
  if (outcome) after.push(line('outcome', outcome, run.liveness.state));
  const lastResume = s.resumes[s.resumes.length - 1];
  if (lastResume) {
    const by = `${lastResume.operator.user}@${lastResume.operator.host}`;
    after.push(line('resumes', `Resumed ${s.resumes.length}× — last by ${by} at ${timestamp(lastResume.at)} from ${lastResume.fromPhase}`));
  }
  if (s.snapshotLost) {
    after.push(line('snapshot', '! Snapshot consistency lost: a retry or resume read from a new source snapshot', 'warn'));
  }
  if (s.retries.length > 0) {
    const shown = s.retries.slice(-MAX_RETRIES_SHOWN);
    const earlier = s.retries.length - shown.length;
    after.push(line('retries', `Retries: ${s.retries.length}${earlier > 0 ? ` (the last ${shown.length} below)` : ''}`, 'warn'));
    for (const r of shown) {
      const code = r.error.sqlstate ? ` ${r.error.sqlstate}` : '';
      after.push(line(`retry-${r.eventId}`, `  #${r.attempt} ${r.phase}${code} after ${formatDuration(r.delayMs)}: ${r.error.message}`));
    }
  }
  if (s.lastError) {
    const e = s.lastError;
    after.push(line('error-head', `Last error (${timestamp(e.at)}, ${e.kind}${e.sqlstate ? `, ${e.sqlstate}` : ''}):`, 'error'));
    // in full, on lines of its own: the one thing an operator must read without opening the log
    after.push({
      key: 'error',
      rows: wrappedRows(e.message, width),
      node: (
        <Text key="error" wrap="wrap" {...theme.tone('error')}>
          {e.message}
        </Text>
      ),
    });
  }
  if (live) for (const [i, n] of notes.slice(-2).entries()) after.push(line(`note-${i}`, n, 'dim'));

  const used = [...before, ...after].reduce((n, x) => n + x.rows, 0);
  const tables = tablesForDisplay(s);
  const tableRows = Math.max(1, Math.min(tableCap, height - used, tables.length));
  return (
    <Box flexDirection="column" width={width}>
      {before.map((x) => x.node)}
      {tables.length > 0 ? <TableProgress tables={tables} width={width} maxRows={tableRows} /> : null}
      {after.map((x) => x.node)}
    </Box>
  );
}
