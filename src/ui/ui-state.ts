// UI-only state of the dashboard (selection, view, confirmation, log scroll) and its pure reducer.
import { describeHolder } from '../events/liveness.js';
import type { Action } from './actions.js';
import type { DashboardModel, RunView } from './model.js';

export interface UiState {
  /** null: follow the run that most needs attention (set again after a wipe, so a restart is picked up) */
  selectedRunId: string | null;
  view: 'runs' | 'log';
  confirm: null | { kind: 'wipe'; runId: string } | { kind: 'quit'; key: string };
  /** the operator confirmed a quit: the copy stops at the next boundary (a second Ctrl-C quits at once) */
  stopping: boolean;
  /** events scrolled back from the newest: 0 follows the log as it grows */
  logScroll: number;
}

export function initialUiState(): UiState {
  return { selectedRunId: null, view: 'runs', confirm: null, stopping: false, logScroll: 0 };
}

export interface RunActions {
  resume: boolean;
  wipe: boolean;
  /** C: the run catches up through a slot still on the source and no cutover was asked for yet */
  cutover: boolean;
  /** why a stopped-looking run cannot be acted on, e.g. "stalled — held by pid 4242 on bastion (backend pid 31337)" */
  blocked: string | null;
}

/** What the dashboard offers for a run. A lock holder excludes both: the engine would refuse them. */
export function actionsFor(run: RunView): RunActions {
  const { state, holder } = run.liveness;
  const c = run.state.catchUp;
  // a running follower sees the request in the log; a stopped run is resumed to act on it
  const cutover = c !== null && c.released === null && c.cutover === null && state !== 'finished' && state !== 'mismatched' && state !== 'wiped';
  switch (state) {
    case 'interrupted':
    case 'failed':
      return { resume: true, wipe: true, cutover, blocked: null };
    case 'finished':
    case 'mismatched':
      return { resume: false, wipe: true, cutover: false, blocked: null };
    case 'stalled':
      return { resume: false, wipe: false, cutover, blocked: `stalled — held by ${holder ? describeHolder(holder) : 'another process'}` };
    case 'running':
    case 'wiped':
      return { resume: false, wipe: false, cutover, blocked: null };
  }
}

const NEEDS_ATTENTION = new Set(['interrupted', 'stalled', 'failed', 'mismatched']);

export function defaultRun(model: DashboardModel): RunView | null {
  return model.runs.find((r) => NEEDS_ATTENTION.has(r.liveness.state)) ?? model.runs[0] ?? null;
}

export function selectedRun(ui: UiState, model: DashboardModel): RunView | null {
  return model.runs.find((r) => r.state.runId === ui.selectedRunId) ?? defaultRun(model);
}

/** The state as shown: the selection resolved to a run that exists, a confirmation only while it still applies. */
export function syncUi(ui: UiState, model: DashboardModel): UiState {
  const run = selectedRun(ui, model);
  const selectedRunId = run?.state.runId ?? null;
  const c = ui.confirm;
  const confirmRun = c?.kind === 'wipe' ? model.runs.find((r) => r.state.runId === c.runId) : undefined;
  // a quit is asked only while something copies here; the copy may end while the question is open
  const confirm = c?.kind === 'quit' ? (model.busy !== null ? c : null) : confirmRun && actionsFor(confirmRun).wipe ? c : null;
  const view = run ? ui.view : 'runs';
  if (selectedRunId === ui.selectedRunId && confirm === ui.confirm && view === ui.view) return ui;
  return { ...ui, selectedRunId, confirm, view };
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/**
 * The reducer. `logRows` is how many events the log view shows, so scrolling stops where the oldest is on screen.
 * Actions that are not the UI's own (resume, quit, replay) leave it as it is.
 */
export function reduceUi(raw: UiState, action: Action, model: DashboardModel, logRows = 1): UiState {
  const ui = syncUi(raw, model);
  const run = selectedRun(ui, model);
  switch (action.type) {
    case 'move': {
      if (model.runs.length === 0 || ui.confirm) return raw;
      const i = model.runs.findIndex((r) => r.state.runId === run?.state.runId);
      const next = model.runs[clamp(i + action.delta, 0, model.runs.length - 1)];
      return { ...ui, selectedRunId: next?.state.runId ?? null, logScroll: 0 };
    }
    case 'toggle-log':
      if (!run) return raw;
      return { ...ui, view: ui.view === 'log' ? 'runs' : 'log', logScroll: 0 };
    case 'scroll': {
      if (ui.view !== 'log' || !run) return raw;
      const max = Math.max(0, run.events.length - Math.max(1, logRows));
      // delta < 0 goes up, to older events: further back from the newest
      return { ...ui, logScroll: clamp(ui.logScroll - action.delta, 0, max) };
    }
    case 'ask-wipe': {
      const target = model.runs.find((r) => r.state.runId === action.runId);
      if (!target || !actionsFor(target).wipe) return raw;
      return { ...ui, confirm: { kind: 'wipe', runId: action.runId } };
    }
    case 'cancel':
      return ui.confirm ? { ...ui, confirm: null } : raw;
    case 'ask-quit':
      return model.busy !== null ? { ...ui, confirm: { kind: 'quit', key: action.key } } : raw;
    case 'confirm-quit':
      return { ...ui, confirm: null, stopping: true };
    case 'confirm-wipe':
      return { ...ui, confirm: null, selectedRunId: null, view: 'runs', logScroll: 0 };
    default:
      return raw;
  }
}
