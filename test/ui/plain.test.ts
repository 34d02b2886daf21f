// The plain line printer (pipes, cron, CI): what it prints for events and progress, with the clock given.
import { afterEach, describe, expect, it } from 'vitest';
import { foldRun } from '../../src/events/index.js';
import { createPlainPrinter, type LinePrinter } from '../../src/ui/plain.js';
import * as S from './states.js';
import { keyBatches, LogBuilder, plannedTable } from '../fixtures/events.js';

let printer: LinePrinter | null = null;
afterEach(() => printer?.stop());

describe('plain printer', () => {
  it('Given a finish whose verification found a difference, Then it says FAILED, names the table, and says what to do', () => {
    const run = S.mismatched().runs[0]!;
    const lines: string[] = [];
    printer = createPlainPrinter(
      (l) => lines.push(l),
      60_000,
      () => 0,
    );
    printer.onEvents(run.events, foldRun(run.events));
    const text = lines.join('\n');
    expect(text).toContain('verify: MISMATCH in public.assets: source 1,800 rows, target 1,797');
    const failed = lines.findIndex((l) => l.includes('VERIFICATION FAILED — 1 table differs: public.assets (source 1,800 rows, target 1,797)'));
    const finished = lines.findIndex((l) => l.includes('finished in'));
    expect(failed).toBeGreaterThan(finished);
    expect(lines[failed + 1]).toContain('pgclone resume will not help');
    expect(lines[failed + 1]).toContain('--verify checksum');
    expect(lines[failed + 1]).toContain("pgclone wipe run_mismatch_01 --target 'postgresql://cloner@db.example.internal:5433/staging' --restart");
  });

  it('Given a finish without catch-up of a table read across a resume, Then the last line names it and --verify checksum', () => {
    const r = keyBatches(2, 100);
    const b = new LogBuilder('run_across_02').started([plannedTable('a', 200)], [], { catchUp: false, catchUpOff: 'the source has wal_level = replica' });
    b.phase('preflight').phaseDone('preflight', 10).phase('data').tableStarted('a', r, 200).batch('a', 0, r[0]!, 100);
    b.resumed();
    b.batch('a', 1, r[1]!, 100).tableDone('a', 200).phaseDone('data');
    b.add({ type: 'RunFinished', durationMs: 9000, totals: { tables: 1, rows: 200, bytes: 20_000, postDataItems: 0, sequences: 0 }, verification: 'passed' });
    const events = b.build();
    const lines: string[] = [];
    printer = createPlainPrinter(
      (l) => lines.push(l),
      60_000,
      () => 0,
    );
    printer.onEvents(events, foldRun(events));
    expect(lines.at(-2)).toContain('finished in');
    expect(lines.at(-1)).toMatch(/ read across 1 break without catch-up: public\.a — not exact if the source changed; check with --verify checksum$/);
  });

  it('Given a finish that passed, Then no FAILED line', () => {
    const run = S.finished().runs[0]!;
    const lines: string[] = [];
    printer = createPlainPrinter(
      (l) => lines.push(l),
      60_000,
      () => 0,
    );
    printer.onEvents(run.events, foldRun(run.events));
    expect(lines.join('\n')).not.toContain('FAILED');
    expect(lines.join('\n')).not.toContain('read across');
  });
});
