// Fidelity: a clone of a source full of traps is equal in schema, rows and sequences.
import { beforeAll, describe, expect, it } from 'vitest';
import { compareDatabases, pgDumpFor, pgToolsEnv, serverMajor } from '../helpers/compare.js';
import { noClientTools, runCli } from '../helpers/cli.js';
import { createTestDb, serverUrl, type TestDb } from '../helpers/db.js';
import { FIDELITY_SQL } from '../fixtures/fidelity.js';

let source: TestDb;
/** pg_dump where one can read the test server: the pg_dump engine is tested where it can run (a machine with Node only has none) */
const pgDump = await pgDumpFor(await serverMajor(serverUrl()));

beforeAll(async () => {
  source = await createTestDb('fid_src');
  await source.query(FIDELITY_SQL);
});

describe('clone fidelity', () => {
  it('copies every type, key, cycle and odd name exactly, in small batches that split composite and text keys', async () => {
    const target = await createTestDb('fid_dst');
    const r = await runCli(['clone', '--source', source.url, '--target', target.url, '--batch-size', '16kB', '--jobs', '2', '--verify', 'checksum']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/finished in .*verification passed/);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);

    // the trigger that mangles inserts was not active while rows were copied
    const t = await target.query(`SELECT note FROM public.trigger_target`);
    expect(t).toEqual([{ note: 'original' }]);
    // identity ALWAYS kept its values; the sequences continue where the source's do
    const ids = await target.query(`SELECT min(id)::int AS lo, max(id)::int AS hi FROM public.people`);
    expect(ids[0]).toEqual({ lo: 1, hi: 3000 });
    const next = await target.query(`SELECT nextval('public.invoice_no')::int AS n`);
    expect(next[0]!.n).toBe(987654 + 7);
    // several batches really were used for the composite and the text keys
    const log = await target.query<{ n: number; t: string }>(
      `SELECT payload->'table'->>'name' AS t, count(*)::int AS n FROM pgclone.events WHERE type = 'BatchCopied' GROUP BY 1`,
    );
    const batches = Object.fromEntries(log.map((x) => [x.t, x.n]));
    expect(batches.orders).toBeGreaterThan(2);
    expect(batches.words).toBeGreaterThan(2);
    expect(batches.events_log).toBeGreaterThan(2);
    // the enum table went in binary: 1 kB of bytea a row, where text COPY would send 2 kB of hex
    const bytes = await target.query<{ b: number; r: number }>(
      `SELECT sum((payload->>'bytes')::bigint)::int AS b, sum((payload->>'rows')::bigint)::int AS r FROM pgclone.events WHERE type = 'BatchCopied' AND payload->'table'->>'name' = 'mood_photos'`,
    );
    expect(bytes[0]!.r).toBe(400);
    expect(bytes[0]!.b).toBeLessThan(400 * 1200);
  });

  it('copies the same in text COPY and with one job', async () => {
    const target = await createTestDb('fid_text');
    const r = await runCli(['clone', '--source', source.url, '--target', target.url, '--text', '--jobs', '1', '--index-jobs', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
  });

  it.runIf(pgDump !== null)('the pg_dump engine (--schema-engine pg_dump) makes the same target as the built-in one', async () => {
    const builtin = await createTestDb('fid_builtin');
    const dumped = await createTestDb('fid_pgdump');
    const a = await runCli(['clone', '--source', source.url, '--target', builtin.url, '--schema-engine', 'builtin']);
    const b = await runCli(['clone', '--source', source.url, '--target', dumped.url, '--schema-engine', 'pg_dump'], pgToolsEnv(pgDump));
    expect([a.stderr, b.stderr]).toEqual(['', '']);
    expect([a.code, b.code]).toEqual([0, 0]);
    // each run says which engine it used
    const engines = await Promise.all(
      [builtin, dumped].map(
        async (t) => (await t.query<{ e: string }>(`SELECT payload->'options'->>'schemaEngine' AS e FROM pgclone.events WHERE type = 'RunStarted'`))[0]?.e,
      ),
    );
    expect(engines).toEqual(['builtin', 'pg_dump']);
    expect(await compareDatabases(builtin.url, dumped.url)).toEqual([]);
  });

  it('clones and resumes with no PostgreSQL client program reachable, verified by checksum', async () => {
    const target = await createTestDb('fid_notools');
    const none = await noClientTools();
    try {
      const first = await runCli(
        ['clone', '--source', source.url, '--target', target.url, '--max-duration', '1ms', '--batch-size', '16kB', '--verify', 'checksum'],
        none.env,
      );
      expect(first.stderr, first.stdout).toBe('');
      expect(first.code, first.stdout).toBe(3);
      const last = await runCli(['resume', '--target', target.url, '--source', source.url], none.env);
      expect(last.stderr, last.stdout).toBe('');
      expect(last.code, last.stdout).toBe(0);
      expect(last.stdout).toMatch(/verification passed/);
    } finally {
      await none.dispose();
    }
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
  });
});
