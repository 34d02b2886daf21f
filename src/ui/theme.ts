// Colour for the dashboard, decided once at start: none at all when NO_COLOR is set (https://no-color.org).
import type { RunLiveness } from '../events/liveness.js';

export type Tone = RunLiveness | 'accent' | 'dim' | 'error' | 'warn' | 'ok';

/** Props to spread onto <Text>: a colour, or nothing. */
export type ToneProps = { color?: string; dimColor?: boolean };

const COLOURS: Record<Tone, ToneProps> = {
  running: { color: 'cyan' },
  stalled: { color: 'yellow' },
  interrupted: { color: 'yellow' },
  failed: { color: 'red' },
  finished: { color: 'green' },
  mismatched: { color: 'red' },
  wiped: { color: 'gray' },
  accent: { color: 'cyan' },
  dim: { dimColor: true },
  error: { color: 'red' },
  warn: { color: 'yellow' },
  ok: { color: 'green' },
};

export interface Theme {
  readonly colour: boolean;
  tone(t: Tone): ToneProps;
}

export function makeTheme(env: Record<string, string | undefined>): Theme {
  const colour = (env.NO_COLOR ?? '') === '';
  return { colour, tone: (t) => (colour ? COLOURS[t] : {}) };
}

export const theme: Theme = makeTheme(process.env);
