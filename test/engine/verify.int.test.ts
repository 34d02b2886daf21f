// Batch sizes, and verification: the source's counts come from the batches when one snapshot served them all, the target is
// still counted, so rows the batches did not put there fail it (exit 4); a batch whose two counts disagree
// commits nothing; a resumed table is counted on the source again.
import { beforeAll, describe, expect, it } from 'vitest';
import { logVersusTarget } from '../helpers/compare.js';
import { runCli, runIdOf, runUntil, type JsonEvent } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { bulkSql } from '../fixtures/fidelity.js';
import { tamperWith } from '../fixtures/tamper.js';

let source: TestDb;
beforeAll(async () => {
  source = await createTestDb('verify_src');
  await source.query(bulkSql(20_000));
  await source.query(`CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT i, 'n' || i FROM generate_series(1, 300) i;`);
});

async function verified(target: TestDb, runId: string): Promise<JsonEvent[]> {
  const r = await runCli(['log', runId, '--target', target.url, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JsonEvent)
    .filter((e) => e.type === 'TableVerified');
}

const of = (evs: JsonEvent[], name: string) => evs.find((e) => (e.table as { name: string }).name === name);

describe('verification', () => {
  it('an uninterrupted clone counts the source from its batches; rows the batches did not put in the target fail it (exit 4)', async () => {
    const target = await createTestDb('verify_extra');
    // every 1000th row copied gets a twin under a negative id: the target holds 20 rows no batch sent
    await tamperWith(
      target,
      'AFTER',
      `IF NEW.id > 0 AND NEW.id % 1000 = 0 THEN INSERT INTO public.bulk VALUES (-NEW.id, NEW.grp, NEW.body); END IF; RETURN NULL;`,
    );
    const r = await runUntil(['clone', '--source', source.url, '--target', target.url, '--batch-size', '256kB'], () => false);
    expect(r.code, r.stderr).toBe(4);
    // the key ranges are planned from enough sampled pages that no batch is far from the size asked for
    // (with a few pages per batch, a table stored in key order got batches of 0 to 4 times it)
    const sizes = r.events.filter((e) => e.type === 'BatchCopied' && (e.table as { name: string }).name === 'bulk').map((e) => Number(e.bytes));
    expect(sizes.length).toBeGreaterThanOrEqual(12);
    expect(Math.max(...sizes), sizes.join(' ')).toBeLessThanOrEqual(1.5 * 256 * 1024);
    const v = await verified(target, runIdOf(r.events));
    expect(of(v, 'bulk')).toMatchObject({ sourceRows: 20_000, targetRows: 20_020, match: false, sourceCountedBy: 'copy' });
    expect(of(v, 'notes')).toMatchObject({ sourceRows: 300, targetRows: 300, match: true, sourceCountedBy: 'copy' });
  }, 120_000);

  it('a batch the target took fewer rows of than the source sent commits nothing, and the run fails saying so', async () => {
    const target = await createTestDb('verify_drop');
    // every 1000th row vanishes on the way in: COPY's own count on the target is short
    await tamperWith(target, 'BEFORE', `IF NEW.id % 1000 = 0 THEN RETURN NULL; END IF; RETURN NEW;`);
    const r = await runUntil(['clone', '--source', source.url, '--target', target.url, '--batch-size', '256kB', '--retries', '0'], () => false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the source sent \d+ rows but the target took \d+/);
    // the batches that held a multiple of 1000 are not in the log, and their rows are not in the target
    const committed = r.events.filter((e) => e.type === 'BatchCopied' && (e.table as { name: string }).name === 'bulk');
    for (const b of committed) {
      const { lo, hi } = b.range as { lo: string[] | null; hi: string[] | null };
      expect(Math.floor(Number(hi?.[0] ?? 20_000) / 1000), JSON.stringify(b.range)).toBe(Math.floor(Number(lo?.[0] ?? 0) / 1000));
    }
    expect(await logVersusTarget(target.url, runIdOf(r.events))).toEqual([]);
    const inTarget = Number((await target.query(`SELECT count(*) AS n FROM public.bulk`))[0]?.n);
    expect(inTarget).toBe(committed.reduce((n, b) => n + Number(b.rows), 0));
    expect(Number((await target.query(`SELECT count(*) AS n FROM public.bulk WHERE id % 1000 = 0`))[0]?.n)).toBe(0);
  }, 120_000);

  it('a table whose bytes live in TOAST gets batches of the size asked for, not a few huge ones, and an exact row count', async () => {
    // 1,100 rows of 64 kB images stored out of line: 72 MB, nearly all of it TOAST; the heap is a few pages
    const src = await createTestDb('verify_toast_src');
    await src.query(`CREATE TABLE images (id int PRIMARY KEY, img bytea NOT NULL);
      ALTER TABLE images ALTER COLUMN img SET STORAGE EXTERNAL;
      INSERT INTO images SELECT i, decode(repeat(md5(i::text), 4096), 'hex') FROM generate_series(1, 1100) i;`);
    const target = await createTestDb('verify_toast_dst');
    const r = await runUntil(['clone', '--source', src.url, '--target', target.url, '--batch-size', '2MB'], () => false);
    expect(r.code, r.stderr).toBe(0);
    const sizes = r.events.filter((e) => e.type === 'BatchCopied').map((e) => Number(e.bytes));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(72e6);
    expect(sizes.length).toBeGreaterThanOrEqual(25);
    expect(Math.max(...sizes), sizes.join(' ')).toBeLessThanOrEqual(1.5 * 2 * 1024 * 1024);
    // a count reads the heap only: cheap, so the total shown is exact ("/ 1,100 rows", not "/ ~1,100")
    expect(r.events.find((e) => e.type === 'TableStarted')?.exactRows).toBe(1100);
  }, 120_000);

  it('a table resumed in another process is counted on the source again; one copied whole after the resume is not', async () => {
    const target = await createTestDb('verify_resume');
    const args = ['clone', '--source', source.url, '--target', target.url, '--batch-size', '256kB', '--jobs', '1'];
    const first = await runUntil(args, (ev, seen) => ev.type === 'BatchCopied' && seen.filter((e) => e.type === 'BatchCopied').length === 2);
    expect(first.killed).toBe(true);
    const runId = runIdOf(first.events);
    const r = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
    expect(r.code, r.stderr).toBe(0);
    const v = await verified(target, runId);
    expect(of(v, 'bulk')).toMatchObject({ sourceRows: 20_000, targetRows: 20_000, match: true, sourceCountedBy: 'scan' });
    expect(of(v, 'notes')).toMatchObject({ sourceRows: 300, targetRows: 300, match: true, sourceCountedBy: 'copy' });
  }, 120_000);
});
