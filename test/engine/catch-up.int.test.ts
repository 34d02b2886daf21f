// Exact on a live source (issue 16): a writer keeps changing the source through kills and time slices; once it stops, catch-up brings the target to equal.
import { describe, expect, it } from 'vitest';
import type { LoggedEvent } from '../../src/events/schemas.js';
import { DEFAULT_SETTINGS, type EngineObserver, type RunResult } from '../../src/engine/context.js';
import { parseConnString } from '../../src/engine/pg/conninfo.js';
import { catchUpName } from '../../src/engine/pg/slot.js';
import { defaultRunOptions } from '../../src/engine/run-options.js';
import { resumeRun, startClone } from '../../src/engine/start.js';
import { compareDatabases } from '../helpers/compare.js';
import { runCli, runIdOf, runUntil, type JsonEvent } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { majorServer } from '../helpers/majors.js';
import { bulkSql } from '../fixtures/fidelity.js';
import { LIVE_SQL, startWriter, type WriterCounts } from '../fixtures/live-writer.js';

const logical = majorServer(15, { wal_level: 'logical', max_replication_slots: '10' });
const physical = majorServer(15, { wal_level: 'replica' });

async function liveSource(label: string, bulkRows: number): Promise<TestDb> {
  const db = await createTestDb(label, logical.url);
  await db.query(LIVE_SQL);
  await db.query(bulkSql(bulkRows));
  return db;
}

/** What the log says catch-up applied, summed over its ChangesApplied events, and whether their LSNs only rose. */
async function appliedPerLog(target: TestDb, runId: string): Promise<WriterCounts & { rising: boolean }> {
  const rows = await target.query<{ lsn: string; i: number; u: number; d: number }>(
    `SELECT payload->>'lsn' AS lsn, (payload->>'inserts')::int AS i, (payload->>'updates')::int AS u, (payload->>'deletes')::int AS d
       FROM pgclone.events WHERE run_id = $1 AND type = 'ChangesApplied' ORDER BY id`,
    [runId],
  );
  let rising = true;
  const big = (l: string) => {
    const [hi, lo] = l.split('/');
    return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
  };
  for (let k = 1; k < rows.length; k++) if (big(rows[k]!.lsn) <= big(rows[k - 1]!.lsn)) rising = false;
  return {
    inserts: rows.reduce((n, r) => n + r.i, 0),
    updates: rows.reduce((n, r) => n + r.u, 0),
    deletes: rows.reduce((n, r) => n + r.d, 0),
    rising,
  };
}

/** Nothing of the run is left on the source. */
async function leftOnSource(source: TestDb, runId: string): Promise<{ slots: number; publications: number }> {
  const name = catchUpName(runId);
  const [s] = await source.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1', [name]);
  const [p] = await source.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_publication WHERE pubname = $1', [name]);
  return { slots: s!.n, publications: p!.n };
}

const batches = (seen: JsonEvent[]) => seen.filter((e) => e.type === 'BatchCopied').length;

describe('catch-up on a source that keeps taking writes', () => {
  it('SIGKILLed three times with the writer running; once it stops, the last resume catches up and the target equals the source row for row', async () => {
    const source = await liveSource('cu_kill_src', 150_000);
    const target = await createTestDb('cu_kill_dst');
    const args = ['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--jobs', '2'];
    const first = await runUntil(args, (ev, seen) => ev.type === 'BatchCopied' && batches(seen) === 3);
    expect(first.killed, first.stderr).toBe(true);
    const runId = runIdOf(first.events);
    const prepared = first.events.find((e) => e.type === 'CatchUpPrepared');
    expect(prepared?.slot).toBe(catchUpName(runId));
    expect(((prepared?.excluded ?? []) as { table: { name: string } }[]).map((x) => x.table.name)).toEqual(['nokey']);
    expect(await leftOnSource(source, runId)).toEqual({ slots: 1, publications: 1 });

    const writer = startWriter(source.url, { seed: 16, bulkRows: 150_000 });
    await writer.advance(300);
    const status = await runCli(['status', runId, '--target', target.url, '--json']);
    const summary = JSON.parse(status.stdout) as { catchUp: { slot: string; released: boolean } };
    expect(summary.catchUp).toMatchObject({ slot: catchUpName(runId), released: false });

    const resume = ['resume', runId, '--target', target.url, '--source', source.url];
    const second = await runUntil(resume, (ev, seen) => ev.type === 'BatchCopied' && batches(seen) === 3);
    expect(second.killed, second.stderr).toBe(true);
    await writer.advance(300);
    const third = await runUntil(resume, (ev) => ev.type === 'PostDataItemApplied');
    expect(third.killed, third.stderr).toBe(true);
    await writer.advance(300);
    const wrote = await writer.stop();
    expect(wrote.inserts + wrote.updates + wrote.deletes).toBeGreaterThanOrEqual(900);

    const last = await runCli(resume);
    expect(last.stderr).toBe('');
    expect(last.code, last.stdout).toBe(0);
    expect(last.stdout).toMatch(/catch-up: applying the source's changes up to/);
    expect(last.stdout).toMatch(/verification passed/);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
    const applied = await appliedPerLog(target, runId);
    expect(applied).toEqual({ ...wrote, rising: true });
    expect(await leftOnSource(source, runId)).toEqual({ slots: 0, publications: 0 });
  }, 300_000);

  it('killed during catch-up itself: the resume applies only what the log does not hold, and ends equal', async () => {
    const source = await liveSource('cu_mid_src', 40_000);
    const target = await createTestDb('cu_mid_dst');
    const first = await runUntil(
      ['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--jobs', '1'],
      (ev, seen) => ev.type === 'BatchCopied' && batches(seen) === 2,
    );
    expect(first.killed, first.stderr).toBe(true);
    const runId = runIdOf(first.events);
    // the run is stopped while the source changes: several chunks of changes wait in the slot
    const writer = startWriter(source.url, { seed: 7, bulkRows: 40_000, ops: 5000 });
    const wrote = await writer.done;

    const resume = ['resume', runId, '--target', target.url, '--source', source.url];
    const mid = await runUntil(resume, (ev) => ev.type === 'ChangesApplied');
    expect(mid.killed, mid.stderr).toBe(true);
    const [open] = await target.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgclone.events WHERE run_id = $1 AND type = 'PhaseCompleted' AND payload->>'phase' = 'catch-up'`,
      [runId],
    );
    expect(open!.n, 'the kill landed inside catch-up').toBe(0);
    const before = await appliedPerLog(target, runId);
    expect(before.inserts + before.updates + before.deletes).toBeGreaterThan(0);
    expect(before.inserts + before.updates + before.deletes).toBeLessThan(5000);

    const last = await runCli(resume);
    expect(last.stderr).toBe('');
    expect(last.code, last.stdout).toBe(0);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
    // every change applied once, by the log's account: the sums are the writer's own counts
    expect(await appliedPerLog(target, runId)).toEqual({ ...wrote, rising: true });
    expect(await leftOnSource(source, runId)).toEqual({ slots: 0, publications: 0 });
  }, 300_000);

  it('slices (the serverless shape: each invocation stops at a boundary, the next resumes) with the writer running through the copy; once it stops, the next slices catch up and end equal', async () => {
    const source = await liveSource('cu_slice_src', 200_000);
    const target = await createTestDb('cu_slice_dst');
    const src = parseConnString(source.url, 'source');
    const dst = parseConnString(target.url, 'target');
    // the writer starts once the slot exists (its commits then are all decoded), from the first slice's RunStarted
    const live: { writer: ReturnType<typeof startWriter> | null } = { writer: null };
    let writing = true;
    let withWriter = 0;
    let slices = 0;
    let runId: string | null = null;
    let outcome = 'suspended';
    while (outcome === 'suspended' && slices < 80) {
      // a slice that completes post-data while the writer still runs stops before catch-up, so that catch-up's
      // target position is taken after the writer's last commit (the guarantee is exactness when writes stop)
      // each slice ends at the boundary after its second batch (a platform's limit, made independent of this
      // machine's speed), or after 10 s of wall time
      const ac = new AbortController();
      let batchesHere = 0;
      const observer: EngineObserver = {
        onEvents: (evs: LoggedEvent[]) => {
          if (!live.writer && evs.some((e) => e.type === 'CatchUpPrepared')) live.writer = startWriter(source.url, { seed: 99, bulkRows: 200_000 });
          batchesHere += evs.filter((e) => e.type === 'BatchCopied').length;
          if (batchesHere >= 2) ac.abort('the slice’s share of batches is done');
          if (writing && evs.some((e) => e.type === 'PhaseCompleted' && e.phase === 'post-data')) ac.abort('the writer is still running');
        },
      };
      const settings = { ...DEFAULT_SETTINGS, maxDurationMs: 10_000, stopSignal: ac.signal };
      const r: RunResult =
        runId === null
          ? await startClone({ source: src, target: dst, options: { ...defaultRunOptions(), batchBytes: 1 << 20, jobs: 1 }, settings }, observer)
          : await resumeRun({ target: dst, source: src, runId, settings }, observer);
      runId = r.runId;
      outcome = r.outcome;
      slices++;
      if (writing) withWriter++;
      if (writing && r.state.phases['post-data'].status === 'done') {
        writing = false;
        await live.writer?.stop();
      }
    }
    expect(live.writer, 'the writer started with the run').not.toBeNull();
    const wrote = await live.writer!.stop();
    expect(wrote.inserts + wrote.updates + wrote.deletes).toBeGreaterThan(500);
    expect(outcome).toBe('finished');
    // about 45 batches of 1 MB, two a slice: the 20+ slices, each a break the writer's changes cross
    expect(withWriter, 'slices with the writer running').toBeGreaterThanOrEqual(20);
    expect(slices).toBeGreaterThan(withWriter);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
    expect(await appliedPerLog(target, runId as string)).toEqual({ ...wrote, rising: true });
    expect(await leftOnSource(source, runId as string)).toEqual({ slots: 0, publications: 0 });
  }, 300_000);

  it('foreign keys across slices: parents and children read in different snapshots are added NOT VALID, then validated once caught up', async () => {
    const source = await createTestDb('cu_fk_src', logical.url);
    await source.query(`CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent (id), pad text NOT NULL);
      INSERT INTO parent SELECT i, 'p' || i FROM generate_series(1, 200) i;
      INSERT INTO child SELECT i, 1 + i % 200, repeat(md5(i::text), 4) FROM generate_series(1, 40000) i;
      ANALYZE parent, child;`);
    const target = await createTestDb('cu_fk_dst');
    const src = parseConnString(source.url, 'source');
    const dst = parseConnString(target.url, 'target');
    let runId: string | null = null;
    let outcome = 'suspended';
    let slices = 0;
    let next = 1000;
    let gone = 0;
    while (outcome === 'suspended' && slices < 60) {
      // one batch a slice; between slices (no process running), a new parent with a child, and an old parent and
      // its children deleted: whichever table a slice reads first, the other one's rows come from a later snapshot
      const ac = new AbortController();
      const observer: EngineObserver = { onEvents: (evs) => void (evs.some((e) => e.type === 'BatchCopied') && ac.abort('one batch a slice')) };
      const settings = { ...DEFAULT_SETTINGS, stopSignal: ac.signal };
      const r: RunResult =
        runId === null
          ? await startClone({ source: src, target: dst, options: { ...defaultRunOptions(), batchBytes: 256 << 10, jobs: 1 }, settings }, observer)
          : await resumeRun({ target: dst, source: src, runId, settings }, observer);
      runId = r.runId;
      outcome = r.outcome;
      slices++;
      if (r.state.phases.data.status !== 'done') {
        next++;
        gone++;
        await source.query(`INSERT INTO parent VALUES (${next}, 'new'); INSERT INTO child VALUES (${100_000 + next}, ${next}, 'x');
          DELETE FROM child WHERE parent_id = ${gone}; DELETE FROM parent WHERE id = ${gone};`);
      }
    }
    expect(outcome).toBe('finished');
    expect(gone, 'source changes between slices of the copy').toBeGreaterThanOrEqual(3);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
    const fk = await target.query<{ convalidated: boolean }>(`SELECT convalidated FROM pg_constraint WHERE conname = 'child_parent_id_fkey'`);
    expect(fk).toEqual([{ convalidated: true }]);
    const validated = await target.query<{ c: string[] }>(
      `SELECT payload->'constraints' AS c FROM pgclone.events WHERE run_id = $1 AND type = 'ConstraintsValidated'`,
      [runId],
    );
    expect(validated).toEqual([{ c: ['child_parent_id_fkey on public.child'] }]);
  }, 300_000);

  it('wipe of an interrupted run drops its slot and publication on the source, and says so', async () => {
    const source = await liveSource('cu_wipe_src', 30_000);
    const target = await createTestDb('cu_wipe_dst');
    const first = await runUntil(
      ['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--jobs', '1'],
      (ev) => ev.type === 'BatchCopied',
    );
    expect(first.killed, first.stderr).toBe(true);
    const runId = runIdOf(first.events);
    expect(await leftOnSource(source, runId)).toEqual({ slots: 1, publications: 1 });
    const status = await runCli(['status', runId, '--target', target.url]);
    expect(status.stdout).toContain(`on the source: replication slot ${catchUpName(runId)} and publication ${catchUpName(runId)}`);
    // the source's password is never in the log: wipe takes it from the environment, as resume does
    const wiped = await runCli(['wipe', runId, '--target', target.url, '--yes'], { PGPASSWORD: decodeURIComponent(new URL(source.url).password) });
    expect(wiped.stderr).toBe('');
    expect(wiped.code, wiped.stdout).toBe(0);
    expect(await leftOnSource(source, runId)).toEqual({ slots: 0, publications: 0 });
    const [ev] = await target.query<{ payload: { dropped: string[]; by: string } }>(
      `SELECT payload FROM pgclone.events WHERE run_id = $1 AND type = 'CatchUpReleased'`,
      [runId],
    );
    expect(ev?.payload).toMatchObject({ by: 'wipe', dropped: [`replication slot ${catchUpName(runId)}`, `publication ${catchUpName(runId)}`] });
  }, 120_000);
});

describe('catch-up refusals', () => {
  it('a slot that cannot be created is a preflight refusal in one line, with nothing written and nothing of the run left on the source', async () => {
    const source = await liveSource('cu_ref_src', 1000);
    const target = await createTestDb('cu_ref_dst');
    const runId = 'CatchUpRefusal0000001';
    const name = catchUpName(runId);
    // someone else's slot holds the name the run would take
    await source.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
    const err = await startClone({
      source: parseConnString(source.url, 'source'),
      target: parseConnString(target.url, 'target'),
      options: defaultRunOptions(),
      settings: DEFAULT_SETTINGS,
      runId,
    }).catch((e: unknown) => e as Error & { kind?: string });
    expect(err).toBeInstanceOf(Error);
    expect((err as { kind?: string }).kind).toBe('preflight');
    expect((err as Error).message).toMatch(
      new RegExp(`^could not create the publication and replication slot ${name} on the source: .*already exists.*; nothing was written`),
    );
    expect((err as Error).message).not.toContain('\n');
    const [log] = await target.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'pgclone'`);
    expect(log!.n, 'nothing written to the target').toBe(0);
    // the publication it made first is gone again; the slot it did not make is left alone
    expect(await leftOnSource(source, runId)).toEqual({ slots: 1, publications: 0 });
    await source.query('SELECT pg_drop_replication_slot($1)', [name]);
  }, 60_000);

  it('a resume whose slot is gone from the source is refused, saying the changes since the copy began cannot be read', async () => {
    const source = await liveSource('cu_gone_src', 30_000);
    const target = await createTestDb('cu_gone_dst');
    const first = await runUntil(
      ['clone', '--source', source.url, '--target', target.url, '--batch-size', '1MB', '--jobs', '1'],
      (ev) => ev.type === 'BatchCopied',
    );
    expect(first.killed, first.stderr).toBe(true);
    const runId = runIdOf(first.events);
    await source.query('SELECT pg_drop_replication_slot($1)', [catchUpName(runId)]);
    const r = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
    expect(r.code, r.stdout + r.stderr).toBe(9);
    expect(r.stderr).toMatch(
      new RegExp(
        `replication slot ${catchUpName(runId)}, which is gone from the source: the source's changes since the copy began cannot be read; wipe the run`,
      ),
    );
  }, 120_000);
});

describe('catch-up off', () => {
  it('a source without wal_level=logical: the run’s first line says catch-up is off and why, and the clone runs as before; --no-catch-up likewise', async () => {
    const source = await createTestDb('cu_off_src', physical.url);
    await source.query(LIVE_SQL);
    const target = await createTestDb('cu_off_dst');
    const r = await runCli(['clone', '--source', source.url, '--target', target.url]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // behaviour as before: nothing more on stderr; the run's first line, its log and status say why catch-up is off
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/catch-up off \(the source's wal_level is replica, not logical\): not exact across breaks/);
    const [opt] = await target.query<{ c: boolean | null; off: string }>(
      `SELECT (payload->'options'->>'catchUp')::boolean AS c, payload->>'catchUpOff' AS off FROM pgclone.events WHERE type = 'RunStarted'`,
    );
    expect(opt).toEqual({ c: false, off: "the source's wal_level is replica, not logical" });
    const st = await runCli(['status', '--target', target.url]);
    expect(st.stdout).toContain("catch-up: off (the source's wal_level is replica, not logical)");
    expect(await compareDatabases(source.url, target.url)).toEqual([]);

    const logicalSource = await liveSource('cu_no_src', 1000);
    const target2 = await createTestDb('cu_no_dst');
    const n = await runCli(['clone', '--source', logicalSource.url, '--target', target2.url, '--no-catch-up']);
    expect(n.code, n.stdout + n.stderr).toBe(0);
    expect(n.stderr).toBe('');
    expect(n.stdout).toMatch(/catch-up off \(--no-catch-up\)/);
    const [slots] = await logicalSource.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_replication_slots`);
    expect(slots!.n).toBe(0);
    expect(await compareDatabases(logicalSource.url, target2.url)).toEqual([]);
  }, 120_000);
});
