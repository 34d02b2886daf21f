// The log's storage on a real server: creation, append in the caller's transaction, reads, append-only, privileges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { appendEvents, appendStandalone, ensureLog, foldRun, listRuns, logExists, readAllRuns, readRun, tableKey } from '../../src/events/index.js';
import { adminQuery, connect, createLoginRole, createTestDb, dropTestDb, type TestDb, type TestRole } from '../helpers/db.js';
import { interruptedAt29 } from '../fixtures/stories.js';
import { LogBuilder, plannedTable } from '../fixtures/events.js';

const strip = ({ id: _id, v: _v, ...rest }: { id: number; v: number } & Record<string, unknown>) => rest;
type Strippable = Parameters<typeof strip>[0];

let db: TestDb;
let c: pg.Client;

beforeAll(async () => {
  db = await createTestDb('store');
  c = await db.client();
});
afterAll(async () => {
  await c.end();
});

describe('ensureLog', () => {
  it('creates schema pgclone and its table, idempotently and safely when raced', async () => {
    expect(await logExists(c)).toBe(false);
    const others = await Promise.all([db.client(), db.client(), db.client()]);
    await Promise.all(others.map((o) => ensureLog(o)));
    await ensureLog(c);
    await Promise.all(others.map((o) => o.end()));
    expect(await logExists(c)).toBe(true);
    const t = await db.query(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'pgclone.events'::regclass AND NOT tgisinternal`);
    expect(t[0]!.n).toBe(1);
  });
});

describe('append and read', () => {
  it('commits an event with the change it records, and neither when the transaction rolls back', async () => {
    await db.query('CREATE TABLE IF NOT EXISTS public.widgets (id int)');
    const [first] = interruptedAt29('run_tx').build() as Strippable[];
    await c.query('BEGIN');
    await c.query('INSERT INTO public.widgets VALUES (1)');
    expect((await appendEvents(c, [strip(first!) as never])).ok).toBe(true);
    await c.query('ROLLBACK');
    expect(await readRun(c, 'run_tx')).toEqual([]);
    expect((await db.query('SELECT count(*)::int AS n FROM public.widgets'))[0]!.n).toBe(0);

    await c.query('BEGIN');
    await c.query('INSERT INTO public.widgets VALUES (1)');
    const r = await appendEvents(c, [strip(first!) as never]);
    await c.query('COMMIT');
    expect(r.ok).toBe(true);
    expect(await readRun(c, 'run_tx')).toHaveLength(1);
    expect((await db.query('SELECT count(*)::int AS n FROM public.widgets'))[0]!.n).toBe(1);
  });

  it('reads a run back in order and folds it to the same state as the events written', async () => {
    const written = interruptedAt29('run_story').build();
    for (const e of written) expect((await appendStandalone(c, [strip(e as Strippable) as never])).ok).toBe(true);
    const read = await readRun(c, 'run_story');
    expect(read.map((e) => e.type)).toEqual(written.map((e) => e.type));
    expect(read.map(strip as never)).toEqual(written.map(strip as never));
    const ids = read.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const s = foldRun(read);
    expect(s.tables[tableKey({ schema: 'public', name: 'storyboard_panels' })]!.rowsDone).toBe(707);
  });

  it('returns a conflict, not an exception, when a step is recorded twice — and the transaction survives', async () => {
    const evs = interruptedAt29('run_dupe').build() as Strippable[];
    for (const e of evs) await appendStandalone(c, [strip(e) as never]);
    const again = evs.find((e) => e.type === 'BatchCopied')!;
    await c.query('BEGIN');
    const r = await appendEvents(c, [strip(again) as never]);
    expect(r).toEqual({ ok: false, conflict: 'batch "public"."users" 0' });
    await c.query('SELECT 1');
    await c.query('ROLLBACK');
  });

  it('lists runs with their first and last events', async () => {
    const runs = await listRuns(c);
    const story = runs.find((r) => r.runId === 'run_story')!;
    expect(story.first.type).toBe('RunStarted');
    expect(story.last.type).toBe('BatchCopied');
    expect(story.count).toBe(interruptedAt29().build().length);
    const all = await readAllRuns(c);
    expect([...all.keys()]).toEqual(expect.arrayContaining(['run_tx', 'run_story', 'run_dupe']));
  });

  it('fails closed on a malformed row, naming its event id', async () => {
    const b = new LogBuilder('run_corrupt').started([plannedTable('t', 1)]);
    await appendStandalone(c, [strip(b.build()[0] as Strippable) as never]);
    const bad = await c.query<{ id: string }>(
      `INSERT INTO pgclone.events (run_id, type, version, at, payload) VALUES ('run_corrupt', 'BatchCopied', 1, now(), '{"type":"BatchCopied","rows":"many"}') RETURNING id`,
    );
    const id = bad.rows[0]!.id;
    await expect(readRun(c, 'run_corrupt')).rejects.toThrow(new RegExp(`event ${id} in the pgclone log is malformed`));
  });
});

describe('append-only in the database itself', () => {
  let owner: pg.Client;
  let role: TestRole;
  let ownedDb: TestDb;

  beforeAll(async () => {
    role = await createLoginRole('pgclone_owner');
    ownedDb = await createTestDb('owned');
    await adminQuery(`ALTER DATABASE "${ownedDb.name}" OWNER TO ${role.name}`);
    owner = await connect(role.url(ownedDb.name));
    await ensureLog(owner);
    await appendStandalone(owner, [strip(interruptedAt29('run_owned').build()[0] as Strippable) as never]);
  });
  afterAll(async () => {
    await owner?.end();
  });

  it('is owned by the non-superuser who created it', async () => {
    const r = await owner.query(
      `SELECT pg_get_userbyid(relowner) AS o, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su FROM pg_class WHERE oid = 'pgclone.events'::regclass`,
    );
    expect(r.rows[0]).toEqual({ o: role.name, su: false });
  });

  for (const sql of [
    'UPDATE pgclone.events SET type = type',
    'DELETE FROM pgclone.events',
    'TRUNCATE pgclone.events',
    "DELETE FROM pgclone.events WHERE run_id = 'no such run'",
  ]) {
    it(`rejects "${sql}" even for the table's owner`, async () => {
      await expect(owner.query(sql)).rejects.toThrow(/pgclone.events is append-only: (UPDATE|DELETE|TRUNCATE) is not allowed/);
      expect((await owner.query('SELECT count(*)::int AS n FROM pgclone.events')).rows[0].n).toBe(1);
    });
  }

  it('is not readable or writable by PUBLIC: a fresh unprivileged role is refused', async () => {
    const stranger = await createLoginRole('pgclone_stranger');
    try {
      const s = await connect(stranger.url(ownedDb.name));
      try {
        await expect(s.query('SELECT * FROM pgclone.events')).rejects.toThrow(/permission denied/);
        await expect(s.query(`INSERT INTO pgclone.events (run_id, type, version, at, payload) VALUES ('x','x',1,now(),'{}')`)).rejects.toThrow(
          /permission denied/,
        );
      } finally {
        await s.end();
      }
    } finally {
      await stranger.drop();
    }
  });

  afterAll(async () => {
    await dropTestDb(ownedDb.name);
    await role.drop();
  });
});
