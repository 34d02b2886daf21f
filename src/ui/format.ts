// Numbers for people: bytes, rates, durations, ETAs, and where a run stopped.
import { mismatchedTables, mismatchNextSteps } from '../events/decide.js';
import type { RunState } from '../events/state.js';
import { pausedWithin } from './progress.js';
import { formatInt } from '../events/summary.js';

export { formatInt, percent, whereStopped } from '../events/summary.js';

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function formatRate(perSecond: number, unit: 'rows' | 'bytes'): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return unit === 'rows' ? '0 rows/s' : '0 B/s';
  return unit === 'rows' ? `${formatCompact(perSecond)} rows/s` : `${formatBytes(perSecond)}/s`;
}

export function formatCompact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return formatInt(n);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} min`;
}

/** What verification found different, counted by kind: "1 table differs", "2 tables and 1 sequence differ". */
export function mismatchSummary(state: RunState): string {
  const tables = mismatchedTables(state).length;
  const sequences = state.sequencesVerified?.behind.length ?? 0;
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const parts = [
    tables > 0 ? plural(tables, 'table') : null,
    sequences > 0 ? plural(sequences, 'sequence') : null,
    state.largeObjects.verified?.match === false ? 'the large objects' : null,
  ].filter((x): x is string => x !== null);
  const one = parts.length === 1 && tables + sequences === 1;
  return `${parts.join(' and ') || 'something'} ${one ? 'differs' : 'differ'}`;
}

/** What to do about a verification that found a difference: the copy is complete, so resuming changes nothing. */
export function mismatchAdvice(state: RunState): string {
  const steps = mismatchNextSteps(state);
  return `pgclone resume will not help: every step ran. ${steps.charAt(0).toUpperCase()}${steps.slice(1)}.`;
}

/** A run's age for tables: "12 s ago". */
export function ago(ms: number): string {
  return `${formatDuration(ms)} ago`;
}

export function timestamp(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
    .replace(/Z$/, ' UTC');
}

/** Work time of a span that lasted `elapsedMs` from `fromIso` to `atIso`: the pauses between a stop and a resume left out. */
export function workMs(state: RunState, fromIso: string, atIso: string, elapsedMs: number): number {
  return Math.max(0, elapsedMs - pausedWithin(state.pauses, Date.parse(fromIso), Date.parse(atIso)));
}

/** "9.0 s", or "13 s of work (28 s elapsed)" when the span was stopped and resumed on the way. */
export function workAndElapsed(state: RunState, fromIso: string, atIso: string, elapsedMs: number): string {
  const work = workMs(state, fromIso, atIso, elapsedMs);
  return work >= elapsedMs ? formatDuration(elapsedMs) : `${formatDuration(work)} of work (${formatDuration(elapsedMs)} elapsed)`;
}
