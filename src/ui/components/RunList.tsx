// The runs in the target's log, one line each: state badge, when it started, how far it got.
import { Box, Text } from 'ink';
import type { RunState } from '../../events/state.js';
import type { Classification } from '../../events/liveness.js';
import { formatBytes, workMs } from '../format.js';
import type { RunView } from '../model.js';
import { totals } from '../progress.js';
import { padEnd, shortDuration, truncate } from '../text.js';
import { theme } from '../theme.js';

export interface RunListProps {
  runs: RunView[];
  selectedRunId: string | null;
  now: number;
  width: number;
  /** rows for runs; beyond it the list scrolls with the selection and says how many are hidden */
  maxRows: number;
  /** the engine in this process has not written its first event yet: an empty log is not news */
  starting?: boolean;
}

/** "data 20 % · 87 kB/~436 kB", "post-data 1/3 items", "took 9.0s · verify passed": the percentage is the totals line's */
export function howFar(state: RunState, liveness: Classification): string {
  const o = state.outcome;
  if (o.kind === 'finished') {
    const work = workMs(state, state.startedAt, o.at, o.durationMs);
    return `took ${shortDuration(work)} · ${o.verification === 'mismatch' ? 'verify FAILED' : `verify ${o.verification}`}`;
  }
  if (o.kind === 'wiped') return o.restartedAs ? `restarted as ${o.restartedAs}` : `${o.dropped.length} objects dropped`;
  const t = totals(state);
  switch (state.phase) {
    case 'data':
      return `data ${t.percent} % · ${formatBytes(t.bytesDone)}/${t.bytesExact ? '' : '~'}${formatBytes(t.bytesTotal)}`;
    case 'post-data':
      return `post-data ${t.itemsDone}/${t.items} items`;
    case 'verify':
      return `verify ${Object.keys(state.verified).length}/${t.tables} tables`;
    default:
      return liveness.state === 'running' ? `${state.phase}…` : `stopped in ${state.phase}`;
  }
}

/** The window of rows to show: the selection stays in view. */
export function visibleWindow(count: number, selected: number, maxRows: number): { start: number; end: number } {
  if (count <= maxRows) return { start: 0, end: count };
  const rows = Math.max(1, maxRows - 1);
  const start = Math.min(Math.max(0, selected - Math.floor(rows / 2)), count - rows);
  return { start, end: start + rows };
}

export function RunList({ runs, selectedRunId, now, width, maxRows, starting = false }: RunListProps) {
  if (runs.length === 0) return <Text {...theme.tone('dim')}>{starting ? 'starting…' : "No runs in the target's pgclone log yet."}</Text>;
  const idWidth = Math.min(22, Math.max(...runs.map((r) => r.state.runId.length)));
  const selected = Math.max(
    0,
    runs.findIndex((r) => r.state.runId === selectedRunId),
  );
  const { start, end } = visibleWindow(runs.length, selected, maxRows);
  const hidden = runs.length - (end - start);
  // what is left after the fixed columns goes to how far each run got; the age column goes first when that is short
  const fixed = 2 + idWidth + 2 + 11 + 2;
  const far = new Map(runs.slice(start, end).map((r) => [r.state.runId, howFar(r.state, r.liveness)]));
  const withAge = [...far.values()].every((f) => fixed + 12 + f.length <= width);
  return (
    <Box flexDirection="column" width={width}>
      {runs.slice(start, end).map((run) => {
        const s = run.state;
        const isSelected = s.runId === selectedRunId;
        const started = `${shortDuration(now - Date.parse(s.startedAt))} ago`;
        const rest = Math.max(8, width - fixed - (withAge ? 12 : 0));
        return (
          <Text key={s.runId} wrap="truncate" bold={isSelected}>
            {isSelected ? '▶ ' : '  '}
            {padEnd(s.runId, idWidth)}
            {'  '}
            <Text {...theme.tone(run.liveness.state)}>{padEnd(run.liveness.state, 11)}</Text>
            {'  '}
            {withAge ? `${padEnd(started, 10)}  ` : ''}
            {truncate(far.get(s.runId) ?? '', rest)}
          </Text>
        );
      })}
      {hidden > 0 ? (
        <Text {...theme.tone('dim')} wrap="truncate">
          {`  … ${hidden} more run${hidden === 1 ? '' : 's'} (↑/↓)`}
        </Text>
      ) : null}
    </Box>
  );
}
