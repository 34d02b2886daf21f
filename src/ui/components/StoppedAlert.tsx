// Where an interrupted, stalled or failed run stopped, and the keys that act on it.
import { Box, Text } from 'ink';
import { describeHolder } from '../../events/liveness.js';
import { formatDuration, whereStopped } from '../format.js';
import type { RunView } from '../model.js';
import { wrappedRows } from '../text.js';
import { theme } from '../theme.js';
import { actionsFor } from '../ui-state.js';

export interface StoppedAlertProps {
  run: RunView;
  now: number;
  width: number;
}

export interface AlertText {
  headline: string;
  detail: string;
  keys: string;
}

/** The alert's text, or null for runs that did not stop short (running, finished, wiped). */
export function alertText(run: RunView, now: number): AlertText | null {
  const { state: s, liveness: l } = run;
  const where = whereStopped(s);
  const since = (iso: string) => formatDuration(Math.max(0, now - Date.parse(iso)));
  const actions = actionsFor(run);
  const keys = [actions.resume ? 'R resume' : null, actions.wipe ? 'W wipe and restart' : null, 'L event log', 'Q quit']
    .filter((k): k is string => k !== null)
    .join(' · ');
  switch (l.state) {
    case 'interrupted': {
      const detail =
        s.outcome.kind === 'suspended'
          ? `Stopped cleanly ${since(s.outcome.at)} ago: ${s.outcome.reason}.`
          : `Last event ${since(s.lastEventAt)} ago (${s.lastEventType}); no process holds the run's lock.`;
      return { headline: `Interrupted in ${where}`, detail, keys };
    }
    case 'failed': {
      const o = s.outcome;
      const detail = o.kind === 'failed' ? `Failed ${since(o.at)} ago${o.resumable ? '; the engine marked it resumable' : ''} — the error is below.` : '';
      return { headline: `Failed in ${where}`, detail, keys };
    }
    case 'stalled': {
      const holder = l.holder ? describeHolder(l.holder) : 'another process';
      return {
        headline: `Stalled in ${where}`,
        detail: `Held by ${holder}, silent for ${formatDuration(l.silentForMs)}.`,
        keys: `R / W need the lock: stop that process first · ${keys}`,
      };
    }
    default:
      return null;
  }
}

export function alertRows(run: RunView, now: number, width: number): number {
  const a = alertText(run, now);
  if (!a) return 0;
  return wrappedRows(a.headline, width) + wrappedRows(a.detail, width) + 1;
}

export function StoppedAlert({ run, now, width }: StoppedAlertProps) {
  const a = alertText(run, now);
  if (!a) return null;
  const tone = theme.tone(run.liveness.state);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold {...tone}>
        {a.headline}
      </Text>
      <Text>{a.detail}</Text>
      <Text wrap="truncate" {...theme.tone('accent')}>
        {a.keys}
      </Text>
    </Box>
  );
}
