// After success the target is the operator's: export keeps the log in a file, forget removes schema pgclone and the
// pgclone.state setting — refused while a run is unfinished or locked, saying which and what to do.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, runIdOf, runUntil } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { catalogPictureOf } from '../helpers/catalog-referee.js';
import { pgDumpFor, serverMajor } from '../helpers/compare.js';

let source: TestDb;
const dir = mkdtempSync(join(tmpdir(), 'pgclone-forget-'));

beforeAll(async () => {
  source = await createTestDb('fg_src');
  await source.query(`CREATE TABLE items (id serial PRIMARY KEY, name text); INSERT INTO items (name) SELECT 'i' || g FROM generate_series(1, 50) g;`);
});

async function logLeft(target: TestDb): Promise<{ schema: boolean; setting: boolean }> {
  const [r] = await target.query<{ schema: boolean; setting: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgclone') AS schema,
            EXISTS (SELECT 1 FROM pg_db_role_setting s, unnest(s.setconfig) c
                     WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND c LIKE 'pgclone.state=%') AS setting`,
  );
  return r!;
}

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: number; type: string; runId: string });

describe('export and forget', () => {
  it('a finished clone says how; export writes the log; forget --output exports it and drops schema pgclone and pgclone.state', async () => {
    const target = await createTestDb('fg_done');
    const c = await runCli(['clone', '--source', source.url, '--target', target.url, '--plain']);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/finished in .*the log stays in schema pgclone .* pgclone forget --target '[^']+' --output pgclone-log\.jsonl/);
    expect(await logLeft(target)).toEqual({ schema: true, setting: true });

    // no terminal and no --yes: nothing is dropped
    const asked = await runCli(['forget', '--target', target.url]);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toMatch(/without a terminal it cannot ask: add --yes/);
    expect(await logLeft(target)).toEqual({ schema: true, setting: true });

    const file = join(dir, 'export.jsonl');
    const ex = await runCli(['export', '--target', target.url, '--output', file]);
    expect(ex.code).toBe(0);
    const exported = jsonLines(readFileSync(file, 'utf8'));
    expect(exported[0]?.type).toBe('RunStarted');
    expect(exported.at(-1)?.type).toBe('RunFinished');
    // an existing file is never overwritten
    expect((await runCli(['export', '--target', target.url, '--output', file])).code).toBe(2);

    const kept = join(dir, 'forget.jsonl');
    const f = await runCli(['forget', '--target', target.url, '--yes', '--output', kept]);
    expect(f.stderr).toBe('');
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/dropped schema pgclone and reset the pgclone.state setting/);
    expect(jsonLines(readFileSync(kept, 'utf8'))).toEqual(exported);
    expect(await logLeft(target)).toEqual({ schema: false, setting: false });
    // nothing of pgclone is left in the catalogs, and so in a later pg_dump (checked too where a pg_dump can read the server)
    const picture = [...(await catalogPictureOf(target.url)).keys()];
    expect(picture).toContain('table public.items');
    expect(picture.filter((k) => k.includes('pgclone'))).toEqual([]);
    const bin = await pgDumpFor(await serverMajor(target.url));
    if (bin !== null) {
      const dump = execFileSync(bin, ['--schema-only', target.url], { encoding: 'utf8' });
      expect(dump).toMatch(/CREATE TABLE public\.items/);
      expect(dump).not.toMatch(/pgclone/);
    }

    const again = await runCli(['forget', '--target', target.url, '--yes']);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/holds no pgclone log/);
  });

  it('refuses while a run is interrupted (naming it, with resume and wipe), and forgets once it is wiped', async () => {
    const target = await createTestDb('fg_open');
    const killed = await runUntil(['clone', '--source', source.url, '--target', target.url], (ev) => ev.type === 'SchemaApplied');
    expect(killed.killed).toBe(true);
    const runId = runIdOf(killed.events);
    const f = await runCli(['forget', '--target', target.url, '--yes']);
    expect(f.code).toBe(7);
    expect(f.stderr).toContain(`run ${runId} is not finished (interrupted): finish it with pgclone resume ${runId}`);
    expect(f.stderr).toContain(`pgclone wipe ${runId}`);
    expect(f.stderr.trim().split('\n')).toHaveLength(2);
    expect(await logLeft(target)).toEqual({ schema: true, setting: true });

    expect((await runCli(['wipe', runId, '--target', target.url, '--yes'])).code).toBe(0);
    const g = await runCli(['forget', '--target', target.url, '--yes']);
    expect(g.code).toBe(0);
    expect(await logLeft(target)).toEqual({ schema: false, setting: false });
  });

  it('refuses while a process holds a run’s lock (exit 8), naming the run', async () => {
    const target = await createTestDb('fg_lock');
    const c = await runCli(['clone', '--source', source.url, '--target', target.url, '--json']);
    expect(c.code).toBe(0);
    const runId = runIdOf(jsonLines(c.stdout));
    const holder = await target.client();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtextextended('pgclone run ' || $1, 0))`, [runId]);
      const f = await runCli(['forget', '--target', target.url, '--yes']);
      expect(f.code).toBe(8);
      expect(f.stderr).toMatch(new RegExp(`run ${runId} is being worked on by .*: let it finish or stop it first`));
      expect(await logLeft(target)).toEqual({ schema: true, setting: true });
    } finally {
      await holder.end();
    }
  });
});
