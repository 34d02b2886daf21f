// Hostile identifiers and values are cloned exactly and harmlessly, through batches whose bounds are hostile text.
import { describe, expect, it } from 'vitest';
import { compareDatabases, rowDiffs } from '../helpers/compare.js';
import { runCli } from '../helpers/cli.js';
import { createTestDb } from '../helpers/db.js';
import { HOSTILE_SQL } from '../fixtures/hostile.js';

describe('hostile names and values', () => {
  it('clones them exactly; nothing is dropped or injected; the log reads back', async () => {
    const source = await createTestDb('hostile_src');
    await source.query(HOSTILE_SQL);
    const target = await createTestDb('hostile_dst');
    const r = await runCli(['clone', '--source', source.url, '--target', target.url, '--batch-size', '8kB', '--verify', 'checksum']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
    expect(await rowDiffs(source.url, target.url)).toEqual([]);
    expect(await source.query('SELECT count(*)::int AS n FROM public.victims')).toEqual([{ n: 3 }]);
    expect(await target.query('SELECT count(*)::int AS n FROM public.victims')).toEqual([{ n: 3 }]);
    const batches = await target.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgclone.events WHERE type = 'BatchCopied' AND payload->'table'->>'name' = $1`,
      ["Robert'); DROP TABLE victims;--"],
    );
    expect(batches[0]!.n).toBeGreaterThan(3);
    const log = await runCli(['log', (/run (\S+):/.exec(r.stdout) ?? [])[1] ?? '', '--target', target.url, '--json']);
    expect(log.code).toBe(0);
    expect(log.stdout).toContain('x\\"; DROP TABLE victims; --');
  });
});
