// pgclone export [RUN]: the log's events as JSON lines (every run, or one), to a file or stdout — the record to keep before forget.
import { open } from 'node:fs/promises';
import type { LoggedEvent } from '../events/schemas.js';
import { readAllRuns, readRun } from '../events/store.js';
import { closeClient, openClient } from '../engine/pg/connect.js';
import { EXIT, UsageError } from '../engine/errors.js';
import { resolveRunId } from '../engine/pick-run.js';
import { connFlag, secretsOf, type Flags, type Output } from './common.js';

/** Write the events, one JSON object a line, to a new file (an existing one is never overwritten), synced to disk. */
export async function writeEventsFile(file: string, events: LoggedEvent[]): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'wx');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(
      code === 'EEXIST' ? `${file} already exists: name a new file (nothing was written)` : `cannot create ${file}: ${(e as Error).message}`,
    );
  }
  try {
    await handle.writeFile(events.map((ev) => `${JSON.stringify(ev)}\n`).join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The --output flag as a file name, or undefined. */
export function outputFile(flags: Flags): string | undefined {
  const f = flags.output;
  if (f === undefined) return undefined;
  if (typeof f !== 'string' || f === '') throw new UsageError('--output needs a file name');
  return f;
}

export async function exportCommand(runId: string | undefined, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  out.addSecrets(secretsOf(target));
  const file = outputFile(flags);
  const db = await openClient(target, { side: 'target', purpose: 'export' });
  let events: LoggedEvent[];
  try {
    events = runId ? await readRun(db, await resolveRunId(db, runId)) : [...(await readAllRuns(db)).values()].flat().sort((a, b) => a.id - b.id);
  } finally {
    await closeClient(db);
  }
  if (!file) {
    for (const ev of events) out.line(JSON.stringify(ev));
    return EXIT.finished;
  }
  await writeEventsFile(file, events);
  const runs = new Set(events.map((ev) => ev.runId)).size;
  out.error(`pgclone: ${events.length} events of ${runs} run${runs === 1 ? '' : 's'} written to ${file}`);
  return EXIT.finished;
}
