// What a run takes when nobody says otherwise: the CLI's flags and the library's options start from these.
import type { RunOptions } from '../events/schemas.js';
import { DEFAULT_BATCH_BYTES } from './plan.js';

/**
 * 10 GiB. pgclone cannot see the source's free disk space (that needs superuser file functions), so the default is a
 * size: about three hours of a source writing 1 MB/s, room for a working run on a busy source, yet small beside the
 * disk of a database worth cloning this way — and what a run stopped and forgotten overnight on such a source passes. `max_slot_wal_keep_size`, when the source sets one lower,
 * acts first: the server invalidates the slot, and the run then says the slot was lost.
 */
export const DEFAULT_MAX_RETAINED_WAL_BYTES = 10 * 1024 ** 3;

export const RUN_DEFAULTS = { jobs: 2, indexJobs: 2, maintenanceWorkMemBytes: 256 << 20 };

export function defaultRunOptions(): RunOptions {
  return {
    filters: { schemas: [], excludeSchemas: [], tables: [], excludeTables: [], excludeTableData: [] },
    jobs: RUN_DEFAULTS.jobs,
    indexJobs: RUN_DEFAULTS.indexJobs,
    verify: 'count',
    batchBytes: DEFAULT_BATCH_BYTES,
    noOwner: false,
    noAcl: false,
    binary: true,
    noAnalyze: false,
    schemaEngine: 'builtin',
    catchUp: true,
    maxRetainedWalBytes: DEFAULT_MAX_RETAINED_WAL_BYTES,
    maintenanceWorkMemBytes: RUN_DEFAULTS.maintenanceWorkMemBytes,
  };
}
