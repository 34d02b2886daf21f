// Per-table progress bars: rows and bytes against the estimate, tables that failed verification first, then those in flight.
import { Box, Text } from 'ink';
import { tableTotal } from '../../events/decide.js';
import { tableLabel } from '../../events/names.js';
import type { TableState, VerifiedTable } from '../../events/state.js';
import { formatBytes, formatCompact, percent } from '../format.js';
import { tableBytesTotal } from '../progress.js';
import { bar, padStart, truncateMiddle } from '../text.js';
import { theme, type Tone } from '../theme.js';

export interface TableProgressProps {
  /** already in display order (tablesForDisplay) */
  tables: TableState[];
  /** the run's verification results by table key: a table whose source and target differ is marked ✗ */
  verified?: Record<string, VerifiedTable>;
  width: number;
  /** rows available, the "… more" line included */
  maxRows: number;
}

type Mark = TableState['status'] | 'mismatch';
const MARK: Record<Mark, string> = { copying: '▸', pending: '·', copied: '✓', mismatch: '✗' };
const TONE: Record<Mark, Tone> = { copying: 'accent', pending: 'dim', copied: 'ok', mismatch: 'error' };

export interface TableRowText {
  mark: string;
  name: string;
  bar: string;
  rest: string;
}

/**
 * One table's row split into parts, so the bar can carry colour; the parts fill exactly `width` columns.
 * Narrow terminals drop the bytes column before the name is cut; a cut name keeps its tail (partitions differ there).
 * `nameWidth` is the longest name among the rows shown: past it, width goes to the bar.
 */
export function tableRowText(t: TableState, width: number, nameWidth = 24, mismatch: VerifiedTable | null = null): TableRowText {
  const total = tableTotal(t);
  const approx = total.exact ? '' : '~';
  // a copied table is done whatever its size: an empty one is 100 %, not 0 %
  const pct = `${t.status === 'copied' ? 100 : percent(t.rowsDone, total.rows)} %`.padStart(5);
  const rows = `${formatCompact(t.rowsDone)} / ${approx}${formatCompact(total.rows)} rows`;
  const b = tableBytesTotal(t);
  const bytes = `${formatBytes(t.bytesDone)} / ${b.exact ? '' : '~'}${formatBytes(b.bytes)}`;
  // a table verification found different says so where its bytes would be: what the target holds
  const last = mismatch ? `≠ target ${formatCompact(mismatch.targetRows)}` : bytes;
  const wide = ` ${pct} ${padStart(rows, 19)} ${padStart(last, 17)}`;
  const narrow = mismatch ? ` ${pct} ${padStart(last, 19)}` : ` ${pct} ${padStart(rows, 19)}`;
  const rest = width - 3 - 6 - wide.length >= Math.min(nameWidth, 24) ? wide : narrow;
  const name = Math.max(8, Math.min(nameWidth, width - 3 - 6 - rest.length));
  const barWidth = Math.max(6, width - 2 - name - 1 - rest.length);
  const fraction = t.status === 'copied' ? 1 : total.rows > 0 ? t.rowsDone / total.rows : 0;
  const mark: Mark = mismatch ? 'mismatch' : t.status;
  return { mark: `${MARK[mark]} `, name: `${truncateMiddle(tableLabel(t.table), name).padEnd(name)} `, bar: bar(fraction, barWidth), rest };
}

export function TableProgress({ tables, verified = {}, width, maxRows }: TableProgressProps) {
  const fits = tables.length <= maxRows;
  const shown = fits ? tables : tables.slice(0, Math.max(1, maxRows - 1));
  const hidden = tables.slice(shown.length);
  const bad = (t: TableState) => (verified[t.key]?.match === false ? (verified[t.key] ?? null) : null);
  const counts = (['copying', 'pending', 'copied'] as const)
    .map((status) => ({ status, n: hidden.filter((t) => t.status === status).length }))
    .filter((c) => c.n > 0)
    .map((c) => `${c.n} ${c.status}`)
    .join(', ');
  const nameWidth = Math.max(8, ...shown.map((t) => tableLabel(t.table).length));
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((t) => {
        const mismatch = bad(t);
        const r = tableRowText(t, width, nameWidth, mismatch);
        const tone: Tone = mismatch ? 'error' : TONE[t.status];
        return (
          <Text key={t.key} wrap="truncate">
            <Text {...theme.tone(tone)}>{r.mark}</Text>
            <Text {...(mismatch ? theme.tone('error') : {})}>{r.name}</Text>
            <Text {...theme.tone(tone)}>{r.bar}</Text>
            <Text {...(mismatch ? theme.tone('error') : {})}>{r.rest}</Text>
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
