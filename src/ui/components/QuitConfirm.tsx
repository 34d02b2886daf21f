// The question before quitting stops a copy this process runs: what stopping does, and how to answer.
import { Box, Text } from 'ink';
import { suggest } from '../../events/commands.js';
import type { RunView } from '../model.js';
import { theme } from '../theme.js';

export interface QuitConfirmProps {
  /** the run being copied, when the log shows it already */
  run: RunView | null;
  width: number;
}

export function QuitConfirm({ run, width }: QuitConfirmProps) {
  const id = run?.state.runId ?? 'RUN';
  return (
    <Box flexDirection="column" width={width}>
      <Text bold {...theme.tone('warn')} wrap="truncate">
        {`Stop ${run ? `run ${id}` : 'the run'} and quit?`}
      </Text>
      <Text>It stops at the next batch or item boundary and records why in the log; nothing copied is lost.</Text>
      <Text>{`${run ? suggest('resume', run.state) : 'pgclone resume RUN --target URL'} continues it later.`}</Text>
      <Text bold wrap="truncate">
        press y to stop, n to keep copying (Ctrl-C again stops at once)
      </Text>
    </Box>
  );
}
