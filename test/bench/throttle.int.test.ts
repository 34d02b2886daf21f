// The benchmark's remote-source proxy on real sockets: every byte crosses, in order, never faster than the link allows.
import { createServer, connect, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThrottleProxy } from '../../bench/throttle.js';

let echo: Server;
let echoPort = 0;
beforeAll(async () => {
  echo = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => echo.close(() => r())));

describe('ThrottleProxy', () => {
  it('512 KB through 1 MB/s links, there and back: all of it, in order, and no sooner than the links can carry it', async () => {
    const proxy = new ThrottleProxy('127.0.0.1', echoPort, { rate: 2 ** 20, rttMs: 20 });
    const port = await proxy.listen();
    try {
      const sent = Buffer.from(Array.from({ length: 512 * 1024 }, (_, i) => (i * 7) & 0xff));
      const started = performance.now();
      const got = await new Promise<Buffer>((resolve, reject) => {
        const parts: Buffer[] = [];
        let n = 0;
        const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => c.end(sent));
        c.on('error', reject);
        c.on('data', (b: Buffer) => {
          parts.push(b);
          n += b.length;
        });
        c.on('end', () => (n === sent.length ? resolve(Buffer.concat(parts)) : reject(new Error(`got ${n} bytes`))));
      });
      const elapsedMs = performance.now() - started;
      expect(got.equals(sent)).toBe(true);
      // half a MiB each way at 1 MiB/s: at least 0.5 s on the link (the directions overlap) plus the round trip
      expect(elapsedMs).toBeGreaterThanOrEqual(500 + 20 - 5);
      const c = proxy.take();
      expect(c).toMatchObject({ up: sent.length, down: sent.length, connections: 1 });
    } finally {
      await proxy.close();
    }
  });
});
