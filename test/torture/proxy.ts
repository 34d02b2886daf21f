// A TCP proxy that can cut the network the way a dead link does: it stops forwarding, and closes nothing.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

export class CuttableProxy {
  private server: Server | null = null;
  private frozen = false;
  private cutAtQuery = false;
  private pairs: { client: Socket; upstream: Socket }[] = [];
  private waiting: (() => void)[] = [];
  port = 0;

  constructor(
    private readonly host: string,
    private readonly upstreamPort: number,
  ) {}

  async listen(): Promise<number> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this.port;
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    // while cut, a new connection is accepted by the kernel and then hears nothing, like SYNs into a blackhole
    const start = () => {
      const upstream = tcpConnect(this.upstreamPort, this.host);
      upstream.on('error', () => undefined);
      const pair = { client, upstream };
      this.pairs.push(pair);
      client.on('data', (d) => {
        // a simple Query message ('Q') after the handshake: the moment cutAtFirstQuery() waits for
        if (this.cutAtQuery && d[0] === 0x51) this.frozen = true;
        if (!this.frozen) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!this.frozen) client.write(d);
      });
      client.on('close', () => {
        if (!this.frozen) upstream.destroy();
      });
      upstream.on('close', () => {
        if (!this.frozen) client.destroy();
      });
    };
    if (this.frozen) this.waiting.push(start);
    else start();
  }

  /** Stop forwarding in both directions without closing anything: bytes sent now are lost, nobody is told. */
  cut(): void {
    this.frozen = true;
  }

  /** Forward the handshake, then cut when the client sends its first query: between connect and first use. */
  cutAtFirstQuery(): void {
    this.cutAtQuery = true;
  }

  /**
   * Forward again. Connections whose other end gave up during the cut stay half-open upstream, as they
   * would on a real network until the server's keepalives fire: the engine must not wait for them.
   */
  restore(): void {
    this.frozen = false;
    this.cutAtQuery = false;
    for (const w of this.waiting.splice(0)) w();
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
