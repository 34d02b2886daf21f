// The follower never skips an event that commits late with a smaller id, and sees each event once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { appendEvents, createFollower, ensureLog, type LoggedEvent, type NewEvent } from '../../src/events/index.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { LogBuilder, plannedTable } from '../fixtures/events.js';

let db: TestDb;
let a: pg.Client;
let b: pg.Client;
let f: pg.Client;

beforeAll(async () => {
  db = await createTestDb('tail');
  [a, b, f] = await Promise.all([db.client(), db.client(), db.client()]);
  await ensureLog(a);
});
afterAll(async () => {
  await Promise.all([a, b, f].map((c) => c.end()));
});

const ev = (runId: string, phase: 'data' | 'schema'): NewEvent => {
  const e = new LogBuilder(runId).started([plannedTable('t', 1)]).build()[0]!;
  const { id: _i, v: _v, ...rest } = e;
  return phase === 'schema' ? (rest as NewEvent) : ({ type: 'PhaseStarted', runId, phase } as NewEvent);
};

async function idOf(c: pg.Client, e: NewEvent): Promise<number> {
  const r = await appendEvents(c, [e]);
  if (!r.ok) throw new Error('conflict');
  return r.events[0]!.id;
}

describe('tail', () => {
  it('sees both events of two transactions that commit in reverse id order, once each', async () => {
    const follower = createFollower(f, { runId: 'run_tail' });
    await a.query('BEGIN');
    const idA = await idOf(a, ev('run_tail', 'schema'));
    await b.query('BEGIN');
    const idB = await idOf(b, ev('run_tail', 'data'));
    expect(idA).toBeLessThan(idB);
    await b.query('COMMIT');

    const seen: LoggedEvent[] = [];
    seen.push(...(await follower.poll()));
    // the newer event is committed, but the older transaction is still open: nothing may be read past it
    expect(seen.map((e) => e.id)).not.toContain(idB);

    await a.query('COMMIT');
    seen.push(...(await follower.poll()));
    seen.push(...(await follower.poll()));
    expect(seen.map((e) => e.id).sort((x, y) => x - y)).toEqual([idA, idB]);
  });

  it('also when the older transaction took its xid first but writes its event last', async () => {
    const follower = createFollower(f, { runId: 'run_tail2' });
    await a.query('BEGIN');
    await a.query('SELECT pg_current_xact_id()'); // a now holds the older transaction id
    await b.query('BEGIN');
    const idB = await idOf(b, ev('run_tail2', 'schema'));
    const idA = await idOf(a, ev('run_tail2', 'data'));
    expect(idB).toBeLessThan(idA);
    await b.query('COMMIT');
    const seen: LoggedEvent[] = [...(await follower.poll())];
    await a.query('COMMIT');
    seen.push(...(await follower.poll()));
    seen.push(...(await follower.poll()));
    expect(seen.map((e) => e.id).sort((x, y) => x - y)).toEqual([idB, idA]);
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
  });

  it('a naive "id greater than the last seen" reader would have skipped it (the test can fail)', async () => {
    await a.query('BEGIN');
    const idA = await idOf(a, ev('run_naive', 'schema'));
    await b.query('BEGIN');
    const idB = await idOf(b, ev('run_naive', 'data'));
    await b.query('COMMIT');
    const firstRead = await f.query<{ id: string }>(`SELECT id FROM pgclone.events WHERE run_id = 'run_naive' ORDER BY id`);
    const naiveCursor = Math.max(...firstRead.rows.map((r) => Number(r.id)));
    await a.query('COMMIT');
    const secondRead = await f.query<{ id: string }>(`SELECT id FROM pgclone.events WHERE run_id = 'run_naive' AND id > $1`, [naiveCursor]);
    const naiveSeen = [...firstRead.rows, ...secondRead.rows].map((r) => Number(r.id));
    expect(naiveSeen).toEqual([idB]);
    expect(naiveSeen).not.toContain(idA);
  });

  it('reads in transaction-id order where the ids change length (998 before 1000), not in their text order', async () => {
    // copies of two real events, under transaction ids a cluster passes once (and a follower then misread)
    await a.query('BEGIN');
    const start = await idOf(a, ev('run_len_src', 'schema'));
    const next = await idOf(a, ev('run_len_src', 'data'));
    await a.query('COMMIT');
    const copy = (id: number, tx: string) =>
      a.query(
        `INSERT INTO pgclone.events (run_id, type, version, at, tx, unique_key, payload)
         SELECT 'run_len', type, version, at, $2::xid8, unique_key, jsonb_set(payload, '{runId}', '"run_len"') FROM pgclone.events WHERE id = $1`,
        [id, tx],
      );
    await copy(start, '998');
    await copy(next, '1000');
    const seen = await createFollower(f, { runId: 'run_len' }).poll();
    expect(seen.map((e) => e.type)).toEqual(['RunStarted', 'PhaseStarted']);
  });

  it('is not held back by a long transaction in another database of the same cluster', async () => {
    const elsewhere = await createTestDb('tail_other');
    const o = await elsewhere.client();
    try {
      await o.query('BEGIN');
      await o.query('SELECT pg_current_xact_id()');
      const follower = createFollower(f, { runId: 'run_tail3' });
      await a.query('BEGIN');
      const id = await idOf(a, ev('run_tail3', 'schema'));
      await a.query('COMMIT');
      expect((await follower.poll()).map((e) => e.id)).toEqual([id]);
    } finally {
      await o.query('ROLLBACK');
      await o.end();
    }
  });
});
