// --follow and cutover in the fold and what shows them, given/when/then without a database.
import { describe, expect, it } from 'vitest';
import { cutoverRefusal } from '../../src/engine/cutover.js';
import { foldRun, MalformedEventError } from '../../src/events/index.js';
import { followOf, followText, runSummary } from '../../src/events/summary.js';
import { catchUpLines } from '../../src/ui/components/RunDetail.js';
import { keyHelpLines } from '../../src/ui/components/KeyHelp.js';
import { keyToAction } from '../../src/ui/keymap.js';
import { initialUiState } from '../../src/ui/ui-state.js';
import { actionsFor } from '../../src/ui/ui-state.js';
import { catchUpPrepared, LogBuilder, plannedTable } from '../fixtures/events.js';

const prepared = catchUpPrepared({ catalogFingerprint: 'abc' });
const applied = (lsn: string, n: number, sourceLsn: string) => ({
  type: 'ChangesApplied' as const,
  lsn,
  transactions: n,
  inserts: n,
  updates: n,
  deletes: 0,
  truncates: 0,
  skipped: 0,
  durationMs: 5,
  sourceLsn,
  // the builder's clock moves 1 s per event from 2026-12-01T00:00:00Z; each chunk's newest change is 250 ms older than it
  commitTime: new Date(0).toISOString(),
});

/** The log with each ChangesApplied's commit time 250 ms before the event itself. */
function build(b: LogBuilder) {
  const evs = b.build();
  for (const e of evs) if (e.type === 'ChangesApplied') e.commitTime = new Date(Date.parse(e.at) - 250).toISOString();
  return evs;
}

function following(): LogBuilder {
  const b = new LogBuilder().started([plannedTable('t', 100)], [], { catchUp: true });
  // the fixture's options, with --follow
  const first = b.build()[0] as { options: Record<string, unknown> };
  first.options.follow = true;
  return b
    .add(prepared)
    .phase('preflight', 10)
    .phase('catch-up')
    .add({ type: 'CatchUpStarted', targetLsn: '0/1600000' })
    .add(applied('0/1600000', 10, '0/1600000'))
    .add(applied('0/1610000', 20, '0/1618000'))
    .add(applied('0/1620000', 30, '0/1620000'));
}

describe('fold: follow', () => {
  it('keeps the lag and the apply rate the latest ChangesApplied tell', () => {
    const s = foldRun(build(following()));
    expect(s.options.follow).toBe(true);
    expect(s.catchUp).toMatchObject({ sourceLsn: '0/1620000', catalogFingerprint: 'abc' });
    expect(Date.parse(s.catchUp!.lastAppliedAt!) - Date.parse(s.catchUp!.lastCommitTime!)).toBe(250);
    const f = followOf(s);
    // the last chunk reached its pass's target: no lag in bytes; its newest change was 0.25 s old when applied
    expect(f).toMatchObject({ following: true, lagBytes: 0, lagFrom: 'log', lagSeconds: 0.25 });
    // 50 transactions (100 changes) in the 2 s after the first chunk
    expect(f?.transactionsPerSec).toBe(25);
    expect(f?.changesPerSec).toBe(50);
    expect(followText(f!)).toBe('lag 0 B, 0.3 s · 25.0 transactions/s (50 changes/s)');
  });

  it('a slot read now gives the lag in bytes from the source: its position less what the slot confirms', () => {
    const s = foldRun(build(following()));
    const slot = {
      read: 'ok' as const,
      at: '2026-12-01T10:00:05.000Z',
      onSource: true,
      retainedBytes: 4096,
      walStatus: 'reserved',
      safeWalBytes: null,
      active: true,
      sourceLsn: '0/1628000',
      confirmedLsn: '0/1620000',
    };
    expect(followOf(s, slot)).toMatchObject({ lagBytes: 0x8000, lagFrom: 'source' });
    expect(runSummary(s, { state: 'running', silentForMs: 0, holder: null }, slot).follow).toMatchObject({ following: true, lagBytes: 0x8000 });
    const lines = catchUpLines(s, slot, Date.parse(slot.at));
    expect(lines[1]).toMatchObject({ tone: 'accent', text: 'Following: lag 32 kB, 0.3 s · 25.0 transactions/s (50 changes/s) · C cut over' });
  });

  it('a cutover request is taken from any process at any point; the completion needs one and comes once', () => {
    const asked = following().add({ type: 'CutoverRequested', operator: { user: 'ops', host: 'laptop', pid: 7 } });
    const s = foldRun(asked.build());
    expect(s.catchUp?.cutover).toMatchObject({ by: { user: 'ops', host: 'laptop' }, completedAt: null });
    // a second request, or one after the slot is gone, folds to nothing new (the log must never fail on it)
    const late = asked
      .add({ type: 'CutoverRequested', operator: { user: 'x', host: 'y', pid: 1 } })
      .add({ type: 'CatchUpReleased', dropped: [], by: 'finish' })
      .add({ type: 'CutoverRequested', operator: { user: 'z', host: 'y', pid: 2 } });
    expect(foldRun(late.build()).catchUp?.cutover?.by.user).toBe('ops');
    const done = following()
      .add({ type: 'CutoverRequested', operator: { user: 'ops', host: 'laptop', pid: 7 } })
      .add({ type: 'CutoverCompleted', lsn: '0/1630000', durationMs: 900 });
    expect(foldRun(done.build()).catchUp?.cutover).toMatchObject({ lsn: '0/1630000' });
    expect(followOf(foldRun(done.build()))).toMatchObject({ cutoverLsn: '0/1630000' });
    expect(() => foldRun(following().add({ type: 'CutoverCompleted', lsn: '0/1', durationMs: 1 }).build())).toThrow(MalformedEventError);
    expect(() => foldRun(done.add({ type: 'CutoverCompleted', lsn: '0/2', durationMs: 1 }).build())).toThrow(/already completed/);
  });

  it('C asks for a cutover of a run that catches up and has not asked yet; nothing else has one', () => {
    const s = foldRun(build(following()));
    const run = { state: s, liveness: { state: 'running' as const, silentForMs: 0, holder: null }, events: [] };
    expect(actionsFor(run).cutover).toBe(true);
    const ui = { ...initialUiState(), selectedRunId: s.runId };
    expect(keyToAction('C', {}, ui, 'watch')).toEqual({ type: 'cutover', runId: s.runId });
    expect(keyHelpLines({ mode: 'watch', view: 'runs', confirming: false, actions: actionsFor(run) })[0]).toBe(
      '↑/↓ select · C cut over · L event log · Q quit',
    );
    // a replay shows the past: no C there
    expect(keyToAction('C', {}, ui, 'replay')).toBeNull();
    const asked = foldRun(
      following()
        .add({ type: 'CutoverRequested', operator: { user: 'o', host: 'h', pid: 1 } })
        .build(),
    );
    expect(actionsFor({ ...run, state: asked }).cutover).toBe(false);
    const plain = foldRun(new LogBuilder().started([plannedTable('t', 100)]).build());
    expect(actionsFor({ ...run, state: plain }).cutover).toBe(false);
    expect(cutoverRefusal(plain)?.message).toMatch(/does not catch up through a replication slot .* so there is nothing to cut over/);
    expect(cutoverRefusal(s)).toBeNull();
  });
});
