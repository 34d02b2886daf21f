// Keys to dashboard actions: a pure map from one keypress, the UI state and the mode to at most one action.
import type { Key } from 'ink';
import type { DashboardMode } from './model.js';
import type { Action } from './actions.js';
import type { UiState } from './ui-state.js';

/** The parts of Ink's Key the dashboard reads; absent means not pressed. */
export type KeyLike = Partial<Pick<Key, 'upArrow' | 'downArrow' | 'leftArrow' | 'rightArrow' | 'pageUp' | 'pageDown' | 'return' | 'escape' | 'ctrl'>>;

const PAGE = 10;

/**
 * `copying`: an engine runs in this process. Quitting then stops a copy, so it is asked first (y stops it at the
 * next boundary); once asked, or once stopping, Ctrl-C quits at once.
 */
export function keyToAction(input: string, key: KeyLike, ui: UiState, mode: DashboardMode, copying = false): Action | null {
  const quit = (k: string): Action => (copying && !ui.stopping && ui.confirm?.kind !== 'quit' ? { type: 'ask-quit', key: k } : { type: 'quit' });
  if (key.ctrl && input === 'c') return quit('Ctrl-C');

  // A pending confirmation takes only its own answers, so a stray key cannot wipe or quit.
  if (ui.confirm) {
    if (input === 'y' || input === 'Y')
      return ui.confirm.kind === 'quit' ? { type: 'confirm-quit', key: ui.confirm.key } : { type: 'confirm-wipe', runId: ui.confirm.runId };
    if (input === 'n' || input === 'N' || key.escape) return { type: 'cancel' };
    return null;
  }

  if (mode === 'replay') {
    if (input === ' ') return { type: 'replay-toggle' };
    if (key.leftArrow) return { type: 'replay-step', delta: -1 };
    if (key.rightArrow) return { type: 'replay-step', delta: 1 };
    if (input === '+' || input === '=') return { type: 'replay-speed', factor: 2 };
    if (input === '-' || input === '_') return { type: 'replay-speed', factor: 0.5 };
  }

  const up = key.upArrow || input === 'k';
  const down = key.downArrow || input === 'j';
  if (ui.view === 'log') {
    if (up) return { type: 'scroll', delta: -1 };
    if (down) return { type: 'scroll', delta: 1 };
    if (key.pageUp) return { type: 'scroll', delta: -PAGE };
    if (key.pageDown) return { type: 'scroll', delta: PAGE };
    // Esc leaves the log first; a second Esc quits
    if (key.escape) return { type: 'toggle-log' };
  } else {
    if (up) return { type: 'move', delta: -1 };
    if (down) return { type: 'move', delta: 1 };
    if (key.escape) return quit('Esc');
  }

  if (input === 'q' || input === 'Q') return quit('Q');
  if (input === 'l' || input === 'L') return ui.selectedRunId ? { type: 'toggle-log' } : null;

  // A replay shows the past: acting on the live target from it would surprise.
  if (mode === 'replay' || ui.selectedRunId === null) return null;
  if (input === 'r' || input === 'R') return { type: 'resume', runId: ui.selectedRunId };
  if (input === 'w' || input === 'W') return { type: 'ask-wipe', runId: ui.selectedRunId };
  if (input === 'c' || input === 'C') return { type: 'cutover', runId: ui.selectedRunId };
  return null;
}
