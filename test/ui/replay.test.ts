// Audit replay, without a database: the dashboard's model at each event, paced, paused and stepped.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classifyRun, foldRun } from '../../src/events/index.js';
import { createReplay, replayFrames } from '../../src/ui/replay.js';
import { finishedRun, interruptedAt29 } from '../fixtures/stories.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('replay', () => {
  const events = finishedRun().build();
  const final = classifyRun(foldRun(events), null, new Date());

  it('has one frame per event, each the fold up to it, timed by the event', () => {
    const frames = replayFrames(events);
    expect(frames).toHaveLength(events.length);
    expect(frames[0]!.state.phase).toBe('preflight');
    expect(frames.at(-1)!.state.outcome.kind).toBe('finished');
    expect(frames.map((f) => f.at)).toEqual(events.map((e) => Date.parse(e.at)));
  });

  it('plays forward at its speed, shows the past as live, and the last frame as it is now', () => {
    vi.useFakeTimers();
    const r = createReplay(events, final, { speed: 1000 });
    expect(r.get().replay).toMatchObject({ position: 1, total: events.length, paused: false, speed: 1000 });
    vi.advanceTimersByTime(20 * events.length + 100);
    const m = r.get();
    expect(m.replay?.position).toBe(events.length);
    expect(m.runs[0]!.liveness.state).toBe('finished');
    r.stop();
  });

  it('pauses, steps one event either way, and changes speed', () => {
    vi.useFakeTimers();
    const r = createReplay(events, final, { speed: 10 });
    r.act({ type: 'replay-toggle' });
    expect(r.get().replay?.paused).toBe(true);
    r.act({ type: 'replay-step', delta: 5 });
    expect(r.get().replay?.position).toBe(6);
    vi.advanceTimersByTime(10_000);
    expect(r.get().replay?.position).toBe(6);
    r.act({ type: 'replay-step', delta: -10 });
    expect(r.get().replay?.position).toBe(1);
    r.act({ type: 'replay-speed', factor: 2 });
    expect(r.get().replay?.speed).toBe(20);
    const mid = r.get();
    expect(mid.runs[0]!.liveness.state).toBe('running');
    expect(mid.now).toBe(Date.parse(events[0]!.at));
    r.stop();
  });

  it('an interrupted run replays to where it stopped, and its last frame says interrupted', () => {
    const b = interruptedAt29().build();
    const r = createReplay(b, classifyRun(foldRun(b), null, new Date()), { speed: 1 });
    r.act({ type: 'replay-step', delta: b.length });
    expect(r.get().runs[0]!.liveness.state).toBe('interrupted');
    expect(r.get().runs[0]!.events).toHaveLength(b.length);
    r.stop();
  });
});
