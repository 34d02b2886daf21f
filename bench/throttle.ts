// A remote source on loopback: a TCP proxy that gives each connection, in each direction, a link of RATE bytes per
// second and RTT/2 of one-way delay — for every tool alike. It counts what crosses it, so the report can say how
// close each tool came to what the links allow.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

/** A link's pacing: a chunk leaves once the link has sent the ones before it (serialisation), and arrives a one-way delay later. */
export class Pacer {
  private free = 0;
  constructor(
    private readonly bytesPerMs: number,
    private readonly oneWayMs: number,
  ) {}
  /** when a chunk of `bytes` that reached the link at `now` is delivered */
  deliverAt(now: number, bytes: number): number {
    const start = Math.max(now, this.free);
    this.free = start + bytes / this.bytesPerMs;
    return this.free + this.oneWayMs;
  }
  /** how far the link is booked ahead of `now` (ms): the sender is paused while this is long */
  backlogMs(now: number): number {
    return Math.max(0, this.free - now);
  }
}

export interface Remote {
  /** bytes per second per connection and direction */
  rate: number;
  rttMs: number;
}

/** "25MB/s,10ms" → 25 MiB/s and 10 ms round trip */
export function parseRemote(text: string): Remote {
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB)\/s\s*,\s*(\d+(?:\.\d+)?)\s*ms$/i.exec(text.trim());
  if (!m) throw new Error(`--remote must look like 25MB/s,10ms (a rate per connection and a round trip), not "${text}"`);
  const unit = { KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30 }[m[2]!.toUpperCase() as 'KB' | 'MB' | 'GB'];
  const rate = Number(m[1]) * unit;
  const rttMs = Number(m[3]);
  if (rate <= 0) throw new Error('--remote: the rate must be above zero');
  return { rate, rttMs };
}

export interface Crossing {
  /** bytes from the source to the clients, and from the clients to the source */
  down: number;
  up: number;
  connections: number;
  /** the most connections open at once */
  peakConnections: number;
}

/** Pause the sender while the link is booked this far ahead: the proxy holds about one window, as a network would. */
const WINDOW_MS = 50;

export class ThrottleProxy {
  private server: Server | null = null;
  private open = 0;
  private sockets = new Set<Socket>();
  crossing: Crossing = { down: 0, up: 0, connections: 0, peakConnections: 0 };
  port = 0;

  constructor(
    private readonly host: string,
    private readonly upstreamPort: number,
    private readonly remote: Remote,
  ) {}

  async listen(): Promise<number> {
    this.server = createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    this.server.on('error', () => undefined);
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this.port;
  }

  /** the counts since the last call, for one measurement */
  take(): Crossing {
    const c = this.crossing;
    this.crossing = { down: 0, up: 0, connections: 0, peakConnections: this.open };
    return c;
  }

  private accept(client: Socket): void {
    const upstream = tcpConnect({ port: this.upstreamPort, host: this.host, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      s.on('error', () => undefined);
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    }
    this.open++;
    this.crossing.connections++;
    this.crossing.peakConnections = Math.max(this.crossing.peakConnections, this.open);
    this.link(client, upstream, 'up');
    this.link(upstream, client, 'down');
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.open--;
    };
    client.on('close', close);
  }

  /**
   * from → to through a paced link; the end (or a reset) follows the last byte. One queue and one timer per link:
   * chunks leave strictly in order (separate timers could swap two chunks due within a millisecond of each other).
   */
  private link(from: Socket, to: Socket, dir: 'up' | 'down'): void {
    const pacer = new Pacer(this.remote.rate / 1000, this.remote.rttMs / 2);
    const queue: { chunk: Buffer; at: number }[] = [];
    let timer: NodeJS.Timeout | null = null;
    let ended = false;
    let reset = false;
    const settle = () => {
      if (queue.length > 0) return;
      if (reset) to.destroy();
      else if (ended) to.end();
    };
    const pump = () => {
      timer = null;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.at <= now + 0.5) {
        const { chunk } = queue.shift()!;
        if (!to.destroyed) to.write(chunk);
      }
      if (from.isPaused() && pacer.backlogMs(now) < WINDOW_MS) from.resume();
      if (queue.length > 0) timer = setTimeout(pump, Math.max(1, queue[0]!.at - now));
      else settle();
    };
    from.on('data', (chunk: Buffer) => {
      const now = performance.now();
      queue.push({ chunk, at: pacer.deliverAt(now, chunk.length) });
      this.crossing[dir] += chunk.length;
      timer ??= setTimeout(pump, Math.max(1, queue[0]!.at - now));
      if (pacer.backlogMs(now) >= WINDOW_MS) from.pause();
    });
    from.on('end', () => {
      ended = true;
      settle();
    });
    from.on('close', () => {
      // a reset or a close without end: the other side goes once what is in flight has left
      if (!ended) reset = true;
      settle();
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
