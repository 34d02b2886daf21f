// A follower of the log that never skips an event committed late with a smaller id (see readAfter).
import type { ClientBase } from 'pg';
import type { LoggedEvent } from './schemas.js';
import { logExists, readAfter, TAIL_START, type TailCursor } from './store.js';

export interface Follower {
  /** Read what has become readable since the last call. */
  poll(): Promise<LoggedEvent[]>;
  readonly cursor: TailCursor;
}

export function createFollower(db: ClientBase, opts: { runId?: string; from?: TailCursor } = {}): Follower {
  let cursor = opts.from ?? TAIL_START;
  // asked until the log appears (a watch may start before the clone's first write), then never again
  let logThere = false;
  return {
    get cursor() {
      return cursor;
    },
    async poll() {
      const out: LoggedEvent[] = [];
      logThere ||= await logExists(db);
      if (!logThere) return out;
      // the cursor moves only with the events it passes handed out: a read that fails on a later page
      // (a connection cut) leaves it where the caller's events end, so nothing is skipped
      let at = cursor;
      for (;;) {
        const page = await readAfter(db, at, { runId: opts.runId, limit: 5000 });
        at = page.cursor;
        out.push(...page.events);
        if (page.events.length < 5000) {
          cursor = at;
          return out;
        }
      }
    },
  };
}
