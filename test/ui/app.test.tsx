// The dashboard root: keys typed into ink-testing-library's stdin reach the callbacks and change what shows.
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/ui/App.js';
import type { DashboardModel } from '../../src/ui/model.js';
import * as S from './states.js';
import { catchUpPrepared, LogBuilder, plannedTable } from '../fixtures/events.js';

/** A run that stopped inside catch-up, its slot still on the source: what C may cut over. */
function catchingUp(): DashboardModel {
  const b = new LogBuilder()
    .started([plannedTable('t', 100)], [], { catchUp: true })
    .add(catchUpPrepared())
    .copiedOne('t', 100)
    .phase('catch-up')
    .add({ type: 'CatchUpStarted', targetLsn: '0/1600000' });
  const now = b.now.getTime() + 60_000;
  return S.model([S.runView(b.build(), null, now)], now);
}

afterEach(() => cleanup());

/** Mounted and settled: Ink subscribes to stdin in an effect, so a key written at once could be lost. */
async function mount(model: DashboardModel, size: { width?: number; height?: number } = {}) {
  const calls = { onResume: vi.fn(), onWipeRestart: vi.fn(), onQuit: vi.fn(), onReplay: vi.fn(), onSelect: vi.fn(), onCutover: vi.fn() };
  const app = render(<App model={model} {...calls} {...size} />);
  const frame = () => S.plain(app.lastFrame());
  const press = async (keys: string) => {
    app.stdin.write(keys);
    await S.tick();
  };
  // Ink draws at most every few tens of milliseconds, later on a loaded machine: wait for what a frame must show
  const shows = (text: string) => vi.waitFor(() => expect(frame()).toContain(text), { timeout: 5000 });
  const hides = (text: string) => vi.waitFor(() => expect(frame()).not.toContain(text), { timeout: 5000 });
  await S.tick();
  return { app, calls, frame, press, shows, hides };
}

describe('App', () => {
  it('Given an interrupted run, When W then y, Then it confirms with the objects to drop and wipes that run', async () => {
    const { calls, press, shows, hides } = await mount(S.interrupted());
    await press('W');
    await shows('Wipe run run_seed_29pct and restart it?');
    await shows('  table public.storyboard_panels');
    await shows('press y to wipe and restart, n to cancel');
    expect(calls.onWipeRestart).not.toHaveBeenCalled();
    await press('y');
    expect(calls.onWipeRestart).toHaveBeenCalledWith('run_seed_29pct');
    await hides('press y to wipe');
  });

  it('Given the confirmation, When n, Then nothing is wiped and the run shows again', async () => {
    const { calls, press, shows } = await mount(S.interrupted());
    await press('W');
    await press('n');
    expect(calls.onWipeRestart).not.toHaveBeenCalled();
    await shows('Interrupted in data at public.storyboard_panels — 707 / 2,430 rows (29 %)');
  });

  it('Given a run stopped in catch-up with its slot on the source, When C, Then its cutover is asked for', async () => {
    const { calls, press } = await mount(catchingUp());
    await press('C');
    await vi.waitFor(() => expect(calls.onCutover).toHaveBeenCalledWith('run_fixture_0001'), { timeout: 5000 });
  });

  it('Given a run without catch-up, When C, Then nothing is asked for', async () => {
    const { calls, press } = await mount(S.interrupted());
    await press('C');
    await press('R');
    // R went through the same input handler after C: had C acted, it would have been called first
    await vi.waitFor(() => expect(calls.onResume).toHaveBeenCalled(), { timeout: 5000 });
    expect(calls.onCutover).not.toHaveBeenCalled();
  });

  it('Given an interrupted run, When R, Then it is resumed', async () => {
    const { calls, press } = await mount(S.interrupted());
    await press('R');
    expect(calls.onResume).toHaveBeenCalledWith('run_seed_29pct');
  });

  it('Given a stalled run, When R or W, Then nothing happens: another process holds it', async () => {
    const { calls, press, hides } = await mount(S.stalled());
    await press('R');
    await press('W');
    expect(calls.onResume).not.toHaveBeenCalled();
    await hides('Wipe run');
  });

  it('Given an action in progress, When R, Then it is not started twice, and the busy line shows', async () => {
    const { calls, press, shows } = await mount({ ...S.interrupted(), busy: 'resuming run run_seed_29pct…' });
    await press('R');
    expect(calls.onResume).not.toHaveBeenCalled();
    await shows('… resuming run run_seed_29pct…');
  });

  it('When L, Then the event log of the selected run shows, and L again returns', async () => {
    const { press, shows } = await mount(S.interrupted());
    await press('L');
    await shows('Event log — run_seed_29pct · events 1–17 of 17');
    await shows('10:00:09 data: public.users copied — 40 rows, 4.0 kB');
    await shows('↑/↓ scroll · PgUp/PgDn page · L / Esc close log');
    await press('L');
    await shows('Interrupted in data at');
  });

  it('When ↓, Then the next run is selected and reported', async () => {
    const { calls, press, shows } = await mount(S.interrupted());
    await vi.waitFor(() => expect(calls.onSelect).toHaveBeenLastCalledWith('run_seed_29pct'));
    await press('\u001b[B');
    await shows('▶ run_finished_01');
    // the report is an effect: React may run it a little after the frame is drawn
    await vi.waitFor(() => expect(calls.onSelect).toHaveBeenLastCalledWith('run_finished_01'));
    await shows('Finished 2026-11-28 10:00:36 UTC in 9.0 s — verification passed');
  });

  it('When q, Then it asks the caller to quit', async () => {
    const { calls, press } = await mount(S.interrupted());
    await press('q');
    expect(calls.onQuit).toHaveBeenCalledTimes(1);
  });

  it('Given a replay, When space, →, +, Then the replay is driven and the header tells where it is', async () => {
    const replay = { ...S.finished(), mode: 'replay' as const, replay: { position: 12, total: 40, paused: true, speed: 2 } };
    const { calls, press, shows } = await mount(replay);
    await shows('pgclone · replay staging@db.example.internal:5433 · event 12 / 40 · paused · 2×');
    await press(' ');
    await press('\u001b[C');
    await press('+');
    expect(calls.onReplay.mock.calls.map((c) => c[0])).toEqual([
      { type: 'replay-toggle' },
      { type: 'replay-step', delta: 1 },
      { type: 'replay-speed', factor: 2 },
    ]);
  });

  it('Given the last action failed, Then its error shows on one line', async () => {
    const { shows } = await mount({ ...S.interrupted(), error: 'run run_seed_29pct is being worked on by pid 9 on x (backend pid 10)' });
    await shows('✗ run run_seed_29pct is being worked on by pid 9 on x (backend pid 10)');
  });
});

describe('App edges', () => {
  it('Given an empty log, Then it says so and offers only quitting', async () => {
    const { shows } = await mount(S.model([], S.T_EMPTY));
    await shows("No runs in the target's pgclone log yet.");
    await shows('↑/↓ select · Q quit');
  });

  it('Given the confirmation is open, When y while an action runs, Then nothing is wiped and the question stays', async () => {
    const m = S.interrupted();
    const { app, calls, press, shows } = await mount(m);
    await press('W');
    app.rerender(<App model={{ ...m, busy: 'resuming run run_other…' }} {...calls} />);
    await S.tick();
    await press('y');
    expect(calls.onWipeRestart).not.toHaveBeenCalled();
    await shows('press y to wipe and restart, n to cancel');
  });

  it('Given the log is open, When ↑ past the start, Then it stops at the oldest event', async () => {
    const { press, shows } = await mount(S.interrupted(), { width: 100, height: 8 });
    await press('L');
    await shows('events 13–17 of 17');
    for (let i = 0; i < 20; i++) await press('k');
    await shows('events 1–5 of 17');
    await press('j');
    await shows('events 2–6 of 17');
  });
});
