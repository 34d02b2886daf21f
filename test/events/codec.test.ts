// Parsing log rows: once, with zod; malformed and unknown events fail closed naming their id.
import { describe, expect, it } from 'vitest';
import { identityOf, MalformedEventError, parseEventRow, PgcloneEvent, tableKey, tableLabel } from '../../src/events/index.js';
import { parseConnString } from '../../src/engine/pg/conninfo.js';
import { interruptedAt29 } from '../fixtures/stories.js';

const good = interruptedAt29().build()[1]!;
const row = (payload: unknown, over: Partial<{ id: number; run_id: string; type: string; version: number }> = {}) => ({
  id: 42,
  run_id: good.runId,
  type: good.type,
  version: 1,
  payload,
  ...over,
});

describe('parseEventRow', () => {
  it('round-trips a good event and takes the id from the row', () => {
    const { id: _id, ...payload } = good;
    expect(parseEventRow(row(payload))).toEqual({ ...payload, id: 42 });
  });

  it('rejects an unknown event type, naming the event id', () => {
    expect(() => parseEventRow(row({ ...good, type: 'RunTeleported' }, { type: 'RunTeleported' }))).toThrow(
      /event 42 in the pgclone log is malformed: RunTeleported/,
    );
  });

  it('rejects a known type with a missing or mistyped field', () => {
    const { id: _id, ...payload } = good;
    const broken = { ...payload, phase: 'warp-speed' };
    expect(() => parseEventRow(row(broken))).toThrow(MalformedEventError);
    expect(() => parseEventRow(row({ ...payload, at: 'yesterday' }))).toThrow(/event 42 .*at/);
    expect(() => parseEventRow(row('not even an object'))).toThrow(/event 42/);
  });

  it('rejects a row whose columns disagree with its payload', () => {
    const { id: _id, ...payload } = good;
    expect(() => parseEventRow(row(payload, { run_id: 'someone_else' }))).toThrow(/event 42 .*disagree/);
  });

  it('rejects an event of a future version', () => {
    const { id: _id, ...payload } = good;
    expect(() => parseEventRow(row({ ...payload, v: 2 }, { version: 2 }))).toThrow(/event 42/);
  });
});

describe('identities never carry a password', () => {
  it('builds a RunStarted from URLs with passwords and the password appears nowhere in it', () => {
    const secret = 'Sup3r$ecret-pa55';
    const src = parseConnString(`postgresql://app:${encodeURIComponent(secret)}@prod.db:6432/shop?sslmode=require`, 'source', {});
    const dst = parseConnString(`host=staging.db port=5433 dbname=shop user=app password='${secret}'`, 'target', {});
    expect(src.password).toBe(secret);
    expect(dst.password).toBe(secret);
    const first = interruptedAt29().build()[0]!;
    const { id: _id, ...started } = first;
    const ev = PgcloneEvent.parse({
      ...started,
      source: identityOf(src, '15.8', 'fp1'),
      target: identityOf(dst, '15.8', 'fp2'),
    });
    const text = JSON.stringify(ev);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
    expect(ev.type === 'RunStarted' && ev.source).toEqual({
      host: 'prod.db',
      port: 6432,
      database: 'shop',
      user: 'app',
      serverVersion: '15.8',
      fingerprint: 'fp1',
    });
  });

  it('rejects an identity that smuggles a password field', () => {
    const { id: _id, ...started } = interruptedAt29().build()[0]!;
    const smuggled = { ...started, source: { ...(started as { source: object }).source, password: 'x' } };
    expect(PgcloneEvent.safeParse(smuggled).success).toBe(false);
  });
});

describe('table names', () => {
  it('keys are unambiguous even with dots and quotes; labels stay readable', () => {
    expect(tableKey({ schema: 'a.b', name: 'c' })).not.toBe(tableKey({ schema: 'a', name: 'b.c' }));
    expect(tableKey({ schema: 'public', name: 'we"ird' })).toBe('"public"."we""ird"');
    expect(tableLabel({ schema: 'public', name: 'users' })).toBe('public.users');
    expect(tableLabel({ schema: 'public', name: 'Mixed Case' })).toBe('public."Mixed Case"');
  });
});
