// Progress for a caller's own UI, coalesced: at most one call per interval, whatever the commit rate; pure (the clock is given).

/** The default interval between two progress calls. */
export const PROGRESS_INTERVAL_MS = 250;

export interface Coalescer<T> {
  /** something changed: `read` is called (and its value emitted) only when the interval since the last emission has passed */
  offer(read: () => T): void;
  /** the end: emit `value` whatever the interval, and nothing more after it */
  finish(value: T): void;
}

/**
 * Leading-edge coalescing without timers: a change is emitted at once when the last emission is at least
 * `intervalMs` old, else dropped (a later change, or the end, carries it). Nothing is computed for a dropped change.
 */
export function createCoalescer<T>(emit: (value: T) => void, opts: { intervalMs?: number; now: () => number }): Coalescer<T> {
  const interval = opts.intervalMs ?? PROGRESS_INTERVAL_MS;
  let last: number | null = null;
  let done = false;
  return {
    offer(read) {
      if (done) return;
      const t = opts.now();
      if (last !== null && t - last < interval) return;
      last = t;
      emit(read());
    },
    finish(value) {
      if (done) return;
      done = true;
      emit(value);
    },
  };
}
