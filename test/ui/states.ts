// Named dashboard states folded from the shared stories, with the clock and the lock holder given explicitly.
import { classifyRun, foldRun, type LockHolder, type LoggedEvent } from '../../src/events/index.js';
import type { DashboardModel, RunView } from '../../src/ui/model.js';
import type { Sample } from '../../src/ui/progress.js';
import { keyBatches, LogBuilder, plannedTable } from '../fixtures/events.js';
import { failedWithRetries, finishedRun, interruptedAt29, wipedRun } from '../fixtures/stories.js';

export const HOLDER: LockHolder = { backendPid: 31337, clientPid: 4242, clientHost: 'bastion', clientAddr: '10.0.0.5', since: null };

/** ms after the story's last event */
const after = (b: LogBuilder, ms: number) => b.now.getTime() - 1000 + ms;

export function runView(events: LoggedEvent[], holder: LockHolder | null, now: number): RunView {
  const state = foldRun(events);
  return { state, liveness: classifyRun(state, holder, new Date(now)), events };
}

export function model(runs: RunView[], now: number, extra: Partial<DashboardModel> = {}): DashboardModel {
  return { runs, now, samples: {}, liveCopies: [], notes: [], mode: 'watch', replay: null, busy: null, error: null, ...extra };
}

/** The seed run still going: a second worker has started on assets, the lock is held, the last event 2 s ago. */
export function runningMidData(): DashboardModel {
  const assets = keyBatches(4, 500);
  const b = interruptedAt29('run_running_01').tableStarted('assets', assets, 1800).batch('assets', 0, assets[0]!, 450, 1);
  const now = after(b, 2000);
  const run = runView(b.build(), HOLDER, now);
  const samples: Sample[] = [
    { at: now - 10_000, rows: run.state.rowsDone - 1200, bytes: run.state.bytesDone - 120_000 },
    { at: now, rows: run.state.rowsDone, bytes: run.state.bytesDone },
  ];
  return model([run], now, {
    samples: { [run.state.runId]: samples },
    liveCopies: [{ table: 'public.storyboard_panels', bytesProcessed: 20_000, tuplesProcessed: 200 }],
    notes: ['batch 3 of public.storyboard_panels on worker 0'],
  });
}

/** The lock is held but nothing was logged for five minutes. */
export function stalled(): DashboardModel {
  const b = interruptedAt29('run_stalled_01');
  const now = after(b, 5 * 60_000);
  return model([runView(b.build(), HOLDER, now)], now);
}

/** The seed: the process died 12 minutes ago at 707 of 2,430 rows. A finished run is older in the list. */
export function interrupted(): DashboardModel {
  const b = interruptedAt29();
  const now = after(b, 12 * 60_000);
  const older = finishedRun();
  return model([runView(b.build(), null, now), runView(older.build(), null, now)], now);
}

export function failed(): DashboardModel {
  const b = failedWithRetries();
  const now = after(b, 30_000);
  return model([runView(b.build(), null, now)], now);
}

export function finished(): DashboardModel {
  const b = finishedRun();
  const now = after(b, 60_000);
  return model([runView(b.build(), null, now)], now);
}

export function wiped(): DashboardModel {
  const b = wipedRun();
  const now = after(b, 60_000);
  return model([runView(b.build(), null, now)], now);
}

/** Lines of a frame without colour codes. */
export function plain(frame: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (frame ?? '').replace(/\u001b\[[0-9;]*m/g, '');
}

export const tick = (ms = 20) => new Promise<void>((r) => setTimeout(r, ms));

/** A wide plan mid-data: twelve tables, two copying, so the table list must cap. */
export function manyTables(): DashboardModel {
  const names = Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`);
  const b = new LogBuilder('run_many_01').started(names.map((n, i) => plannedTable(n, 1000 * (12 - i))));
  b.phase('preflight', 100).phase('schema').schema().phaseDone('schema', 100).phase('data');
  for (const n of names.slice(0, 3)) {
    const r = keyBatches(1, 100_000);
    b.tableStarted(n, r, 1000, 1000).batch(n, 0, r[0]!, 1000).tableDone(n, 1000);
  }
  for (const [w, n] of names.slice(3, 5).entries()) {
    const r = keyBatches(4, 250);
    b.tableStarted(n, r, 1000).batch(n, 0, r[0]!, 250, w);
  }
  const now = after(b, 1000);
  return model([runView(b.build(), HOLDER, now)], now);
}

export const T_EMPTY = Date.parse('2026-11-28T12:00:00.000Z');
