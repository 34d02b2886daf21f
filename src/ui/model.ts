// The dashboard's props: everything it shows, gathered by a container from the log and the target's catalog.
import type { LiveIndexBuild } from '../events/activity.js';
import type { Classification } from '../events/liveness.js';
import type { LoggedEvent } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import type { SlotReading } from '../events/summary.js';
import type { Sample, SeenCopy } from './progress.js';

export interface RunView {
  state: RunState;
  liveness: Classification;
  /** the run's log, for the L view; may be empty for runs that are not selected */
  events: LoggedEvent[];
}

export interface ReplayStatus {
  position: number;
  total: number;
  paused: boolean;
  speed: number;
}

export type DashboardMode = 'watch' | 'engine' | 'replay';

export interface DashboardModel {
  /** newest first */
  runs: RunView[];
  /** ms since the epoch; components never read the clock */
  now: number;
  /** per runId, for rates (see progress.ts) */
  samples: Record<string, Sample[]>;
  /** COPYs in flight, from pg_stat_progress_copy: what the committed batches do not show yet */
  liveCopies: SeenCopy[];
  /** index builds in flight on the target, from pg_stat_progress_create_index */
  liveIndexes?: LiveIndexBuild[];
  /** each run's replication slot as last read from its source (the command reads it; absent: not read) */
  slots?: Record<string, SlotReading>;
  /** the engine's latest notes, e.g. "retrying in 1.0 s…" */
  notes: string[];
  mode: DashboardMode;
  replay: ReplayStatus | null;
  /** shown while an action runs, e.g. "resuming run X…" */
  busy: string | null;
  /** the last action's error, one line */
  error: string | null;
}
