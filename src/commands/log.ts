// pgclone log RUN: the run's events, for people or one JSON object per line.
import { evolve } from '../events/fold.js';
import type { FoldState } from '../events/state.js';
import { readRun } from '../events/store.js';
import type { LoggedEvent } from '../events/schemas.js';
import { closeClient, openClient } from '../engine/pg/connect.js';
import { EXIT, PgcloneError } from '../engine/errors.js';
import { eventLine } from '../ui/plain.js';
import { connFlag, secretsOf, type Flags, type Output } from './common.js';

/** Every event gets a line: its own when it has one, else its fields. */
export function describeEvent(ev: LoggedEvent, line: string | null): string {
  if (line) return line;
  const { id: _id, v: _v, runId: _r, at: _a, type: _t, ...rest } = ev as LoggedEvent & Record<string, unknown>;
  const parts = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.join(' ').slice(0, 200);
}

export async function logCommand(runId: string, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true)!;
  out.addSecrets(secretsOf(target));
  const db = await openClient(target, { side: 'target', purpose: 'log' });
  try {
    const events = await readRun(db, runId);
    if (events.length === 0) throw new PgcloneError('usage', `there is no run ${runId} in the target's pgclone log`);
    if (flags.json === true) {
      for (const ev of events) out.line(JSON.stringify(ev));
      return EXIT.finished;
    }
    let state: FoldState = null;
    for (const ev of events) {
      state = evolve(state, ev);
      out.line(`#${String(ev.id).padEnd(6)} ${ev.at}  ${ev.type.padEnd(19)} ${describeEvent(ev, eventLine(ev, state))}`);
    }
    return EXIT.finished;
  } finally {
    await closeClient(db);
  }
}
