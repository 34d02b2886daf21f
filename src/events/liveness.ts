// Liveness: a pure classification of a run from its folded log and whether its lock is held.
import type { RunState } from './state.js';

/** 'mismatched': finished, but verification found a table whose source and target differ — never shown as finished. */
export const RUN_STATES = ['running', 'stalled', 'interrupted', 'failed', 'finished', 'mismatched', 'wiped'] as const;
export type RunLiveness = (typeof RUN_STATES)[number];

export const DEFAULT_STALL_THRESHOLD_MS = 60_000;

/** Who holds a run's advisory lock, as the target's catalog tells it. */
export interface LockHolder {
  backendPid: number;
  /** from the engine's application_name: its own pid and host */
  clientPid: number | null;
  clientHost: string | null;
  clientAddr: string | null;
  since: string | null;
}

export interface Classification {
  state: RunLiveness;
  /** milliseconds since the last event */
  silentForMs: number;
  holder: LockHolder | null;
}

export function classifyRun(state: RunState, holder: LockHolder | null, now: Date, thresholdMs = DEFAULT_STALL_THRESHOLD_MS): Classification {
  const silentForMs = Math.max(0, now.getTime() - Date.parse(state.lastEventAt));
  const out = (s: RunLiveness): Classification => ({ state: s, silentForMs, holder });
  switch (state.outcome.kind) {
    case 'wiped':
      return out('wiped');
    case 'finished':
      return out(state.outcome.verification === 'mismatch' ? 'mismatched' : 'finished');
    default:
      break;
  }
  if (holder) return out(silentForMs > thresholdMs ? 'stalled' : 'running');
  return out(state.outcome.kind === 'failed' ? 'failed' : 'interrupted');
}

export function describeHolder(h: LockHolder): string {
  const who =
    h.clientPid !== null ? `pid ${h.clientPid} on ${h.clientHost ?? h.clientAddr ?? 'an unknown host'}` : `a client at ${h.clientAddr ?? 'an unknown address'}`;
  return `${who} (backend pid ${h.backendPid})`;
}
