// pgclone clone: a new run from --source into --target.
import { startClone, type CloneRequest } from '../engine/start.js';
import { connFlag, outputMode, runOptionsFrom, secretsOf, settingsFrom, type Flags, type Output } from './common.js';
import { exitFor, textObserver } from './run-output.js';
import { stoppable } from './stop.js';

/** A new run under the dashboard on a terminal, else plain lines or JSON; SIGTERM, SIGHUP and Q stop it at a boundary. */
export async function runClone(req: CloneRequest, flags: Flags, out: Output): Promise<number> {
  const mode = outputMode(flags);
  if (mode === 'dashboard') {
    return (await import('./dashboard.js')).runDashboard(
      {
        target: req.target,
        source: req.source,
        mode: 'engine',
        settings: req.settings,
        start: (observer, settings) => startClone({ ...req, settings }, observer),
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
        (settings) => startClone({ ...req, settings }, observer),
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
