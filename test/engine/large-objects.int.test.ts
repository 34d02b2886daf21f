// Large objects: oids, owners, ACLs and contents cloned exactly, in batches that survive a SIGKILL, removed by wipe, streamed in bounded memory.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, runIdOf, runUntil, spawnCli } from '../helpers/cli.js';
import { adminQuery, createTestDb, type TestDb } from '../helpers/db.js';

const OWNER = 'pgclone_lo_owner';
const READER = 'pgclone_lo_reader';

beforeAll(async () => {
  for (const r of [OWNER, READER]) {
    await adminQuery(`DO $$ BEGIN CREATE ROLE ${r}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  }
});

/** Every large object: oid, owner, ACL, md5 of contents, in oid order. */
async function picture(db: TestDb): Promise<string[]> {
  const rows = await db.query<{ line: string }>(
    `SELECT oid::int8 || ' ' || pg_get_userbyid(lomowner) || ' ' || coalesce(lomacl::text, '-') || ' ' || md5(lo_get(oid))
            || ' ' || coalesce(quote_literal(obj_description(oid, 'pg_largeobject')), '-') AS line
       FROM pg_largeobject_metadata ORDER BY oid`,
  );
  return rows.map((r) => r.line);
}

async function addObjects(c: pg.Client, sizes: number[], owner?: string, grant?: string): Promise<void> {
  await c.query('BEGIN');
  for (const n of sizes) {
    const r = await c.query<{ oid: string }>('SELECT lo_from_bytea(0, $1::bytea)::int8::text AS oid', [randomBytes(n)]);
    const oid = r.rows[0]?.oid;
    if (owner) await c.query(`ALTER LARGE OBJECT ${oid} OWNER TO ${owner}`);
    if (grant) await c.query(`GRANT SELECT ON LARGE OBJECT ${oid} TO ${grant}`);
  }
  await c.query('COMMIT');
}

const clone = (source: TestDb, target: TestDb, extra: string[] = []) => ['clone', '--source', source.url, '--target', target.url, ...extra];

describe('large objects', () => {
  it("pgcopydb's blobs shape — 300 images of 1–200 kB owned by a second role with a grant, empty ones and commented ones — cloned exactly, then wiped", async () => {
    const source = await createTestDb('lo_src');
    const target = await createTestDb('lo_dst');
    await source.query('CREATE TABLE images (id int PRIMARY KEY, img oid)');
    const c = await source.client();
    const sizes = Array.from({ length: 300 }, (_, i) => 1024 + ((i * 7919) % 200) * 1024);
    await addObjects(c, sizes, OWNER, READER);
    await addObjects(c, [0, 0, 0]);
    // commented ones, as pg_dump carries them
    for (const o of (await c.query<{ oid: string }>('SELECT oid::int8::text AS oid FROM pg_largeobject_metadata ORDER BY oid LIMIT 5')).rows)
      await c.query(`COMMENT ON LARGE OBJECT ${o.oid} IS 'image ${o.oid}: it''s "quoted"'`);
    await c.query('INSERT INTO images SELECT row_number() OVER (ORDER BY oid), oid FROM pg_largeobject_metadata');
    await c.end();

    const r = await runCli(clone(source, target, ['--verify', 'checksum']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verification passed/);
    const want = await picture(source);
    expect(want).toHaveLength(303);
    expect(await picture(target)).toEqual(want);

    const runId = (await target.query<{ run_id: string }>(`SELECT run_id FROM pgclone.events WHERE type = 'RunStarted'`))[0]?.run_id as string;
    const v = await target.query<{ p: { match: boolean; sourceCount: number } }>(`SELECT payload AS p FROM pgclone.events WHERE type = 'LargeObjectsVerified'`);
    expect(v.map((x) => [x.p.match, x.p.sourceCount])).toEqual([[true, 303]]);

    // a large object of the target's own, outside the run's ranges, survives the wipe
    const mine = await target.query<{ oid: string }>(`SELECT lo_create(0)::int8::text AS oid`);
    const w = await runCli(['wipe', runId, '--target', target.url, '--yes']);
    expect(w.code).toBe(0);
    const left = await target.query<{ oid: string }>('SELECT oid::int8::text AS oid FROM pg_largeobject_metadata');
    expect(left.map((x) => x.oid)).toEqual(mine.map((x) => x.oid));
  });

  it('a target holding an oid the source uses is refused by name', async () => {
    const source = await createTestDb('lo_src2');
    const target = await createTestDb('lo_dst2');
    const oid = (await source.query<{ oid: string }>('SELECT lo_from_bytea(0, $1::bytea)::int8::text AS oid', [randomBytes(100)]))[0]?.oid as string;
    await target.query(`SELECT lo_create(${oid})`);
    const r = await runCli(clone(source, target));
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`already holds large object ${oid}, an oid the source uses`);
  });

  it('SIGKILL after the first batch of 2,000 objects, then resume: exact, and the batches are disjoint and cover every oid', async () => {
    const source = await createTestDb('lo_kill_src');
    const target = await createTestDb('lo_kill_dst');
    const c = await source.client();
    await addObjects(
      c,
      Array.from({ length: 2000 }, (_, i) => (i * 37) % 300),
      OWNER,
    );
    await c.end();
    const first = await runUntil(clone(source, target, ['--batch-size', '4kB']), (ev) => ev.type === 'LargeObjectsCopied');
    expect(first.killed).toBe(true);
    const runId = runIdOf(first.events);
    const r = await runCli(['resume', runId, '--source', source.url, '--target', target.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verification passed/);
    const want = await picture(source);
    expect(await picture(target)).toEqual(want);

    const batches = (
      await target.query<{ p: { fromOid: number; toOid: number; count: number } }>(
        `SELECT payload AS p FROM pgclone.events WHERE type = 'LargeObjectsCopied' ORDER BY (payload->>'fromOid')::int8`,
      )
    ).map((x) => x.p);
    expect(batches.length).toBeGreaterThan(2);
    const oids = want.map((l) => Number(l.split(' ')[0]));
    let i = 0;
    for (const [k, b] of batches.entries()) {
      if (k > 0) expect(b.fromOid).toBeGreaterThan((batches[k - 1] as { toOid: number }).toOid);
      const inside = oids.filter((o) => o >= b.fromOid && o <= b.toOid);
      expect(inside.length).toBe(b.count);
      i += inside.length;
    }
    expect(i).toBe(2000);
  });

  it('one object of 100 MB is copied in bounded memory (peak RSS of the engine process)', async () => {
    const source = await createTestDb('lo_big_src');
    const target = await createTestDb('lo_big_dst');
    const c = await source.client();
    const oid = (await c.query<{ oid: string }>('SELECT lo_create(0)::int8::text AS oid')).rows[0]?.oid as string;
    for (let k = 0; k < 100; k++) await c.query('SELECT lo_put($1::int8::oid, $2::int8, $3::bytea)', [oid, k << 20, randomBytes(1 << 20)]);
    await c.end();

    const child = spawnCli(clone(source, target, ['--verify', 'checksum']));
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    child.stdout?.resume();
    let peakKb = 0;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // gone between the check and the read
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stderr).toBe('');
    expect(await exited).toBe(0);
    expect(await picture(target)).toEqual(await picture(source));
    console.log(`100 MB large object: engine peak RSS ${(peakKb / 1024).toFixed(0)} MB`);
    expect(peakKb).toBeGreaterThan(0);
    expect(peakKb).toBeLessThan(250 * 1024);
  }, 300_000);
});
