// The dashboard's root: the one component that owns keyboard input and quitting; the rest is props in, text out.
import { Box, Text, useInput, useStdin } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { EventLog } from './components/EventLog.js';
import { KeyHelp, keyHelpRows } from './components/KeyHelp.js';
import { RunDetail } from './components/RunDetail.js';
import { RunList } from './components/RunList.js';
import { StoppedAlert, alertRows } from './components/StoppedAlert.js';
import { QuitConfirm } from './components/QuitConfirm.js';
import { WipeConfirm } from './components/WipeConfirm.js';
import type { Action, ReplayAction } from './actions.js';
import { keyToAction } from './keymap.js';
import type { DashboardModel } from './model.js';
import { theme } from './theme.js';
import { actionsFor, initialUiState, reduceUi, selectedRun, syncUi, type UiState } from './ui-state.js';

export interface AppProps {
  model: DashboardModel;
  onResume: (runId: string) => void;
  /** C on a run that catches up: ask it to cut over */
  onCutover?: (runId: string) => void;
  onWipeRestart: (runId: string) => void;
  /** the caller unmounts */
  onQuit: () => void;
  /** quit confirmed while this process copies: stop the copy at the next boundary (`key`: what was pressed), then quit */
  onStop?: (key: string) => void;
  onReplay?: (action: ReplayAction) => void;
  /** the run on screen changed: a container loads its events for the L view */
  onSelect?: (runId: string | null) => void;
  /** columns; default 80 */
  width?: number;
  /** rows the frame may take; default 24 (pass one less than the terminal's, or Ink redraws the whole screen) */
  height?: number;
}

function header(model: DashboardModel): string {
  const first = model.runs[0]?.state.target;
  const target = first ? ` ${first.database}@${first.host}:${first.port}` : '';
  const count = `${model.runs.length} run${model.runs.length === 1 ? '' : 's'}`;
  if (model.mode === 'replay' && model.replay) {
    const r = model.replay;
    const where = r.position >= r.total ? 'end of log' : r.paused ? 'paused' : 'playing';
    return `pgclone · replay${target} · event ${r.position} / ${r.total} · ${where} · ${r.speed}×`;
  }
  // before the engine in this process writes its first event there is nothing to count yet
  if (model.mode === 'engine' && model.runs.length === 0) return 'pgclone · starting…';
  return `pgclone · ${model.mode === 'engine' ? 'cloning into' : 'watching'}${target} · ${count}`;
}

const isReplay = (a: Action): a is ReplayAction => a.type === 'replay-toggle' || a.type === 'replay-step' || a.type === 'replay-speed';

export function App({ model, onResume, onCutover, onWipeRestart, onQuit, onStop, onReplay, onSelect, width = 80, height = 24 }: AppProps) {
  // Keys may arrive faster than renders: the ref holds the state the next key must see.
  const latest = useRef<UiState>(initialUiState());
  const [raw, setRaw] = useState<UiState>(latest.current);
  const ui = syncUi(raw, model);
  const run = selectedRun(ui, model);
  const actions = run ? actionsFor(run) : null;
  const { isRawModeSupported } = useStdin();

  // busy: an engine runs in this process (a replay has none); without onStop there is nothing to stop it with
  const copying = model.busy !== null && model.mode !== 'replay' && onStop !== undefined;
  const help = { mode: model.mode, view: ui.view, confirming: ui.confirm?.kind === 'quit' ? ('quit' as const) : ui.confirm !== null, actions };
  const footerRows = keyHelpRows(help) + (model.busy ? 1 : 0) + (model.error ? 1 : 0);
  const bodyRows = Math.max(4, height - 1 - footerRows);
  const logRows = Math.max(1, bodyRows - 1);
  const runRows = Math.min(model.runs.length, Math.max(2, Math.floor(height / 8)));
  const alert = run && ui.view === 'runs' ? alertRows(run, model.now, width, model.mode) : 0;
  const detailRows = bodyRows - runRows - 1 - (alert > 0 ? alert + 1 : 0);
  const tableCap = Math.max(8, Math.floor(height / 3));

  const selectedId = run?.state.runId ?? null;
  // told once per change of selection, however often the caller hands a new callback
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  useEffect(() => {
    onSelectRef.current?.(selectedId);
  }, [selectedId]);

  useInput(
    (input, key) => {
      const action = keyToAction(input, key, syncUi(latest.current, model), model.mode, copying);
      if (!action) return;
      if (action.type === 'quit') return onQuit();
      if (action.type === 'confirm-quit') onStop?.(action.key);
      if (isReplay(action)) return onReplay?.(action);
      if (action.type === 'resume') {
        const target = model.runs.find((r) => r.state.runId === action.runId);
        if (!model.busy && target && actionsFor(target).resume) onResume(action.runId);
        return;
      }
      if (action.type === 'cutover') {
        const target = model.runs.find((r) => r.state.runId === action.runId);
        if (target && actionsFor(target).cutover) onCutover?.(action.runId);
        return;
      }
      if (action.type === 'confirm-wipe') {
        // while another action runs the question stays open rather than being answered into the void
        if (model.busy) return;
        onWipeRestart(action.runId);
      }
      const next = reduceUi(latest.current, action, model, logRows);
      latest.current = next;
      setRaw(next);
    },
    { isActive: isRawModeSupported === true },
  );

  const c = ui.confirm;
  const confirmRun = c?.kind === 'wipe' ? model.runs.find((r) => r.state.runId === c.runId) : undefined;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {header(model)}
      </Text>
      {c?.kind === 'quit' ? (
        <QuitConfirm run={run} width={width} />
      ) : confirmRun ? (
        <WipeConfirm run={confirmRun} width={width} maxRows={Math.max(1, bodyRows - 6)} />
      ) : ui.view === 'log' && run ? (
        <EventLog run={run} scroll={ui.logScroll} rows={logRows} width={width} />
      ) : (
        <>
          <RunList runs={model.runs} selectedRunId={selectedId} now={model.now} width={width} maxRows={runRows} starting={model.mode === 'engine'} />
          {alert > 0 && run ? (
            <Box marginTop={1}>
              <StoppedAlert run={run} now={model.now} width={width} mode={model.mode} />
            </Box>
          ) : null}
          {run ? (
            <Box marginTop={1}>
              <RunDetail
                run={run}
                now={model.now}
                samples={model.samples[run.state.runId] ?? []}
                liveCopies={model.liveCopies}
                liveIndexes={model.liveIndexes}
                slot={model.slots?.[run.state.runId]}
                notes={model.notes}
                width={width}
                height={detailRows}
                tableCap={tableCap}
              />
            </Box>
          ) : null}
        </>
      )}
      {model.busy ? (
        <Text wrap="truncate" {...theme.tone('accent')}>
          {`… ${model.busy}`}
        </Text>
      ) : null}
      {model.error ? (
        <Text wrap="truncate" {...theme.tone('error')}>
          {`✗ ${model.error}`}
        </Text>
      ) : null}
      <KeyHelp {...help} width={width} />
    </Box>
  );
}
