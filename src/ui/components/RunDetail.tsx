// The selected run in full: phases, table progress, workers, rates and ETA, retries, the last error, snapshot breaks.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { tableLabel } from '../../events/names.js';
import { PHASES } from '../../events/schemas.js';
import type { RunState, TableState } from '../../events/state.js';
import { mismatchLines } from '../../events/decide.js';
import { formatBytes, formatDuration, formatInt, formatRate, mismatchSummary, timestamp, workAndElapsed } from '../format.js';
import type { LiveIndexBuild } from '../../events/activity.js';
import type { RunView } from '../model.js';
import { acrossBreaksText, followOf, followText, readAcrossBreaks, slotText, type SlotReading } from '../../events/summary.js';
import {
  copiesInFlight,
  dataEta,
  pausedWithin,
  postDataEta,
  rates,
  tablesForDisplay,
  totals,
  verifyEta,
  workBetween,
  type Sample,
  type SeenCopy,
} from '../progress.js';
import { fitParts, shortDuration, wrapWords } from '../text.js';
import { theme, type Tone } from '../theme.js';
import { TableProgress } from './TableProgress.js';

export interface RunDetailProps {
  run: RunView;
  now: number;
  samples: Sample[];
  liveCopies: SeenCopy[];
  liveIndexes?: LiveIndexBuild[];
  /** the run's replication slot as last read from the source (absent: not read) */
  slot?: SlotReading;
  notes: string[];
  width: number;
  /** rows this view may take */
  height: number;
  /** most table rows to show however tall the terminal */
  tableCap: number;
}

const MAX_RETRIES_SHOWN = 3;

/** A phase's work time: its elapsed time (the engine measures from its PhaseStarted) less the pauses inside it. */
export function phaseWorkMs(state: RunState, p: (typeof PHASES)[number], end: number): number | null {
  const ph = state.phases[p];
  if (!ph.startedAt) return ph.durationMs;
  const from = Date.parse(ph.startedAt);
  if (ph.status === 'done') return Math.max(0, (ph.durationMs ?? 0) - pausedWithin(state.pauses, from, from + (ph.durationMs ?? 0)));
  return workBetween(state, from, end);
}

/**
 * Each phase with its state and work time (pauses between a stop and a resume are not counted); a stopped run's
 * running phase is marked stopped, timed to its last event. A verification that found a difference is ✗, never ✓.
 */
export function phaseParts(state: RunState, live: boolean, now: number): { text: string; tone: Tone }[] {
  const mismatch = mismatchLines(state).length > 0;
  // a log written before large objects were copied never opens that phase: it is shown once it has started
  // nor does a run without catch-up (its options say so) ever open that one
  return PHASES.filter(
    (p) => (p !== 'large-objects' && p !== 'catch-up') || state.phases[p].status !== 'pending' || (p === 'catch-up' && state.options.catchUp === true),
  ).map((p) => {
    const ph = state.phases[p];
    if (ph.status === 'done') {
      const took = shortDuration(phaseWorkMs(state, p, now) ?? 0);
      if (p === 'verify' && mismatch) return { text: `✗ ${p} ${took}`, tone: 'error' as const };
      return { text: `✓ ${p} ${took}`, tone: 'ok' as const };
    }
    if (ph.status === 'running') {
      const end = live ? now : Date.parse(state.lastEventAt);
      // a wipe's event comes long after the work stopped: no duration to tell
      const ran = ph.startedAt && state.outcome.kind !== 'wiped' ? ` ${shortDuration(phaseWorkMs(state, p, end) ?? 0)}` : '';
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
  const r = rates(samples, state.pauses);
  if (r.windowMs <= 0) return 'Rate: measuring… (no ETA until there is a rate)';
  const eta = dataEta(totals(state), r.bytesPerSec);
  const etaText = eta === null ? 'no ETA: nothing moved' : `ETA ${formatDuration(eta)} at ${formatRate(r.bytesPerSec, 'bytes')}`;
  const over = state.pauses.length > 0 ? `over ${formatDuration(r.windowMs)} of work` : `over ${formatDuration(r.windowMs)}`;
  return `Rate: ${formatRate(r.rowsPerSec, 'rows')}, ${formatRate(r.bytesPerSec, 'bytes')} ${over} · ${etaText}`;
}

function outcomeLine(state: RunState): string | null {
  const o = state.outcome;
  if (o.kind === 'finished') {
    const took = workAndElapsed(state, state.startedAt, o.at, o.durationMs);
    if (o.verification === 'mismatch') {
      return `Finished ${timestamp(o.at)} in ${took} — VERIFICATION FAILED: ${mismatchSummary(state)}`;
    }
    return `Finished ${timestamp(o.at)} in ${took} — verification ${o.verification}`;
  }
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

/** "post-data: 1/3 items · ETA 4.0 s (2 items left at 4.0 s each as measured, 2 at a time)" */
export function postDataLine(state: RunState): string {
  const t = totals(state);
  const eta = postDataEta(state, formatDuration);
  return `Post-data ${t.itemsDone}/${t.items}: ${eta ? `ETA ${formatDuration(eta.ms)} · ${eta.basis}` : 'no ETA until an item is done'}`;
}

export function verifyLine(state: RunState): string {
  const eta = verifyEta(state, (r) => formatRate(r, 'rows'));
  const n = Object.keys(state.verified).length;
  const all = state.tableOrder.length;
  // every table counted, the phase still open: what is left are the checks after the tables (sequences, large objects)
  if (n >= all) return `Verify ${n}/${all} tables: every table counted; the last checks run`;
  return `Verify ${n}/${all} tables: ${eta ? `ETA ${formatDuration(eta.ms)} · ${eta.basis}` : 'no ETA until a table is counted'}`;
}

/** An index build in flight, with the progress the catalog gives: "storyboard_panels_project_idx: building index: scanning table 40 % of blocks". */
export function buildText(b: LiveIndexBuild, state: RunState): string {
  // a plain CREATE INDEX has no index yet: name it from the run's pending items on that table when only one fits
  const pending = state.postDataOrder
    .map((id) => state.postData[id])
    .filter((i) => i !== undefined && !i.applied && i.table !== null && tableLabel(i.table) === b.table && i.kind !== 'fk-constraint');
  const name = b.index ?? (pending.length === 1 ? pending[0]?.name : null) ?? `an index on ${b.table}`;
  const of = (d: number, t: number, what: string) =>
    t > 0 ? ` · ${what} ${Math.min(100, Math.floor((d / t) * 100))} % (${formatInt(d)} / ${formatInt(t)})` : '';
  const progress = b.blocksTotal > 0 ? of(b.blocksDone, b.blocksTotal, 'blocks') : of(b.tuplesDone, b.tuplesTotal, 'tuples');
  return `${name} · ${b.phase.replace(/^building index: /, '')}${progress}`;
}

/** The engine's notes, less those that tell an outcome the log has since moved past ("run X: suspended" after a resume). */
export function currentNotes(state: RunState, notes: string[]): string[] {
  const prefix = `run ${state.runId}: `;
  return notes.filter((n) => !n.startsWith(prefix) || n.slice(prefix.length) === state.outcome.kind);
}

const catchUpDone = (state: RunState): boolean => state.phases['catch-up'].status === 'done';

/**
 * Catch-up in one or two lines: the slot on the source and the WAL it holds (as last read, with when), how far its
 * changes are applied; once released, who dropped it and why — the guard's drop as a warning.
 */
export function catchUpLines(state: RunState, slot: SlotReading | undefined, now: number): { text: string; tone?: Tone }[] {
  const c = state.catchUp;
  if (!c) return state.catchUpOff ? [{ text: `Catch-up off: ${state.catchUpOff} — not exact across a break while the source takes writes`, tone: 'dim' }] : [];
  const applied = c.appliedLsn
    ? `applied up to ${c.appliedLsn} (${formatInt(c.transactions)} source transactions)`
    : `nothing applied yet since ${c.consistentLsn}`;
  // the case the run is in: once catch-up has run to X (and was not given up), the target equals the source at X
  const exact = catchUpDone(state) && c.targetLsn ? `; exact at ${c.targetLsn}` : '';
  if (c.released) {
    if (c.released.by === 'guard' && !catchUpDone(state))
      return [{ text: `Catch-up ABANDONED: the retained-WAL guard dropped slot ${c.slot} — ${c.released.reason ?? 'it held too much WAL'}`, tone: 'error' }];
    return [{ text: `Catch-up: slot ${c.slot} dropped (${c.released.by}); ${applied}${exact}`, tone: 'dim' }];
  }
  const read = slot ? ` (read ${shortDuration(Math.max(0, now - Date.parse(slot.at)))} ago)` : '';
  const out: { text: string; tone?: Tone }[] = [
    { text: `Catch-up: slot ${c.slot} ${slotText(slot, state.options.maxRetainedWalBytes ?? null)}${read}; ${applied}${exact}` },
  ];
  const f = followOf(state, slot ?? null);
  if (f?.following)
    out.push({ text: `Following: ${followText(f)}${c.cutover ? ' · cutover asked for: catching up to the source now' : ' · C cut over'}`, tone: 'accent' });
  else if (c.cutover && !c.cutover.completedAt) out.push({ text: `Cutover asked for at ${timestamp(c.cutover.requestedAt)}`, tone: 'accent' });
  return out;
}

export function RunDetail({ run, now, samples, liveCopies, liveIndexes = [], slot, notes, width, height, tableCap }: RunDetailProps) {
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
  const lines = (key: string, texts: string[], tone?: Tone): Section[] => texts.map((x, i) => line(`${key}-${i}`, x, tone));
  const t = totals(s);
  if (t.tables > 0) {
    // the run's one percentage (the runs list and plain lines show the same): bytes, estimates corrected as batches land
    const approx = t.bytesExact ? '' : '~';
    const parts = [
      `Data ${t.percent} %`,
      `${formatBytes(t.bytesDone)} / ${approx}${formatBytes(t.bytesTotal)}`,
      `${formatInt(t.rowsDone)} / ${t.tablesDone === t.tables ? '' : '~'}${formatInt(t.rowsTotal)} rows`,
      `tables ${t.tablesDone}/${t.tables}`,
      ...(t.items > 0 ? [`post-data ${t.itemsDone}/${t.items}`] : []),
    ];
    before.push(...lines('totals', fitParts(parts, width)));
  }
  if (live && s.phase === 'data')
    before.push(...lines('rate', fitParts(rateLine(s, samples, run.liveness.silentForMs, run.liveness.state === 'stalled').split(' · '), width)));
  if (live && s.phases['post-data'].status === 'running' && s.phase !== 'data') before.push(...lines('post', fitParts(postDataLine(s).split(' · '), width)));
  if (live && s.phases.verify.status === 'running') before.push(...lines('verify', fitParts(verifyLine(s).split(' · '), width)));

  if (live) {
    const workers = workerItems(s);
    if (s.phase === 'data' && workers.length > 0) after.push(...lines('workers', fitParts([`Workers: ${workers[0]}`, ...workers.slice(1)], width)));
    // the catalog reports every COPY on the target; only this run's tables still copying belong here
    const copies = copiesInFlight(s, liveCopies);
    if (copies.length > 0) {
      const texts = copies.map((c) => `${c.table} ${formatInt(c.tuplesProcessed)} rows ${formatBytes(c.bytesProcessed)}`);
      after.push(...lines('copies', fitParts([`COPY in flight: ${texts[0]}`, ...texts.slice(1)], width)));
    }
    if (s.phases['post-data'].status === 'running') {
      const ours = new Set(s.tableOrder.map((k) => tableLabel((s.tables[k] as TableState).table)));
      for (const [i, b] of liveIndexes
        .filter((x) => ours.has(x.table))
        .slice(0, 4)
        .entries())
        after.push(...lines(`build-${i}`, fitParts(`Building ${buildText(b, s)}`.split(' · '), width)));
    }
  }
  for (const [i, l] of catchUpLines(s, slot, now).entries()) after.push(...lines(`catch-up-${i}`, wrapWords(l.text, width), l.tone));
  const outcome = outcomeLine(s);
  if (outcome) after.push(...lines('outcome', wrapWords(outcome, width), run.liveness.state));
  const lastResume = s.resumes[s.resumes.length - 1];
  if (lastResume) {
    const by = `${lastResume.operator.user}@${lastResume.operator.host}`;
    const stopped = pausedWithin(s.pauses, -Infinity, Infinity);
    const parts = [`Resumed ${s.resumes.length}× — last by ${by} at ${timestamp(lastResume.at)} from ${lastResume.fromPhase}`];
    if (stopped > 0) parts.push(`stopped ${formatDuration(stopped)} in all (not counted in durations)`);
    after.push(...lines('resumes', fitParts(parts, width)));
  }
  const across = readAcrossBreaks(s);
  const acrossText = acrossBreaksText(s, across);
  if (acrossText) {
    // read across a break with nothing to make it exact: which tables, and how to check them
    after.push(...lines('across', wrapWords(`${acrossText.charAt(0).toUpperCase()}${acrossText.slice(1)}`, width), 'warn'));
  } else if (across.tables.length > 0) {
    const n = `${across.breaks} break${across.breaks === 1 ? '' : 's'}`;
    after.push(...lines('across', wrapWords(`Read across ${n}: ${across.tables.map(tableLabel).join(', ')} — kept exact by catch-up`, width), 'dim'));
  } else if (s.snapshotLost) {
    // a fact of every resume, not an alarm: it matters only if the source was written to across the break
    after.push(
      ...lines('snapshot', wrapWords('New source snapshot after a break: rows copied before and after it were read at different moments.', width), 'dim'),
    );
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
    // in full, on lines of its own, wrapped at words: the one thing an operator must read without opening the log
    after.push(...lines('error', wrapWords(e.message, width), 'error'));
  }
  if (live) for (const [i, n] of currentNotes(s, notes).slice(-2).entries()) after.push(line(`note-${i}`, n, 'dim'));

  const used = [...before, ...after].reduce((n, x) => n + x.rows, 0);
  const tables = tablesForDisplay(s);
  const tableRows = Math.max(1, Math.min(tableCap, height - used, tables.length));
  return (
    <Box flexDirection="column" width={width}>
      {before.map((x) => x.node)}
      {tables.length > 0 ? <TableProgress tables={tables} verified={s.verified} width={width} maxRows={tableRows} /> : null}
      {after.map((x) => x.node)}
    </Box>
  );
}
