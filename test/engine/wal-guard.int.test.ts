// The retained-WAL guard on a real logical source: WAL written elsewhere on the source's server makes the run's slot
// hold more than its limit; the run drops the slot and publication, records why, and stops (exit 11).
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/engine/context.js';
import { PgcloneError } from '../../src/engine/errors.js';
import { parseConnString } from '../../src/engine/pg/conninfo.js';
import { catchUpName } from '../../src/engine/pg/slot.js';
import { defaultRunOptions } from '../../src/engine/run-options.js';
import { startClone } from '../../src/engine/start.js';
import { ensureLog } from '../../src/events/store.js';
import { compareDatabases } from '../helpers/compare.js';
import { runCli, runIdOf, runUntil } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { majorServer } from '../helpers/majors.js';
import { connect } from '../helpers/pg.js';
import { bulkSql } from '../fixtures/fidelity.js';
import { LIVE_SQL } from '../fixtures/live-writer.js';

const logical = majorServer(15, { wal_level: 'logical', max_replication_slots: '10' });
const LIMIT = 16 << 20;

async function liveSource(label: string, bulkRows: number): Promise<TestDb> {
  const db = await createTestDb(label, logical.url);
  await db.query(LIVE_SQL);
  await db.query(bulkSql(bulkRows));
  return db;
}

/** About 48 MB of WAL on the source's server, from a table in another database (the run's schema does not change). */
async function writeBallast(): Promise<void> {
  const other = await createTestDb('walg_ballast', logical.url);
  await other.query('CREATE TABLE IF NOT EXISTS ballast (x text)');
  await other.query(`INSERT INTO ballast SELECT repeat(md5(g::text), 32) FROM generate_series(1, 40000) g`);
}

async function leftOnSource(source: TestDb, runId: string): Promise<{ slots: number; publications: number }> {
  const name = catchUpName(runId);
  const [s] = await source.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1', [name]);
  const [p] = await source.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_publication WHERE pubname = $1', [name]);
  return { slots: s!.n, publications: p!.n };
}

async function released(target: TestDb, runId: string) {
  return target.query<{ payload: { by: string; dropped: string[]; reason: string; retainedBytes: number; limitBytes: number } }>(
    `SELECT payload FROM pgclone.events WHERE run_id = $1 AND type = 'CatchUpReleased' ORDER BY id`,
    [runId],
  );
}

describe('the retained-WAL guard', () => {
  it('a run stopped while its source wrote WAL elsewhere: status shows what the slot holds; resume drops it, records why and stops (exit 11); --no-catch-up then finishes', async () => {
    const source = await liveSource('walg_cli_src', 30_000);
    const target = await createTestDb('walg_cli_dst');
    const first = await runUntil(
      ['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--jobs', '1', '--max-retained-wal', '16MB'],
      (ev) => ev.type === 'BatchCopied',
    );
    expect(first.killed, first.stderr).toBe(true);
    const runId = runIdOf(first.events);
    const started = first.events.find((e) => e.type === 'RunStarted');
    expect((started?.options as { maxRetainedWalBytes?: number } | undefined)?.maxRetainedWalBytes).toBe(LIMIT);
    await writeBallast();

    // status reads the slot live from the source
    const st = await runCli(['status', runId, '--target', target.url, '--source', source.url, '--json']);
    const live = (JSON.parse(st.stdout) as { catchUp: { live: { read: string; onSource: boolean; retainedBytes: number } } }).catchUp.live;
    expect(live).toMatchObject({ read: 'ok', onSource: true });
    expect(live.retainedBytes).toBeGreaterThan(LIMIT);
    const text = await runCli(['status', runId, '--target', target.url, '--source', source.url]);
    expect(text.stdout).toMatch(new RegExp(`slot ${catchUpName(runId)}: holds \\d+ MB of the source's WAL, limit 16 MB`));
    // without a reachable source, status says so rather than guess
    const blind = await runCli(['status', runId, '--target', target.url, '--source', 'postgresql://postgres@127.0.0.1:1/x']);
    expect(blind.stdout).toContain('its retained WAL unknown: the source cannot be reached (connection refused');

    const r = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
    expect(r.code, r.stdout + r.stderr).toBe(11);
    expect(r.stderr).toContain(`the retained-WAL guard dropped the replication slot ${catchUpName(runId)} and its publication from the source: it held`);
    expect(r.stderr).toContain('more than --max-retained-wal 16 MB');
    expect(r.stderr).toContain('--no-catch-up');
    expect(await leftOnSource(source, runId)).toEqual({ slots: 0, publications: 0 });
    const [ev] = await released(target, runId);
    expect(ev?.payload).toMatchObject({
      by: 'guard',
      limitBytes: LIMIT,
      dropped: [`replication slot ${catchUpName(runId)}`, `publication ${catchUpName(runId)}`],
    });
    expect(ev!.payload.retainedBytes).toBeGreaterThan(LIMIT);

    const after = await runCli(['status', runId, '--target', target.url, '--source', source.url]);
    expect(after.stdout).toContain(`catch-up: ABANDONED — the retained-WAL guard dropped slot ${catchUpName(runId)}`);
    expect(after.stdout).toMatch(/resume: pgclone resume \S+ --target '[^']+' --no-catch-up/);
    // asked again, the answer is the same, and nothing is written
    const again = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
    expect(again.code, again.stderr).toBe(11);
    expect(await released(target, runId)).toHaveLength(1);

    const done = await runCli(['resume', runId, '--target', target.url, '--source', source.url, '--no-catch-up', '--plain']);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
  }, 180_000);

  it('inside a run: the WAL passes the limit while the run waits; at its next boundary it drops the slot, records why, and fails with kind wal-guard', async () => {
    const source = await liveSource('walg_run_src', 5_000);
    const target = await createTestDb('walg_run_dst');
    // the log exists, and a SHARE lock on it holds the run at its first commit (RunStarted), after its slot is made
    const gate = await connect(target.url);
    await ensureLog(gate);
    await gate.query('BEGIN; LOCK TABLE pgclone.events IN SHARE MODE');
    const runId = 'WalGuardInsideRun0001';
    const run = startClone({
      source: parseConnString(source.url, 'source'),
      target: parseConnString(target.url, 'target'),
      options: { ...defaultRunOptions(), maxRetainedWalBytes: LIMIT, batchBytes: 256 << 10, jobs: 1 },
      settings: { ...DEFAULT_SETTINGS, maxRetries: 0 },
      runId,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [w] = await target.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'pgclone.events'::regclass AND NOT granted`);
        if (w!.n > 0) break;
        if (Date.now() > deadline) throw new Error('the run never reached its first commit');
        await new Promise((res) => setTimeout(res, 20));
      }
      expect(await leftOnSource(source, runId)).toEqual({ slots: 1, publications: 1 });
      await writeBallast();
    } finally {
      await gate.query('COMMIT');
      await gate.end();
    }
    const err = await run;
    expect(err).toBeInstanceOf(PgcloneError);
    expect((err as PgcloneError).kind).toBe('wal-guard');
    expect((err as PgcloneError).exitCode).toBe(11);
    expect(await leftOnSource(source, runId)).toEqual({ slots: 0, publications: 0 });
    const [ev] = await released(target, runId);
    expect(ev?.payload).toMatchObject({ by: 'guard', limitBytes: LIMIT });
    const [failed] = await target.query<{ payload: { error: { kind: string; message: string } } }>(
      `SELECT payload FROM pgclone.events WHERE run_id = $1 AND type = 'RunFailed'`,
      [runId],
    );
    expect(failed?.payload.error.kind).toBe('wal-guard');
    // no row was copied after the guard tripped: it tripped at the first boundary that read the slot
    const [batches] = await target.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgclone.events WHERE run_id = $1 AND type = 'BatchCopied'`, [runId]);
    expect(batches!.n).toBe(0);
  }, 120_000);
});
