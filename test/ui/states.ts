// Named dashboard states folded from the shared stories, with the clock and the lock holder given explicitly.
import { classifyRun, foldRun, type LockHolder, type LoggedEvent } from '../../src/events/index.js';
import type { DashboardModel, RunView } from '../../src/ui/model.js';
import type { Sample } from '../../src/ui/progress.js';
import { keyBatches, LogBuilder, plannedTable, postItem } from '../fixtures/events.js';
import { failedWithRetries, finishedRun, interruptedAt29, seedPlan, wipedRun } from '../fixtures/stories.js';

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

/**
 * The demo's story: data ran 5 s, the function hit its time limit (RunSuspended), 20 s passed, the run was resumed,
 * and one second later a batch landed. Samples span the pause, as a live feed's wall-clock polls do.
 */
export function resumedAfterPause(): DashboardModel {
  const plan = {
    tables: [plannedTable('orders_2025_01', 3000, 3_000_000), plannedTable('orders_2025_02', 3000, 3_000_000), plannedTable('orders_2025_03', 3000, 3_000_000)],
    postData: [postItem('201', 'orders_2025_01_pkey', 'constraint', 'orders_2025_01')],
  };
  const b = new LogBuilder('run_resumed_01').started(plan.tables, plan.postData);
  b.phase('preflight').phaseDone('preflight', 900);
  b.phase('schema').schema().phaseDone('schema', 300);
  b.phase('data');
  const r = keyBatches(10, 300);
  b.tableStarted('orders_2025_01', r, 3000, 3000);
  for (let i = 0; i < 3; i++) b.batch('orders_2025_01', i, r[i]!, 300);
  b.add({ type: 'RunSuspended', phase: 'data', reason: 'the function hit its time limit' });
  b.wait(19_000);
  b.add({
    type: 'RunResumed',
    operator: { user: 'ops', host: 'bastion', pid: 5151 },
    toolVersion: '0.1.0',
    fromPhase: 'data',
    source: { host: 'db.example.internal', port: 5432, database: 'prod', user: 'cloner', serverVersion: '15.8', fingerprint: 'fp-prod' },
    snapshotLost: true,
  });
  b.batch('orders_2025_01', 3, r[3]!, 300);
  const events = b.build();
  const at = (i: number) => Date.parse(events[i]!.at);
  const idx = (type: string) => events.findIndex((e) => e.type === type);
  const now = at(events.length - 1) + 1000;
  const run = runView(events, HOLDER, now);
  // polls every second: rows grow until the suspension, stand still through the pause, grow again after the resume
  const samples: Sample[] = [];
  let rows = 0;
  for (let t = at(idx('PhaseStarted') + 4); t <= now; t += 1000) {
    rows = events.filter((e) => e.type === 'BatchCopied' && Date.parse(e.at) <= t).reduce((n, e) => n + (e.type === 'BatchCopied' ? e.rows : 0), 0);
    samples.push({ at: t, rows, bytes: rows * 100 });
  }
  return model([run], now, { samples: { [run.state.runId]: samples.slice(-26) }, mode: 'watch' });
}

/** Data is in; post-data is at 1 of 3 items, an index build in flight; a stale COPY of a copied table is still in the catalog read. */
export function postDataInFlight(): DashboardModel {
  const plan = seedPlan();
  const b = new LogBuilder('run_postdata_01').started(plan.tables, plan.postData);
  b.phase('preflight').phaseDone('preflight', 900);
  b.phase('schema').schema().phaseDone('schema', 300);
  b.phase('data');
  for (const [name, rows] of [
    ['storyboard_panels', 2430],
    ['assets', 1800],
    ['projects', 120],
    ['users', 0],
  ] as const) {
    const r = keyBatches(1, 10_000);
    b.tableStarted(name, r, rows, rows).batch(name, 0, r[0]!, rows).tableDone(name, rows);
  }
  b.phaseDone('data', 4000);
  b.phase('post-data');
  b.add({ type: 'PostDataItemApplied', itemId: '101', kind: 'constraint', name: 'storyboard_panels_pkey', durationMs: 4000, worker: 0 });
  const now = b.now.getTime() + 1000;
  const run = runView(b.build(), HOLDER, now);
  return model([run], now, {
    liveCopies: [{ table: 'public.storyboard_panels', bytesProcessed: 243_000, tuplesProcessed: 2430 }],
    liveIndexes: [
      {
        table: 'public.storyboard_panels',
        index: null,
        command: 'CREATE INDEX',
        phase: 'building index: scanning table',
        blocksDone: 120,
        blocksTotal: 300,
        tuplesDone: 0,
        tuplesTotal: 0,
      },
    ],
  });
}

/** Finished, but verification found public.assets short by 3 rows: every phase ran. */
export function mismatched(): DashboardModel {
  const plan = seedPlan();
  const b = new LogBuilder('run_mismatch_01').started(plan.tables, plan.postData);
  b.phase('preflight').phaseDone('preflight', 900);
  b.phase('schema').schema().phaseDone('schema', 300);
  b.phase('data');
  const sizes = [
    ['storyboard_panels', 2430],
    ['assets', 1800],
    ['projects', 120],
    ['users', 40],
  ] as const;
  for (const [name, rows] of sizes) {
    const r = keyBatches(1, 10_000);
    b.tableStarted(name, r, rows, rows).batch(name, 0, r[0]!, rows).tableDone(name, rows);
  }
  b.phaseDone('data', 4000);
  b.phase('post-data');
  for (const item of plan.postData) b.add({ type: 'PostDataItemApplied', itemId: item.id, kind: item.kind, name: item.name, durationMs: 40, worker: 0 });
  b.phaseDone('post-data', 200);
  b.phase('sequences').add({ type: 'SequencesSynced', count: 3, durationMs: 10 }).phaseDone('sequences', 10);
  b.phase('verify');
  // plan order is largest first; the bad table is the second of four, so a short list would fold it away
  for (const [name, rows] of sizes) {
    const targetRows = name === 'assets' ? rows - 3 : rows;
    b.add({
      type: 'TableVerified',
      table: { schema: 'public', name },
      sourceRows: rows,
      targetRows,
      sourceChecksum: null,
      targetChecksum: null,
      match: targetRows === rows,
    });
  }
  b.phaseDone('verify', 100);
  b.add({ type: 'RunFinished', durationMs: 9000, totals: { tables: 4, rows: 4387, bytes: 438_700, postDataItems: 3, sequences: 3 }, verification: 'mismatch' });
  const now = after(b, 60_000);
  return model([runView(b.build(), null, now)], now);
}
