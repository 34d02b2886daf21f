// A follower whose read fails part way (a connection cut on its second page) hands out nothing and skips nothing.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendStandalone, ensureLog, type NewEvent } from '../../src/events/index.js';
import { createFollower } from '../../src/events/tail.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

let db: TestDb;
let client: pg.Client;
beforeAll(async () => {
  db = await createTestDb('tail_cut');
  client = await db.client();
  await ensureLog(client);
});
afterAll(async () => {
  await client.end();
});

describe('a follower cut mid-read', () => {
  it('keeps its cursor where its handed-out events end: the next poll returns every event of the failed one', async () => {
    const runId = 'run_tail_cut';
    const at = new Date().toISOString();
    // more than one page (5,000)
    const events = Array.from({ length: 5003 }, () => ({ type: 'PhaseStarted', runId, phase: 'data', at }) as NewEvent);
    await appendStandalone(client, events);
    let queries = 0;
    let cut = true;
    // the log's existence, the first page, then the second page fails once as a terminated backend's would
    const flaky = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return (...args: unknown[]) => {
          queries++;
          if (cut && queries === 3) {
            cut = false;
            return Promise.reject(new Error('Client has encountered a connection error and is not queryable'));
          }
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const follower = createFollower(flaky, { runId });
    await expect(follower.poll()).rejects.toThrow(/connection error/);
    const again = createFollower(client, { runId, from: follower.cursor });
    expect(await again.poll()).toHaveLength(5003);
  });
});
