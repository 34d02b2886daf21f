// A follower of the log that never skips an event committed late with a smaller id (see readAfter).
import type { ClientBase } from 'pg';
import type { LoggedEvent } from './schemas.js';
import { readAfter, TAIL_START, type TailCursor } from './store.js';

export interface Follower {
  /** Read what has become readable since the last call. */
  poll(): Promise<LoggedEvent[]>;
  readonly cursor: TailCursor;
}

export function createFollower(db: ClientBase, opts: { runId?: string; from?: TailCursor } = {}): Follower {
  let cursor = opts.from ?? TAIL_START;
  return {
    get cursor() {
      return cursor;
    },
    async poll() {
      const out: LoggedEvent[] = [];
      for (;;) {
        const page = await readAfter(db, cursor, { runId: opts.runId, limit: 5000 });
        cursor = page.cursor;
        out.push(...page.events);
        if (page.events.length < 5000) return out;
      }
    },
  };
}

/**
 * Poll a follower until stopped, handing each non-empty read to onEvents. `wake()` polls at once
 * (the engine calls it after a commit, so an in-process dashboard does not wait for the interval).
 */
export function follow(
  follower: Follower,
  onEvents: (events: LoggedEvent[]) => void,
  opts: { intervalMs?: number; onError?: (e: unknown) => void } = {},
): { stop(): Promise<void>; wake(): void } {
  const interval = opts.intervalMs ?? 250;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;

  const tick = async (): Promise<void> => {
    do {
      again = false;
      try {
        const evs = await follower.poll();
        if (evs.length > 0) onEvents(evs);
      } catch (e) {
        opts.onError?.(e);
      }
    } while (again && !stopped);
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(run, interval);
  };
  const run = () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = tick().finally(() => {
      running = null;
      schedule();
    });
  };
  schedule();
  return {
    wake() {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      run();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
  };
}
