// The selected run's log, one line per event with its time, scrollable from the newest back.
import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { eventLogLines } from '../event-text.js';
import type { RunView } from '../model.js';
import { clock } from '../text.js';
import { theme } from '../theme.js';

export interface EventLogProps {
  run: RunView;
  /** events scrolled back from the newest */
  scroll: number;
  /** rows for events */
  rows: number;
  width: number;
}

/** The slice of lines on screen: the newest at the bottom when scroll is 0. */
export function logWindow(count: number, scroll: number, rows: number): { start: number; end: number } {
  const visible = Math.max(1, rows);
  const end = Math.max(Math.min(count, visible), count - Math.max(0, scroll));
  return { start: Math.max(0, end - visible), end };
}

export function EventLog({ run, scroll, rows, width }: EventLogProps) {
  const lines = useMemo(() => eventLogLines(run.events, run.state), [run.events, run.state]);
  const { start, end } = logWindow(lines.length, scroll, rows);
  const position = lines.length === 0 ? 'no events loaded' : `events ${start + 1}–${end} of ${lines.length}`;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">{`Event log — ${run.state.runId} · ${position}`}</Text>
      {lines.slice(start, end).map((l) => (
        <Text key={l.id} wrap="truncate">
          <Text {...theme.tone('dim')}>{`${clock(l.at)} `}</Text>
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
