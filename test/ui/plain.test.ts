// The plain line printer (pipes, cron, CI): what it prints for events and progress, with the clock given.
import { afterEach, describe, expect, it } from 'vitest';
import { foldRun } from '../../src/events/index.js';
import { createPlainPrinter, type LinePrinter } from '../../src/ui/plain.js';
import * as S from './states.js';

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
  });
});
