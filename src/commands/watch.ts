// pgclone watch [RUN]: the dashboard on the target's log from any terminal; plain lines or JSON when not a terminal.
import { closeClient, openClient } from '../engine/pg/connect.js';
import { EXIT } from '../engine/errors.js';
import { resolveRunId } from '../engine/pick-run.js';
import type { ConnInfo } from '../engine/pg/conninfo.js';
import type pg from 'pg';
import { createFeed, type FeedOptions } from '../ui/feed.js';
import type { DashboardModel } from '../ui/model.js';
import { eventText, printedInPlain } from '../ui/event-text.js';
import { progressLine } from '../ui/plain.js';
import { connFlag, outputMode, secretsOf, settingsFrom, stallThresholdFrom, type Flags, type Output } from './common.js';

const ACTIVE = new Set(['running', 'stalled']);

/** A feed's way back after its connection fails: a new one like the first, closed by the feed when it is done with it. */
export function reconnecting(open: () => Promise<pg.Client>): Pick<FeedOptions, 'open' | 'close'> {
  return { open, close: (db) => closeClient(db as pg.Client) };
}

/** Follow the log without a terminal: every event's line (or JSON), until no shown run is running. */
async function watchText(flags: Flags, runId: string | undefined, out: Output, json: boolean): Promise<number> {
  const target = connFlag(flags, 'target', true);
  const open = () => openClient(target, { side: 'target', purpose: 'watch' });
  const db = await open();
  const feed = createFeed(db, { mode: 'watch', runId, stallThresholdMs: stallThresholdFrom(flags), ...reconnecting(open) });
  const printed = new Map<string, number>();
  let lastProgress = Date.now();
  let problem: 'corrupt' | 'read' | null = null;
  try {
    await new Promise<void>((resolve) => {
      let seenAny = false;
      let lastError: string | null = null;
      const onModel = (m: DashboardModel) => {
        for (const run of m.runs) {
          const from = printed.get(run.state.runId) ?? 0;
          for (const ev of run.events.slice(from)) {
            if (json) out.line(JSON.stringify(ev));
            else if (printedInPlain(ev)) out.line(eventText(ev, run.state));
          }
          printed.set(run.state.runId, run.events.length);
          if (!json && ACTIVE.has(run.liveness.state) && Date.now() - lastProgress > Number(process.env.PGCLONE_PROGRESS_MS ?? 5000)) {
            lastProgress = Date.now();
            out.line(progressLine(run.state, m.samples[run.state.runId] ?? []));
          }
        }
        if (m.runs.length > 0) seenAny = true;
        // a log that cannot be folded ends the watch; a failed read is said once and the feed reconnects
        problem = m.error ? (feed.problem() ?? 'read') : null;
        if (m.error && m.error !== lastError) out.error(`pgclone: ${m.error}`);
        lastError = m.error;
        if (problem === 'corrupt') resolve();
        if (seenAny && m.runs.every((r) => !ACTIVE.has(r.liveness.state))) resolve();
      };
      feed.subscribe(onModel);
      setTimeout(() => {
        if (!seenAny) {
          out.line(runId ? `no run ${runId} in the target's log` : "no runs in the target's log");
          resolve();
        }
      }, 3000);
    });
  } finally {
    await feed.stop();
    await closeClient(db);
  }
  return problem === 'corrupt' ? EXIT.corruptLog : problem === 'read' ? EXIT.failed : EXIT.finished;
}

/** The full id of an abbreviated RUN, read once before the feed starts. */
async function fullRunId(target: ConnInfo, runId: string | undefined): Promise<string | undefined> {
  if (runId === undefined) return undefined;
  const db = await openClient(target, { side: 'target', purpose: 'watch' });
  try {
    return await resolveRunId(db, runId);
  } finally {
    await closeClient(db);
  }
}

export async function watchCommand(given: string | undefined, flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  const source = connFlag(flags, 'source', false);
  out.addSecrets(secretsOf(source, target));
  const runId = await fullRunId(target, given);
  const mode = outputMode(flags);
  if (mode !== 'dashboard') return watchText(flags, runId, out, mode === 'json');
  return (await import('./dashboard.js')).runDashboard(
    { target, source, runId, mode: 'watch', settings: settingsFrom(flags), stallThresholdMs: stallThresholdFrom(flags) },
    out,
  );
}
