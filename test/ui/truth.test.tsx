// Issue 12, "what an operator sees must be true": no stale or wrong number, no hidden bad result — over folded states.
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { foldRun } from '../../src/events/index.js';
import { App } from '../../src/ui/App.js';
import { RunDetail } from '../../src/ui/components/RunDetail.js';
import { howFar, RunList } from '../../src/ui/components/RunList.js';
import { alertText } from '../../src/ui/components/StoppedAlert.js';
import { tableRowText } from '../../src/ui/components/TableProgress.js';
import { eventText } from '../../src/ui/event-text.js';
import type { DashboardModel } from '../../src/ui/model.js';
import { progressLine } from '../../src/ui/plain.js';
// namespace imports: against code without a helper, only the tests that use it fail (not the whole file)
import * as P from '../../src/ui/progress.js';
import { formatDuration } from '../../src/ui/format.js';
import * as T from '../../src/ui/text.js';
import { identity, keyBatches, LogBuilder, plannedTable, T0 } from '../fixtures/events.js';
import { finishedRun } from '../fixtures/stories.js';
import * as S from './states.js';

afterEach(() => cleanup());

const noop = () => undefined;
const app = (m: DashboardModel, width = 80, height = 23) =>
  S.plain(render(<App model={m} onResume={noop} onWipeRestart={noop} onQuit={noop} width={width} height={height} />).lastFrame());

function detail(m: DashboardModel, width = 80, height = 30) {
  const run = m.runs[0]!;
  return S.plain(
    render(
      <RunDetail
        run={run}
        now={m.now}
        samples={m.samples[run.state.runId] ?? []}
        liveCopies={m.liveCopies}
        liveIndexes={m.liveIndexes}
        notes={m.notes}
        width={width}
        height={height}
        tableCap={8}
      />,
    ).lastFrame(),
  );
}

describe('1. rates, ETA and durations count work time, not the time a run was stopped', () => {
  it('Given samples over 25 s that span a 20 s pause, Then the rate rests on the 5 s of work', () => {
    const m = S.resumedAfterPause();
    const run = m.runs[0]!;
    const r = P.rates(m.samples[run.state.runId]!, run.state.pauses);
    expect(r.windowMs).toBe(5000);
    // 300 rows went in during the window's work time (the batch after the resume; the rest were before it)
    expect(r.rowsPerSec).toBeCloseTo((m.samples[run.state.runId]!.at(-1)!.rows - m.samples[run.state.runId]![0]!.rows) / 5);
    const frame = detail(m);
    expect(frame).toMatch(/Rate: [\d,]+ rows\/s, [\d.]+ kB\/s over 5\.0 s of work · ETA/);
    expect(frame).not.toContain('over 25 s');
  });

  it('Given a run resumed after a 20 s pause in data, Then the data phase shows its work time and the pause is told apart', () => {
    const frame = detail(S.resumedAfterPause());
    // PhaseStarted data at 10:00:06; now 10:00:33; stopped 10:00:11 → 10:00:31
    expect(frame).toContain('▸ data 7.0s');
    expect(frame).toContain('stopped 20 s in all (not counted in durations)');
  });

  it('Given a run killed, stopped 15 s and resumed to its finish, Then RunFinished says work and elapsed time apart', () => {
    const b = new LogBuilder('run_paused_fin').started([plannedTable('t', 10)]);
    b.phase('preflight', 100).phase('schema').schema().phaseDone('schema', 100).phase('data');
    const r = keyBatches(1, 100);
    b.tableStarted('t', r, 10, 10).batch('t', 0, r[0]!, 10).tableDone('t', 10).phaseDone('data', 3000);
    const stoppedAt = new Date(b.now.getTime() - 1000).toISOString();
    // killed here: nothing for 15 s (16 s from the last event), then a resume
    b.wait(15_000).add({
      type: 'RunResumed',
      operator: { user: 'ops', host: 'bastion', pid: 2 },
      toolVersion: '0.1.0',
      fromPhase: 'post-data',
      source: identity('prod'),
      snapshotLost: true,
    });
    b.phase('post-data', 100).phase('sequences', 10).phase('verify', 10);
    const elapsed = b.now.getTime() - T0;
    b.add({ type: 'RunFinished', durationMs: elapsed, totals: { tables: 1, rows: 10, bytes: 1000, postDataItems: 0, sequences: 0 }, verification: 'passed' });
    const events = b.build();
    const state = foldRun(events);
    expect(state.pauses).toEqual([{ from: stoppedAt, to: events.find((e) => e.type === 'RunResumed')!.at }]);
    // the data phase was not stopped: its line is as it was; post-data began after the resume
    const dataDone = events.find((e) => e.type === 'PhaseCompleted' && e.phase === 'data')!;
    expect(eventText(dataDone, foldRun(events.slice(0, events.indexOf(dataDone) + 1)))).toBe('data: done in 3.0 s');
    expect(eventText(events.at(-1)!, state)).toMatch(new RegExp(`^finished in ${(elapsed - 16_000) / 1000} s of work \\(${elapsed / 1000} s elapsed\\): `));
  });
});

describe('2. no stale COPY in flight', () => {
  it('Given post-data, with a COPY of a table the log says is copied still in the last catalog read, Then no COPY is shown', () => {
    const frame = detail(S.postDataInFlight());
    expect(frame).not.toContain('COPY in flight');
  });

  it('Given a COPY read before its table gained a batch in the log, Then it is not shown; one read after is', () => {
    const m = S.runningMidData();
    const before = m.runs[0]!.state;
    const copy = { table: 'public.storyboard_panels', bytesProcessed: 20_000, tuplesProcessed: 200 };
    const [seen] = P.stampCopies([copy], [before]);
    expect(seen!.batchesLogged).toBe(3);
    expect(P.copiesInFlight(before, [seen!])).toHaveLength(1);
    // the batch that COPY was writing lands in the log before the catalog is read again
    const t = before.tables['"public"."storyboard_panels"']!;
    const later = { ...before, tables: { ...before.tables, [t.key]: { ...t, batchesDone: [0, 1, 2, 3] } } };
    expect(P.copiesInFlight(later, [seen!])).toEqual([]);
    expect(detail({ ...m, runs: [{ ...m.runs[0]!, state: later }], liveCopies: [seen!] })).not.toContain('COPY in flight');
  });
});

describe('3. one headline percentage, of bytes, with estimates corrected by what batches measured', () => {
  it('Given a table in flight whose estimate is far off, Then its total is bytes per committed batch × its batches', () => {
    const r = keyBatches(10, 100);
    // pg_table_size said 1 GB; three batches of 1 MB each landed
    const b = new LogBuilder('run_est').started([plannedTable('big', 1000, 1e9), plannedTable('small', 10, 1000)]);
    b.phase('data').add({
      type: 'TableStarted',
      table: { schema: 'public', name: 'big' },
      strategy: 'keyset',
      estRows: 1000,
      estBytes: 1e9,
      exactRows: null,
      batches: r,
    });
    for (let i = 0; i < 3; i++)
      b.add({ type: 'BatchCopied', table: { schema: 'public', name: 'big' }, batch: i, range: r[i]!, rows: 100, bytes: 1e6, durationMs: 10, worker: 0 });
    const t = P.totals(foldRun(b.build()));
    expect(t.bytesTotal).toBe(10e6 + 1000);
    expect(t.percent).toBe(29);
    expect(t.bytesExact).toBe(false);
  });

  it('Given the demo-like mid-data state, Then the runs list, the totals line and the plain line say the same percentage', () => {
    const m = S.runningMidData();
    const run = m.runs[0]!;
    const pct = P.totals(run.state).percent;
    expect(pct).toBe(30);
    expect(howFar(run.state, run.liveness)).toMatch(new RegExp(`^data ${pct} % · `));
    expect(detail(m)).toContain(`Data ${pct} % · `);
    expect(progressLine(run.state, [])).toMatch(new RegExp(`^data: ${pct} % — `));
    expect(detail(m)).not.toMatch(/\(\d+ %\)/);
  });

  it('Given every table copied, Then the estimate is gone: 100 %, the real bytes, no "~"', () => {
    const t = P.totals(S.finished().runs[0]!.state);
    expect(t.percent).toBe(100);
    expect(t.bytesExact).toBe(true);
    expect(detail(S.finished())).toContain('Data 100 % · 439 kB / 439 kB · 4,390 / 4,390 rows');
  });
});

describe('4. a failed verification looks different everywhere', () => {
  it('Given a run whose verification found a table short, Then the runs list says mismatched and verify FAILED', () => {
    const m = S.mismatched();
    const frame = S.plain(render(<RunList runs={m.runs} selectedRunId={null} now={m.now} width={80} maxRows={3} />).lastFrame());
    expect(frame).toMatch(/run_mismatch_01\s+mismatched\s+.*took 9\.0s · verify FAILED/);
  });

  it('Given it, Then the detail marks verify ✗, lists the bad table first and marked even when the list is cut, and says what to do', () => {
    const frame = detail(S.mismatched(), 80, 12);
    expect(frame).toContain('✗ verify 100ms');
    expect(frame).not.toContain('✓ verify');
    const tableRows = frame.split('\n').filter((l) => /^[▸·✓✗] public\./.test(l));
    expect(tableRows[0]).toMatch(/^✗ public\.assets .* 1,800 \/ 1,800 rows +≠ target 1,797$/);
    expect(frame).toContain('VERIFICATION FAILED: 1 table differs');
  });

  it('Given it, Then the alert names the table and its counts, and the frame at 80 × 24 shows them', () => {
    const a = alertText(S.mismatched().runs[0]!, S.mismatched().now)!;
    expect(a.headline).toBe('Verification FAILED: 1 table differs — public.assets (source 1,800 rows, target 1,797)');
    expect(a.detail).toContain('pgclone resume will not help');
    expect(a.detail).toContain('--verify checksum');
    expect(a.detail).toContain("pgclone wipe run_mismatch_01 --target 'postgresql://cloner@db.example.internal:5433/staging' --restart");
    expect(a.keys).toBe('W wipe and restart · L event log · Q quit');
    const frame = app(S.mismatched());
    expect(frame).toContain('Verification FAILED: 1 table differs — public.assets (source 1,800 rows, target');
    expect(frame).toContain('mismatched');
  });
});

describe('5. widths', () => {
  it('Given a long message at 80 columns, Then it wraps at word boundaries and no line is longer', () => {
    const text = 'could not write block 123456 of relation base/16384/24576: No space left on device HINT: check free disk space and try again';
    const lines = T.wrapWords(text, 80);
    expect(lines.join(' ')).toBe(text);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[0]!.endsWith(' ')).toBe(false);
    expect(text.split(' ')).toContain(lines[0]!.split(' ').at(-1));
  });

  it('Given a 22-character run id at 80 columns, Then the runs list shows how far the run got uncut', () => {
    const m = S.runningMidData();
    const run = m.runs[0]!;
    const long = { ...run, state: { ...run.state, runId: 'xcKe3aaxqlC44VEUL7uT6q' } };
    const frame = S.plain(render(<RunList runs={[long]} selectedRunId={null} now={m.now} width={80} maxRows={3} />).lastFrame());
    expect(frame).toContain(howFar(long.state, long.liveness));
    expect(frame).not.toContain('…');
  });

  it('Given big numbers at 80 columns, Then the totals keep the post-data count (on a second line if need be)', () => {
    const m = S.runningMidData();
    const run = m.runs[0]!;
    const big = { ...run.state, rowsDone: 1_234_567_890, bytesDone: 987_654_321_000 };
    const frame = detail({ ...m, runs: [{ ...run, state: big }] });
    expect(frame).toContain('post-data 0/3');
    for (const l of frame.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('Given partitions at 60 columns, Then their names keep the tail that tells them apart', () => {
    const frame = app(S.resumedAfterPause(), 60, 23);
    const names = frame.split('\n').filter((l) => /^[▸·✓] /.test(l));
    expect(names.some((l) => l.includes('_2025_01'))).toBe(true);
    expect(names.some((l) => l.includes('_2025_02'))).toBe(true);
    expect(names.some((l) => l.includes('_2025_03'))).toBe(true);
    for (const l of frame.split('\n')) expect(l.length).toBeLessThanOrEqual(60);
    // narrower still, the name is cut in the middle: the partition's suffix stays
    const narrow = tableRowText(S.resumedAfterPause().runs[0]!.state.tables['"public"."orders_2025_03"']!, 50, 21);
    expect(narrow.name.trim()).toBe('public.…2025_03');
  });

  it('Given 160 columns, Then the bars take the width: no row is half padding', () => {
    const frame = app(S.runningMidData(), 160, 40);
    const rows = frame.split('\n').filter((l) => /^[▸·✓] public\./.test(l));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.length).toBeGreaterThanOrEqual(150);
    expect(frame).toMatch(/[█░]{80}/);
  });
});

describe('6. post-data and verify are not black boxes', () => {
  it('Given post-data with an index build in flight, Then it shows the item, its phase and progress, and an ETA from measured item durations', () => {
    const m = S.postDataInFlight();
    const frame = detail(m);
    expect(frame).toContain('Building storyboard_panels_project_idx · scanning table');
    expect(frame).toContain('blocks 40 % (120 / 300)');
    expect(frame).toContain('Post-data 1/3: ETA 4.0 s · 2 items left, 4.0 s each as measured, 2 at a time');
    expect(P.postDataEta(m.runs[0]!.state, formatDuration)?.ms).toBe(4000);
  });

  it('Given verify part way, Then its ETA rests on the rows counted per second so far', () => {
    const b = finishedRun('run_verifying').build();
    const cut = b.findIndex((e) => e.type === 'TableVerified') + 2;
    const state = foldRun(b.slice(0, cut));
    const eta = P.verifyEta(state, (x) => `${Math.round(x)} rows/s`);
    expect(eta).not.toBeNull();
    // two tables (2,430 + 1,800 rows, both sides) counted in the 2 s from PhaseStarted verify to the second TableVerified
    expect(eta!.rowsPerSec).toBeCloseTo((2 * (2430 + 1800)) / 2);
    expect(eta!.basis).toBe('2 tables left at 4230 rows/s counted');
    const now = Date.parse(b[cut - 1]!.at) + 500;
    const frame = detail(S.model([S.runView(b.slice(0, cut), S.HOLDER, now)], now));
    expect(frame).toMatch(/Verify 2\/4 tables: ETA \d+ ms · 2 tables left/);
  });

  it('Given every table counted while verify still runs, Then it says so, not "no ETA until a table is counted"', () => {
    const b = finishedRun('run_counted').build();
    const cut = b.findLastIndex((e) => e.type === 'TableVerified') + 1;
    const frame = detail(S.model([S.runView(b.slice(0, cut), S.HOLDER, Date.parse(b[cut - 1]!.at) + 500)], Date.parse(b[cut - 1]!.at) + 500));
    expect(frame).toMatch(/Verify 4\/4 tables: every table counted; the last checks run/);
    expect(frame).not.toContain('no ETA until a table is counted');
  });
});

describe('7. notes that are neither alarming nor stale', () => {
  it('Given a resumed run, Then the table read across the break is named with what to do, not alarmed about', () => {
    const frame = detail(S.resumedAfterPause());
    expect(frame).not.toContain('!');
    expect(frame).toContain('Read across 1 break without catch-up: public.orders_2025_01 — not exact if the');
    expect(frame).toContain('source changed; check with --verify checksum');
  });

  it('Given the note "run X: suspended" from before a resume, Then it is not shown while the run is running again', () => {
    const m = S.resumedAfterPause();
    const frame = detail({ ...m, notes: ['run run_resumed_01: suspended', 'batch 4 of public.orders_2025_01'] });
    expect(frame).not.toContain('suspended');
    expect(frame).toContain('batch 4 of public.orders_2025_01');
  });

  it('Given the interrupted seed, Then no event type name is shown to people', () => {
    const frame = app(S.interrupted());
    expect(frame).not.toMatch(/BatchCopied|RunSuspended|RunResumed|TableVerified/);
  });

  it('Given an empty table that is copied, Then it is 100 % and done', () => {
    const row = tableRowText(S.postDataInFlight().runs[0]!.state.tables['"public"."users"']!, 80);
    expect(row.rest).toMatch(/^ 100 % /);
    expect(row.bar).toMatch(/^█+$/);
  });

  it('Given the first frame of a clone, before the engine wrote its first event, Then it says starting…', () => {
    const frame = app(S.model([], S.T_EMPTY, { mode: 'engine' }));
    expect(frame).toContain('starting…');
    expect(frame).not.toContain('0 runs');
    expect(frame).not.toContain('No runs');
  });

  it('Given a run stopped in schema, Then the runs list says it stopped there, not a bare phase name', () => {
    const b = new LogBuilder('run_schema_01')
      .started([plannedTable('t', 10)])
      .phase('preflight', 100)
      .phase('schema');
    const m = S.model([S.runView(b.build(), null, b.now.getTime())], b.now.getTime());
    expect(howFar(m.runs[0]!.state, m.runs[0]!.liveness)).toBe('stopped in schema');
  });
});

describe('8. replay offers only what it honours, and says when the log ends', () => {
  it('Given a replay of an interrupted run, Then the alert offers neither R nor W', () => {
    const m = { ...S.interrupted(), mode: 'replay' as const, replay: { position: 17, total: 17, paused: false, speed: 10 } };
    const frame = app(m);
    expect(frame).toContain('Interrupted in data at public.storyboard_panels');
    expect(frame).not.toContain('R resume');
    expect(frame).not.toContain('W wipe');
  });

  it('Given a replay at its last event, Then the header says end of log', () => {
    const m = { ...S.finished(), mode: 'replay' as const, replay: { position: 40, total: 40, paused: false, speed: 2 } };
    expect(app(m)).toContain('event 40 / 40 · end of log');
  });
});

describe('1b. a phase stopped and resumed says its work time apart from its elapsed time', () => {
  it('Given data stopped 20 s part way and resumed, Then its PhaseCompleted line says the work and the elapsed time', () => {
    const b = new LogBuilder('run_paused_data').started([plannedTable('t', 20)]);
    b.phase('preflight', 100).phase('schema').schema().phaseDone('schema', 100).phase('data');
    const started = b.build().at(-1)!;
    const r = keyBatches(2, 10);
    b.tableStarted('t', r, 20, 20).batch('t', 0, r[0]!, 10);
    b.add({ type: 'RunSuspended', phase: 'data', reason: 'time limit' }).wait(19_000);
    b.add({
      type: 'RunResumed',
      operator: { user: 'ops', host: 'bastion', pid: 2 },
      toolVersion: '0.1.0',
      fromPhase: 'data',
      source: identity('prod'),
      snapshotLost: true,
    });
    b.batch('t', 1, r[1]!, 10);
    const elapsed = b.now.getTime() - Date.parse(started.at);
    b.add({ type: 'PhaseCompleted', phase: 'data', durationMs: elapsed });
    const events = b.build();
    expect(eventText(events.at(-1)!, foldRun(events))).toBe(`data: done in ${(elapsed - 20_000) / 1000}.0 s of work (${elapsed / 1000} s elapsed)`);
  });
});
