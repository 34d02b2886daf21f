// Resume refuses clearly — lock held, another source, a changed schema, a finished run — and leaves the target untouched.
import { beforeAll, describe, expect, it } from 'vitest';
import { openClient, closeClient } from '../../src/engine/pg/connect.js';
import { parseConnString } from '../../src/engine/pg/conninfo.js';
import { tryLockRun } from '../../src/events/lock.js';
import { catalogPicture, compareDatabases } from '../helpers/compare.js';
import { runCli, runIdOf, runUntil } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { bulkSql } from '../fixtures/fidelity.js';

const SMALL = `${bulkSql(40_000)} CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT i, 'n' || i FROM generate_series(1, 500) i;`;

async function interruptedRun(source: TestDb): Promise<{ target: TestDb; runId: string }> {
  const target = await createTestDb('ref_dst');
  const r = await runUntil(
    ['clone', '--source', source.url, '--target', target.url, '--batch-size', '256kB', '--jobs', '1'],
    (ev) => ev.type === 'BatchCopied',
  );
  expect(r.killed).toBe(true);
  return { target, runId: runIdOf(r.events) };
}

async function untouched(target: TestDb, fn: () => Promise<void>): Promise<void> {
  const before = await catalogPicture(target.url);
  const events = await target.query<{ n: number }>('SELECT count(*)::int AS n FROM pgclone.events');
  await fn();
  expect(await catalogPicture(target.url)).toBe(before);
  expect(await target.query('SELECT count(*)::int AS n FROM pgclone.events')).toEqual(events);
}

let source: TestDb;
beforeAll(async () => {
  source = await createTestDb('ref_src');
  await source.query(SMALL);
});

describe('resume refusals', () => {
  it('refuses while another process holds the run lock, naming it (exit 8)', async () => {
    const { target, runId } = await interruptedRun(source);
    const holder = await openClient(parseConnString(target.url, 'target'), { side: 'target', purpose: 'lock' });
    try {
      expect(await tryLockRun(holder, runId)).toBe(true);
      await untouched(target, async () => {
        const r = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
        expect(r.code).toBe(8);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(new RegExp(`run ${runId} is being worked on by pid ${process.pid} on \\S+ \\(backend pid \\d+\\)`));
      });
      const s = await runCli(['status', '--target', target.url]);
      expect(s.stdout).toMatch(new RegExp(`${runId}\\s+running`));
    } finally {
      await closeClient(holder);
    }
  });

  it('refuses another source database (exit 9) and says what to do', async () => {
    const { target, runId } = await interruptedRun(source);
    const other = await createTestDb('ref_other');
    await other.query(SMALL);
    await untouched(target, async () => {
      const r = await runCli(['resume', runId, '--target', target.url, '--source', other.url]);
      expect(r.code).toBe(9);
      expect(r.stderr).toMatch(/the source is not the database run .* was cloning .*point --source at that database/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  });

  it('refuses after the source schema changed (exit 9), and resumes once it is back', async () => {
    const changing = await createTestDb('ref_chg');
    await changing.query(SMALL);
    const { target, runId } = await interruptedRun(changing);
    await changing.query('ALTER TABLE notes ADD COLUMN added int');
    await untouched(target, async () => {
      const r = await runCli(['resume', runId, '--target', target.url, '--source', changing.url]);
      expect(r.code).toBe(9);
      expect(r.stderr).toMatch(/source schema changed since run .* began.*pgclone wipe .* --restart/);
    });
    await changing.query('ALTER TABLE notes DROP COLUMN added');
    // dropping a column leaves a dropped attribute behind, but pg_dump's output — and so the hash — is the same again
    const r = await runCli(['resume', runId, '--target', target.url, '--source', changing.url]);
    expect(r.code).toBe(0);
    expect(await compareDatabases(changing.url, target.url)).toEqual([]);
  });

  it('says a finished run has nothing to resume (exit 5), and an unknown run is a usage error (exit 2)', async () => {
    const target = await createTestDb('ref_done');
    const done = await runCli(['clone', '--source', source.url, '--target', target.url, '--json']);
    expect(done.code).toBe(0);
    const runId = runIdOf(
      done.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
    await untouched(target, async () => {
      const r = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/already finished .*nothing to resume/);
      const u = await runCli(['resume', 'no_such_run', '--target', target.url]);
      expect(u.code).toBe(2);
      expect(u.stderr).toMatch(/there is no run no_such_run/);
    });
  });

  it('fails closed on a corrupted event (exit 10, naming the event id) for resume, status and watch', async () => {
    const { target, runId } = await interruptedRun(source);
    const bad = await target.query<{ id: string }>(
      `INSERT INTO pgclone.events (run_id, type, version, at, payload) VALUES ($1, 'BatchCopied', 1, now(), '{"type":"BatchCopied","garbage":true}') RETURNING id`,
      [runId],
    );
    const id = bad[0]!.id;
    await untouched(target, async () => {
      const r = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
      expect(r.code).toBe(10);
      expect(r.stderr).toMatch(new RegExp(`event ${id} in the pgclone log is malformed`));
      const s = await runCli(['status', '--target', target.url]);
      expect(s.code).toBe(10);
      expect(s.stderr).toMatch(new RegExp(`event ${id} in the pgclone log is malformed`));
      const w = await runCli(['watch', '--target', target.url]);
      expect(w.code).toBe(10);
      expect(w.stderr).toMatch(new RegExp(`event ${id} in the pgclone log is malformed`));
    });
  });
});
