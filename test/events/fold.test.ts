// The fold, given/when/then, without a database.
import { describe, expect, it } from 'vitest';
import {
  checkpointOf,
  describeMismatches,
  foldRun,
  evolve,
  MalformedEventError,
  nextPhase,
  pendingPostData,
  remainingBatches,
  tableKey,
  type LoggedEvent,
} from '../../src/events/index.js';
import { keyBatches, LogBuilder, plannedTable, table } from '../fixtures/events.js';
import { failedWithRetries, finishedRun, interruptedAt29, PANELS_DONE, PANELS_TOTAL, wipedRun } from '../fixtures/stories.js';

const panels = tableKey(table('storyboard_panels'));

describe('fold: the seed interruption at 29 %', () => {
  const state = foldRun(interruptedAt29().build());

  it('knows the phase, per-table progress and the resume point', () => {
    expect(state.phase).toBe('data');
    const t = state.tables[panels]!;
    expect(t.status).toBe('copying');
    expect(t.rowsDone).toBe(PANELS_DONE);
    expect(t.exactRows).toBe(PANELS_TOTAL);
    expect(t.batchesDone).toEqual([0, 1, 2]);
    // the upper key of the last committed batch: batches are (0,250], (250,500], (500,750]
    expect(t.resumePoint).toEqual(['750']);
    expect(remainingBatches(t)).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it("derives the seed's checkpoint: completed tables, current table, rows done of total", () => {
    const cp = checkpointOf(state);
    expect(cp.completedTables.sort()).toEqual(['public.projects', 'public.users']);
    expect(cp.currentTable).toEqual({ table: 'public.storyboard_panels', rowsDone: 707, rowsTotal: 2430, exact: true });
    expect(Math.floor((cp.currentTable!.rowsDone / cp.currentTable!.rowsTotal) * 100)).toBe(29);
  });

  it('leaves the post-data items pending and the snapshot consistent', () => {
    expect(pendingPostData(state).map((i) => i.name)).toEqual(['storyboard_panels_pkey', 'storyboard_panels_project_idx', 'storyboard_panels_project_fk']);
    expect(state.snapshotLost).toBe(false);
    expect(nextPhase(state)).toBe('data');
    expect(state.outcome.kind).toBe('open');
  });
});

describe('fold: resume point with batches committed out of order', () => {
  it('is the upper key of the committed prefix, not of the newest batch', () => {
    const r = keyBatches(4, 100);
    const evs = new LogBuilder()
      .started([plannedTable('t', 400)])
      .phase('data')
      .tableStarted('t', r, 400)
      .batch('t', 2, r[2]!, 100, 1)
      .batch('t', 0, r[0]!, 100, 0)
      .build();
    const t = foldRun(evs).tables[tableKey(table('t'))]!;
    expect(t.resumePoint).toEqual(['100']);
    expect(remainingBatches(t)).toEqual([1, 3]);
  });

  it('marks a table copied when its last batch lands, before TableCompleted', () => {
    const r = keyBatches(2, 10);
    const b = new LogBuilder()
      .started([plannedTable('t', 20)])
      .phase('data')
      .tableStarted('t', r, 20)
      .batch('t', 1, r[1]!, 10)
      .batch('t', 0, r[0]!, 10);
    const s = foldRun(b.build());
    expect(s.tables[tableKey(table('t'))]!.status).toBe('copied');
    expect(s.tables[tableKey(table('t'))]!.completedLogged).toBe(false);
    const s2 = foldRun(b.tableDone('t', 20).build());
    expect(s2.tables[tableKey(table('t'))]!.completedLogged).toBe(true);
  });
});

describe('fold: retries, failure, resume, finish, wipe', () => {
  it('keeps every retry, the last error, and notes a lost snapshot', () => {
    const s = foldRun(failedWithRetries().build());
    expect(s.retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(s.lastError?.message).toMatch(/connection refused/);
    expect(s.snapshotLost).toBe(true);
    expect(s.outcome).toMatchObject({ kind: 'failed', resumable: true, phase: 'data' });
  });

  it('reopens a run on RunResumed and records the operator', () => {
    const b = interruptedAt29().add({
      type: 'RunResumed',
      operator: { user: 'ops', host: 'laptop', pid: 77 },
      toolVersion: '0.1.0',
      fromPhase: 'data',
      source: { host: 'db', port: 5432, database: 'prod', user: 'u', serverVersion: '15', fingerprint: 'fp-prod' },
      snapshotLost: true,
    });
    const s = foldRun(b.build());
    expect(s.outcome.kind).toBe('open');
    expect(s.snapshotLost).toBe(true);
    expect(s.resumes).toHaveLength(1);
  });

  it('folds a whole run to finished with totals', () => {
    const s = foldRun(finishedRun().build());
    expect(s.outcome).toMatchObject({ kind: 'finished', verification: 'passed' });
    expect(nextPhase(s)).toBe('finished');
    expect(Object.values(s.verified).every((v) => v.match)).toBe(true);
    expect(s.rowsDone).toBe(PANELS_TOTAL + 1800 + 160);
  });

  it('folds a wipe as terminal and rejects anything after it', () => {
    const b = wipedRun();
    const s = foldRun(b.build());
    expect(s.outcome).toMatchObject({ kind: 'wiped', restartedAs: 'run_restart_02' });
    const after = b.add({ type: 'PhaseStarted', phase: 'data' }).build();
    expect(() => foldRun(after)).toThrow(MalformedEventError);
  });
});

describe('fold: fails closed, naming the event id', () => {
  const base = () => new LogBuilder().started([plannedTable('t', 10)]).phase('data');

  it('rejects a log that does not begin with RunStarted', () => {
    const evs = new LogBuilder().phase('data').build();
    expect(() => foldRun(evs)).toThrow(/event 1 .*must be RunStarted/);
  });

  it('rejects a batch for a table outside the plan', () => {
    const evs = base().tableStarted('nope', keyBatches(1, 1), 1).build();
    expect(() => foldRun(evs)).toThrow(/event 3 .*not in the run's plan/);
  });

  it('rejects a batch recorded twice (exactly once)', () => {
    const r = keyBatches(2, 5);
    const evs = base().tableStarted('t', r, 10).batch('t', 0, r[0]!, 5).batch('t', 0, r[0]!, 5).build();
    expect(() => foldRun(evs)).toThrow(/event 5 .*recorded twice/);
  });

  it('folds large-object batches in oid order and fails closed on one recorded twice or overlapping', () => {
    const lo = (fromOid: number, toOid: number, count: number) => ({
      type: 'LargeObjectsCopied' as const,
      fromOid,
      toOid,
      count,
      bytes: count * 10,
      durationMs: 1,
    });
    const s = foldRun(
      base()
        .add(lo(200, 300, 5))
        .add(lo(100, 199, 3))
        .build(),
    );
    expect(s.largeObjects.batches.map((b) => [b.fromOid, b.toOid])).toEqual([
      [100, 199],
      [200, 300],
    ]);
    expect([s.largeObjects.count, s.largeObjects.bytes]).toEqual([8, 80]);
    expect(() =>
      foldRun(
        base()
          .add(lo(100, 199, 3))
          .add(lo(100, 199, 3))
          .build(),
      ),
    ).toThrow(/LargeObjectsCopied: .*overlap/);
    expect(() =>
      foldRun(
        base()
          .add(lo(100, 199, 3))
          .add(lo(150, 250, 3))
          .build(),
      ),
    ).toThrow(/overlap the batch 100–199/);
  });

  it('rejects an event of another run', () => {
    const s = foldRun(base().build());
    const other = new LogBuilder('other').started([]).build()[0] as LoggedEvent;
    expect(() => evolve(s, { ...other, type: 'PhaseStarted', phase: 'data' } as LoggedEvent)).toThrow(/belongs to run other/);
  });

  it('is pure: folding the same events twice gives equal states and leaves the input untouched', () => {
    const evs = interruptedAt29().build();
    const frozen = JSON.stringify(evs);
    expect(foldRun(evs)).toEqual(foldRun(evs));
    expect(JSON.stringify(evs)).toBe(frozen);
  });
});

describe('fold: overlapping phases', () => {
  it('a run with data and post-data both running is in data; when data completes it is in post-data', () => {
    const b = new LogBuilder()
      .started([plannedTable('t', 10)])
      .phase('data')
      .phase('post-data');
    expect(foldRun(b.build()).phase).toBe('data');
    expect(foldRun(b.phaseDone('data').build()).phase).toBe('post-data');
  });
});

describe('fold: pauses, so work time can be told from elapsed time (no clock: from the events’ own times)', () => {
  const resumed = (b: LogBuilder) =>
    b.add({
      type: 'RunResumed',
      operator: { user: 'ops', host: 'bastion', pid: 2 },
      toolVersion: '0.1.0',
      fromPhase: 'data',
      source: { host: 'db.example.internal', port: 5432, database: 'prod', user: 'cloner', serverVersion: '15.8', fingerprint: 'fp-prod' },
      snapshotLost: true,
    });

  it('a run never stopped has no pause', () => {
    expect(foldRun(interruptedAt29().build()).pauses).toEqual([]);
  });

  it('a suspension then a resume is a pause from the RunSuspended to the RunResumed', () => {
    const b = interruptedAt29().add({ type: 'RunSuspended', phase: 'data', reason: 'time limit' }).wait(19_000);
    const evs = resumed(b).build();
    const suspended = evs.find((e) => e.type === 'RunSuspended')!;
    const resume = evs.find((e) => e.type === 'RunResumed')!;
    expect(Date.parse(resume.at) - Date.parse(suspended.at)).toBe(20_000);
    expect(foldRun(evs).pauses).toEqual([{ from: suspended.at, to: resume.at }]);
  });

  it('a kill (no stop event) then a resume is a pause from the last event before the resume; a failure too', () => {
    const killed = interruptedAt29();
    const last = killed.build().at(-1)!;
    const evs = resumed(killed.wait(5000)).build();
    expect(foldRun(evs).pauses).toEqual([{ from: last.at, to: evs.at(-1)!.at }]);
    const failed = failedWithRetries();
    const f = failed.build().at(-1)!;
    expect(foldRun(resumed(failed.wait(3000)).build()).pauses).toEqual([{ from: f.at, to: new Date(Date.parse(f.at) + 4000).toISOString() }]);
  });
});

describe('fold: sequences checked against their columns', () => {
  const behind = { sequence: table('lagging_id_seq'), table: table('lagging'), column: 'id', nextValue: '8', columnLimit: '100' };
  const base = () =>
    new LogBuilder('run_seq_check_1')
      .started([plannedTable('lagging', 100)])
      .phase('sequences')
      .add({ type: 'SequencesSynced', count: 2, durationMs: 5 })
      .phase('verify');

  it('records what was checked and which sequences are behind, and the mismatch names them', () => {
    const before = foldRun(base().build());
    expect(before.sequencesVerified).toBeNull();
    const s = foldRun(
      base()
        .add({ type: 'SequencesVerified', checked: 2, behind: [behind] })
        .build(),
    );
    expect(s.sequencesVerified).toEqual({ checked: 2, behind: [behind] });
    expect(describeMismatches(s)).toBe('sequence public.lagging_id_seq (next value 8, but public.lagging.id holds 100)');
  });

  it('fails closed on a second check, naming the event', () => {
    const log = base().add({ type: 'SequencesVerified', checked: 2, behind: [] }).add({ type: 'SequencesVerified', checked: 2, behind: [] }).build();
    expect(() => foldRun(log)).toThrow(MalformedEventError);
    expect(() => foldRun(log)).toThrow(new RegExp(`${log.at(-1)!.id}`));
  });
});

describe('fold: what the schema step changed on the database itself', () => {
  it('keeps the database changes SchemaApplied recorded, for a wipe to put back; none in an older log', () => {
    const database = {
      settings: [{ name: 'work_mem', value: '8MB', previous: '4MB' }],
      comment: { value: 'shop', previous: null },
      grants: [{ grantee: 'reader', privilege: 'CONNECT', grantable: false }],
    };
    const b = new LogBuilder('run_db_changes_1').started([plannedTable('t', 1)]).phase('schema');
    const s = foldRun(b.add({ type: 'SchemaApplied', objects: [], database, statements: 1, durationMs: 5 }).build());
    expect(s.databaseChanges).toEqual(database);
    expect(
      foldRun(
        new LogBuilder('run_db_changes_2')
          .started([plannedTable('t', 1)])
          .schema()
          .build(),
      ).databaseChanges,
    ).toBeNull();
  });
});
