// Leaving a dashboard that copies (tmux): Q asks, y stops the copy at the next boundary and records why (exit 3);
// Ctrl-C twice leaves at once; SIGTERM to the dashboard stops it at the next boundary and records it too.
import { execFileSync } from 'node:child_process';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { bulkSql } from '../fixtures/fidelity.js';
import { tmuxTerminals } from '../helpers/tmux.js';

const t = tmuxTerminals('pgclone-quit');
const { tmux } = t;
const openTerminal = t.open;
const screenUntil = (session: string, re: RegExp, timeoutMs = 60_000) => t.screenUntil(session, re, { timeoutMs, history: 100 });

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let source: TestDb;
beforeAll(async () => {
  source = await createTestDb('quit_src');
  await source.query(bulkSql(40_000));
});

/**
 * A clone in the dashboard, held between boundaries: once its first batch is in the log, the target's table is
 * locked, so the copy cannot end (or reach another boundary) before the test lets it, however fast the machine.
 */
async function heldClone() {
  const target = await createTestDb('quit_dst');
  const s = openTerminal([process.execPath, BIN, 'clone', '--source', source.url, '--target', target.url, '--batch-size', '128kB', '--jobs', '1']);
  const batches = async () => {
    const r = await target.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgclone.events WHERE type = 'BatchCopied'`).catch(() => [{ n: 0 }]);
    return r[0]!.n;
  };
  await until('a batch copied', async () => (await batches()) > 0);
  const gate: pg.Client = await target.client();
  await gate.query('BEGIN');
  await gate.query('LOCK TABLE public.bulk IN ACCESS EXCLUSIVE MODE');
  const release = async () => {
    await gate.query('COMMIT');
    await gate.end();
  };
  const lastEvents = async () =>
    target.query<{ type: string; reason: string | null }>(`SELECT type, payload->>'reason' AS reason FROM pgclone.events ORDER BY id`);
  return { target, s, release, lastEvents };
}

describe('quitting a dashboard that copies', () => {
  it('Q asks first; y stops the copy at the next boundary, RunSuspended says "stopped by the operator (Q)", exit 3', async () => {
    const c = await heldClone();
    await screenUntil(c.s, /cloning into/);
    tmux('send-keys', '-t', c.s, 'q');
    const ask = await screenUntil(c.s, /Stop run \S+ and quit\?/);
    expect(ask).toMatch(/press y to stop, n to keep copying/);
    tmux('send-keys', '-t', c.s, 'y');
    await screenUntil(c.s, /stopped by the operator \(Q\): stopping at the next boundary/);
    await c.release();
    const end = await screenUntil(c.s, /^EXIT=\d+/m);
    expect(end).toMatch(/^EXIT=3$/m);
    const evs = await c.lastEvents();
    expect(evs.at(-1)).toEqual({ type: 'RunSuspended', reason: 'stopped by the operator (Q)' });
  }, 180_000);

  it('Ctrl-C asks; a second Ctrl-C leaves at once: exit 3, the run interrupted (nothing recorded: the process is gone)', async () => {
    const c = await heldClone();
    await screenUntil(c.s, /cloning into/);
    tmux('send-keys', '-t', c.s, 'C-c');
    await screenUntil(c.s, /Stop run \S+ and quit\?/);
    tmux('send-keys', '-t', c.s, 'C-c');
    const end = await screenUntil(c.s, /^EXIT=\d+/m);
    await c.release();
    expect(end).toMatch(/^EXIT=3$/m);
    expect(end).toMatch(/left the dashboard while a run was in progress; it is interrupted and resumable/);
    expect((await c.lastEvents()).map((e) => e.type)).not.toContain('RunSuspended');
  }, 180_000);

  it('SIGTERM to the dashboard stops the copy at the next boundary: RunSuspended says "stopped by SIGTERM", exit 3', async () => {
    const c = await heldClone();
    await screenUntil(c.s, /cloning into/);
    // the pane's shell runs env, which became node (exec): the shell's one child
    const shell = tmux('display-message', '-p', '-t', c.s, '#{pane_pid}').trim();
    const pid = Number(execFileSync('ps', ['-o', 'pid=', '--ppid', shell], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGTERM');
    await screenUntil(c.s, /stopped by SIGTERM: stopping at the next boundary/);
    await c.release();
    const end = await screenUntil(c.s, /^EXIT=\d+/m);
    expect(end).toMatch(/^EXIT=3$/m);
    expect((await c.lastEvents()).at(-1)).toEqual({ type: 'RunSuspended', reason: 'stopped by SIGTERM' });
  }, 180_000);
});
