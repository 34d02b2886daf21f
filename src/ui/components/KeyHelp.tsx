// The keys that work right now, on one line (two in replay).
import { Box, Text } from 'ink';
import type { DashboardMode } from '../model.js';
import { theme } from '../theme.js';
import type { RunActions } from '../ui-state.js';

export interface KeyHelpProps {
  mode: DashboardMode;
  view: 'runs' | 'log';
  /** a question is open: 'quit' is the one that stops a copy */
  confirming: boolean | 'quit';
  /** for the selected run; null when there is none */
  actions: RunActions | null;
  width: number;
}

export function keyHelpLines({ mode, view, confirming, actions }: Omit<KeyHelpProps, 'width'>): string[] {
  if (confirming === 'quit') return ['y stop the copy · n / Esc keep copying · Ctrl-C stop at once'];
  if (confirming) return ['y wipe and restart · n / Esc cancel'];
  const acts = mode === 'replay' || !actions ? [] : [actions.resume ? 'R resume' : null, actions.cutover ? 'C cut over' : null, actions.wipe ? 'W wipe' : null];
  const main =
    view === 'log'
      ? ['↑/↓ scroll', 'PgUp/PgDn page', 'L / Esc close log', ...acts, 'Q quit']
      : ['↑/↓ select', ...acts, actions ? 'L event log' : null, 'Q quit'];
  const lines = [main.filter((k): k is string => k !== null).join(' · ')];
  if (mode === 'replay') lines.push('space pause/play · ←/→ step · +/- speed');
  return lines;
}

export function keyHelpRows(props: Omit<KeyHelpProps, 'width'>): number {
  return keyHelpLines(props).length;
}

export function KeyHelp({ width, ...rest }: KeyHelpProps) {
  return (
    <Box flexDirection="column" width={width}>
      {keyHelpLines(rest).map((l) => (
        <Text key={l} wrap="truncate" {...theme.tone('dim')}>
          {l}
        </Text>
      ))}
    </Box>
  );
}
