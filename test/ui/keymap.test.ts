// Keys to actions: pure, over UI states written out by hand.
import { describe, expect, it } from 'vitest';
import { keyToAction } from '../../src/ui/keymap.js';
import { initialUiState, type UiState } from '../../src/ui/ui-state.js';

const onRun: UiState = { ...initialUiState(), selectedRunId: 'run_a' };
const inLog: UiState = { ...onRun, view: 'log' };
const confirming: UiState = { ...onRun, confirm: { kind: 'wipe', runId: 'run_a' } };

describe('keyToAction', () => {
  it('moves the selection with the arrows and with k/j', () => {
    expect(keyToAction('', { upArrow: true }, onRun, 'watch')).toEqual({ type: 'move', delta: -1 });
    expect(keyToAction('', { downArrow: true }, onRun, 'watch')).toEqual({ type: 'move', delta: 1 });
    expect(keyToAction('k', {}, onRun, 'watch')).toEqual({ type: 'move', delta: -1 });
    expect(keyToAction('j', {}, onRun, 'watch')).toEqual({ type: 'move', delta: 1 });
  });

  it('resumes and asks to wipe the selected run', () => {
    expect(keyToAction('R', {}, onRun, 'watch')).toEqual({ type: 'resume', runId: 'run_a' });
    expect(keyToAction('W', {}, onRun, 'engine')).toEqual({ type: 'ask-wipe', runId: 'run_a' });
  });

  it('offers nothing to act on when no run is selected', () => {
    const none = initialUiState();
    expect(keyToAction('R', {}, none, 'watch')).toBeNull();
    expect(keyToAction('W', {}, none, 'watch')).toBeNull();
    expect(keyToAction('L', {}, none, 'watch')).toBeNull();
  });

  it('takes only y, n or Esc while a wipe waits for confirmation', () => {
    expect(keyToAction('y', {}, confirming, 'watch')).toEqual({ type: 'confirm-wipe', runId: 'run_a' });
    expect(keyToAction('Y', {}, confirming, 'watch')).toEqual({ type: 'confirm-wipe', runId: 'run_a' });
    expect(keyToAction('n', {}, confirming, 'watch')).toEqual({ type: 'cancel' });
    expect(keyToAction('N', {}, confirming, 'watch')).toEqual({ type: 'cancel' });
    expect(keyToAction('', { escape: true }, confirming, 'watch')).toEqual({ type: 'cancel' });
    expect(keyToAction('q', {}, confirming, 'watch')).toBeNull();
    expect(keyToAction('W', {}, confirming, 'watch')).toBeNull();
    expect(keyToAction('', { downArrow: true }, confirming, 'watch')).toBeNull();
  });

  it('quits on Q, q, Esc and Ctrl-C', () => {
    expect(keyToAction('Q', {}, onRun, 'watch')).toEqual({ type: 'quit' });
    expect(keyToAction('q', {}, inLog, 'watch')).toEqual({ type: 'quit' });
    expect(keyToAction('', { escape: true }, onRun, 'watch')).toEqual({ type: 'quit' });
    expect(keyToAction('c', { ctrl: true }, confirming, 'watch')).toEqual({ type: 'quit' });
  });

  it('toggles the log with L, and in the log scrolls instead of moving; Esc closes it', () => {
    expect(keyToAction('L', {}, onRun, 'watch')).toEqual({ type: 'toggle-log' });
    expect(keyToAction('l', {}, inLog, 'watch')).toEqual({ type: 'toggle-log' });
    expect(keyToAction('', { upArrow: true }, inLog, 'watch')).toEqual({ type: 'scroll', delta: -1 });
    expect(keyToAction('j', {}, inLog, 'watch')).toEqual({ type: 'scroll', delta: 1 });
    expect(keyToAction('', { pageUp: true }, inLog, 'watch')).toEqual({ type: 'scroll', delta: -10 });
    expect(keyToAction('', { pageDown: true }, inLog, 'watch')).toEqual({ type: 'scroll', delta: 10 });
    expect(keyToAction('', { escape: true }, inLog, 'watch')).toEqual({ type: 'toggle-log' });
  });

  it('in replay, pauses, steps and changes speed, and never resumes or wipes', () => {
    expect(keyToAction(' ', {}, onRun, 'replay')).toEqual({ type: 'replay-toggle' });
    expect(keyToAction('', { leftArrow: true }, onRun, 'replay')).toEqual({ type: 'replay-step', delta: -1 });
    expect(keyToAction('', { rightArrow: true }, onRun, 'replay')).toEqual({ type: 'replay-step', delta: 1 });
    expect(keyToAction('+', {}, onRun, 'replay')).toEqual({ type: 'replay-speed', factor: 2 });
    expect(keyToAction('-', {}, onRun, 'replay')).toEqual({ type: 'replay-speed', factor: 0.5 });
    expect(keyToAction('R', {}, onRun, 'replay')).toBeNull();
    expect(keyToAction('W', {}, onRun, 'replay')).toBeNull();
  });

  it('ignores replay keys outside replay and keys it does not know', () => {
    expect(keyToAction(' ', {}, onRun, 'watch')).toBeNull();
    expect(keyToAction('', { leftArrow: true }, onRun, 'watch')).toBeNull();
    expect(keyToAction('x', {}, onRun, 'watch')).toBeNull();
  });
});
