// Time slices: a clone driven only by --max-duration 1s invocations, as a serverless function would run it, ends equal.
import { describe, expect, it } from 'vitest';
import { compareDatabases } from '../helpers/compare.js';
import { runCli } from '../helpers/cli.js';
import { createTestDb } from '../helpers/db.js';
import { bulkSql } from '../fixtures/fidelity.js';

describe('time slices', () => {
  it('clone --max-duration 1s, then resume --max-duration 1s until finished: each stop is exit 3, the end is equal', async () => {
    const source = await createTestDb('slice_src');
    await source.query(bulkSql(400_000));
    await source.query(`CREATE TABLE other (id int PRIMARY KEY, v text); INSERT INTO other SELECT i, md5(i::text) FROM generate_series(1, 50000) i;`);
    const target = await createTestDb('slice_dst');

    const first = await runCli(['clone', '--source', source.url, '--target', target.url, '--max-duration', '1s', '--batch-size', '2MB', '--jobs', '1']);
    expect(first.stderr, first.stdout).toBe('');
    expect(first.code, first.stdout).toBe(3);
    const runId = /run (\S+):/.exec(first.stdout)?.[1];
    expect(runId).toBeTruthy();
    expect(first.stdout).toMatch(/time budget of 1\.0 s (nearly )?spent.*; resumable/);

    let slices = 1;
    let last = first;
    while (last.code === 3 && slices < 60) {
      last = await runCli(['resume', runId!, '--target', target.url, '--source', source.url, '--max-duration', '1s']);
      expect(last.stderr, last.stdout).toBe('');
      slices++;
    }
    expect(last.code, last.stdout).toBe(0);
    expect(slices, last.stdout).toBeGreaterThanOrEqual(3);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
    const suspended = await target.query(`SELECT count(*)::int AS n FROM pgclone.events WHERE type = 'RunSuspended'`);
    expect(suspended[0]!.n).toBe(slices - 1);

    // the local server has wal_level = replica: no catch-up, so the tables whose batches fell in more than one
    // process (each resume a new snapshot) are named — as the log itself says, read here with SQL of its own
    const across = await target.query<{ t: string }>(
      `WITH e AS (
         SELECT type, payload, count(*) FILTER (WHERE type = 'RunResumed' OR (type = 'RetryScheduled' AND (payload->>'snapshotLost')::boolean))
                OVER (ORDER BY id) AS epoch
           FROM pgclone.events WHERE run_id = $1)
       SELECT (payload->'table'->>'schema') || '.' || (payload->'table'->>'name') AS t
         FROM e WHERE type = 'BatchCopied' GROUP BY 1 HAVING count(DISTINCT epoch) > 1 ORDER BY 1`,
      [runId],
    );
    const expected = across.map((r) => r.t);
    const status = await runCli(['status', runId!, '--target', target.url, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const summary = JSON.parse(status.stdout) as { catchUpOff: string | null; readAcrossBreaks: string[] };
    expect(summary.catchUpOff).toMatch(/wal_level/);
    expect([...summary.readAcrossBreaks].sort()).toEqual(expected);
    const text = await runCli(['status', runId!, '--target', target.url]);
    const finishLine = last.stdout.trim().split('\n').at(-1) ?? '';
    if (expected.length > 0) {
      expect(text.stdout).toContain(`without catch-up: ${summary.readAcrossBreaks.join(', ')} — not exact if the source changed; check with --verify checksum`);
      expect(finishLine).toContain(`without catch-up: ${summary.readAcrossBreaks.join(', ')} — not exact`);
    } else {
      expect(text.stdout).not.toContain('read across');
      expect(finishLine).toContain('finished in');
    }
  }, 240_000);
});
