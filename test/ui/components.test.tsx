// Each presentational component over named folded states: Given a state, When rendered, Then this text shows.
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { EventLog } from '../../src/ui/components/EventLog.js';
import { KeyHelp } from '../../src/ui/components/KeyHelp.js';
import { RunDetail } from '../../src/ui/components/RunDetail.js';
import { RunList } from '../../src/ui/components/RunList.js';
import { StoppedAlert } from '../../src/ui/components/StoppedAlert.js';
import { WipeConfirm } from '../../src/ui/components/WipeConfirm.js';
import type { DashboardModel } from '../../src/ui/model.js';
import * as S from './states.js';
import { keyBatches, LogBuilder, plannedTable, table } from '../fixtures/events.js';

afterEach(() => cleanup());

function detail(m: DashboardModel, height = 20) {
  const run = m.runs[0]!;
  const samples = m.samples[run.state.runId] ?? [];
  return S.plain(
    render(<RunDetail run={run} now={m.now} samples={samples} liveCopies={m.liveCopies} notes={m.notes} width={80} height={height} tableCap={8} />).lastFrame(),
  );
}

const alert = (m: DashboardModel) => S.plain(render(<StoppedAlert run={m.runs[0]!} now={m.now} width={80} />).lastFrame());

describe('RunList', () => {
  it('Given an interrupted run above a finished one, Then each shows its badge, age and progress, the selected one marked', () => {
    const m = S.interrupted();
    const frame = S.plain(render(<RunList runs={m.runs} selectedRunId="run_seed_29pct" now={m.now} width={80} maxRows={3} />).lastFrame());
    const [first, second] = frame.split('\n');
    // issue 12: the run's percentage is the totals line's (bytes), not rows of a mostly unknown total
    expect(first).toBe('▶ run_seed_29pct   interrupted  12m16s ago  data 2 % · 87 kB/~4.3 MB');
    expect(second).toBe('  run_finished_01  finished     12m16s ago  took 9.0s · verify passed');
  });

  it('Given more runs than rows, Then the list says how many are hidden', () => {
    const m = S.interrupted();
    const runs = [...m.runs, ...S.wiped().runs, ...S.failed().runs, ...S.finished().runs];
    const frame = S.plain(render(<RunList runs={runs} selectedRunId="run_seed_29pct" now={m.now} width={80} maxRows={3} />).lastFrame());
    expect(frame.split('\n')).toHaveLength(3);
    expect(frame).toContain('… 3 more runs (↑/↓)');
  });

  it('Given a wiped run, Then it shows the run it restarted as', () => {
    const m = S.wiped();
    const frame = S.plain(render(<RunList runs={m.runs} selectedRunId={null} now={m.now} width={80} maxRows={3} />).lastFrame());
    expect(frame).toContain('wiped');
    expect(frame).toContain('restarted as run_restart_02');
  });
});

describe('StoppedAlert', () => {
  it('Given the seed interrupted at 29 %, Then it says where it stopped and lists R, W, L and Q', () => {
    const frame = alert(S.interrupted());
    expect(frame).toContain('Interrupted in data at public.storyboard_panels — 707 / 2,430 rows (29 %)');
    expect(frame).toContain("Last event 12 min 0 s ago (a batch copied); no process holds the run's lock.");
    expect(frame).toContain('R resume · W wipe and restart · L event log · Q quit');
  });

  it('Given a stalled run, Then it names the lock holder and how long it has been silent, and offers no resume', () => {
    const frame = alert(S.stalled());
    expect(frame).toContain('Stalled in data at public.storyboard_panels — 707 / 2,430 rows (29 %)');
    expect(frame).toContain('Held by pid 4242 on bastion (backend pid 31337), silent for 5 min 0 s.');
    expect(frame).toContain('R / W need the lock: stop that process first · L event log · Q quit');
    expect(frame).not.toContain('R resume');
  });

  it('Given a failed run, Then it says where it failed', () => {
    expect(alert(S.failed())).toContain('Failed in data at public.storyboard_panels — 707 / 2,430 rows (29 %)');
  });

  it('Given a running, finished or wiped run, Then there is no alert', () => {
    expect(alert(S.runningMidData())).toBe('');
    expect(alert(S.finished())).toBe('');
    expect(alert(S.wiped())).toBe('');
  });
});

describe('RunDetail', () => {
  it('Given a run mid-data, Then it shows phases, bars in flight first, workers, rates and an ETA with its rate', () => {
    const frame = detail(S.runningMidData());
    expect(frame).toContain('✓ preflight 900ms  ✓ schema 300ms  ▸ data 14s  post-data  sequences  verify');
    expect(frame).toContain('Data 30 % · 132 kB / ~432 kB · 1,317 / ~4,390 rows · tables 2/4 · post-data 0/3');
    expect(frame).toContain('Rate: 120 rows/s, 12 kB/s over 10 s · ETA 25 s at 12 kB/s');
    const rows = frame.split('\n').filter((l) => l.includes('public.'));
    expect(rows[0]).toBe('▸ public.assets            ██░░░░░░░  25 %   450 / ~1,800 rows   45 kB / ~180 kB');
    // bytes of a table in flight: bytes per committed batch × its batches (3 of 10 in, 70.7 kB)
    expect(rows[1]).toBe('▸ public.storyboard_panels ███░░░░░░  29 %    707 / 2,430 rows   71 kB / ~236 kB');
    expect(rows[2]).toContain('✓ public.projects');
    expect(frame).toContain('Workers: w0 public.storyboard_panels · w1 public.assets');
    expect(frame).toContain('COPY in flight: public.storyboard_panels 200 rows 20 kB');
    expect(frame).toContain('batch 3 of public.storyboard_panels on worker 0');
  });

  it('Given a run with no rate samples yet, Then it says it is measuring rather than guessing an ETA', () => {
    const frame = detail({ ...S.runningMidData(), samples: {} });
    expect(frame).toContain('Rate: measuring… (no ETA until there is a rate)');
  });

  it('Given a stalled run, Then the rate line says how long nothing was logged', () => {
    expect(detail(S.stalled())).toContain('Rate: no new event for 5 min 0 s');
  });

  it('Given a failed run with two retries, Then both retries and the last error in full are shown, and the lost snapshot', () => {
    const frame = detail(S.failed());
    expect(frame).toContain('Retries: 2');
    expect(frame).toContain('#1 data 57P01 after 500 ms: terminating connection');
    expect(frame).toContain('#2 data 57P01 after 1.0 s: terminating connection due to administrator command');
    expect(frame).toContain('Last error (2026-11-28 10:00:19 UTC, transient):');
    expect(frame).toContain('could not connect to the target: connection refused by 10.0.0.7:5432');
    expect(frame).toContain('New source snapshot after a break: rows copied before and after it were read at');
    expect(frame).toContain('■ data 13s');
  });

  it('Given a last error longer than the screen is wide, Then it wraps instead of being cut', () => {
    const m = S.failed();
    const run = m.runs[0]!;
    const message = `${'could not write block 123456 of relation base/16384/24576: No space left on device '.repeat(2)}HINT: check free disk space.`;
    const lastError = { ...run.state.lastError!, message };
    const frame = detail({ ...m, runs: [{ ...run, state: { ...run.state, lastError } }] }, 30);
    expect(frame.split('\n').join(' ').replace(/\s+/g, ' ')).toContain(message.replace(/\s+/g, ' ').trim());
  });

  it('Given a finished run, Then every phase has its duration and the outcome line says verification passed', () => {
    const frame = detail(S.finished());
    expect(frame).toContain('✓ preflight 900ms  ✓ schema 300ms  ✓ data 4.0s');
    expect(frame).toContain('✓ post-data 200ms');
    expect(frame).toContain('✓ large-objects 5ms  ✓ sequences 10ms  ✓ verify 100ms');
    expect(frame).toContain('Finished 2026-11-28 10:00:36 UTC in 9.0 s — verification passed');
  });

  it('Given a wiped run, Then it says what was dropped and what it restarted as', () => {
    expect(detail(S.wiped())).toContain('Wiped 2026-11-28 11:00:17 UTC: 1 object dropped; restarted as run_restart_02');
  });

  it('Given more tables than fit, Then the list is capped with a count of the rest', () => {
    const frame = detail(S.manyTables(), 14);
    const tableRows = frame.split('\n').filter((l) => /public\.t\d\d/.test(l));
    expect(tableRows.length).toBeLessThanOrEqual(8);
    expect(frame).toMatch(/… \d+ more tables \(\d+ pending, 3 copied\)/);
  });
});

describe('WipeConfirm', () => {
  it('Given the interrupted seed, Then it lists the object to drop and how to answer', () => {
    const m = S.interrupted();
    const frame = S.plain(render(<WipeConfirm run={m.runs[0]!} width={80} maxRows={10} />).lastFrame());
    expect(frame).toContain('Wipe run run_seed_29pct and restart it?');
    expect(frame).toContain('It drops from staging@db.example.internal:5433, with CASCADE, the 1 object it');
    expect(frame).toContain('created:');
    expect(frame).toContain('  table public.storyboard_panels');
    expect(frame).toContain('press y to wipe and restart, n to cancel');
  });

  it('Given more objects than rows, Then it caps the list with "… and N more"', () => {
    const m = S.interrupted();
    const run = m.runs[0]!;
    const objects = Array.from({ length: 25 }, (_, i) => ({ kind: 'table', identity: `public.t${String(i).padStart(2, '0')}` }));
    const frame = S.plain(render(<WipeConfirm run={{ ...run, state: { ...run.state, schemaObjects: objects } }} width={80} maxRows={6} />).lastFrame());
    expect(frame).toContain('  table public.t04');
    expect(frame).not.toContain('public.t05');
    expect(frame).toContain('  … and 20 more');
  });
});

describe('EventLog', () => {
  it('Given the seed log, Then the newest events show with their time and a one-line detail', () => {
    const m = S.interrupted();
    const frame = S.plain(render(<EventLog run={m.runs[0]!} scroll={0} rows={5} width={80} />).lastFrame());
    const lines = frame.split('\n');
    expect(lines[0]).toBe('Event log — run_seed_29pct · events 13–17 of 17');
    expect(lines[1]).toBe('10:00:12 data: public.projects copied — 120 rows, 12 kB');
    expect(lines[5]).toBe('10:00:16 data: public.storyboard_panels batch 2: 207 rows, 21 kB in 250 ms (w0)');
  });

  it('Given a scroll back to the start, Then the first events show, RunStarted told by the plain printer', () => {
    const m = S.interrupted();
    const frame = S.plain(render(<EventLog run={m.runs[0]!} scroll={99} rows={3} width={120} />).lastFrame());
    expect(frame).toContain('events 1–3 of 17');
    expect(frame).toContain('10:00:00 run run_seed_29pct: prod@db.example.internal:5432 → staging@db.example.internal:5433; 4 tables');
    expect(frame).toContain('10:00:01 preflight: started');
  });
});

describe('KeyHelp', () => {
  it('lists the keys that work for the selected run', () => {
    const frame = S.plain(
      render(
        <KeyHelp mode="watch" view="runs" confirming={false} actions={{ resume: true, wipe: true, cutover: false, blocked: null }} width={80} />,
      ).lastFrame(),
    );
    expect(frame).toBe('↑/↓ select · R resume · W wipe · L event log · Q quit');
  });

  it('adds the replay keys in replay and drops resume and wipe', () => {
    const frame = S.plain(
      render(
        <KeyHelp mode="replay" view="runs" confirming={false} actions={{ resume: true, wipe: true, cutover: false, blocked: null }} width={80} />,
      ).lastFrame(),
    );
    expect(frame).toBe('↑/↓ select · L event log · Q quit\nspace pause/play · ←/→ step · +/- speed');
  });
});

describe('RunDetail and the catalog', () => {
  it('Given a COPY of a table outside the run, Then it is not shown as the run’s', () => {
    const m = S.runningMidData();
    const frame = detail({ ...m, liveCopies: [{ table: 'other.audit_log', bytesProcessed: 1, tuplesProcessed: 1 }] });
    expect(frame).not.toContain('COPY in flight');
    expect(frame).not.toContain('audit_log');
  });
});

describe('RunDetail: tables read across a break', () => {
  /** two tables whose batches straddle two resumes, a third read wholly after them */
  function acrossTwo(opts: { catchUp: boolean; catchUpOff?: string }): LogBuilder {
    const r = keyBatches(3, 100);
    const b = new LogBuilder('run_across_01').started(
      [plannedTable('storyboard_panels', 300), plannedTable('assets', 300), plannedTable('projects', 100)],
      [],
      opts,
    );
    if (opts.catchUp)
      b.add({
        type: 'CatchUpPrepared',
        slot: 'pgclone_run_across_01',
        publication: 'pgclone_run_across_01',
        plugin: 'pgoutput',
        consistentLsn: '0/1500000',
        tables: [
          { table: table('storyboard_panels'), key: ['id'] },
          { table: table('assets'), key: ['id'] },
          { table: table('projects'), key: ['id'] },
        ],
        excluded: [],
      });
    b.phase('preflight').phaseDone('preflight', 900).phase('schema').schema().phaseDone('schema', 300).phase('data');
    b.tableStarted('storyboard_panels', r, 300).tableStarted('assets', r, 300);
    b.batch('storyboard_panels', 0, r[0]!, 100).batch('assets', 0, r[0]!, 100);
    b.resumed().batch('storyboard_panels', 1, r[1]!, 100);
    b.resumed().batch('storyboard_panels', 2, r[2]!, 100).batch('assets', 1, r[1]!, 100).batch('assets', 2, r[2]!, 100);
    const one = keyBatches(1, 100);
    return b.tableStarted('projects', one, 100).batch('projects', 0, one[0]!, 100).add({ type: 'RunSuspended', phase: 'data', reason: 'the time limit' });
  }
  const frameOf = (b: LogBuilder) => {
    const now = b.now.getTime() + 60_000;
    return detail(S.model([S.runView(b.build(), null, now)], now), 30);
  };

  it('Given catch-up off, Then one warning names the tables read across the breaks and --verify checksum, wrapped at 80 columns', () => {
    const frame = frameOf(acrossTwo({ catchUp: false, catchUpOff: 'the source has wal_level = replica, not logical' }));
    expect(frame).toContain('Catch-up off: the source has wal_level = replica, not logical — not exact across');
    const joined = frame.split('\n').join(' ').replace(/\s+/g, ' ');
    expect(joined).toContain(
      'Read across 2 breaks without catch-up: public.storyboard_panels, public.assets — not exact if the source changed; check with --verify checksum',
    );
    expect(joined).not.toMatch(/Read across[^—]*public\.projects/);
    // the precise line replaces the general one about a new snapshot
    expect(frame).not.toContain('New source snapshot after a break');
    for (const l of frame.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('Given catch-up on, Then the same tables are said to be kept exact by it, with no advice to check', () => {
    const frame = frameOf(acrossTwo({ catchUp: true }));
    const joined = frame.split('\n').join(' ').replace(/\s+/g, ' ');
    expect(joined).toContain('Read across 2 breaks: public.storyboard_panels, public.assets — kept exact by catch-up');
    expect(joined).not.toContain('--verify checksum');
    expect(joined).toContain('Catch-up: slot pgclone_run_across_01');
  });
});
