// Retries: the engine's backends terminated on source and target mid-copy are survived in-process, and the clone is equal.
import { describe, expect, it } from 'vitest';
import { compareDatabases } from '../helpers/compare.js';
import { spawnCli } from '../helpers/cli.js';
import { adminQuery, createTestDb } from '../helpers/db.js';
import { bulkSql, FIDELITY_SQL } from '../fixtures/fidelity.js';

describe('in-process retries', () => {
  it('terminating every pgclone backend on the target and then on the source is survived', async () => {
    const source = await createTestDb('retry_src');
    await source.query(FIDELITY_SQL);
    await source.query(bulkSql(500_000));
    const target = await createTestDb('retry_dst');
    const child = spawnCli(['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--jobs', '1', '--plain'], {
      PGCLONE_PROGRESS_MS: '60000',
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));

    const killAll = async (db: string) =>
      (
        await adminQuery(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'pgclone %' AND pid <> pg_backend_pid()`,
          [db],
        )
      )[0]!.n as number;
    const copying = async () =>
      (await adminQuery(`SELECT count(*)::int AS n FROM pg_stat_progress_copy WHERE datname = $1 AND command = 'COPY FROM'`, [target.name]))[0]!.n as number;

    const waitCopy = async () => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && child.exitCode === null) {
        if ((await copying()) > 0) return true;
        await new Promise((r) => setTimeout(r, 10));
      }
      return false;
    };
    expect(await waitCopy()).toBe(true);
    expect(await killAll(target.name)).toBeGreaterThan(0);
    if (!(await waitCopy())) {
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 5000))]);
      throw new Error(`no COPY after the first kill (exit ${String(code)}); output:\n${out}\n${err}`);
    }
    expect(await killAll(source.name)).toBeGreaterThan(0);

    const code = await exited;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/retry 1 after/);
    expect(out).toMatch(/new source snapshot/);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
    const retries = await target.query(`SELECT count(*)::int AS n FROM pgclone.events WHERE type = 'RetryScheduled'`);
    expect(retries[0]!.n).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
