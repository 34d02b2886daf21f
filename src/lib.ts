// pgclone as a library: the names callers import. The code lives in src/engine/lib/ and the layers it uses.
export { step, type StepRequest, type StepResult, type StepOutcome, type StepOptions } from './engine/lib/step.js';
export { clone, type CloneRequest } from './engine/lib/clone.js';
export { resume, type ResumeRequest } from './engine/lib/resume.js';
export { wipe, type WipeRequest, type WipeResult } from './engine/lib/wipe.js';
export { events, type EventsRequest } from './engine/lib/events.js';
export type { RunControls, RunSettings } from './engine/lib/types.js';
export { runs, status, type ReadOptions } from './engine/lib/runs.js';
export type { Connection, ConnectionConfig } from './engine/lib/connection.js';
export { PgcloneError, UsageError, EXIT, EXIT_OF, type ErrorKind, type ExitCode } from './engine/errors.js';
export { foldRun as fold, evolve, initialState } from './events/fold.js';
export {
  classifyRun,
  classifyRun as classify,
  describeHolder,
  DEFAULT_STALL_THRESHOLD_MS,
  type Classification,
  type LockHolder,
  type RunLiveness,
} from './events/liveness.js';
export { progressOf, runSummary, whereStopped, type RunProgress, type RunSummary } from './events/summary.js';
export type { RunState } from './events/state.js';
export type { LoggedEvent, RunOptions, Filters, Phase } from './events/schemas.js';
