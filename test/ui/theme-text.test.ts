// NO_COLOR and the text-fitting helpers the components lean on.
import { describe, expect, it } from 'vitest';
import { bar, clock, padStart, shortDuration, truncate, wrapIndented, wrappedRows } from '../../src/ui/text.js';
import { makeTheme } from '../../src/ui/theme.js';

describe('theme', () => {
  it('Given NO_COLOR set, Then no colour props at all', () => {
    const t = makeTheme({ NO_COLOR: '1' });
    expect(t.colour).toBe(false);
    expect(t.tone('failed')).toEqual({});
    expect(t.tone('dim')).toEqual({});
  });

  it('Given NO_COLOR unset or empty, Then states have their colours', () => {
    expect(makeTheme({}).tone('failed')).toEqual({ color: 'red' });
    expect(makeTheme({ NO_COLOR: '' }).tone('stalled')).toEqual({ color: 'yellow' });
  });
});

describe('text', () => {
  it('truncates with an ellipsis and pads to a column', () => {
    expect(truncate('public.storyboard_panels', 10)).toBe('public.st…');
    expect(truncate('short', 10)).toBe('short');
    expect(padStart('42', 5)).toBe('   42');
  });

  it('draws a bar of the given width', () => {
    expect(bar(0.29, 10)).toBe('███░░░░░░░');
    expect(bar(2, 4)).toBe('████');
    expect(bar(Number.NaN, 3)).toBe('░░░');
  });

  it('writes short durations with two units at most', () => {
    expect(shortDuration(900)).toBe('900ms');
    expect(shortDuration(4200)).toBe('4.2s');
    expect(shortDuration(725_000)).toBe('12m05s');
    expect(shortDuration(3 * 3_600_000 + 7 * 60_000)).toBe('3h07m');
    expect(shortDuration(-1)).toBe('—');
  });

  it('tells the UTC clock time and the rows a wrapped text takes', () => {
    expect(clock('2026-11-28T10:00:12.000Z')).toBe('10:00:12');
    expect(wrappedRows('x'.repeat(81), 80)).toBe(2);
    expect(wrappedRows('', 80)).toBe(1);
  });

  it('wraps a demo line between words at 80 columns, keeping its indent (a terminal would cut storyboard_panels in two)', () => {
    const line =
      'loading the source: a storyboard app (2,430 panels with images): users, projects, storyboards, storyboard_panels, comments — 152,960 rows, 1.7 GB (9.5 s)';
    const lines = wrapIndented(line, 80);
    expect(lines.length).toBe(3);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(line);
    expect(lines.some((l) => l.endsWith('storyboard_panels,') || l.includes(' storyboard_panels,'))).toBe(true);
    const indented = wrapIndented(`  ${'word '.repeat(30).trim()}`, 40);
    expect(indented.every((l) => l.startsWith('  ') && l.length <= 40)).toBe(true);
    expect(indented.slice(1).every((l) => l.startsWith('    '))).toBe(true);
  });
});
