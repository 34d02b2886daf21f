// The frame relay, without a server: whatever way the socket cuts the stream, exactly the CopyData frames go through.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CopyOutFrames } from '../../src/engine/pg/copy-relay.js';

const msg = (type: string, body: Buffer) => {
  const h = Buffer.alloc(5);
  h[0] = type.charCodeAt(0);
  h.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
};

/** A fake node-postgres connection whose socket yields the given chunks. */
function fakeConnection(chunks: Buffer[]) {
  const handedBack: Buffer[] = [];
  const stream = Object.assign(new EventEmitter(), {
    read: () => chunks.shift() ?? null,
    write: () => true,
    pause: () => undefined,
    // like a socket: once resumed, what was not read arrives as 'data'
    resume: () => {
      for (const c of chunks.splice(0)) stream.emit('data', c);
    },
  });
  stream.on('data', (b: Buffer) => handedBack.push(b));
  const conn = { stream, query: () => setImmediate(() => stream.emit('readable')), sendCopyFail: () => undefined };
  return { conn, handedBack };
}

async function relay(wire: Buffer, cuts: number[]): Promise<{ out: Buffer; back: Buffer; frames: number }> {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, wire.length]) {
    chunks.push(wire.subarray(at, c));
    at = c;
  }
  const { conn, handedBack } = fakeConnection(chunks.filter((c) => c.length > 0));
  const s = new CopyOutFrames('COPY x TO STDOUT');
  const got: Buffer[] = [];
  s.on('data', (b: Buffer) => got.push(b));
  const ended = new Promise((r) => s.on('end', r));
  s.submit(conn);
  await ended;
  await new Promise((r) => process.nextTick(r));
  return { out: Buffer.concat(got), back: Buffer.concat(handedBack), frames: s.frames };
}

function rng(seed: number) {
  let a = seed;
  return () => (a = (a * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

describe('CopyOutFrames', () => {
  const rows = [Buffer.from('1\tone\n'), Buffer.alloc(70_000, 7), Buffer.from('3\tthree\n'), Buffer.from('')];
  const frames = rows.map((r) => msg('d', r));
  const tail = Buffer.concat([msg('C', Buffer.from('COPY 4\0')), msg('Z', Buffer.from('I'))]);
  const wire = Buffer.concat([
    msg('H', Buffer.from([0, 0, 0])),
    frames[0]!,
    msg('N', Buffer.from('notice\0')),
    ...frames.slice(1),
    msg('c', Buffer.alloc(0)),
    tail,
  ]);

  it('forwards exactly the CopyData frames and hands the rest (after CopyDone) back, read in one piece', async () => {
    const r = await relay(wire, []);
    expect(r.out.equals(Buffer.concat(frames))).toBe(true);
    expect(r.back.equals(tail)).toBe(true);
    expect(r.frames).toBe(4);
  });

  it('does the same whatever the cuts: inside headers, bodies, skipped messages — 300 random splittings', async () => {
    const next = rng(42);
    for (let k = 0; k < 300; k++) {
      const n = 1 + Math.floor(next() * 12);
      const cuts = Array.from({ length: n }, () => Math.floor(next() * wire.length)).sort((a, b) => a - b);
      const r = await relay(wire, cuts);
      expect(r.out.equals(Buffer.concat(frames)), `cuts ${cuts.join(',')}`).toBe(true);
      expect(r.back.equals(tail), `cuts ${cuts.join(',')}`).toBe(true);
    }
  });

  it('cut one byte at a time', async () => {
    const small = Buffer.concat([
      msg('H', Buffer.from([0])),
      msg('d', Buffer.from('a\n')),
      msg('S', Buffer.from('x\0y\0')),
      msg('d', Buffer.from('bb\n')),
      msg('c', Buffer.alloc(0)),
      tail,
    ]);
    const r = await relay(
      small,
      Array.from({ length: small.length - 1 }, (_, i) => i + 1),
    );
    expect(r.out.equals(Buffer.concat([msg('d', Buffer.from('a\n')), msg('d', Buffer.from('bb\n'))]))).toBe(true);
    expect(r.back.equals(tail)).toBe(true);
  });
});
