// pgclone resume [RUN]: continue a stopped run from where its log says it stopped.
import type { EngineSettings } from '../engine/context.js';
import { resumeOrThrow, type ResumeCall } from '../engine/lib/calls.js';
import { controlsOf } from '../engine/lib/request.js';
import { recordedSource } from '../engine/start.js';
import { connFlag, outputMode, secretsOf, settingsFrom, type Flags, type Output } from './common.js';
import { exitFor, textObserver } from './run-output.js';
import { stoppable } from './stop.js';

export async function resumeCommand(runId: string | undefined, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  const source = connFlag(flags, 'source', false);
  out.addSecrets(secretsOf(source, target));
  const settings = settingsFrom(flags);
  // without --source: the run's recorded source, its password from PGPASSWORD or ~/.pgpass (the CLI's environment)
  const call = (settings: EngineSettings): ResumeCall => ({
    target,
    source: source ?? ((s) => recordedSource(s, process.env)),
    runId,
    ...(flags['no-catch-up'] === true ? { withoutCatchUp: true } : {}),
    ...controlsOf(settings),
  });
  const mode = outputMode(flags);
  if (mode === 'dashboard') {
    return (await import('./dashboard.js')).runDashboard(
      { target, source, runId, mode: 'engine', settings, start: (observer, settings) => resumeOrThrow(call(settings), observer) },
      out,
    );
  }
  const observer = textObserver(mode, out);
  try {
    return exitFor(
      await stoppable(
        settings,
        (t) => out.error(t),
        (settings) => resumeOrThrow(call(settings), observer),
      ),
    );
  } finally {
    observer.stop();
  }
}
