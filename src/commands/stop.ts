// Stopping an engine this process runs: SIGTERM, SIGHUP or the dashboard's Q ask it to stop at the next boundary,
// recorded in RunSuspended; a second request stops at once. The engine is a library and installs no handlers: this does.
import type { EngineSettings } from '../engine/context.js';
import { EXIT } from '../engine/errors.js';

export interface StopHooks {
  /** tell the operator a stop was asked for (stderr, or the dashboard's notes) */
  notify(text: string): void;
  /** a second request: stop now, without waiting for a boundary (the run reads as interrupted, resumable) */
  atOnce(why: string): void;
}

export interface Stopper {
  /** the settings with this stopper's signal in them (beside the caller's own, if any) */
  settings(s: EngineSettings): EngineSettings;
  /** ask the engine to stop at the next boundary, `reason` going into RunSuspended; asked before: stop at once */
  request(reason: string, again: string): void;
  /** whether a stop was asked for */
  requested(): boolean;
  /** the engine's work has ended: signals take their default action again once no stopper is left */
  dispose(): void;
}

const SIGNALS = ['SIGTERM', 'SIGHUP'] as const;
const active = new Set<Stopper>();

function onSignal(signal: NodeJS.Signals): void {
  for (const s of active) s.request(`stopped by ${signal}`, `a second ${signal}`);
}

export function createStopper(hooks: StopHooks): Stopper {
  const controller = new AbortController();
  const stopper: Stopper = {
    settings: (s) => ({ ...s, stopSignal: s.stopSignal ? AbortSignal.any([s.stopSignal, controller.signal]) : controller.signal }),
    request(reason, again) {
      if (controller.signal.aborted) return hooks.atOnce(again);
      controller.abort(reason);
      hooks.notify(`${reason}: stopping at the next boundary; the run stays resumable (${again.replace(/^a second /, '')} again stops at once)`);
    },
    requested: () => controller.signal.aborted,
    dispose() {
      if (!active.delete(stopper) || active.size > 0) return;
      for (const sig of SIGNALS) process.removeListener(sig, onSignal);
    },
  };
  if (active.size === 0) for (const sig of SIGNALS) process.on(sig, onSignal);
  active.add(stopper);
  return stopper;
}

/** Whether an engine runs in this process now. */
export const engineRunning = (): boolean => active.size > 0;

/** Engine work in plain or JSON mode: a signal asks it to stop at the next boundary, a second one ends the process. */
export async function stoppable<T>(settings: EngineSettings, notify: (text: string) => void, work: (settings: EngineSettings) => Promise<T>): Promise<T> {
  const stopper = createStopper({
    notify: (t) => notify(`pgclone: ${t}`),
    atOnce: (why) => {
      notify(`pgclone: ${why}: stopped at once; the run is interrupted and resumable`);
      process.exit(EXIT.resumable);
    },
  });
  try {
    return await work(stopper.settings(settings));
  } finally {
    stopper.dispose();
  }
}
