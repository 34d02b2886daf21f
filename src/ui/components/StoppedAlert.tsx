// Where an interrupted, stalled or failed run stopped, and the keys that act on it.
import { Box, Text } from 'ink';
import { describeHolder } from '../../events/liveness.js';
import { mismatchLines } from '../../events/decide.js';
import { formatDuration, mismatchAdvice, mismatchSummary, whereStopped } from '../format.js';
import type { DashboardMode, RunView } from '../model.js';
import { eventNoun } from '../event-text.js';
import { wrapWords } from '../text.js';
import { theme } from '../theme.js';
import { actionsFor } from '../ui-state.js';

export interface StoppedAlertProps {
  run: RunView;
  now: number;
  width: number;
  /** in replay no key acts on the run: none is offered */
  mode?: DashboardMode;
}

export interface AlertText {
  headline: string;
  detail: string;
  keys: string;
}

/** The alert's text, or null for runs that did not stop short (running, finished, wiped); a failed verification has one. */
export function alertText(run: RunView, now: number, mode: DashboardMode = 'watch'): AlertText | null {
  const { state: s, liveness: l } = run;
  const where = whereStopped(s);
  const since = (iso: string) => formatDuration(Math.max(0, now - Date.parse(iso)));
  const actions = mode === 'replay' ? { resume: false, wipe: false } : actionsFor(run);
  const keys = [actions.resume ? 'R resume' : null, actions.wipe ? 'W wipe and restart' : null, 'L event log', 'Q quit']
    .filter((k): k is string => k !== null)
    .join(' · ');
  switch (l.state) {
    case 'mismatched': {
      const bad = mismatchLines(s);
      return {
        headline: `Verification FAILED: ${mismatchSummary(s)} — ${bad.join('; ')}`,
        detail: mismatchAdvice(s),
        keys,
      };
    }
    case 'interrupted': {
      const detail =
        s.outcome.kind === 'suspended'
          ? `Stopped cleanly ${since(s.outcome.at)} ago: ${s.outcome.reason}.`
          : `Last event ${since(s.lastEventAt)} ago (${eventNoun(s.lastEventType)}); no process holds the run's lock.`;
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
        keys: mode === 'replay' ? keys : `R / W need the lock: stop that process first · ${keys}`,
      };
    }
    default:
      return null;
  }
}

export function alertRows(run: RunView, now: number, width: number, mode: DashboardMode = 'watch'): number {
  const a = alertText(run, now, mode);
  if (!a) return 0;
  return wrapWords(a.headline, width).length + wrapWords(a.detail, width).length + 1;
}

/** Wrapped here at words, so what alertRows counts is what shows. */
export function StoppedAlert({ run, now, width, mode = 'watch' }: StoppedAlertProps) {
  const a = alertText(run, now, mode);
  if (!a) return null;
  const tone = theme.tone(run.liveness.state);
  return (
    <Box flexDirection="column" width={width}>
      {wrapWords(a.headline, width).map((l, i) => (
        <Text key={`h${i}`} bold wrap="truncate" {...tone}>
          {l}
        </Text>
      ))}
      {wrapWords(a.detail, width).map((l, i) => (
        <Text key={`d${i}`} wrap="truncate">
          {l}
        </Text>
      ))}
      <Text wrap="truncate" {...theme.tone('accent')}>
        {a.keys}
      </Text>
    </Box>
  );
}
