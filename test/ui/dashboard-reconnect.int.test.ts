// The dashboard (tmux) after its own target connection is cut: it reconnects and shows what committed after the cut,
// instead of a stale frame with "✗ cannot read the target" for the rest of the run.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { appendStandalone, ensureLog, type NewEvent } from '../../src/events/index.js';
import type { LoggedEvent } from '../../src/events/schemas.js';
import { tryLockRun } from '../../src/events/lock.js';
import { BIN } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { finishedRun } from '../fixtures/stories.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sessions: string[] = [];
// a private tmux server (its own socket), as in terminal.int.test.ts
let socketDir = '';
const tmux = (...args: string[]) =>
  execFileSync('tmux', ['-u', '-S', join(socketDir, 'server'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function openTerminal(command: string[]): string {
  const name = `pgclone-cut-${randomBytes(3).toString('hex')}`;
  const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-c',
    ROOT,
    '-x',
    '80',
    '-y',
    '24',
    `env -u CI -u CONTINUOUS_INTEGRATION NO_COLOR=1 PGCLONE_USE_DIST=1 TERM=xterm-256color ${quoted}; echo "EXIT=$?"; sleep 600`,
  );
  sessions.push(name);
  return name;
}

async function screenUntil(session: string, re: RegExp, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < deadline) {
    screen = tmux('capture-pane', '-p', '-t', session);
    if (re.test(screen)) return screen;
    if (/^EXIT=\d+/m.test(screen)) break;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`the screen never showed ${re}; it shows:\n${screen}`);
}

afterEach(() => {
  for (const s of sessions.splice(0)) {
    try {
      tmux('kill-session', '-t', s);
    } catch {
      /* already gone */
    }
  }
});
afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    /* no server */
  }
  rmSync(socketDir, { recursive: true, force: true });
});

let db: TestDb;
let writer: pg.Client;
beforeAll(async () => {
  socketDir = mkdtempSync(join(tmpdir(), 'pgclone-tmux-'));
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
