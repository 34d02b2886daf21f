// pgclone forget: remove the log (schema pgclone, the pgclone.state setting) from a target whose runs all ended, after
// exporting it when asked; asks on a terminal as wipe does.
import { EXIT } from '../engine/errors.js';
import { forgetLog, planForget } from '../engine/forget.js';
import { consent } from './confirm.js';
import { connFlag, secretsOf, type Flags, type Output } from './common.js';
import { outputFile, writeEventsFile } from './export.js';

export async function forgetCommand(flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  out.addSecrets(secretsOf(target));
  const file = outputFile(flags);
  const plan = await planForget(target);
  const what = `schema pgclone (${plan.events} events of ${plan.runs.length} run${plan.runs.length === 1 ? '' : 's'}: ${plan.runs
    .map((r) => `${r.runId} ${r.ended}`)
    .join(', ')}) and the pgclone.state setting`;
  if (flags['dry-run'] === true) {
    out.line(`pgclone forget would drop ${what}${file ? `, after writing the events to ${file}` : ''} (nothing written)`);
    return EXIT.finished;
  }
  const agreed = await consent(flags, out, {
    verb: 'forget',
    refusal: `forget drops ${what}, and without a terminal it cannot ask: add --yes (--output FILE keeps a copy)`,
    explain: [`pgclone forget drops ${what}${file ? `, after writing the events to ${file}` : ' — no copy is kept (--output FILE keeps one)'}.`],
    question: 'Drop the log?',
  });
  if (!agreed) return EXIT.failed;
  const r = await forgetLog(target, file ? { exportTo: (events) => writeEventsFile(file, events) } : {});
  if (file) out.line(`${r.events} events of ${r.runs.length} run${r.runs.length === 1 ? '' : 's'} written to ${file}`);
  out.line(`dropped schema pgclone${r.markReset ? ' and reset the pgclone.state setting' : ''}: the target no longer holds pgclone's log`);
  return EXIT.finished;
}
