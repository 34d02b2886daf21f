// The retained-WAL guard's pure parts, given/when/then without a database: the limit, the decision, the words, the fold.
import { describe, expect, it } from 'vitest';
import { parseWalLimit } from '../../src/commands/common.js';
import { UsageError } from '../../src/engine/errors.js';
import type { SlotState } from '../../src/engine/pg/slot.js';
import { DEFAULT_MAX_RETAINED_WAL_BYTES } from '../../src/engine/run-options.js';
import { guardMessage, walLimitOf, walVerdict } from '../../src/engine/wal-guard.js';
import { foldRun } from '../../src/events/index.js';
import { formatSize, runSummary, slotText } from '../../src/events/summary.js';
import { catchUpLines } from '../../src/ui/components/RunDetail.js';
import { eventText } from '../../src/ui/event-text.js';
import { catchUpPrepared, LogBuilder, plannedTable } from '../fixtures/events.js';

const GB = 1024 ** 3;
const slot = (retainedBytes: number, walStatus: string | null = 'reserved'): SlotState => ({
  name: 'pgclone_x',
  confirmedFlushLsn: null,
  retainedBytes,
  walStatus,
  safeWalBytes: null,
  active: false,
  sourceLsn: '0/1',
});

describe('--max-retained-wal', () => {
  it('reads sizes as the other size flags do (units of 1024), and none or 0 as no limit', () => {
    expect(parseWalLimit('10GB')).toBe(10 * GB);
    expect(parseWalLimit('512mb')).toBe(512 << 20);
    expect(parseWalLimit('1.5TB')).toBe(1.5 * 1024 ** 4);
    expect(parseWalLimit('none')).toBe(0);
    expect(parseWalLimit('0')).toBe(0);
    expect(() => parseWalLimit('lots')).toThrow(UsageError);
    expect(() => parseWalLimit('lots')).toThrow('--max-retained-wal: "lots" is not a size (e.g. 10GB, 500MB) or none');
    expect(() => parseWalLimit('12')).toThrow(/at least 1kB/);
  });

  it('defaults to 10 GB; a resume may set its own over the run’s; a log that predates the option takes the default', () => {
    expect(DEFAULT_MAX_RETAINED_WAL_BYTES).toBe(10 * GB);
    expect(walLimitOf({})).toBe(10 * GB);
    expect(walLimitOf({ maxRetainedWalBytes: GB })).toBe(GB);
    expect(walLimitOf({ maxRetainedWalBytes: GB }, 0)).toBe(0);
    expect(formatSize(10 * GB)).toBe('10 GB');
    expect(formatSize(1536 << 10)).toBe('1.5 MB');
  });
});

describe('the guard’s decision', () => {
  it('over the limit: drop (and say how much against what); at or under it, or with no limit: go on', () => {
    expect(walVerdict(GB, slot(GB))).toEqual({ kind: 'ok', retainedBytes: GB });
    expect(walVerdict(GB, slot(GB + 1))).toMatchObject({ kind: 'over', retainedBytes: GB + 1, limitBytes: GB });
    expect(walVerdict(GB, slot(3 * GB))).toMatchObject({ why: "it held 3 GB of the source's WAL, more than --max-retained-wal 1 GB" });
    expect(walVerdict(0, slot(900 * GB))).toEqual({ kind: 'ok', retainedBytes: 900 * GB });
  });

  it('the server’s own marks: unreserved (past max_slot_wal_keep_size) drops it even with no limit; lost and gone are beyond use', () => {
    expect(walVerdict(0, slot(5 * GB, 'unreserved'))).toMatchObject({ kind: 'over', why: expect.stringContaining('max_slot_wal_keep_size') });
    expect(walVerdict(GB, slot(0, 'lost'))).toEqual({ kind: 'lost' });
    expect(walVerdict(GB, null)).toEqual({ kind: 'gone' });
    expect(walVerdict(GB, slot(GB, 'extended'))).toMatchObject({ kind: 'ok' });
  });
});

const prepared = catchUpPrepared();

function guarded(): LogBuilder {
  return new LogBuilder()
    .started([plannedTable('t', 100)], [], { catchUp: true })
    .add(prepared)
    .phase('preflight', 10)
    .add({
      type: 'CatchUpReleased',
      dropped: ['replication slot pgclone_run_fixture_0001', 'publication pgclone_run_fixture_0001'],
      by: 'guard',
      reason: "it held 3 GB of the source's WAL, more than --max-retained-wal 1 GB",
      retainedBytes: 3 * GB,
      limitBytes: GB,
    });
}

describe('a slot the guard dropped', () => {
  it('is folded as released by the guard, with why; status --json and the log say so', () => {
    const evs = guarded().build();
    const s = foldRun(evs);
    expect(s.catchUp?.released).toMatchObject({ by: 'guard', retainedBytes: 3 * GB, limitBytes: GB, reason: expect.stringContaining('3 GB') });
    const sum = runSummary(s, { state: 'failed', silentForMs: 0, holder: null });
    expect(sum.catchUp).toMatchObject({ released: true, releasedBy: 'guard', releaseReason: expect.stringContaining('more than --max-retained-wal 1 GB') });
    expect(eventText(evs.at(-1)!, s)).toBe(
      "catch-up ABANDONED: the retained-WAL guard dropped replication slot pgclone_run_fixture_0001 and publication pgclone_run_fixture_0001 on the source — it held 3 GB of the source's WAL, more than --max-retained-wal 1 GB",
    );
    expect(catchUpLines(s, undefined, 0)[0]).toMatchObject({ tone: 'error', text: expect.stringContaining('ABANDONED') });
  });

  it('the message names both ways on, each a command that runs as printed', () => {
    const s = foldRun(guarded().build());
    const m = guardMessage(s, 'pgclone_run_fixture_0001', 'it held 3 GB');
    expect(m).toContain('cannot be made exact on a live source any more');
    expect(m).toContain(`pgclone wipe ${s.runId} --target 'postgresql://`);
    expect(m).toMatch(/--restart; or finish this copy without catch-up .*pgclone resume \S+ --target '[^']+' --no-catch-up$/);
  });

  it('while the slot is there, the run shows what it holds (or why that is not known)', () => {
    const at = '2026-12-01T10:00:00.000Z';
    const ok = {
      read: 'ok' as const,
      at,
      onSource: true,
      retainedBytes: 12 << 20,
      walStatus: 'reserved',
      safeWalBytes: null,
      active: false,
      sourceLsn: null,
      confirmedLsn: null,
    };
    expect(slotText(ok, GB)).toBe("holds 12 MB of the source's WAL, limit 1 GB");
    expect(slotText({ ...ok, walStatus: 'unreserved' }, 0)).toBe("holds 12 MB of the source's WAL, no limit, wal_status unreserved");
    expect(slotText({ read: 'unreachable', at, error: 'connection refused' }, GB)).toBe(
      'its retained WAL unknown: the source cannot be reached (connection refused)',
    );
    const s = foldRun(
      new LogBuilder()
        .started([plannedTable('t', 100)], [], { catchUp: true })
        .add(prepared)
        .build(),
    );
    const line = catchUpLines(s, ok, Date.parse(at) + 3000)[0]!.text;
    expect(line).toBe("Catch-up: slot pgclone_run_fixture_0001 holds 12 MB of the source's WAL (read 3.0s ago); nothing applied yet since 0/1500000");
  });
});
