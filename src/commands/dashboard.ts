// The interactive session: the dashboard over the log, and the engine started from it (R resume, W wipe and restart).
import type { RunState } from '../events/state.js';
import { closeClient, openClient } from '../engine/pg/connect.js';
import type { ConnInfo } from '../engine/pg/conninfo.js';
import type { EngineObserver, EngineSettings } from '../engine/context.js';
import { EXIT, errorMessage } from '../engine/errors.js';
import type { RunResult } from '../engine/context.js';
import { cloneOrThrow, resumeOrThrow } from '../engine/lib/calls.js';
import { controlsOf } from '../engine/lib/request.js';
import { wipeOrThrow } from '../engine/lib/wipe.js';
import { recordedSource } from '../engine/start.js';
import { createFeed, type Feed } from '../ui/feed.js';
import { readRunSlots } from '../engine/live-slots.js';
import { requestCutover } from '../engine/cutover.js';
import { eventText } from '../ui/event-text.js';
import type { Output } from './common.js';
import { exitFor } from './run-output.js';
import { reconnecting } from './watch.js';
import { createStopper, type Stopper } from './stop.js';
import { acrossBreaksText } from '../events/summary.js';

export interface DashboardSession {
  target: ConnInfo;
  mode: 'watch' | 'engine';
  /** show only this run */
  runId?: string;
  /** the source for resume and restart; default: the run's recorded identity with PGPASSWORD / ~/.pgpass */
  source?: ConnInfo;
  settings: EngineSettings;
  /** how long a silent run that holds its lock may be before it reads as stalled (watch --stall-threshold) */
  stallThresholdMs?: number;
  /**
   * engine mode: the work to run at once (a clone or a resume); the session ends when it does. It must run with
   * the settings it is given: they carry the stop signal (SIGTERM, SIGHUP, Q confirmed).
   */
  start?: (observer: EngineObserver, settings: EngineSettings) => Promise<RunResult>;
  /**
   * 'start-ends' (default): the session ends with `start`'s work. 'run-finishes' (the demo): it ends when
   * work started here ends finished or mismatched; a stopped run stays on screen for R or W.
   */
  endWhen?: 'start-ends' | 'run-finishes';
  /** committed events of the work started here, as the engine's observer sees them */
  onEvents?: EngineObserver['onEvents'];
}

/** How often the dashboard reads the slots of the runs it shows from their source. */
const SLOT_POLL_MS = 5000;

/**
 * The retained WAL of every shown run whose slot the log says is on the source, read from that source every few
 * seconds and handed to the feed (the components get it as props and never reach a database).
 */
function pollSlots(feed: Feed, sourceOf: (s: RunState) => ConnInfo): { stop(): Promise<void> } {
  let busy: Promise<void> | null = null;
  const tick = () => {
    if (busy) return;
    const runs = feed
      .get()
      .runs.map((r) => r.state)
      .filter((st) => st.catchUp !== null && st.catchUp.released === null && st.outcome.kind !== 'wiped');
    if (runs.length === 0) return;
    busy = readRunSlots(runs, sourceOf)
      .then((m) => feed.setSlots(Object.fromEntries(m)))
      .catch(() => undefined)
      .finally(() => {
        busy = null;
      });
  };
  const timer = setInterval(tick, SLOT_POLL_MS);
  // the first reading as soon as the log has been read once
  const first = setTimeout(tick, 500);
  return {
    async stop() {
      clearInterval(timer);
      clearTimeout(first);
      await busy;
    },
  };
}

export async function runDashboard(s: DashboardSession, out: Output): Promise<number> {
  const open = () => openClient(s.target, { side: 'target', purpose: 'watch' });
  const db = await open();
  // while this process also copies, the screen takes little of the CPU the copy needs: two redraws a second
  // (measured: at ten a second a 1 GB clone took 10 % longer on two cores)
  const engineHere = s.mode === 'engine';
  const feed = createFeed(db, {
    mode: s.mode,
    runId: s.runId,
    stallThresholdMs: s.stallThresholdMs,
    minIntervalMs: engineHere ? 500 : 100,
    pollMs: engineHere ? 500 : 250,
    catalogMs: engineHere ? 2000 : 1000,
    ...reconnecting(open),
  });
  const slots = pollSlots(feed, (st) => s.source ?? recordedSource(st, process.env));
  // the feed polls on its own interval; waking it on every commit would cost a query per batch
  const observer: EngineObserver = { onNote: (t) => feed.note(t), onEvents: s.onEvents };
  let engine: Promise<void> | null = null;
  let exitCode: number = EXIT.finished;
  let lastResult: RunResult | null = null;
  let quit!: () => void;
  const done = new Promise<void>((r) => (quit = r));
  // the engine running now: a signal or a confirmed Q stops it at the next boundary; asked again, the session ends at once
  let stopper: Stopper | null = null;

  const runEngine = (label: string, work: (settings: EngineSettings) => Promise<RunResult>, endWithIt: boolean) => {
    if (engine) return;
    feed.setError(null);
    feed.setBusy(label);
    let result: RunResult | null = null;
    const st = createStopper({ notify: (t) => feed.setBusy(t), atOnce: () => quit() });
    stopper = st;
    engine = work(st.settings(s.settings))
      .then((r) => {
        lastResult = result = r;
        exitCode = exitFor(r);
        feed.note(`run ${r.runId}: ${r.outcome}`);
      })
      .catch((e: unknown) => {
        exitCode = (e as { exitCode?: number }).exitCode ?? EXIT.failed;
        feed.setError(errorMessage(e));
      })
      .finally(() => {
        st.dispose();
        stopper = null;
        engine = null;
        feed.setBusy(null);
        feed.wake();
        // stopped on request (a signal, or Q confirmed): the operator asked to leave, so the session ends now
        if (st.requested()) return quit();
        // the summary line printed after the dashboard closes tells how it ended; a run that finished under
        // the operator's eyes stays on screen a moment, finished, before the screen makes way for it
        const finishedHere = result !== null && (result as RunResult).outcome !== 'suspended';
        if (s.endWhen === 'run-finishes' ? finishedHere : endWithIt) setTimeout(quit, s.endWhen === 'run-finishes' ? 2000 : 0);
      });
  };

  const stateOf = (runId: string): RunState | undefined => feed.get().runs.find((r) => r.state.runId === runId)?.state;

  if (s.start) {
    const start = s.start;
    // the copy starts before the terminal UI has even loaded
    runEngine('cloning…', (settings) => start(observer, settings), true);
  }
  const [{ render }, { createElement }, { Dashboard }] = await Promise.all([import('ink'), import('react'), import('../ui/Dashboard.js')]);
  const app = render(
    createElement(Dashboard, {
      source: feed,
      onQuit: () => quit(),
      onStop: (key: string) => stopper?.request(`stopped by the operator (${key})`, 'a second Ctrl-C'),
      onResume: (runId: string) =>
        runEngine(
          `resuming run ${runId}…`,
          (settings) =>
            resumeOrThrow({ target: s.target, source: s.source ?? ((st) => recordedSource(st, process.env)), runId, ...controlsOf(settings) }, observer),
          false,
        ),
      onCutover: (runId: string) => {
        requestCutover(s.target, runId)
          .then((asked) => {
            feed.note(`cutover of run ${runId} ${asked.already ? 'was already asked for' : 'asked for'}`);
            feed.wake();
            // a follower (this process's engine, or another's) sees the request in the log; a stopped run is resumed here
            if (asked.holder || engine) return;
            runEngine(
              `cutting over run ${runId}…`,
              (settings) =>
                resumeOrThrow({ target: s.target, source: s.source ?? ((st) => recordedSource(st, process.env)), runId, ...controlsOf(settings) }, observer),
              false,
            );
          })
          .catch((e: unknown) => feed.setError(errorMessage(e)));
      },
      onWipeRestart: (runId: string) =>
        runEngine(
          `wiping run ${runId} and starting again…`,
          async (settings) => {
            const before = stateOf(runId);
            const w = await wipeOrThrow({ target: s.target, runId, restart: true, source: (st) => s.source ?? recordedSource(st) });
            feed.wake();
            const source = s.source ?? recordedSource(before ?? w.state);
            return cloneOrThrow({ source, target: s.target, options: w.state.options, runId: w.restartedAs ?? undefined, ...controlsOf(settings) }, observer);
          },
          false,
        ),
    }),
    { exitOnCtrlC: false, maxFps: engineHere ? 2 : 10, patchConsole: true },
  );
  await done;
  const stillRunning = engine !== null;
  app.unmount();
  await slots.stop();
  await feed.stop();
  await closeClient(db);
  if (lastResult) {
    const st = (lastResult as RunResult).state;
    const last = feed
      .get()
      .runs.find((r) => r.state.runId === st.runId)
      ?.events.at(-1);
    if (last) out.line(eventText(last, st));
    const across = st.outcome.kind === 'finished' ? acrossBreaksText(st) : null;
    if (across) out.line(across);
  }
  const err = feed.get().error;
  if (err && exitCode !== EXIT.finished) out.error(`pgclone: ${err}`);
  if (stillRunning) {
    // leaving while the engine works: the run stops here and reads as interrupted, resumable
    out.error('pgclone: left the dashboard while a run was in progress; it is interrupted and resumable');
    return EXIT.resumable;
  }
  return exitCode;
}
