// pgclone clone: a new run from --source into --target.
import { startClone } from '../engine/start.js';
import { connFlag, outputMode, runOptionsFrom, secretsOf, settingsFrom, type Flags, type Output } from './common.js';
import { exitFor, textObserver } from './run-output.js';
import { stoppable } from './stop.js';

export async function cloneCommand(flags: Flags, out: Output): Promise<number> {
  const source = connFlag(flags, 'source', true);
  const target = connFlag(flags, 'target', true);
  out.addSecrets(secretsOf(source, target));
  const options = runOptionsFrom(flags);
  const settings = settingsFrom(flags);
  const mode = outputMode(flags);
  if (mode === 'dashboard') {
    return (await import('./dashboard.js')).runDashboard(
      { target, source, mode: 'engine', settings, start: (observer, settings) => startClone({ source, target, options, settings }, observer) },
      out,
    );
  }
  const observer = textObserver(mode, out);
  try {
    return exitFor(
      await stoppable(
        settings,
        (t) => out.error(t),
        (settings) => startClone({ source, target, options, settings }, observer),
      ),
    );
  } finally {
    observer.stop();
  }
}
