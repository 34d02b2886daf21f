// pgoutput's logical replication messages (protocol version 1, text tuples) decoded from their bytes. Pure.
import { formatLsn } from '../../events/lsn.js';

/** One column of a tuple: null, an unchanged TOASTed value the message leaves out, or its text. */
export type TupleValue = { kind: 'null' } | { kind: 'unchanged' } | { kind: 'text'; text: string };

export interface RelationColumn {
  name: string;
  /** part of the replica identity (the key pgoutput sends for old rows) */
  key: boolean;
  typeOid: number;
  typmod: number;
}

export type PgoutputMessage =
  | { tag: 'begin'; finalLsn: string; xid: number }
  | { tag: 'commit'; commitLsn: string; endLsn: string; commitTime: string }
  | { tag: 'origin'; commitLsn: string; name: string }
  | { tag: 'relation'; relid: number; schema: string; name: string; replicaIdentity: string; columns: RelationColumn[] }
  | { tag: 'type'; oid: number; schema: string; name: string }
  | { tag: 'insert'; relid: number; row: TupleValue[] }
  /** old: the key ('K') or the whole old row ('O', REPLICA IDENTITY FULL); absent when the key did not change */
  | { tag: 'update'; relid: number; old: { kind: 'key' | 'full'; row: TupleValue[] } | null; row: TupleValue[] }
  | { tag: 'delete'; relid: number; old: { kind: 'key' | 'full'; row: TupleValue[] } }
  | { tag: 'truncate'; relids: number[]; cascade: boolean; restartIdentity: boolean }
  /** a logical decoding message (pg_logical_emit_message): not a row change */
  | { tag: 'message' };

class Reader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}
  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new Error(`pgoutput message ends early (needs ${n} bytes at ${this.at} of ${this.buf.length})`);
  }
  byte(): number {
    this.need(1);
    return this.buf[this.at++] as number;
  }
  char(): string {
    return String.fromCharCode(this.byte());
  }
  int16(): number {
    this.need(2);
    const v = ((this.buf[this.at] as number) << 8) | (this.buf[this.at + 1] as number);
    this.at += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const b = this.buf;
    const v = (((b[this.at] as number) << 24) | ((b[this.at + 1] as number) << 16) | ((b[this.at + 2] as number) << 8) | (b[this.at + 3] as number)) >>> 0;
    this.at += 4;
    return v;
  }
  int64(): bigint {
    const hi = BigInt(this.int32());
    const lo = BigInt(this.int32());
    return (hi << 32n) | lo;
  }
  lsn(): string {
    return formatLsn(this.int64());
  }
  /** a NUL-terminated string */
  cstring(): string {
    const end = this.buf.indexOf(0, this.at);
    if (end < 0) throw new Error('pgoutput string without its terminating NUL');
    const s = new TextDecoder().decode(this.buf.subarray(this.at, end));
    this.at = end + 1;
    return s;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  done(): boolean {
    return this.at === this.buf.length;
  }
}

function tuple(r: Reader): TupleValue[] {
  const n = r.int16();
  const out: TupleValue[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r.char();
    if (kind === 'n') out.push({ kind: 'null' });
    else if (kind === 'u') out.push({ kind: 'unchanged' });
    else if (kind === 't') out.push({ kind: 'text', text: new TextDecoder().decode(r.bytes(r.int32())) });
    else throw new Error(`pgoutput tuple column of kind '${kind}' (binary tuples are not asked for)`);
  }
  return out;
}

function oldTuple(r: Reader, tag: string): { kind: 'key' | 'full'; row: TupleValue[] } {
  if (tag === 'K') return { kind: 'key', row: tuple(r) };
  if (tag === 'O') return { kind: 'full', row: tuple(r) };
  throw new Error(`pgoutput old tuple marked '${tag}'`);
}

/** PostgreSQL's timestamps count microseconds from 2000-01-01 UTC. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
export function pgTime(micros: bigint): string {
  return new Date(PG_EPOCH_MS + Number(micros / 1000n)).toISOString();
}

/** One message, as pg_logical_slot_peek_binary_changes returns it in its `data` column. */
export function decodePgoutput(data: Uint8Array): PgoutputMessage {
  const r = new Reader(data);
  const tag = r.char();
  let m: PgoutputMessage;
  switch (tag) {
    case 'B': {
      const finalLsn = r.lsn();
      r.int64(); // commit time
      m = { tag: 'begin', finalLsn, xid: r.int32() };
      break;
    }
    case 'C': {
      r.byte(); // flags, unused
      const commitLsn = r.lsn();
      const endLsn = r.lsn();
      m = { tag: 'commit', commitLsn, endLsn, commitTime: pgTime(r.int64()) };
      break;
    }
    case 'O':
      m = { tag: 'origin', commitLsn: r.lsn(), name: r.cstring() };
      break;
    case 'R': {
      const relid = r.int32();
      const schema = r.cstring();
      const name = r.cstring();
      const replicaIdentity = r.char();
      const n = r.int16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < n; i++) {
        const flags = r.byte();
        columns.push({ name: r.cstring(), key: (flags & 1) === 1, typeOid: r.int32(), typmod: r.int32() | 0 });
      }
      m = { tag: 'relation', relid, schema, name, replicaIdentity, columns };
      break;
    }
    case 'Y':
      m = { tag: 'type', oid: r.int32(), schema: r.cstring(), name: r.cstring() };
      break;
    case 'I': {
      const relid = r.int32();
      const n = r.char();
      if (n !== 'N') throw new Error(`pgoutput insert without its new tuple ('${n}')`);
      m = { tag: 'insert', relid, row: tuple(r) };
      break;
    }
    case 'U': {
      const relid = r.int32();
      let next = r.char();
      let old: { kind: 'key' | 'full'; row: TupleValue[] } | null = null;
      if (next === 'K' || next === 'O') {
        old = oldTuple(r, next);
        next = r.char();
      }
      if (next !== 'N') throw new Error(`pgoutput update without its new tuple ('${next}')`);
      m = { tag: 'update', relid, old, row: tuple(r) };
      break;
    }
    case 'D': {
      const relid = r.int32();
      m = { tag: 'delete', relid, old: oldTuple(r, r.char()) };
      break;
    }
    case 'T': {
      const n = r.int32();
      const options = r.byte();
      const relids: number[] = [];
      for (let i = 0; i < n; i++) relids.push(r.int32());
      m = { tag: 'truncate', relids, cascade: (options & 1) === 1, restartIdentity: (options & 2) === 2 };
      break;
    }
    case 'M':
      return { tag: 'message' };
    default:
      throw new Error(`pgoutput message of an unknown kind '${tag}'`);
  }
  if (!r.done()) throw new Error(`pgoutput ${m.tag} message has bytes after its end`);
  return m;
}
