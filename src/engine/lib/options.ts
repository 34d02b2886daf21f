// A run's options as the library takes them: what is left out takes the CLI's defaults, then checked as the log will hold them.
import { Filters, RunOptions } from '../../events/schemas.js';
import { UsageError } from '../errors.js';
import { defaultRunOptions } from '../run-options.js';

/** A new run's options; what is left out takes the CLI's defaults. */
export type StepOptions = Partial<Omit<RunOptions, 'filters'>> & { filters?: Partial<Filters> };

export function runOptionsOf(o: StepOptions | undefined): RunOptions {
  const d = defaultRunOptions();
  const merged = { ...d, ...o, filters: { ...d.filters, ...o?.filters } };
  const r = RunOptions.safeParse(merged);
  if (!r.success) throw new UsageError(`options: ${r.error.issues.map((i) => `${i.path.join('.') || 'options'} ${i.message}`).join('; ')}`);
  return r.data;
}
