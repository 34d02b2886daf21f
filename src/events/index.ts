// The event log: its vocabulary, the pure fold and decisions, and its storage in the target.
export * from './schemas.js';
export * from './state.js';
export { evolve, foldRun, initialState } from './fold.js';
export * from './decide.js';
export * from './liveness.js';
export { MalformedEventError, parseEventRow } from './codec.js';
export { quoteIdent, tableKey, tableLabel } from './names.js';
export { applicationName, readRunLocks, tryLockRun } from './lock.js';
export { identityOf, type Endpoint } from './identity.js';
export * from './store.js';
export { createFollower, type Follower } from './tail.js';
