// Quitting a dashboard that copies: Q or Ctrl-C asks first; y stops the copy at the next boundary; a second Ctrl-C quits at once.
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/ui/App.js';
import type { DashboardModel } from '../../src/ui/model.js';
import * as S from './states.js';

afterEach(() => cleanup());

async function mount(model: DashboardModel) {
  const calls = { onResume: vi.fn(), onWipeRestart: vi.fn(), onQuit: vi.fn(), onStop: vi.fn() };
  const app = render(<App model={{ ...model, mode: 'engine' }} {...calls} />);
  // Ink draws a key's effect on a later tick: frame assertions wait for it (vi.waitFor), never for a fixed time
  const frame = () => S.plain(app.lastFrame());
  const press = async (keys: string) => {
    app.stdin.write(keys);
    await S.tick();
  };
  await S.tick();
  /** the question is on screen: the next key is read against it */
  const asked = () => vi.waitFor(() => expect(frame()).toMatch(/Stop run \S+ and quit\?/), { timeout: 5000 });
  return { app, calls, frame, press, asked };
}

const copying = () => ({ ...S.runningMidData(), busy: 'cloning…' });

describe('quitting while this process copies', () => {
  it('Given a copy running here, When Q, Then it asks; n keeps copying and nothing is stopped', async () => {
    const { calls, frame, press } = await mount(copying());
    await press('q');
    await vi.waitFor(() => expect(frame()).toMatch(/Stop run \S+ and quit\?/), { timeout: 5000 });
    await vi.waitFor(() => expect(frame()).toContain('press y to stop, n to keep copying (Ctrl-C again stops at once)'), { timeout: 5000 });
    expect(calls.onQuit).not.toHaveBeenCalled();
    expect(calls.onStop).not.toHaveBeenCalled();
    await press('n');
    await vi.waitFor(() => expect(frame()).not.toContain('and quit?'), { timeout: 5000 });
    expect(calls.onQuit).not.toHaveBeenCalled();
    expect(calls.onStop).not.toHaveBeenCalled();
  });

  it('Given the question, When y, Then the copy is asked to stop (not quit at once); a Ctrl-C after that quits at once', async () => {
    const { calls, press, asked } = await mount(copying());
    await press('Q');
    await asked();
    await press('y');
    await vi.waitFor(() => expect(calls.onStop).toHaveBeenCalledWith('Q'), { timeout: 5000 });
    expect(calls.onQuit).not.toHaveBeenCalled();
    await press('\u0003');
    await vi.waitFor(() => expect(calls.onQuit).toHaveBeenCalledTimes(1), { timeout: 5000 });
  });

  it('Given a copy running here, When Ctrl-C twice, Then the first asks and the second quits at once', async () => {
    const { calls, press, asked } = await mount(copying());
    await press('\u0003');
    await asked();
    expect(calls.onQuit).not.toHaveBeenCalled();
    await press('\u0003');
    await vi.waitFor(() => expect(calls.onQuit).toHaveBeenCalledTimes(1), { timeout: 5000 });
    expect(calls.onStop).not.toHaveBeenCalled();
  });

  it('Given the question is open, When Ctrl-C then y, Then y names Ctrl-C as what stopped it', async () => {
    const { calls, press, asked } = await mount(copying());
    await press('\u0003');
    await asked();
    await press('y');
    await vi.waitFor(() => expect(calls.onStop).toHaveBeenCalledWith('Ctrl-C'), { timeout: 5000 });
  });

  it('Given nothing copies here (watching), When Q, Then it quits at once as before', async () => {
    const calls = { onResume: vi.fn(), onWipeRestart: vi.fn(), onQuit: vi.fn(), onStop: vi.fn() };
    const app = render(<App model={S.runningMidData()} {...calls} />);
    await S.tick();
    app.stdin.write('q');
    await vi.waitFor(() => expect(calls.onQuit).toHaveBeenCalledTimes(1), { timeout: 5000 });
    expect(calls.onStop).not.toHaveBeenCalled();
  });
});
