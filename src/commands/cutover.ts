// pgclone cutover RUN: ask the run to cut over (an event in its log), then wait for its follower — or, with none, resume it here.
import { describeHolder } from '../events/liveness.js';
import type { RunState } from '../events/state.js';
import { awaitCutover, requestCutover } from '../engine/cutover.js';
import { EXIT, EXIT_OF, PgcloneError } from '../engine/errors.js';
import { resumeOrThrow } from '../engine/lib/calls.js';
import { controlsOf } from '../engine/lib/request.js';
import { recordedSource } from '../engine/start.js';
import { connFlag, secretsOf, settingsFrom, type Flags, type Output } from './common.js';
import { exitFor, textObserver } from './run-output.js';
import { stoppable } from './stop.js';

/** How a run that ended under someone else's process ended, as this command's exit code: what `resume` would have ended with. */
function exitOfEnded(s: RunState): number {
  const o = s.outcome;
  if (o.kind === 'finished') return o.verification === 'mismatch' ? EXIT.verifyMismatch : EXIT.finished;
  if (o.kind === 'suspended') return EXIT.resumable;
  // a recorded failure's kind is the one its exception carried, so its code is the one the CLI maps it to
  if (o.kind === 'failed') return (EXIT_OF as Record<string, number>)[o.error.kind] ?? EXIT.failed;
  return EXIT.failed;
}

export async function cutoverCommand(runId: string, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  const source = connFlag(flags, 'source', false);
  out.addSecrets(secretsOf(source, target));
  const settings = settingsFrom(flags);
  const asked = await requestCutover(target, runId);
  const id = asked.state.runId;
  const observer = textObserver(flags.json === true ? 'json' : 'plain', out);
  try {
    out.error(`pgclone: cutover of run ${id} ${asked.already ? 'was already asked for' : 'asked for'} (CutoverRequested in its log)`);
    if (asked.holder) {
      out.error(
        asked.state.options.follow === true
          ? `pgclone: run ${id} is followed by ${describeHolder(asked.holder)}; waiting for it to apply the source's last changes, sync sequences, verify and finish`
          : `pgclone: run ${id} is run by ${describeHolder(asked.holder)} without --follow: it finishes by itself once caught up (exact at its catch-up point, not at this request); waiting for that`,
      );
      const w = await awaitCutover(target, id, observer);
      if (w.ended) {
        if (w.state.outcome.kind === 'failed') out.error(`pgclone: ${w.state.outcome.error.message}`);
        return exitOfEnded(w.state);
      }
      out.error(`pgclone: the process that followed run ${id} stopped before cutting over; resuming it here`);
    }
    // nobody follows the run: this process resumes it; the request in its log makes it cut over once caught up
    try {
      return exitFor(
        await stoppable(
          settings,
          (t) => out.error(t),
          (st) => resumeOrThrow({ target, source: source ?? ((s) => recordedSource(s, process.env)), runId: id, ...controlsOf(st) }, observer),
        ),
      );
    } catch (e) {
      if (!(e instanceof PgcloneError) || e.kind !== 'locked') throw e;
      // another process took the run between the request and this resume: it sees the request; wait for it
      const w = await awaitCutover(target, id, observer);
      if (w.state.outcome.kind === 'failed') out.error(`pgclone: ${w.state.outcome.error.message}`);
      return w.ended ? exitOfEnded(w.state) : EXIT.failed;
    }
  } finally {
    observer.stop();
  }
}
