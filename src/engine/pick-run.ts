// Which run a command acts on: the one named, or the newest that stopped without finishing.
import type pg from 'pg';
import { foldRun } from '../events/fold.js';
import type { RunState } from '../events/state.js';
import { refuseResumeEarly } from '../events/decide.js';
import { readAllRuns, readRun, runIdsStartingWith } from '../events/store.js';
import { PgcloneError } from './errors.js';

/**
 * The full id of the run `given` names: itself, or the one run whose id starts with it (as git takes an
 * abbreviated commit). None: a usage error; several: a usage error listing them.
 */
export async function resolveRunId(target: pg.ClientBase, given: string): Promise<string> {
  const matches = await runIdsStartingWith(target, given, 11);
  if (matches.includes(given)) return given;
  if (matches.length === 1) return matches[0] as string;
  if (matches.length === 0) {
    // a run with events but no RunStarted is still named exactly (its log then fails to fold, naming the event)
    if ((await readRun(target, given)).length > 0) return given;
    throw new PgcloneError('usage', `there is no run ${given} in the target's pgclone log (pgclone status lists them)`);
  }
  const shown = matches.slice(0, 10).join(', ');
  throw new PgcloneError(
    'usage',
    `run id ${given} is ambiguous: ${matches.length > 10 ? 'more than 10' : matches.length} runs start with it (${shown}${matches.length > 10 ? ', …' : ''}); give more of it`,
  );
}

/** The run to act on when none is named: the newest one that stopped without finishing (or any, for wipe). */
export async function pickRun(target: pg.ClientBase, runId: string | undefined, wanted: 'resumable' | 'any'): Promise<RunState> {
  if (runId) return foldRun(await readRun(target, await resolveRunId(target, runId)));
  const runs = [...(await readAllRuns(target)).values()].map(foldRun);
  const candidates = wanted === 'any' ? runs : runs.filter((s) => s.outcome.kind !== 'finished' && s.outcome.kind !== 'wiped');
  const newest = candidates.sort((a, b) => b.lastEventAt.localeCompare(a.lastEventAt))[0];
  if (!newest) {
    if (runs.length === 0) {
      // a clone killed before its first event (RunStarted) wrote nothing: there is no run to act on yet
      const next = wanted === 'resumable' ? 'nothing to resume; start a run with pgclone clone --source URL --target URL' : 'nothing to wipe';
      throw new PgcloneError(
        'usage',
        `the target's pgclone log holds no runs: nothing was written to this target yet (a clone stopped before its first event leaves none); ${next}`,
      );
    }
    // the newest run finished with a mismatch: say so, and what to do, rather than "nothing to resume"
    const last = [...runs].sort((a, b) => b.lastEventAt.localeCompare(a.lastEventAt))[0];
    const mismatch = last && refuseResumeEarly(last, { held: 'by-us' });
    if (mismatch && mismatch.reason === 'mismatched') throw new PgcloneError('mismatch', mismatch.message);
    throw new PgcloneError('nothing-to-do', "every run in the target's log has finished or been wiped; nothing to resume");
  }
  return newest;
}
