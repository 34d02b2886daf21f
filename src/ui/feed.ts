// The dashboard's data: tail the log → fold per run → classify with the locks → a model snapshot, at most 10 a second.
import { MalformedEventError } from '../events/codec.js';
import { evolve } from '../events/fold.js';
import { classifyRun, DEFAULT_STALL_THRESHOLD_MS, type LockHolder } from '../events/liveness.js';
import type { LoggedEvent } from '../events/schemas.js';
import type { FoldState, RunState } from '../events/state.js';
import type { SlotReading } from '../events/summary.js';
import { liveCopies, liveIndexBuilds, type LiveIndexBuild } from '../events/activity.js';
import { readRunLocks } from '../events/lock.js';
import type { LogDb } from '../events/store.js';
import { createFollower } from '../events/tail.js';
import type { DashboardMode, DashboardModel, RunView } from './model.js';
import { addSample, stampCopies, type Sample, type SeenCopy } from './progress.js';

export interface Feed {
  get(): DashboardModel;
  subscribe(fn: (m: DashboardModel) => void): () => void;
  /** poll now (after an action of the dashboard's own, e.g. a wipe) */
  wake(): void;
  note(text: string): void;
  setBusy(text: string | null): void;
  setError(text: string | null): void;
  /** the runs' slots as the command last read them from the source */
  setSlots(slots: Record<string, SlotReading>): void;
  /** what is wrong, if anything: a run's log cannot be folded (corrupt), or the last read of the target failed */
  problem(): 'corrupt' | 'read' | null;
  /** stop polling; one last read makes the final snapshot */
  stop(): Promise<void>;
}

interface RunData {
  events: LoggedEvent[];
  state: FoldState;
  samples: Sample[];
  broken: string | null;
}

export interface FeedOptions {
  mode: DashboardMode;
  /** only this run */
  runId?: string;
  pollMs?: number;
  /** how often locks and pg_stat_progress_copy are read */
  catalogMs?: number;
  stallThresholdMs?: number;
  /** the least time between two snapshots (100 ms: at most ten redraws a second) */
  minIntervalMs?: number;
  now?: () => number;
  /**
   * A new connection to the target, for when the one in use fails (its backend terminated, the network cut):
   * the feed retries with backoff and follows on from its cursor, so nothing committed meanwhile is missed.
   * Without it a failed connection stays failed.
   */
  open?: () => Promise<LogDb>;
  /** closes a connection `open` made (the feed owns those; the one passed to createFeed stays the caller's) */
  close?: (db: LogDb) => Promise<void>;
}

/** The first reconnect waits this long; each further one twice as long, up to RECONNECT_MAX_MS. */
const RECONNECT_BASE_MS = 250;
const RECONNECT_MAX_MS = 5000;

/**
 * A feed over the target connection the caller opened (stop() does not close it) and, after that one fails, over
 * those it opens itself through `opts.open` (stop() closes those).
 */
export function createFeed(callersDb: LogDb, opts: FeedOptions): Feed {
  const now = opts.now ?? Date.now;
  let db = callersDb;
  let follower = createFollower(db, { runId: opts.runId });
  // the last read failed: the next poll (once `reconnectAt` has come) opens a new connection first
  let failed = false;
  let reconnects = 0;
  let reconnectAt = 0;
  const runs = new Map<string, RunData>();
  let holders = new Map<string, LockHolder>();
  let copies: SeenCopy[] = [];
  let builds: LiveIndexBuild[] = [];
  const notes: string[] = [];
  let busy: string | null = null;
  let slots: Record<string, SlotReading> = {};
  let error: string | null = null;
  // the last poll's failure; cleared by the next poll that succeeds (a blip is not shown forever)
  let readError: string | null = null;
  // a row of the log that does not parse: the follower cannot pass it, so this stays (fail closed)
  let malformed: string | null = null;
  const listeners = new Set<(m: DashboardModel) => void>();
  let snapshot = build();
  let flushTimer: NodeJS.Timeout | null = null;
  let lastFlush = 0;
  let stopped = false;
  let lastCatalog = 0;
  let polling: Promise<void> | null = null;
  let again = false;

  function build(): DashboardModel {
    const t = now();
    const views: RunView[] = [];
    for (const [runId, d] of runs) {
      if (d.state === null) continue;
      const state: RunState = d.state;
      views.push({
        state,
        liveness: classifyRun(state, holders.get(runId) ?? null, new Date(t), opts.stallThresholdMs ?? DEFAULT_STALL_THRESHOLD_MS),
        events: d.events,
      });
    }
    views.sort((a, b) => b.state.startedAt.localeCompare(a.state.startedAt));
    const samples: Record<string, Sample[]> = {};
    for (const [runId, d] of runs) samples[runId] = d.samples;
    const broken = [...runs.values()].map((d) => d.broken).find((b) => b !== null) ?? null;
    return {
      runs: views,
      now: t,
      samples,
      liveCopies: copies,
      liveIndexes: builds,
      slots,
      notes: notes.slice(-3),
      mode: opts.mode,
      replay: null,
      busy,
      error: error ?? malformed ?? broken ?? readError,
    };
  }

  // coalesced: at most one snapshot per minIntervalMs, however many events arrive
  function changed(): void {
    if (flushTimer || stopped) return;
    const wait = Math.max(0, (opts.minIntervalMs ?? 100) - (now() - lastFlush));
    flushTimer = setTimeout(() => {
      flushTimer = null;
      lastFlush = now();
      snapshot = build();
      for (const fn of listeners) fn(snapshot);
    }, wait);
  }

  function take(events: LoggedEvent[]): void {
    const t = now();
    for (const ev of events) {
      let d = runs.get(ev.runId);
      if (!d) {
        d = { events: [], state: null, samples: [], broken: null };
        runs.set(ev.runId, d);
      }
      if (d.broken) continue;
      try {
        d.state = evolve(d.state, ev);
        d.events.push(ev);
      } catch (e) {
        // fail closed: a run whose log cannot be folded is not shown as if it were fine
        d.broken = e instanceof Error ? e.message : String(e);
      }
    }
    for (const d of runs.values()) if (d.state) d.samples = addSample(d.samples, { at: t, rows: d.state.rowsDone, bytes: d.state.bytesDone });
  }

  async function poll(): Promise<void> {
    do {
      again = false;
      try {
        if (failed && opts.open) {
          if (now() < reconnectAt) continue;
          const fresh = await opts.open();
          if (stopped) {
            // stop() did not wait for this one: it is closed here, not left open
            await opts.close?.(fresh).catch(() => undefined);
            return;
          }
          const old = db;
          db = fresh;
          // the new follower starts where the old one stopped: the cursor carries the late-commit guard with it
          follower = createFollower(db, { runId: opts.runId, from: follower.cursor });
          failed = false;
          if (old !== callersDb) void opts.close?.(old).catch(() => undefined);
        }
        // past a row that does not parse the follower cannot move: stop re-reading it, keep the locks fresh
        const evs = malformed === null ? await follower.poll() : [];
        const known = runs.size;
        // an event of a run nobody was seen holding: a resume (or a new run) has taken its lock
        const takenOver = evs.some((ev) => !holders.has(ev.runId));
        if (evs.length > 0) take(evs);
        // such a run has its lock read at once: without it, a run that just started or was just resumed reads
        // as interrupted (nobody holds its lock) until the next catalog read, seconds later
        if (runs.size > known || takenOver || now() - lastCatalog >= (opts.catalogMs ?? 1000)) {
          lastCatalog = now();
          holders = await readRunLocks(db, [...runs.keys()]);
          const states = [...runs.values()].flatMap((d) => (d.state ? [d.state] : []));
          // the progress views only while some run is in the phase they show: a watched finished log costs one query
          copies = states.some((st) => st.phases.data.status === 'running') ? stampCopies(await liveCopies(db), states) : [];
          builds = states.some((st) => st.phases['post-data'].status === 'running') ? await liveIndexBuilds(db) : [];
        }
        readError = null;
        reconnects = 0;
      } catch (e) {
        if (e instanceof MalformedEventError) malformed = e.message;
        else {
          readError = `cannot read the target: ${e instanceof Error ? e.message : String(e)}`;
          if (opts.open) {
            failed = true;
            reconnects++;
            const wait = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** (reconnects - 1));
            reconnectAt = now() + wait;
            readError += ` (reconnecting in ${(wait / 1000).toFixed(1)} s, attempt ${reconnects})`;
          }
        }
      }
      changed();
    } while (again && !stopped);
  }

  function kick(): void {
    if (stopped) return;
    if (polling) {
      again = true;
      return;
    }
    polling = poll().finally(() => {
      polling = null;
    });
  }

  const interval = setInterval(kick, opts.pollMs ?? 250);
  kick();

  return {
    get: () => snapshot,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    wake: kick,
    setSlots(next) {
      slots = next;
      changed();
    },
    note(text) {
      notes.push(text);
      changed();
    },
    setBusy(text) {
      busy = text;
      changed();
    },
    setError(text) {
      error = text;
      changed();
    },
    problem: () => (malformed !== null || [...runs.values()].some((d) => d.broken !== null) ? 'corrupt' : readError !== null ? 'read' : null),
    async stop() {
      stopped = true;
      clearInterval(interval);
      if (flushTimer) clearTimeout(flushTimer);
      // bounded: a reconnect in progress may wait out its connect timeout against a target that is gone
      if (polling) await Promise.race([polling, new Promise<void>((r) => setTimeout(r, 2000).unref())]);
      // the final snapshot holds what committed since the last poll (a run's last events) and the last error
      // (bounded: a target behind a cut network must not keep the process from ending)
      if (malformed === null && !failed) {
        const late = new Promise<LoggedEvent[]>((r) => setTimeout(() => r([]), 2000).unref());
        const evs = await Promise.race([follower.poll().catch((): LoggedEvent[] => []), late]);
        if (evs.length > 0) take(evs);
      }
      snapshot = build();
      if (db !== callersDb) await opts.close?.(db).catch(() => undefined);
    },
  };
}
