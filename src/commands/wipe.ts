// pgclone wipe RUN [--restart]: drop what the run created, keep its log; optionally start over as a new run.
import { EXIT, UsageError } from '../engine/errors.js';
import { recordedSource } from '../engine/start.js';
import { wipeOrThrow } from '../engine/lib/wipe.js';
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
  // refusals (locked; wiped before, without --restart) are thrown before anything is asked or written
  const sourceOf = (s: RunState) => source ?? recordedSource(s);
  const plan = await wipeOrThrow({ target, runId, dryRun: true, restart, source: sourceOf });
  const { state } = plan;
  const again = (id: string) => ({
    source: source ?? recordedSource(state),
    target,
    options: restartOptions(state, flags),
    settings: settingsFrom(flags),
    runId: id,
  });

  // a run wiped before: --restart starts its new run now (what a plain wipe left undone)
  if (plan.alreadyWiped && plan.restartedAs) {
    if (flags['dry-run'] === true) {
      out.line(`run ${state.runId} is already wiped; --restart would start run ${plan.restartedAs} with its options (nothing written)`);
      return EXIT.finished;
    }
    out.line(`run ${state.runId} was already wiped; starting it again as run ${plan.restartedAs}`);
    return runClone(again(plan.restartedAs), flags, out);
  }

  const roles = new Set((state.rolesCreated ?? []).map((n) => `role ${quoteIdent(n)}`));
  const drops = plan.dropped.map((d) => (roles.has(d) ? `${d} (kept if anything else on the cluster still uses it)` : d));
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
  const w = await wipeOrThrow({ target, runId: state.runId, restart, source: sourceOf });
  out.line(`run ${w.runId} wiped: dropped ${w.dropped.length} objects; its log is kept`);
  for (const d of w.dropped) out.line(`  dropped ${d}`);
  for (const k of w.kept) out.line(`  kept ${k}`);
  if (!restart || !w.restartedAs) return EXIT.finished;
  out.line(`restarting from scratch as run ${w.restartedAs}`);
  return runClone(again(w.restartedAs), flags, out);
}
