// Per-table progress bars: rows and bytes against the estimate, tables in flight first.
import { Box, Text } from 'ink';
import { tableTotal } from '../../events/decide.js';
import { tableLabel } from '../../events/names.js';
import type { TableState } from '../../events/state.js';
import { formatBytes, formatCompact, percent } from '../format.js';
import { bar, padEnd, padStart } from '../text.js';
import { theme, type Tone } from '../theme.js';

export interface TableProgressProps {
  /** already in display order (tablesForDisplay) */
  tables: TableState[];
  width: number;
  /** rows available, the "… more" line included */
  maxRows: number;
}

const MARK: Record<TableState['status'], string> = { copying: '▸', pending: '·', copied: '✓' };
const TONE: Record<TableState['status'], Tone> = { copying: 'accent', pending: 'dim', copied: 'ok' };

export interface TableRowText {
  mark: string;
  name: string;
  bar: string;
  rest: string;
}

/** One table's row split into parts, so the bar can carry colour; the parts fill exactly `width` columns. */
export function tableRowText(t: TableState, width: number): TableRowText {
  const total = tableTotal(t);
  const approx = total.exact ? '' : '~';
  const pct = `${percent(t.rowsDone, total.rows)} %`.padStart(5);
  const rows = `${formatCompact(t.rowsDone)} / ${approx}${formatCompact(total.rows)} rows`;
  const bytes = `${formatBytes(t.bytesDone)} / ~${formatBytes(Math.max(t.estBytes, t.bytesDone))}`;
  const rest = ` ${pct} ${padStart(rows, 19)} ${padStart(bytes, 17)}`;
  // the name gets what the numbers leave, the bar grows with the terminal
  const barWidth = Math.max(6, Math.min(30, width - 2 - 24 - 1 - rest.length));
  const nameWidth = Math.max(8, width - 2 - 1 - barWidth - rest.length);
  const fraction = total.rows > 0 ? t.rowsDone / total.rows : t.status === 'copied' ? 1 : 0;
  return { mark: `${MARK[t.status]} `, name: `${padEnd(tableLabel(t.table), nameWidth)} `, bar: bar(fraction, barWidth), rest };
}

export function TableProgress({ tables, width, maxRows }: TableProgressProps) {
  const fits = tables.length <= maxRows;
  const shown = fits ? tables : tables.slice(0, Math.max(1, maxRows - 1));
  const hidden = tables.slice(shown.length);
  const counts = (['copying', 'pending', 'copied'] as const)
    .map((status) => ({ status, n: hidden.filter((t) => t.status === status).length }))
    .filter((c) => c.n > 0)
    .map((c) => `${c.n} ${c.status}`)
    .join(', ');
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((t) => {
        const r = tableRowText(t, width);
        return (
          <Text key={t.key} wrap="truncate">
            <Text {...theme.tone(TONE[t.status])}>{r.mark}</Text>
            {r.name}
            <Text {...theme.tone(TONE[t.status])}>{r.bar}</Text>
            {r.rest}
          </Text>
        );
      })}
      {hidden.length > 0 ? (
        <Text {...theme.tone('dim')} wrap="truncate">
          {`  … ${hidden.length} more table${hidden.length === 1 ? '' : 's'} (${counts})`}
        </Text>
      ) : null}
    </Box>
  );
}
