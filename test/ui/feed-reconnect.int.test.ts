// The feed after its own connection is cut (pg_terminate_backend): it reconnects with backoff and follows on from its
// cursor, so what commits after the cut is shown; `pgclone watch` goes on to the end instead of stopping on a stale frame.
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendStandalone, ensureLog, type NewEvent } from '../../src/events/index.js';
import type { LoggedEvent } from '../../src/events/schemas.js';
import { tryLockRun } from '../../src/events/lock.js';
import { createFeed } from '../../src/ui/feed.js';
import { spawnCli } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { interruptedAt29 } from '../fixtures/stories.js';

let db: TestDb;
let writer: pg.Client;
beforeAll(async () => {
  db = await createTestDb('feed_cut');
  writer = await db.client();
  await ensureLog(writer);
});
afterAll(async () => {
  await writer.end();
});

const fresh = (e: LoggedEvent): NewEvent => {
  const { id: _id, v: _v, ...rest } = e;
  return { ...rest, at: new Date().toISOString() } as NewEvent;
};
const append = async (events: LoggedEvent[]) => {
  for (const e of events) await appendStandalone(writer, [fresh(e)]);
};

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the feed when its connection is cut', () => {
  it('reconnects through `open` and shows the events committed after the cut; the error clears', async () => {
    const runId = 'run_cut_01';
    const events = interruptedAt29(runId).build();
    const first = await db.client();
    const [{ pid }] = (await first.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    const opened: pg.Client[] = [];
    const feed = createFeed(first, {
      mode: 'watch',
      runId,
      pollMs: 20,
      catalogMs: 50,
      minIntervalMs: 10,
      open: async () => {
        const c = await db.client();
        opened.push(c);
        return c;
      },
      close: (c) => (c as pg.Client).end(),
    });
    const shown = () => feed.get().runs[0]?.events.length ?? 0;
    await append(events.slice(0, 3));
    await until('the first events', () => shown() === 3);
    await writer.query('SELECT pg_terminate_backend($1)', [pid]);
    await append(events.slice(3));
    await until('the events after the cut', () => shown() === events.length && feed.get().error === null);
    expect(opened.length).toBeGreaterThanOrEqual(1);
    expect(feed.get().runs[0]!.events.map((e) => e.type)).toEqual(events.map((e) => e.type));
    await feed.stop();
    await first.end().catch(() => undefined);
  });

  it('`pgclone watch --json`: its backend terminated mid-run, it prints every event to the end and exits 0', async () => {
    const runId = 'run_cut_02';
    const events = interruptedAt29(runId).build();
    const locker = await db.client();
    expect(await tryLockRun(locker, runId)).toBe(true);
    await append(events.slice(0, 2));
    const child = spawnCli(['watch', runId, '--target', db.url, '--json']);
    const lines: string[] = [];
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    await until('the first events printed', () => lines.length === 2);
    // the watch's own sessions: application_name is "pgclone <pid>@<host>"
    const cut = await writer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'pgclone ' || $1 || '@%'`, [
      String(child.pid),
    ]);
    expect(cut.rowCount).toBeGreaterThanOrEqual(1);
    await append(events.slice(2));
    await until('every event printed', () => lines.length === events.length || child.exitCode !== null);
    // the run's lock goes: it reads as interrupted and the watch ends
    await locker.end();
    const code = await exit;
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(events.map((e) => e.type));
    expect(code, stderr).toBe(0);
  });
});
