// Audit replay: the dashboard as it was after each event of a finished log, paced by the events' own times.
import { evolve } from '../events/fold.js';
import { classifyRun, type Classification } from '../events/liveness.js';
import type { LoggedEvent } from '../events/schemas.js';
import type { FoldState, RunState } from '../events/state.js';
import type { ReplayAction } from './actions.js';
import type { DashboardModel } from './model.js';
import { addSample, type Sample } from './progress.js';

interface Frame {
  state: RunState;
  at: number;
  samples: Sample[];
}

/** One frame per event: the fold up to it, its time, and the rate samples a live dashboard would have had. */
export function replayFrames(events: LoggedEvent[]): Frame[] {
  const frames: Frame[] = [];
  let state: FoldState = null;
  let samples: Sample[] = [];
  for (const ev of events) {
    state = evolve(state, ev);
    const at = Date.parse(ev.at);
    samples = addSample(samples, { at, rows: state.rowsDone, bytes: state.bytesDone });
    frames.push({ state, at, samples });
  }
  return frames;
}

/** At a past moment the engine was at work unless the log had already stopped; the last frame shows the truth now. */
function livenessAt(frame: Frame, isLast: boolean, final: Classification): Classification {
  if (isLast) return final;
  // an open log was being worked on then; a stopped one reads as classifyRun reads it without a lock holder
  const state = frame.state.outcome.kind === 'open' ? 'running' : classifyRun(frame.state, null, new Date(frame.at)).state;
  return { state, silentForMs: 0, holder: null };
}

export interface ReplayController {
  get(): DashboardModel;
  subscribe(fn: (m: DashboardModel) => void): () => void;
  act(a: ReplayAction): void;
  stop(): void;
}

export function createReplay(events: LoggedEvent[], final: Classification, opts: { speed?: number; maxStepMs?: number } = {}): ReplayController {
  const frames = replayFrames(events);
  if (frames.length === 0) throw new Error('replay needs at least one event');
  let position = 1;
  let paused = false;
  let speed = opts.speed ?? 10;
  let timer: NodeJS.Timeout | null = null;
  const listeners = new Set<(m: DashboardModel) => void>();

  const model = (): DashboardModel => {
    const f = frames[position - 1] as Frame;
    const isLast = position === frames.length;
    return {
      runs: [{ state: f.state, liveness: livenessAt(f, isLast, final), events: events.slice(0, position) }],
      now: f.at,
      samples: { [f.state.runId]: f.samples },
      liveCopies: [],
      notes: [],
      mode: 'replay',
      replay: { position, total: frames.length, paused, speed },
      busy: null,
      error: null,
    };
  };
  let snapshot = model();
  const emit = () => {
    snapshot = model();
    for (const fn of listeners) fn(snapshot);
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (paused || position >= frames.length) return;
    const gap = ((frames[position] as Frame).at - (frames[position - 1] as Frame).at) / speed;
    timer = setTimeout(
      () => {
        position++;
        emit();
        schedule();
      },
      Math.min(opts.maxStepMs ?? 2000, Math.max(20, gap)),
    );
  };
  schedule();
  return {
    get: () => snapshot,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    act(a) {
      if (a.type === 'replay-toggle') paused = !paused;
      else if (a.type === 'replay-step') {
        paused = true;
        position = Math.min(frames.length, Math.max(1, position + a.delta));
      } else speed = Math.min(1000, Math.max(0.25, speed * a.factor));
      emit();
      schedule();
    },
    stop() {
      if (timer) clearTimeout(timer);
    },
  };
}
