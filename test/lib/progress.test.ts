// The progress coalescer, pure, on a clock the test moves: at most one call per interval, the last value always delivered.
import { describe, expect, it } from 'vitest';
import { createCoalescer } from '../../src/engine/lib/progress.js';

function setup(intervalMs?: number) {
  let now = 0;
  const seen: number[] = [];
  let reads = 0;
  const c = createCoalescer<number>((v) => seen.push(v), { intervalMs, now: () => now });
  const offer = (v: number) =>
    c.offer(() => {
      reads++;
      return v;
    });
  return { c, seen, offer, advance: (ms: number) => (now += ms), reads: () => reads };
}

describe('createCoalescer', () => {
  it('emits the first change at once, then at most once per interval; a dropped change is never computed', () => {
    const t = setup(250);
    for (let i = 1; i <= 100; i++) {
      t.offer(i);
      t.advance(10); // a commit every 10 ms for a second
    }
    expect(t.seen).toEqual([1, 26, 51, 76]);
    expect(t.reads()).toBe(4);
  });

  it('finish delivers the final value whatever the interval, once, and nothing after it', () => {
    const t = setup(250);
    t.offer(1);
    t.advance(5);
    t.offer(2);
    t.c.finish(3);
    t.c.finish(4);
    t.advance(1000);
    t.offer(5);
    expect(t.seen).toEqual([1, 3]);
  });

  it('defaults to 250 ms', () => {
    const t = setup();
    t.offer(1);
    t.advance(249);
    t.offer(2);
    t.advance(1);
    t.offer(3);
    expect(t.seen).toEqual([1, 3]);
  });
});
