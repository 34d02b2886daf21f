// pgclone replay RUN: re-fold a run's log event by event and show the dashboard as it was at each moment, for audit.
import { foldRun } from '../events/fold.js';
import { classifyRun } from '../events/liveness.js';
import { readRun } from '../events/store.js';
import { readRunLocks } from '../events/lock.js';
import { closeClient, openClient } from '../engine/pg/connect.js';
import { EXIT, PgcloneError } from '../engine/errors.js';
import { resolveRunId } from '../engine/pick-run.js';
import { createReplay } from '../ui/replay.js';
import { connFlag, outputMode, secretsOf, type Flags, type Output } from './common.js';
import { logCommand } from './log.js';

/** Events replayed ten times as fast as they happened. */
export const DEFAULT_REPLAY_SPEED = 10;

export async function replayCommand(runId: string, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  out.addSecrets(secretsOf(target));
  if (outputMode(flags) !== 'dashboard') return logCommand(runId, { target: flags.target, json: flags.json }, out);
  const speed = flags.speed !== undefined ? Number(flags.speed) : DEFAULT_REPLAY_SPEED;
  if (!Number.isFinite(speed) || speed <= 0) throw new PgcloneError('usage', '--speed must be a positive number (1 is real time)');
  const db = await openClient(target, { side: 'target', purpose: 'replay' });
  let events;
  let holder;
  try {
    const id = await resolveRunId(db, runId);
    events = await readRun(db, id);
    holder = (await readRunLocks(db, [id])).get(id) ?? null;
  } finally {
    await closeClient(db);
  }
  const final = classifyRun(foldRun(events), holder, new Date());
  // the terminal UI is loaded only when it is shown: it costs a second of start-up
  const [{ render }, { createElement }, { Dashboard }] = await Promise.all([import('ink'), import('react'), import('../ui/Dashboard.js')]);
  const replay = createReplay(events, final, { speed });
  let quit!: () => void;
  const done = new Promise<void>((r) => (quit = r));
  const app = render(
    createElement(Dashboard, {
      source: replay,
      onQuit: () => quit(),
      onResume: () => undefined,
      onWipeRestart: () => undefined,
      onReplay: (a) => replay.act(a),
    }),
    { exitOnCtrlC: false, maxFps: 10 },
  );
  await done;
  replay.stop();
  app.unmount();
  return EXIT.finished;
}
