// The pgoutput decoder on bytes a PostgreSQL 15 server sent (pg_logical_slot_peek_binary_changes, proto_version 1), and catch-up's grouping.
import { describe, expect, it } from 'vitest';
import { compareLsn, formatLsn, lsnBytesBetween, parseLsn } from '../../src/events/lsn.js';
import { decodePgoutput, type PgoutputMessage } from '../../src/engine/pg/pgoutput.js';
import { transactionsOf } from '../../src/engine/phases/catch-up.js';
import { catchUpName } from '../../src/engine/pg/slot.js';

// captured from: CREATE TABLE t (id int PRIMARY KEY, v text, big text) with big STORAGE EXTERNAL and a 10 kB value in
// row 1; INSERT (2, NULL, 'small'); UPDATE v of row 1 (big unchanged); UPDATE id 1 → 3; DELETE row 2; TRUNCATE t
const CAPTURED: [string, string][] = [
  ['0/1520098', 'QgAAAAABUgIQAAMEmLR0JvwAAALX'],
  ['0/1520098', 'UgAAQABwdWJsaWMAdABkAAMBaWQAAAAAF/////8AdgAAAAAZ/////wBiaWcAAAAAGf////8='],
  ['0/1520188', 'SQAAQABOAAN0AAAAATJudAAAAAVzbWFsbA=='],
  ['0/1520240', 'QwAAAAAAAVICEAAAAAABUgJAAAMEmLR0Jvw='],
  ['0/1520278', 'QgAAAAABUgLYAAMEmLR0KZsAAALY'],
  ['0/1520278', 'VQAAQABOAAN0AAAAATF0AAAAAWJ1'],
  ['0/1520308', 'QwAAAAAAAVIC2AAAAAABUgMIAAMEmLR0KZs='],
  ['0/1520340', 'QgAAAAABUgPoAAMEmLR0KxkAAALZ'],
  ['0/1520340', 'VQAAQABLAAN0AAAAATFubk4AA3QAAAABM3QAAAABYnU='],
  ['0/1520418', 'QwAAAAAAAVID6AAAAAABUgQYAAMEmLR0Kxk='],
  ['0/1520418', 'QgAAAAABUgRYAAMEmLR0K9QAAALa'],
  ['0/1520418', 'RAAAQABLAAN0AAAAATJubg=='],
  ['0/1520488', 'QwAAAAAAAVIEWAAAAAABUgSIAAMEmLR0K9Q='],
  ['0/1520FD8', 'QgAAAAABUhAIAAMEmLR0LtwAAALb'],
  ['0/1520FD8', 'UgAAQABwdWJsaWMAdABkAAMBaWQAAAAAF/////8AdgAAAAAZ/////wBiaWcAAAAAGf////8='],
  ['0/1520FD8', 'VAAAAAEAAABAAA=='],
  ['0/1521178', 'QwAAAAAAAVIQCAAAAAABUhF4AAMEmLR0Ltw='],
];

const decoded = (): PgoutputMessage[] => CAPTURED.map(([, b64]) => decodePgoutput(Buffer.from(b64, 'base64')));
const text = (s: string) => ({ kind: 'text', text: s });

describe('pgoutput', () => {
  it('decodes begin, relation, insert with a null, commit', () => {
    const [begin, rel, ins, commit] = decoded();
    expect(begin).toEqual({ tag: 'begin', finalLsn: '0/1520210', xid: 727 });
    expect(rel).toEqual({
      tag: 'relation',
      relid: 16384,
      schema: 'public',
      name: 't',
      replicaIdentity: 'd',
      columns: [
        { name: 'id', key: true, typeOid: 23, typmod: -1 },
        { name: 'v', key: false, typeOid: 25, typmod: -1 },
        { name: 'big', key: false, typeOid: 25, typmod: -1 },
      ],
    });
    expect(ins).toEqual({ tag: 'insert', relid: 16384, row: [text('2'), { kind: 'null' }, text('small')] });
    expect(commit).toMatchObject({ tag: 'commit', commitLsn: '0/1520210', endLsn: '0/1520240' });
    expect((commit as { commitTime: string }).commitTime).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('an update leaves the unchanged TOASTed column out; a key change carries the old key; a delete its key; a truncate its relations', () => {
    const m = decoded();
    expect(m[5]).toEqual({ tag: 'update', relid: 16384, old: null, row: [text('1'), text('b'), { kind: 'unchanged' }] });
    expect(m[8]).toEqual({
      tag: 'update',
      relid: 16384,
      old: { kind: 'key', row: [text('1'), { kind: 'null' }, { kind: 'null' }] },
      row: [text('3'), text('b'), { kind: 'unchanged' }],
    });
    expect(m[11]).toEqual({ tag: 'delete', relid: 16384, old: { kind: 'key', row: [text('2'), { kind: 'null' }, { kind: 'null' }] } });
    expect(m[15]).toEqual({ tag: 'truncate', relids: [16384], cascade: false, restartIdentity: false });
  });

  it('a full old row (REPLICA IDENTITY FULL), an origin and a type, built by hand', () => {
    const b = (...parts: (number[] | string)[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.concat([Buffer.from(p), Buffer.from([0])]) : Buffer.from(p))));
    const int32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    const upd = Buffer.concat([
      Buffer.from('U'),
      Buffer.from(int32(7)),
      Buffer.from('O'),
      Buffer.from([0, 1, 0x74]),
      Buffer.from(int32(1)),
      Buffer.from('x'),
      Buffer.from('N'),
      Buffer.from([0, 1, 0x6e]),
    ]);
    expect(decodePgoutput(upd)).toEqual({ tag: 'update', relid: 7, old: { kind: 'full', row: [text('x')] }, row: [{ kind: 'null' }] });
    expect(decodePgoutput(b([0x4f], [0, 0, 0, 1, 0, 0, 0, 2], 'node_a'))).toEqual({ tag: 'origin', commitLsn: '1/2', name: 'node_a' });
    expect(decodePgoutput(b([0x59], int32(99), 'public', 'mood'))).toEqual({ tag: 'type', oid: 99, schema: 'public', name: 'mood' });
  });

  it('refuses a message cut short, one with bytes after its end, and an unknown kind', () => {
    const ins = Buffer.from(CAPTURED[2]![1], 'base64');
    expect(() => decodePgoutput(ins.subarray(0, ins.length - 2))).toThrow(/ends early/);
    expect(() => decodePgoutput(Buffer.concat([ins, Buffer.from([0])]))).toThrow(/after its end/);
    expect(() => decodePgoutput(Buffer.from('Z'))).toThrow(/unknown kind 'Z'/);
  });

  it('groups a read into whole transactions, each with the relations described so far and its commit end', () => {
    const txs = transactionsOf(decoded());
    expect(txs.map((t) => [t.endLsn, t.changes.map((c) => c.tag)])).toEqual([
      ['0/1520240', ['insert']],
      ['0/1520308', ['update']],
      ['0/1520418', ['update']],
      ['0/1520488', ['delete']],
      ['0/1521178', ['truncate']],
    ]);
    // the relation was described once, in the first transaction, and serves the later ones of the same read
    expect(txs[3]!.relations.get(16384)?.name).toBe('t');
    expect(() => transactionsOf(decoded().slice(0, 3))).toThrow(/inside a transaction/);
  });
});

describe('LSN', () => {
  it('parses, prints and compares as 64-bit positions, not as text', () => {
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(compareLsn('0/FFFFFFFF', '1/0')).toBe(-1);
    expect(compareLsn('A/10', '9/FFFFFFFF')).toBe(1);
    expect(compareLsn('0/1520240', '0/1520240')).toBe(0);
    expect(lsnBytesBetween('0/100', '0/180')).toBe(128);
    expect(() => parseLsn('12')).toThrow(/not an LSN/);
  });

  it('names a run’s slot and publication from its id alone, as slot names must be', () => {
    expect(catchUpName('AbC09xyz')).toBe('pgclone_abc09xyz');
    expect(catchUpName('a-b.c')).toBe('pgclone_a_b_c');
  });
});
