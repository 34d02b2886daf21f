// The UI reducer and the actions offered per run, over folded states from the shared stories.
import { describe, expect, it } from 'vitest';
import { actionsFor, initialUiState, reduceUi, syncUi, type UiState } from '../../src/ui/ui-state.js';
import * as S from './states.js';

const runOf = (m: ReturnType<typeof S.interrupted>) => m.runs[0]!;

describe('actionsFor', () => {
  it('offers resume and wipe for an interrupted run and for a failed one', () => {
    expect(actionsFor(runOf(S.interrupted()))).toEqual({ resume: true, wipe: true, cutover: false, blocked: null });
    expect(actionsFor(runOf(S.failed()))).toEqual({ resume: true, wipe: true, cutover: false, blocked: null });
  });

  it('offers only wipe for a finished run, and nothing for a running or wiped one', () => {
    expect(actionsFor(runOf(S.finished()))).toEqual({ resume: false, wipe: true, cutover: false, blocked: null });
    expect(actionsFor(runOf(S.runningMidData()))).toEqual({ resume: false, wipe: false, cutover: false, blocked: null });
    expect(actionsFor(runOf(S.wiped()))).toEqual({ resume: false, wipe: false, cutover: false, blocked: null });
  });

  it('names the holder of a stalled run instead of offering resume', () => {
    expect(actionsFor(runOf(S.stalled()))).toEqual({
      resume: false,
      wipe: false,
      cutover: false,
      blocked: 'stalled — held by pid 4242 on bastion (backend pid 31337)',
    });
  });
});

describe('reduceUi', () => {
  const running = runOf(S.runningMidData());
  const interrupted = runOf(S.interrupted());
  const finished = runOf(S.finished());
  const threeRuns = S.model([running, interrupted, finished], S.interrupted().now);

  it('Given no choice yet, When shown, Then the first run that needs attention is selected', () => {
    expect(syncUi(initialUiState(), threeRuns).selectedRunId).toBe('run_seed_29pct');
  });

  it('Given only healthy runs, When shown, Then the newest is selected', () => {
    expect(syncUi(initialUiState(), S.model([running, finished], 0)).selectedRunId).toBe('run_running_01');
  });

  it('moves among the runs and stops at either end', () => {
    let ui = reduceUi(initialUiState(), { type: 'move', delta: 1 }, threeRuns);
    expect(ui.selectedRunId).toBe('run_finished_01');
    ui = reduceUi(ui, { type: 'move', delta: 1 }, threeRuns);
    expect(ui.selectedRunId).toBe('run_finished_01');
    ui = reduceUi(ui, { type: 'move', delta: -5 }, threeRuns);
    expect(ui.selectedRunId).toBe('run_running_01');
  });

  it('Given a selected run that left the list, When shown, Then the selection falls back to the default', () => {
    const gone: UiState = { ...initialUiState(), selectedRunId: 'run_gone' };
    expect(syncUi(gone, threeRuns).selectedRunId).toBe('run_seed_29pct');
  });

  it('opens a wipe confirmation only for a run that may be wiped', () => {
    const asked = reduceUi(initialUiState(), { type: 'ask-wipe', runId: 'run_seed_29pct' }, threeRuns);
    expect(asked.confirm).toEqual({ kind: 'wipe', runId: 'run_seed_29pct' });
    const refused = reduceUi(initialUiState(), { type: 'ask-wipe', runId: 'run_running_01' }, threeRuns);
    expect(refused.confirm).toBeNull();
    const wiped = S.wiped();
    expect(reduceUi(initialUiState(), { type: 'ask-wipe', runId: 'run_wiped_01' }, wiped).confirm).toBeNull();
  });

  it('cancels a confirmation, and after a confirmed wipe follows the runs again', () => {
    const asked = reduceUi(initialUiState(), { type: 'ask-wipe', runId: 'run_seed_29pct' }, threeRuns);
    expect(reduceUi(asked, { type: 'cancel' }, threeRuns).confirm).toBeNull();
    const done = reduceUi(asked, { type: 'confirm-wipe', runId: 'run_seed_29pct' }, threeRuns);
    expect(done).toEqual(initialUiState());
  });

  it('Given a confirmation, When someone else resumes that run, Then the confirmation is dropped', () => {
    const asked: UiState = { ...initialUiState(), confirm: { kind: 'wipe', runId: 'run_running_01' } };
    expect(syncUi(asked, threeRuns).confirm).toBeNull();
  });

  it('toggles the log and clamps its scroll to the events there are', () => {
    const m = S.interrupted();
    const events = m.runs[0]!.events.length;
    let ui = reduceUi(initialUiState(), { type: 'toggle-log' }, m);
    expect(ui.view).toBe('log');
    ui = reduceUi(ui, { type: 'scroll', delta: -3 }, m, 5);
    expect(ui.logScroll).toBe(3);
    ui = reduceUi(ui, { type: 'scroll', delta: -1000 }, m, 5);
    expect(ui.logScroll).toBe(events - 5);
    ui = reduceUi(ui, { type: 'scroll', delta: 1000 }, m, 5);
    expect(ui.logScroll).toBe(0);
    expect(reduceUi(ui, { type: 'toggle-log' }, m).view).toBe('runs');
  });

  it('leaves the state alone for actions that are not its own', () => {
    const ui = initialUiState();
    expect(reduceUi(ui, { type: 'quit' }, threeRuns)).toBe(ui);
    expect(reduceUi(ui, { type: 'resume', runId: 'run_seed_29pct' }, threeRuns)).toBe(ui);
  });
});
