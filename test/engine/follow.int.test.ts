// --follow and cutover on a real logical source: a writer keeps changing the source while the clone follows it; the
// cutover (from another process, or resuming a follower that died) ends with the two equal and the slot gone.
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { catchUpName } from '../../src/engine/pg/slot.js';
import { compareDatabases } from '../helpers/compare.js';
import { runCli, runIdOf, runUntil, spawnCli, type JsonEvent } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { majorServer } from '../helpers/majors.js';
import { bulkSql } from '../fixtures/fidelity.js';
import { LIVE_SQL, startWriter } from '../fixtures/live-writer.js';

const logical = majorServer(15, { wal_level: 'logical', max_replication_slots: '10' });

async function liveSource(label: string, bulkRows: number): Promise<TestDb> {
  const db = await createTestDb(label, logical.url);
  await db.query(LIVE_SQL);
  await db.query(bulkSql(bulkRows));
  return db;
}

async function leftOnSource(source: TestDb, runId: string): Promise<{ slots: number; publications: number }> {
  const name = catchUpName(runId);
  const [s] = await source.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1', [name]);
  const [p] = await source.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_publication WHERE pubname = $1', [name]);
  return { slots: s!.n, publications: p!.n };
}

/** The CLI in the background with --json: its events as they come, a wait for a condition on them, and its exit. */
function background(args: string[]) {
  const child = spawnCli([...args, '--json']);
  const events: JsonEvent[] = [];
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as JsonEvent);
    } catch {
      return;
    }
    for (const w of waiters.splice(0))
      if (w.test()) w.resolve();
      else waiters.push(w);
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return {
    events,
    get stderr() {
      return stderr;
    },
    exited,
    until(test: (evs: JsonEvent[]) => boolean, timeoutMs: number, what: string): Promise<void> {
      if (test(events)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs / 1000} s; stderr: ${stderr.slice(-2000)}`)), timeoutMs);
        waiters.push({
          test: () => test(events),
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        void exited.then(() => reject(new Error(`${what}: the process exited first; stderr: ${stderr.slice(-2000)}`)));
      });
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/** ChangesApplied after the first catch-up pass began: the follow loop's own. */
const followed = (evs: JsonEvent[]) => {
  const start = evs.findIndex((e) => e.type === 'CatchUpStarted');
  return start < 0 ? 0 : evs.slice(start).filter((e) => e.type === 'ChangesApplied' && e.sourceLsn !== undefined).length;
};

interface FollowJson {
  state: string;
  follow: { following: boolean; lagBytes: number | null; lagSeconds: number | null; transactionsPerSec: number | null } | null;
  catchUp: { live: { read: string; retainedBytes: number } | null };
}

describe('--follow and cutover', () => {
  it('follows a writer with bounded lag, shown in status; pgclone cutover from another process ends it equal, the slot gone', async () => {
    const source = await liveSource('fol_src', 20_000);
    const target = await createTestDb('fol_dst');
    const writer = startWriter(source.url, { seed: 31, bulkRows: 20_000 });
    const run = background(['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--jobs', '2', '--follow']);
    try {
      await run.until((evs) => followed(evs) >= 6, 120_000, 'six chunks applied while following');
      const runId = runIdOf(run.events);
      const st = await runCli(['status', runId, '--target', target.url, '--source', source.url, '--json']);
      const s = JSON.parse(st.stdout) as FollowJson;
      expect(s.state).toBe('running');
      expect(s.follow?.following).toBe(true);
      // bounded: the follower keeps up with one writer (a 1 MB batch is far more than it writes between two passes)
      expect(s.follow?.lagBytes).not.toBeNull();
      expect(s.follow!.lagBytes!).toBeLessThan(64 << 20);
      expect(s.follow!.lagSeconds!).toBeLessThan(30);
      expect(s.follow!.transactionsPerSec!).toBeGreaterThan(0);
      expect(s.catchUp.live?.read).toBe('ok');
      const text = await runCli(['status', runId, '--target', target.url, '--source', source.url]);
      expect(text.stdout).toMatch(/following the source: lag \S+ \S+, \d+\.\d s · \d+\.\d transactions\/s/);
      expect(text.stdout).toContain(`cut over: pgclone cutover ${runId} --target`);

      await writer.stop();
      const cut = await runCli(['cutover', runId, '--target', target.url, '--source', source.url]);
      expect(cut.code, cut.stderr).toBe(0);
      expect(cut.stderr).toContain(`run ${runId} is followed by`);
      expect(await run.exited, run.stderr).toBe(0);
      expect(await compareDatabases(source.url, target.url)).toEqual([]);
      expect(await leftOnSource(source, runId)).toEqual({ slots: 0, publications: 0 });
      const done = await target.query<{ type: string; payload: { lsn?: string; by?: string } }>(
        `SELECT type, payload FROM pgclone.events WHERE run_id = $1 AND type IN ('CutoverRequested', 'CutoverCompleted', 'CatchUpReleased', 'RunFinished') ORDER BY id`,
        [runId],
      );
      expect(done.map((d) => d.type)).toEqual(['CutoverRequested', 'CutoverCompleted', 'CatchUpReleased', 'RunFinished']);
      expect(done[1]?.payload.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(done[2]?.payload.by).toBe('cutover');
    } finally {
      await writer.stop();
      run.kill();
    }
  }, 240_000);

  it('a follower killed mid-follow: pgclone cutover resumes it itself, catches up and cuts over, equal', async () => {
    const source = await liveSource('fol_kill_src', 10_000);
    const target = await createTestDb('fol_kill_dst');
    const writer = startWriter(source.url, { seed: 32, bulkRows: 10_000 });
    try {
      const first = await runUntil(
        ['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--follow'],
        (_ev, seen) => followed(seen) >= 2,
      );
      expect(first.killed, first.stderr).toBe(true);
      const runId = runIdOf(first.events);
      await writer.advance(200);
      await writer.stop();
      const cut = await runCli(['cutover', runId, '--target', target.url, '--source', source.url]);
      expect(cut.code, cut.stderr).toBe(0);
      expect(await compareDatabases(source.url, target.url)).toEqual([]);
      expect(await leftOnSource(source, runId)).toEqual({ slots: 0, publications: 0 });
    } finally {
      await writer.stop();
    }
  }, 240_000);

  it('a schema change on the source during follow stops it with the message (exit 9), before any row of the new shape is applied', async () => {
    const source = await liveSource('fol_ddl_src', 2_000);
    const target = await createTestDb('fol_ddl_dst');
    const run = background(['clone', '--source', source.url, '--target', target.url, '--follow']);
    try {
      await run.until((evs) => evs.some((e) => e.type === 'CatchUpStarted'), 120_000, 'catch-up started');
      await source.query('ALTER TABLE live ADD COLUMN extra int');
      await source.query("INSERT INTO live VALUES (99999999, 1, 'after ddl', 'x', 7)");
      expect(await run.exited, run.stderr).toBe(9);
      expect(run.stderr).toContain('the source schema changed while the run followed it (a table, column, type or constraint in public)');
      expect(run.stderr).toContain('--restart');
      const [row] = await target.query<{ n: number }>('SELECT count(*)::int AS n FROM live WHERE id = 99999999');
      expect(row!.n).toBe(0);
    } finally {
      run.kill();
    }
  }, 180_000);
});
