// COPY relayed frame by frame: the source's CopyData messages go to the target as they are, unparsed and uncopied.
//
// A server sends COPY rows as CopyData messages ('d', length, bytes) and a client sends them to COPY FROM in
// exactly the same form, so the relay only finds message boundaries: it forwards whole CopyData frames (zero-copy
// slices of what the socket read), drops the few other messages a COPY can carry (notices, parameter changes),
// and hands everything from CopyDone on back to node-postgres. Only whole frames ever reach the target, so a
// CopyFail after a failure is always read as one.
//
// The socket stays in flowing mode ('data' events, paused while the consumer is full and resumed when it asks
// again): Deno's node:net never emits 'readable' on a paused socket, so a relay that pulls with read() stalls there.
// A socket that cannot pause (node-postgres's Cloudflare Workers socket has no pause or resume) simply flows: a
// batch's rows then wait in this stream's buffer, at most one batch (--batch-size) per job.
import { Readable, Writable } from 'node:stream';

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const SKIPPED = new Set([0x48 /* H CopyOutResponse */, 0x4e /* N Notice */, 0x53 /* S ParameterStatus */, 0x41 /* A Notification */]);

interface PgSocket extends NodeJS.EventEmitter {
  write(b: Buffer): boolean;
  pause?(): void;
  resume?(): void;
}

interface PgConnection {
  stream: PgSocket;
  query(text: string): void;
  sendCopyFail(msg: string): void;
}

/** The readable side: a node-postgres "submittable" running COPY … TO STDOUT. */
export class CopyOutFrames extends Readable {
  /** the source's own count of the rows it sent (its CommandComplete), known once `completed` settles */
  rowCount = 0;
  /** settles when the source has said ReadyForQuery after the COPY, or failed */
  readonly completed: Promise<void>;
  private settle: { resolve: () => void; reject: (e: Error) => void } = { resolve: () => undefined, reject: () => undefined };
  /** whole CopyData frames seen: one per row (binary COPY adds none: its header rides in the first row's frame) */
  frames = 0;
  private connection: PgConnection | null = null;
  private pgHandler: ((b: Buffer) => void) | null = null;
  private finished = false;
  /** pieces of a frame not yet complete, and how many bytes it still lacks (-1: its header is incomplete) */
  private partial: Buffer[] = [];
  private lacking = 0;
  /** bytes of a non-CopyData message still to skip */
  private skipping = 0;
  private readonly onData = (chunk: Buffer) => {
    if (this.finished) return;
    if (!this.scan(chunk) && !this.finished) this.connection?.stream.pause?.();
  };

  constructor(private readonly text: string) {
    super({ highWaterMark: 1 << 20 });
    this.completed = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.completed.catch(() => undefined); // awaited only after a whole pipeline; a failed one reports its own error
  }

  /** node-postgres hands over its connection when this query's turn comes */
  submit(pgConnection: unknown): void {
    const connection = pgConnection as PgConnection;
    this.connection = connection;
    const s = connection.stream;
    const handlers = s.listeners('data') as ((b: Buffer) => void)[];
    if (handlers.length !== 1) throw new Error('unexpected listeners on the connection');
    this.pgHandler = handlers[0] as (b: Buffer) => void;
    s.removeListener('data', this.pgHandler);
    s.on('data', this.onData);
    connection.query(this.text);
  }

  /** the consumer wants more: let the socket flow again (it was paused only when a push said "full") */
  override _read(): void {
    if (this.connection && !this.finished) this.connection.stream.resume?.();
  }

  /** Scan one socket read; push the whole frames it completes. Returns whether the consumer wants more. */
  private scan(input: Buffer): boolean {
    let buf = input;
    let i = 0;
    const out: Buffer[] = [];
    let runStart = -1;
    const closeRun = (end: number) => {
      if (runStart >= 0 && end > runStart) out.push(buf.subarray(runStart, end));
      runStart = -1;
    };
    // finish what the previous read left open
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, buf.length);
      this.skipping -= n;
      i = n;
    } else if (this.partial.length > 0) {
      if (this.lacking < 0) {
        // the header itself was cut: join the few header bytes to this read and rescan from the frame start
        const head = Buffer.concat(this.partial);
        this.partial = [];
        this.lacking = 0;
        buf = Buffer.concat([head, buf]);
      } else {
        const n = Math.min(this.lacking, buf.length);
        this.partial.push(buf.subarray(0, n));
        this.lacking -= n;
        i = n;
        if (this.lacking === 0) {
          out.push(...this.partial);
          this.frames++;
          this.partial = [];
        }
      }
    }
    while (i < buf.length && this.lacking >= 0 && this.partial.length === 0 && this.skipping === 0) {
      if (buf.length - i < 5) {
        closeRun(i);
        this.partial = [buf.subarray(i)];
        this.lacking = -1;
        break;
      }
      const type = buf[i] as number;
      const size = 1 + buf.readUInt32BE(i + 1);
      if (type === COPY_DATA) {
        if (runStart < 0) runStart = i;
        if (i + size <= buf.length) {
          i += size;
          this.frames++;
          continue;
        }
        // a frame longer than this read: hold its pieces until it is whole
        closeRun(i);
        this.partial = [buf.subarray(i)];
        this.lacking = size - (buf.length - i);
        i = buf.length;
        break;
      }
      closeRun(i);
      if (SKIPPED.has(type)) {
        const n = Math.min(size, buf.length - i);
        this.skipping = size - n;
        i += n;
        continue;
      }
      // CopyDone, CommandComplete, ErrorResponse…: the rest is node-postgres's to read
      this.finish(buf.subarray(i), out);
      return false;
    }
    closeRun(i);
    let wanted = true;
    for (const b of out) wanted = this.push(b);
    return wanted;
  }

  private finish(rest: Buffer, out: Buffer[]): void {
    this.finished = true;
    for (const b of out) this.push(b);
    const conn = this.connection as PgConnection;
    const s = conn.stream;
    s.removeListener('data', this.onData);
    const handler = this.pgHandler as (b: Buffer) => void;
    s.on('data', handler);
    const done = rest[0] === COPY_DONE;
    // CopyDone is ours to consume (its length is always 4); CommandComplete and the rest are node-postgres's
    handler(done ? rest.subarray(5) : rest);
    process.nextTick(() => s.resume?.());
    if (done) this.push(null); // else an error: node-postgres reports it through handleError
  }

  // node-postgres calls these as the protocol proceeds
  handleCommandComplete(msg: { text?: string } | undefined): void {
    const m = /COPY (\d+)/.exec(msg?.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }
  handleReadyForQuery(): void {
    this.connection = null;
    this.settle.resolve();
  }
  handleError(err: Error): void {
    this.destroy(err);
    this.connection = null;
    this.settle.reject(err);
  }
  handleCopyData(): void {}
}

/** The writable side: a node-postgres "submittable" running COPY … FROM STDIN that takes whole CopyData frames. */
export class CopyInFrames extends Writable {
  rowCount = 0;
  private connection: PgConnection | null = null;
  private ready = false;
  private waiting: (() => void) | null = null;
  private onReady: ((e?: Error | null) => void) | null = null;
  private onFailed: ((e?: Error | null) => void) | null = null;
  private doneSent = false;

  constructor(private readonly text: string) {
    super({ highWaterMark: 1 << 20 });
  }

  submit(pgConnection: unknown): void {
    const connection = pgConnection as PgConnection;
    this.connection = connection;
    connection.query(this.text);
  }

  private whenReady(fn: () => void): void {
    if (this.ready) fn();
    else this.waiting = fn;
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.whenReady(() => {
      const s = (this.connection as PgConnection).stream;
      let ok = true;
      for (const c of chunks) ok = s.write(c.chunk);
      if (ok) cb();
      else s.once('drain', () => cb());
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this._writev([{ chunk }], cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.onReady = cb;
    this.whenReady(() => {
      this.doneSent = true;
      (this.connection as PgConnection).stream.write(Buffer.from([COPY_DONE, 0, 0, 0, 4]));
    });
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    const conn = this.connection;
    // over already, or past CopyDone (the caller's ROLLBACK undoes it): nothing to tell the server
    if (!conn || this.doneSent) return cb(err);
    // CopyFail makes the server roll the COPY back; its ErrorResponse then ends the query
    this.onFailed = () => cb(err);
    this.whenReady(() => conn.sendCopyFail(err ? err.message : 'the copy was cancelled'));
  }

  handleCopyInResponse(): void {
    this.ready = true;
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }
  handleCommandComplete(msg: { text?: string } | undefined): void {
    const m = /COPY (\d+)/.exec(msg?.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }
  handleReadyForQuery(): void {
    this.connection = null;
    const cb = this.onReady;
    this.onReady = null;
    cb?.();
  }
  handleError(err: Error): void {
    this.connection = null;
    const failed = this.onFailed;
    this.onFailed = null;
    if (failed) return failed(err);
    const ready = this.onReady;
    this.onReady = null;
    if (ready) return ready(err);
    this.destroy(err);
  }
  callback(): void {}
}
