// The frame fits a terminal of 80 columns by 24 rows, and uses more width when there is more.
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/ui/App.js';
import type { DashboardModel } from '../../src/ui/model.js';
import * as S from './states.js';

afterEach(() => cleanup());

const noop = () => undefined;
const frameOf = (model: DashboardModel, width: number, height: number) =>
  S.plain(render(<App model={model} onResume={noop} onWipeRestart={noop} onQuit={noop} width={width} height={height} />).lastFrame());

const STATES: [string, () => DashboardModel][] = [
  ['running mid-data', S.runningMidData],
  ['interrupted', S.interrupted],
  ['stalled', S.stalled],
  ['failed', S.failed],
  ['many tables', S.manyTables],
];

describe('80 × 24', () => {
  it.each(STATES)('Given %s, Then no line is longer than 80 and there are at most 24 lines', (_name, state) => {
    const lines = frameOf(state(), 80, 24).split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  it('Given twelve tables, Then at most 8 table rows show, the rest counted', () => {
    const frame = frameOf(S.manyTables(), 80, 24);
    expect(frame.split('\n').filter((l) => /^[▸·✓] public\.t\d\d/.test(l)).length).toBeLessThanOrEqual(8);
    expect(frame).toMatch(/… \d+ more tables/);
  });

  it('Given the interrupted seed, Then where it stopped is shown whole', () => {
    expect(frameOf(S.interrupted(), 80, 24)).toContain('Interrupted in data at public.storyboard_panels — 707 / 2,430 rows (29 %)');
  });
});

describe('wider and taller', () => {
  it('Given 140 × 50, Then the bars grow and all twelve tables show', () => {
    const frame = frameOf(S.manyTables(), 140, 50);
    const lines = frame.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(140);
    expect(lines.filter((l) => /^[▸·✓] public\.t\d\d/.test(l))).toHaveLength(12);
    expect(frame).toMatch(/█{30}/);
  });
});
