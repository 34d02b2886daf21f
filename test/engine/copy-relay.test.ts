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

/** A fake node-postgres connection whose socket flows the given chunks as 'data', one per tick, while not paused. */
function fakeConnection(chunks: Buffer[]) {
  const handedBack: Buffer[] = [];
  let paused = false;
  let scheduled = false;
  const counts = { pauses: 0 };
  const flow = () => {
    scheduled = false;
    if (paused) return;
    const c = chunks.shift();
    if (!c) return;
    stream.emit('data', c);
    schedule();
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(flow);
    }
  };
  const stream = Object.assign(new EventEmitter(), {
    write: () => true,
    pause: () => {
      counts.pauses++;
      paused = true;
    },
    resume: () => {
      paused = false;
      schedule();
    },
  });
  stream.on('data', (b: Buffer) => handedBack.push(b));
  const conn = { stream, query: () => schedule(), sendCopyFail: () => undefined };
  return { conn, handedBack, counts, left: () => chunks.length };
}

async function relay(wire: Buffer, cuts: number[], slow = false): Promise<{ out: Buffer; back: Buffer; frames: number; pauses: number }> {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, wire.length]) {
    chunks.push(wire.subarray(at, c));
    at = c;
  }
  const { conn, handedBack, counts, left } = fakeConnection(chunks.filter((c) => c.length > 0));
  const s = new CopyOutFrames('COPY x TO STDOUT');
  const got: Buffer[] = [];
  const ended = new Promise((r) => s.on('end', r));
  if (!slow) s.on('data', (b: Buffer) => got.push(b));
  else {
    // a consumer that takes one chunk per timer turn: the relay's buffer fills and the socket must pause
    const take = () => {
      let b: Buffer | null;
      if ((b = s.read() as Buffer | null) !== null) got.push(b);
      if (!s.readableEnded) setTimeout(take, 1);
    };
    s.once('readable', take);
  }
  s.submit(conn);
  await ended;
  // what follows CopyDone keeps flowing to node-postgres's handler; wait until the socket has nothing left
  while (left() > 0) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return { out: Buffer.concat(got), back: Buffer.concat(handedBack), frames: s.frames, pauses: counts.pauses };
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

  it('a slow consumer pauses the socket and every frame still goes through, in order', async () => {
    const many = Array.from({ length: 40 }, (_, i) => msg('d', Buffer.alloc(100_000, i)));
    const big = Buffer.concat([msg('H', Buffer.from([0])), ...many, msg('c', Buffer.alloc(0)), tail]);
    const cuts = Array.from({ length: 60 }, (_, i) => Math.floor(((i + 1) * big.length) / 61));
    const r = await relay(big, cuts, true);
    expect(r.pauses).toBeGreaterThan(0);
    expect(r.out.equals(Buffer.concat(many))).toBe(true);
    expect(r.back.equals(tail)).toBe(true);
    expect(r.frames).toBe(40);
  });
});
