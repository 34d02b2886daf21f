// Which tables were read under more than one source snapshot (across a break), from the fold alone: given a log, then the list.
import { describe, expect, it } from 'vitest';
import { foldRun } from '../../src/events/index.js';
import { acrossBreaksText, readAcrossBreaks, runSummary } from '../../src/events/summary.js';
import { keyBatches, LogBuilder, plannedTable, table } from '../fixtures/events.js';

const OFF = 'the source has wal_level = replica, not logical';
const b3 = keyBatches(3, 100);
const b2 = keyBatches(2, 100);
const interrupted = { state: 'interrupted' as const, silentForMs: 0, holder: null };

const retried = (b: LogBuilder, snapshotLost: boolean) =>
  b.add({
    type: 'RetryScheduled',
    phase: 'data',
    error: { kind: 'transient', message: 'connection reset', sqlstate: '08006' },
    attempt: 1,
    delayMs: 1000,
    snapshotLost,
  });

/** three tables in data, catch-up off: a has 3 batches, b 2, c 2 */
function inData(opts: { catchUp?: boolean; catchUpOff?: string } = { catchUp: false, catchUpOff: OFF }): LogBuilder {
  return new LogBuilder()
    .started([plannedTable('a', 300), plannedTable('b', 200), plannedTable('c', 200)], [], opts)
    .phase('preflight', 10)
    .phase('schema')
    .schema()
    .phaseDone('schema')
    .phase('data')
    .tableStarted('a', b3, 300)
    .tableStarted('b', b2, 200);
}

describe('fold: tables read across breaks', () => {
  it('given one process that copies everything, no table is read across a break', () => {
    const b = inData().batch('a', 0, b3[0]!, 100).batch('a', 1, b3[1]!, 100).batch('a', 2, b3[2]!, 100).batch('b', 0, b2[0]!, 100).batch('b', 1, b2[1]!, 100);
    const s = foldRun(b.build());
    expect(s.snapshotEpoch).toBe(0);
    expect(s.tables['"public"."a"']?.readInEpochs).toEqual([0]);
    expect(readAcrossBreaks(s)).toEqual({ tables: [], breaks: 0, notExact: [] });
    expect(acrossBreaksText(s)).toBeNull();
    expect(runSummary(s, interrupted).readAcrossBreaks).toEqual([]);
  });

  it('given batches of a table before and after a RunResumed, lists it; a table read wholly after the resume is not', () => {
    const b = inData().batch('a', 0, b3[0]!, 100).batch('b', 0, b2[0]!, 100);
    b.resumed()
      .batch('a', 1, b3[1]!, 100)
      .batch('a', 2, b3[2]!, 100)
      .batch('b', 1, b2[1]!, 100)
      .tableStarted('c', b2, 200)
      .batch('c', 0, b2[0]!, 100)
      .batch('c', 1, b2[1]!, 100);
    const s = foldRun(b.build());
    expect(s.snapshotEpoch).toBe(1);
    expect(s.tables['"public"."a"']?.readInEpochs).toEqual([0, 1]);
    expect(s.tables['"public"."c"']?.readInEpochs).toEqual([1]);
    expect(readAcrossBreaks(s)).toEqual({ tables: [table('a'), table('b')], breaks: 1, notExact: [table('a'), table('b')] });
    expect(acrossBreaksText(s)).toBe(
      'read across 1 break without catch-up: public.a, public.b — not exact if the source changed; check with --verify checksum',
    );
    expect(runSummary(s, interrupted).readAcrossBreaks).toEqual(['public.a', 'public.b']);
    // a run that verifies by checksum needs no advice to
    expect(acrossBreaksText({ ...s, options: { ...s.options, verify: 'checksum' } })).toBe(
      "read across 1 break without catch-up: public.a, public.b — not exact if the source changed; this run's verify compares their checksums",
    );
  });

  it('counts the breaks that fell inside a table’s copy, not those before it started', () => {
    const b = inData().batch('b', 0, b2[0]!, 100).resumed().batch('a', 0, b3[0]!, 100);
    b.resumed().batch('a', 1, b3[1]!, 100);
    b.resumed().batch('a', 2, b3[2]!, 100);
    const s = foldRun(b.build());
    expect(s.snapshotEpoch).toBe(3);
    expect(s.tables['"public"."a"']?.readInEpochs).toEqual([1, 2, 3]);
    // b's one batch was read before the first break and nothing after: one snapshot
    expect(readAcrossBreaks(s)).toMatchObject({ tables: [table('a')], breaks: 2 });
    expect(acrossBreaksText(s)).toMatch(/^read across 2 breaks without catch-up: public\.a — /);
  });

  it('a retry that lost its snapshot starts a new epoch; one that kept it does not', () => {
    const kept = inData().batch('a', 0, b3[0]!, 100);
    retried(kept, false).batch('a', 1, b3[1]!, 100);
    const sk = foldRun(kept.build());
    expect(sk.snapshotEpoch).toBe(0);
    expect(readAcrossBreaks(sk).tables).toEqual([]);

    const lost = inData().batch('a', 0, b3[0]!, 100);
    retried(lost, true).batch('a', 1, b3[1]!, 100);
    const sl = foldRun(lost.build());
    expect(sl.snapshotEpoch).toBe(1);
    expect(readAcrossBreaks(sl)).toEqual({ tables: [table('a')], breaks: 1, notExact: [table('a')] });
  });

  it('with catch-up on, the tables read across breaks are kept exact by it — except those it leaves out, or all once its slot was given up', () => {
    const prepared = {
      type: 'CatchUpPrepared' as const,
      slot: 'pgclone_run_fixture_0001',
      publication: 'pgclone_run_fixture_0001',
      plugin: 'pgoutput',
      consistentLsn: '0/1500000',
      tables: [{ table: table('a'), key: ['id'] }],
      excluded: [{ table: table('b'), reason: 'no primary key and REPLICA IDENTITY DEFAULT' }],
    };
    const b = new LogBuilder()
      .started([plannedTable('a', 300), plannedTable('b', 200)], [], { catchUp: true })
      .add(prepared)
      .phase('preflight', 10)
      .phase('data')
      .tableStarted('a', b3, 300)
      .tableStarted('b', b2, 200)
      .batch('a', 0, b3[0]!, 100)
      .batch('b', 0, b2[0]!, 100);
    b.resumed().batch('a', 1, b3[1]!, 100).batch('b', 1, b2[1]!, 100);
    const s = foldRun(b.build());
    expect(readAcrossBreaks(s)).toEqual({ tables: [table('a'), table('b')], breaks: 1, notExact: [table('b')] });
    expect(acrossBreaksText(s)).toMatch(/^read across 1 break left out of catch-up: public\.b — not exact/);
    expect(runSummary(s, interrupted).readAcrossBreaks).toEqual(['public.b']);

    b.add({ type: 'CatchUpReleased', dropped: ['replication slot pgclone_run_fixture_0001'], by: 'resume', reason: 'resumed with --no-catch-up' });
    const given = foldRun(b.build());
    expect(readAcrossBreaks(given).notExact).toEqual([table('a'), table('b')]);
    expect(acrossBreaksText(given)).toMatch(/^read across 1 break after catch-up was given up: public\.a, public\.b — /);
  });
});
