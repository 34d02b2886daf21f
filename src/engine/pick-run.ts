// Which run a command acts on: the one named, or the newest that stopped without finishing.
import type pg from 'pg';
import { foldRun } from '../events/fold.js';
import type { RunState } from '../events/state.js';
import { readAllRuns, readRun } from '../events/store.js';
import { PgcloneError } from './errors.js';

/** The run to act on when none is named: the newest one that stopped without finishing (or any, for wipe). */
export async function pickRun(target: pg.ClientBase, runId: string | undefined, wanted: 'resumable' | 'any'): Promise<RunState> {
  if (runId) {
    const events = await readRun(target, runId);
    if (events.length === 0) throw new PgcloneError('usage', `there is no run ${runId} in the target's pgclone log`);
    return foldRun(events);
  }
  const runs = [...(await readAllRuns(target)).values()].map(foldRun);
  const candidates = wanted === 'any' ? runs : runs.filter((s) => s.outcome.kind !== 'finished' && s.outcome.kind !== 'wiped');
  const newest = candidates.sort((a, b) => b.lastEventAt.localeCompare(a.lastEventAt))[0];
  if (!newest) {
    if (runs.length === 0) throw new PgcloneError('usage', "the target's pgclone log holds no runs");
    throw new PgcloneError('nothing-to-do', "every run in the target's log has finished or been wiped; nothing to resume");
  }
  return newest;
}
