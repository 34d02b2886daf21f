// The benchmark's remote-source proxy: its pacing arithmetic and its option, without a socket.
import { describe, expect, it } from 'vitest';
import { Pacer, parseRemote } from '../../bench/throttle.js';

describe('Pacer', () => {
  it('sends one chunk after another at the rate, each a one-way delay later', () => {
    const p = new Pacer(1000, 5); // 1000 bytes per ms
    expect(p.deliverAt(0, 2000)).toBe(7); // 2 ms on the link + 5
    expect(p.deliverAt(0, 1000)).toBe(8); // queued behind the first
    expect(p.backlogMs(0)).toBe(3);
    expect(p.deliverAt(100, 500)).toBe(105.5); // an idle link starts at once
    expect(p.backlogMs(200)).toBe(0);
  });
});

describe('parseRemote', () => {
  it('reads a rate per connection and a round trip', () => {
    expect(parseRemote('25MB/s,10ms')).toEqual({ rate: 25 * 2 ** 20, rttMs: 10 });
    expect(parseRemote(' 512 KB/s , 0.5 ms ')).toEqual({ rate: 512 * 1024, rttMs: 0.5 });
  });
  it('refuses anything else with the form it wants', () => {
    for (const bad of ['25MB,10ms', '25MB/s', 'fast', '0MB/s,1ms']) expect(() => parseRemote(bad)).toThrow(/25MB\/s,10ms|above zero/);
  });
});
