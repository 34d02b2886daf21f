// The wipe confirmation: what will be dropped from the target, and how to answer.
import { Box, Text } from 'ink';
import type { RunView } from '../model.js';
import { theme } from '../theme.js';

export interface WipeConfirmProps {
  run: RunView;
  width: number;
  /** rows for the list of objects, the "… and N more" line included (the frame around it takes 4 to 6 more) */
  maxRows: number;
}

export function WipeConfirm({ run, width, maxRows }: WipeConfirmProps) {
  const s = run.state;
  const objects = s.schemaObjects ?? [];
  const fits = objects.length <= maxRows;
  const shown = fits ? objects : objects.slice(0, Math.max(1, maxRows - 1));
  const more = objects.length - shown.length;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold {...theme.tone('warn')} wrap="truncate">
        {`Wipe run ${s.runId} and restart it?`}
      </Text>
      <Text>
        {objects.length > 0
          ? `It drops from ${s.target.database}@${s.target.host}:${s.target.port}, with CASCADE, the ${objects.length} object${objects.length === 1 ? '' : 's'} it created:`
          : `It created no schema objects in ${s.target.database}@${s.target.host}:${s.target.port}; nothing is dropped.`}
      </Text>
      {shown.map((o, i) => (
        <Text key={`${i}-${o.kind}-${o.identity}`} wrap="truncate">{`  ${o.kind} ${o.identity}`}</Text>
      ))}
      {more > 0 ? <Text {...theme.tone('dim')}>{`  … and ${more} more`}</Text> : null}
      <Text wrap="truncate">The log is kept; a new run starts from scratch with the same options.</Text>
      <Text bold wrap="truncate">
        press y to wipe and restart, n to cancel
      </Text>
    </Box>
  );
}
