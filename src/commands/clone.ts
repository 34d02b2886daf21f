// pgclone clone: a new run from --source into --target.
import type { EngineSettings } from '../engine/context.js';
import { cloneOrThrow, type CloneCall } from '../engine/lib/calls.js';
import { controlsOf } from '../engine/lib/request.js';
import { connFlag, outputMode, runOptionsFrom, secretsOf, settingsFrom, type Flags, type Output } from './common.js';
import { exitFor, textObserver } from './run-output.js';
import { stoppable } from './stop.js';

/** A clone as the flags ask for it: connections resolved here (libpq's environment, ~/.pgpass), the engine's settings from the flags. */
export type CloneFlags = Pick<CloneCall, 'source' | 'target' | 'options' | 'runId'> & { settings: EngineSettings };

/** A new run under the dashboard on a terminal, else plain lines or JSON; SIGTERM, SIGHUP and Q stop it at a boundary. */
export async function runClone(req: CloneFlags, flags: Flags, out: Output): Promise<number> {
  const call = (settings: EngineSettings): CloneCall => ({
    source: req.source,
    target: req.target,
    options: req.options,
    runId: req.runId,
    ...controlsOf(settings),
  });
  const mode = outputMode(flags);
  if (mode === 'dashboard') {
    return (await import('./dashboard.js')).runDashboard(
      {
        target: req.target,
        source: req.source,
        mode: 'engine',
        settings: req.settings,
        start: (observer, settings) => cloneOrThrow(call(settings), observer),
      },
      out,
    );
  }
  const observer = textObserver(mode, out);
  try {
    return exitFor(
      await stoppable(
        req.settings,
        (t) => out.error(t),
        (settings) => cloneOrThrow(call(settings), observer),
      ),
    );
  } finally {
    observer.stop();
  }
}

export async function cloneCommand(flags: Flags, out: Output): Promise<number> {
  const source = connFlag(flags, 'source', true);
  const target = connFlag(flags, 'target', true);
  out.addSecrets(secretsOf(source, target));
  return runClone({ source, target, options: runOptionsFrom(flags), settings: settingsFrom(flags) }, flags, out);
}
