// The dashboard (tmux) after its own target connection is cut: it reconnects and shows what committed after the cut,
// instead of a stale frame with "✗ cannot read the target" for the rest of the run.
import { execFileSync } from 'node:child_process';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendStandalone, ensureLog, type NewEvent } from '../../src/events/index.js';
import type { LoggedEvent } from '../../src/events/schemas.js';
import { tryLockRun } from '../../src/events/lock.js';
import { BIN } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { finishedRun } from '../fixtures/stories.js';
import { tmuxTerminals } from '../helpers/tmux.js';

const t = tmuxTerminals('pgclone-cut');
const { tmux } = t;
const openTerminal = t.open;
const screenUntil = (session: string, re: RegExp, timeoutMs?: number) => t.screenUntil(session, re, { timeoutMs });

let db: TestDb;
let writer: pg.Client;
beforeAll(async () => {
  db = await createTestDb('dash_cut');
  writer = await db.client();
  await ensureLog(writer);
});
afterAll(async () => {
  await writer.end();
});

const append = async (events: LoggedEvent[]) => {
  for (const e of events) {
    const { id: _id, v: _v, ...rest } = e;
    await appendStandalone(writer, [{ ...rest, at: new Date().toISOString() } as NewEvent]);
  }
};

describe('the dashboard when its connection is cut', () => {
  it('watch: its backends terminated mid-run, it reconnects, the error line clears and the run is shown finished', async () => {
    const runId = 'run_dash_cut';
    const events = finishedRun(runId).build();
    const locker = await db.client();
    expect(await tryLockRun(locker, runId)).toBe(true);
    await append(events.slice(0, 6));
    const s = openTerminal([process.execPath, BIN, 'watch', '--target', db.url]);
    await screenUntil(s, new RegExp(`${runId}\\s+running`));
    const shell = tmux('display-message', '-p', '-t', s, '#{pane_pid}').trim();
    const pid = execFileSync('ps', ['-o', 'pid=', '--ppid', shell], { encoding: 'utf8' }).trim().split(/\s+/)[0];
    const cut = await writer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'pgclone ' || $1 || '@%'`, [pid]);
    expect(cut.rowCount).toBeGreaterThanOrEqual(1);
    await append(events.slice(6));
    await locker.end();
    const after = await screenUntil(s, new RegExp(`${runId}\\s+finished`));
    expect(after).not.toMatch(/cannot read the target/);
  }, 120_000);
});
