// Catch-up in the fold, given/when/then without a database: what the slot is, how far changes are applied, what a log without it means.
import { describe, expect, it } from 'vitest';
import { foldRun, MalformedEventError, nextPhase, type LoggedEvent } from '../../src/events/index.js';
import { runSummary, whereStopped } from '../../src/events/summary.js';
import { catchUpLines, phaseParts } from '../../src/ui/components/RunDetail.js';
import { eventText } from '../../src/ui/event-text.js';
import { catchUpPrepared, keyBatches, LogBuilder, plannedTable, table } from '../fixtures/events.js';

const prepared = catchUpPrepared({ excluded: [{ table: table('logs'), reason: 'no primary key and REPLICA IDENTITY DEFAULT' }] });
const applied = (lsn: string, n = 1) => ({
  type: 'ChangesApplied' as const,
  lsn,
  transactions: n,
  inserts: n,
  updates: 2 * n,
  deletes: 0,
  truncates: 0,
  skipped: 0,
  durationMs: 5,
});

/** a run with catch-up, copied, post-data done, stopped inside catch-up after one chunk */
function inCatchUp(): LogBuilder {
  const r = keyBatches(1, 100);
  return new LogBuilder()
    .started([plannedTable('t', 100), plannedTable('logs', 10, 1000, 'tid')], [], { catchUp: true })
    .add(prepared)
    .phase('preflight', 10)
    .phase('schema')
    .schema()
    .phaseDone('schema')
    .phase('data')
    .tableStarted('t', r, 100)
    .batch('t', 0, r[0]!, 100)
    .tableStarted('logs', [{ kind: 'tid', fromPage: 0, toPage: null }], 10)
    .batch('logs', 0, { kind: 'tid', fromPage: 0, toPage: null }, 10)
    .phaseDone('data')
    .phase('post-data', 10)
    .phase('large-objects', 1)
    .phase('catch-up')
    .add({ type: 'CatchUpStarted', targetLsn: '0/1600000' })
    .add(applied('0/1520240', 3));
}

describe('fold: catch-up', () => {
  it('records the slot, the tables kept exact and those left out, and how far the changes are applied', () => {
    const s = foldRun(inCatchUp().build());
    expect(s.catchUp).toMatchObject({
      slot: 'pgclone_run_fixture_0001',
      consistentLsn: '0/1500000',
      targetLsn: '0/1600000',
      appliedLsn: '0/1520240',
      transactions: 3,
      inserts: 3,
      updates: 6,
      released: null,
    });
    expect(s.catchUp?.excluded.map((x) => x.table.name)).toEqual(['logs']);
    expect(s.phase).toBe('catch-up');
    expect(nextPhase(s)).toBe('catch-up');
    expect(whereStopped(s)).toBe('catch-up — 3 source transactions applied up to 0/1520240 of 0/1600000');
  });

  it('adds up the chunks; one at or below what is applied is a change applied twice: refused naming the event', () => {
    const evs = inCatchUp().add(applied('0/1530000', 2)).build();
    expect(foldRun(evs).catchUp).toMatchObject({ appliedLsn: '0/1530000', transactions: 5, inserts: 5 });
    const twice = inCatchUp().add(applied('0/1520240')).build();
    expect(() => foldRun(twice)).toThrow(MalformedEventError);
    expect(() => foldRun(twice)).toThrow(new RegExp(`event ${twice.length}\\b.*already applied`));
    // LSNs compare as positions, not as text: 0/9 is below 0/10
    const low = inCatchUp().add(applied('0/152023F')).build();
    expect(() => foldRun(low)).toThrow(/already applied/);
  });

  it('a released slot takes no more changes; status says it is gone', () => {
    const released = inCatchUp()
      .phaseDone('catch-up')
      .add({ type: 'CatchUpReleased', dropped: ['replication slot pgclone_run_fixture_0001'], by: 'finish' });
    const s = foldRun(released.build());
    expect(s.catchUp?.released).toMatchObject({ by: 'finish', dropped: ['replication slot pgclone_run_fixture_0001'] });
    expect(runSummary(s, { state: 'interrupted', silentForMs: 0, holder: null }).catchUp).toMatchObject({ released: true, tables: 1 });
    expect(() => foldRun(released.add(applied('0/1700000')).build())).toThrow(/already released/);
  });

  it('foreign keys validated after catch-up: recorded in the state, said in the log', () => {
    expect(foldRun(inCatchUp().build()).catchUp?.constraintsValidated).toBe(false);
    const evs = inCatchUp()
      .add({ type: 'ConstraintsValidated', constraints: ['child_parent_id_fkey on public.child'], durationMs: 12 })
      .build();
    expect(foldRun(evs).catchUp?.constraintsValidated).toBe(true);
    expect(eventText(evs.at(-1) as LoggedEvent, foldRun(evs))).toBe('catch-up: 1 foreign key added NOT VALID before catch-up validated in 12 ms');
  });

  it('a slot is prepared once, and only in a run started with catch-up', () => {
    expect(() => foldRun(inCatchUp().add(prepared).build())).toThrow(/already prepared/);
    const without = new LogBuilder()
      .started([plannedTable('t', 100)])
      .add(prepared)
      .build();
    expect(() => foldRun(without)).toThrow(/without catch-up/);
    const noSlot = new LogBuilder()
      .started([plannedTable('t', 100)], [], { catchUp: true })
      .add(applied('0/1'))
      .build();
    expect(() => foldRun(noSlot)).toThrow(/no catch-up was prepared/);
  });

  it('tells each event in one line', () => {
    const evs = inCatchUp().build();
    const s = foldRun(evs);
    const text = (type: string) => eventText(evs.find((e) => e.type === type) as LoggedEvent, s);
    expect(text('CatchUpPrepared')).toMatch(
      /publication pgclone_run_fixture_0001 and replication slot pgclone_run_fixture_0001 \(pgoutput\).*1 tables kept exact, 1 left out \(public\.logs\)/,
    );
    expect(text('ChangesApplied')).toBe('catch-up: 3 source transactions applied up to 0/1520240 — 3 inserts, 6 updates, 0 deletes in 5 ms');
  });
});

describe('fold: a log without catch-up (older, or --no-catch-up) reads as before', () => {
  const done = new LogBuilder()
    .started([plannedTable('t', 100)])
    .copiedOne('t', 100)
    .phase('sequences')
    .add({ type: 'SequencesSynced', count: 0, durationMs: 1 })
    .phaseDone('sequences');

  it('has no slot, never waits for the catch-up phase, and does not show it', () => {
    const s = foldRun(done.build());
    expect(s.catchUp).toBeNull();
    expect(s.options.catchUp).toBeUndefined();
    expect(nextPhase(s)).toBe('verify');
    expect(phaseParts(s, false, Date.now()).map((p) => p.text.replace(/^\W+ /, '').split(' ')[0])).not.toContain('catch-up');
  });

  it('a run with catch-up shows the phase while it is pending', () => {
    const s = foldRun(
      new LogBuilder()
        .started([plannedTable('t', 100)], [], { catchUp: true })
        .add(prepared)
        .build(),
    );
    expect(phaseParts(s, true, Date.now()).map((p) => p.text)).toContain('catch-up');
  });
});

describe('the run detail says which case a run with catch-up is in', () => {
  it('while catch-up runs: the slot and how far; once it ran to X: exact at X, also after the guard dropped the slot then', () => {
    const now = Date.parse('2026-11-28T11:00:00.000Z');
    expect(catchUpLines(foldRun(inCatchUp().build()), undefined, now)[0]?.text).not.toContain('exact at');
    const done = inCatchUp().phaseDone('catch-up');
    expect(catchUpLines(foldRun(done.build()), undefined, now)[0]?.text).toMatch(/^Catch-up: slot pgclone_run_fixture_0001 .*; exact at 0\/1600000$/);
    done.add({ type: 'CatchUpReleased', dropped: ['replication slot pgclone_run_fixture_0001'], by: 'guard', reason: 'it held 11 GB, over 10 GB' });
    const [line] = catchUpLines(foldRun(done.build()), undefined, now);
    expect(line).toEqual({ text: expect.stringMatching(/^Catch-up: slot pgclone_run_fixture_0001 dropped \(guard\); .*; exact at 0\/1600000$/), tone: 'dim' });
  });

  it('the guard dropping the slot before catch-up ran is ABANDONED, with no claim of exactness', () => {
    const b = inCatchUp().add({ type: 'CatchUpReleased', dropped: ['replication slot pgclone_run_fixture_0001'], by: 'guard', reason: 'it held 11 GB' });
    const [line] = catchUpLines(foldRun(b.build()), undefined, Date.now());
    expect(line?.text).toMatch(/^Catch-up ABANDONED: .* it held 11 GB$/);
    expect(line?.tone).toBe('error');
  });
});
