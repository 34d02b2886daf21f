// The engine's own code can only INSERT into and SELECT from the log: nothing in src updates, deletes,
// truncates, alters it, or turns off the trigger that guards it (session_replication_role would).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

/** The only place allowed to name the guarded verbs: the trigger that rejects them, in the store's schema DDL. */
function withoutLogDdl(path: string, text: string): string {
  if (!path.endsWith('events/store.ts')) return text;
  const start = text.indexOf('const ENSURE_SQL = `');
  const end = text.indexOf('`;', start);
  expect(start).toBeGreaterThan(0);
  return text.slice(0, start) + text.slice(end);
}

describe('append-only from the engine’s side', () => {
  const sources = files(SRC).map((p) => ({ p, text: withoutLogDdl(p, readFileSync(p, 'utf8')) }));

  it('reads the sources it claims to (so the checks below can fail)', () => {
    expect(sources.length).toBeGreaterThan(30);
    expect(sources.some((s) => /INSERT INTO \$\{EVENTS\}/.test(s.text))).toBe(true);
  });

  for (const [what, re] of [
    ['UPDATE of the log', /UPDATE\s+(pgclone\.events|\$\{EVENTS\})/i],
    ['DELETE from the log', /DELETE\s+FROM\s+(pgclone\.events|\$\{EVENTS\})/i],
    ['TRUNCATE of the log', /TRUNCATE\s+(TABLE\s+)?(pgclone\.events|\$\{EVENTS\})/i],
    ['ALTER TABLE of the log', /ALTER\s+TABLE\s+(ONLY\s+)?(pgclone\.events|\$\{EVENTS\})/i],
    ['disabling triggers', /DISABLE\s+TRIGGER/i],
  ] as const) {
    it(`has no ${what}`, () => {
      const hits = sources.filter((s) => re.test(s.text)).map((s) => s.p);
      expect(hits).toEqual([]);
    });
  }

  // catch-up applies the source's changes with session_replication_role = replica (the target's triggers and foreign
  // keys must not fire on replayed rows), which skips ordinary triggers: only there (and preflight's check that the
  // role may), and the log's guard is an ALWAYS trigger that fires in such sessions too
  it('sets session_replication_role only for catch-up, and the log’s trigger fires ALWAYS', () => {
    const hits = sources.filter((s) => /session_replication_role/i.test(s.text)).map((s) => relative(SRC, s.p));
    expect(hits.sort()).toEqual([join('engine', 'phases', 'catch-up.ts'), join('engine', 'phases', 'preflight.ts')]);
    const store = readFileSync(join(SRC, 'events', 'store.ts'), 'utf8');
    expect(store).toMatch(/ALTER TABLE pgclone\.events ENABLE ALWAYS TRIGGER events_append_only/);
  });

  // pgclone forget removes the whole log once every run is finished or wiped, so that a finished target is the
  // operator's (the schema would otherwise be in every later pg_dump). That one module may drop it; nothing else.
  it('drops the log schema only in engine/forget.ts, the removal an operator asks for', () => {
    const re = /DROP\s+(SCHEMA|TABLE)\s+(IF\s+EXISTS\s+)?pgclone\b/i;
    const hits = sources.filter((s) => re.test(s.text)).map((s) => relative(SRC, s.p));
    expect(hits).toEqual([join('engine', 'forget.ts')]);
  });
});
