// pgclone log RUN: the run's events, for people or one JSON object per line.
import { evolve } from '../events/fold.js';
import type { FoldState } from '../events/state.js';
import { readRun } from '../events/store.js';
import { closeClient, openClient } from '../engine/pg/connect.js';
import { EXIT } from '../engine/errors.js';
import { resolveRunId } from '../engine/pick-run.js';
import { eventText } from '../ui/event-text.js';
import { connFlag, secretsOf, type Flags, type Output } from './common.js';

export async function logCommand(runId: string, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  out.addSecrets(secretsOf(target));
  const db = await openClient(target, { side: 'target', purpose: 'log' });
  try {
    const events = await readRun(db, await resolveRunId(db, runId));
    if (flags.json === true) {
      for (const ev of events) out.line(JSON.stringify(ev));
      return EXIT.finished;
    }
    let state: FoldState = null;
    for (const ev of events) {
      state = evolve(state, ev);
      out.line(`#${String(ev.id).padEnd(6)} ${ev.at}  ${ev.type.padEnd(19)} ${eventText(ev, state, true)}`);
    }
    return EXIT.finished;
  } finally {
    await closeClient(db);
  }
}
