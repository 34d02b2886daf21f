// What a run takes when nobody says otherwise: the CLI's flags and the library's options start from these.
import type { RunOptions } from '../events/schemas.js';
import { DEFAULT_BATCH_BYTES } from './plan.js';

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
    maintenanceWorkMemBytes: RUN_DEFAULTS.maintenanceWorkMemBytes,
  };
}
