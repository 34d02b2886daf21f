// pgclone wipe RUN [--restart]: drop what the run created, keep its log; optionally start over as a new run.
import { EXIT, PgcloneError, UsageError } from '../engine/errors.js';
import { recordedSource } from '../engine/start.js';
import { planWipe, wipeRun } from '../engine/wipe.js';
import type { RunOptions, VerifyMode } from '../events/schemas.js';
import type { RunState } from '../events/state.js';
import { quoteIdent } from '../events/names.js';
import { consent } from './confirm.js';
import { connFlag, secretsOf, settingsFrom, type Flags, type Output } from './common.js';
import { runClone } from './clone.js';

/** The wiped run's options for its restart; --verify may ask for another check (checksum, to compare every row). */
function restartOptions(state: RunState, flags: Flags): RunOptions {
  if (flags.verify === undefined) return state.options;
  const verify = String(flags.verify) as VerifyMode;
  if (!['none', 'count', 'checksum'].includes(verify)) throw new UsageError('--verify must be count, checksum or none');
  return { ...state.options, verify };
}

export async function wipeCommand(runId: string, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  const source = connFlag(flags, 'source', false);
  out.addSecrets(secretsOf(source, target));
  const restart = flags.restart === true;
  if (flags.verify !== undefined && !restart) throw new UsageError('--verify applies to the new run of --restart');
  const plan = await planWipe(target, runId);
  const { state, decision } = plan;
  const again = (id: string) => ({
    source: source ?? recordedSource(state),
    target,
    options: restartOptions(state, flags),
    settings: settingsFrom(flags),
    runId: id,
  });

  if (decision.kind === 'refuse') {
    // a run wiped before: --restart starts its new run now (what a plain wipe left undone)
    if (decision.reason === 'wiped' && restart) {
      if (flags['dry-run'] === true) {
        out.line(`run ${state.runId} is already wiped; --restart would start run ${plan.restartId} with its options (nothing written)`);
        return EXIT.finished;
      }
      out.line(`run ${state.runId} was already wiped; starting it again as run ${plan.restartId}`);
      return runClone(again(plan.restartId), flags, out);
    }
    throw new PgcloneError(decision.reason === 'locked' ? 'locked' : 'nothing-to-do', decision.message);
  }

  const drops = [
    ...decision.drop.map((o) => `${o.kind} ${o.identity}`),
    ...(state.rolesCreated ?? []).map((n) => `role ${quoteIdent(n)} (kept if anything else on the cluster still uses it)`),
  ];
  const what = `${drops.length} object${drops.length === 1 ? '' : 's'} run ${state.runId} created`;
  if (flags['dry-run'] === true) {
    out.line(`pgclone wipe would drop the ${what} (nothing written; its log is kept)${restart ? ', then start a new run with its options' : ''}:`);
    for (const d of drops) out.line(`  ${d}`);
    return EXIT.finished;
  }
  const agreed = await consent(flags, out, {
    verb: 'wipe',
    refusal: `wipe drops the ${what}, and without a terminal it cannot ask: add --yes (--dry-run lists them)`,
    explain: [`pgclone wipe drops the ${what} (its log is kept):`, ...drops.map((d) => `  ${d}`)],
    question: `Drop ${drops.length === 1 ? 'it' : `these ${drops.length}`}${restart ? ' and start again' : ''}?`,
  });
  if (!agreed) return EXIT.failed;
  const w = await wipeRun(target, state.runId, { restart });
  out.line(`run ${w.state.runId} wiped: dropped ${w.dropped.length} objects; its log is kept`);
  for (const d of w.dropped) out.line(`  dropped ${d}`);
  for (const k of w.kept) out.line(`  kept ${k}`);
  if (!restart || !w.restartedAs) return EXIT.finished;
  out.line(`restarting from scratch as run ${w.restartedAs}`);
  return runClone(again(w.restartedAs), flags, out);
}
