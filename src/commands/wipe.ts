// pgclone wipe RUN [--restart]: drop what the run created, keep its log; optionally start over as a new run.
import { EXIT } from '../engine/errors.js';
import { recordedSource, startClone } from '../engine/start.js';
import { wipeRun } from '../engine/wipe.js';
import { connFlag, outputMode, secretsOf, settingsFrom, type Flags, type Output } from './common.js';
import { exitFor, textObserver } from './run-output.js';

export async function wipeCommand(runId: string, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  const source = connFlag(flags, 'source', false);
  out.addSecrets(secretsOf(source, target));
  const restart = flags.restart === true;
  const w = await wipeRun(target, runId, { restart });
  out.line(`run ${w.state.runId} wiped: dropped ${w.dropped.length} objects; its log is kept`);
  for (const d of w.dropped) out.line(`  dropped ${d}`);
  if (!restart || !w.restartedAs) return EXIT.finished;
  out.line(`restarting from scratch as run ${w.restartedAs}`);
  const observer = textObserver(outputMode(flags) === 'json' ? 'json' : 'plain', out);
  try {
    const r = await startClone(
      { source: source ?? recordedSource(w.state), target, options: w.state.options, settings: settingsFrom(flags), runId: w.restartedAs },
      observer,
    );
    return exitFor(r);
  } finally {
    observer.stop();
  }
}
