// Pure planning: batch ranges, post-data waves and conflicts, and reading pg_restore's output.
import { describe, expect, it } from 'vitest';
import type { PostDataItemState } from '../../src/events/index.js';
import { parseTocList, splitItems } from '../../src/engine/pg/dump.js';
import { batchCount, keyRangesFromSample, orderTables, postKind, tidRanges, waveOf } from '../../src/engine/plan.js';
import { analyzeItemId, conflictsInFlight, plannedAnalyze, postItemIds } from '../../src/engine/phases/post-data.js';

const item = (id: string, kind: PostDataItemState['kind'], table: string | null, refTable: string | null = null): PostDataItemState => ({
  id,
  kind,
  desc: kind,
  name: id,
  table: table ? { schema: 'public', name: table } : null,
  refTable: refTable ? { schema: 'public', name: refTable } : null,
  applied: false,
  durationMs: null,
  appliedAt: null,
});

describe('batch ranges', () => {
  it('key ranges cover every key: first open below, last open above, no duplicate bounds', () => {
    const sample = [['1'], ['2'], ['2'], ['2'], ['5'], ['9'], ['12'], ['20']];
    const r = keyRangesFromSample(sample, 4);
    expect(r[0]).toEqual({ kind: 'key', lo: null, hi: ['2'] });
    expect(r.at(-1)).toEqual({ kind: 'key', lo: expect.any(Array), hi: null });
    for (let i = 1; i < r.length; i++) expect((r[i] as { lo: string[] }).lo).toEqual((r[i - 1] as { hi: string[] }).hi);
    expect(new Set(r.map((x) => JSON.stringify(x))).size).toBe(r.length);
  });

  it('one range for a small table or an empty sample', () => {
    expect(keyRangesFromSample([], 5)).toEqual([{ kind: 'key', lo: null, hi: null }]);
    expect(keyRangesFromSample([['a'], ['b']], 1)).toEqual([{ kind: 'key', lo: null, hi: null }]);
  });

  it('page ranges end open, so pages added after a resume are read', () => {
    expect(tidRanges(10, 4)).toEqual([
      { kind: 'tid', fromPage: 0, toPage: 4 },
      { kind: 'tid', fromPage: 4, toPage: 8 },
      { kind: 'tid', fromPage: 8, toPage: null },
    ]);
    expect(tidRanges(0, 4)).toEqual([{ kind: 'tid', fromPage: 0, toPage: null }]);
  });

  it('batches by bytes, largest tables first', () => {
    expect(batchCount(0, 64)).toBe(1);
    expect(batchCount(129, 64)).toBe(3);
    const t = (name: string, estBytes: number) => ({ table: { schema: 'public', name }, estBytes });
    expect(orderTables([t('a', 1), t('b', 300), t('c', 20)]).map((x) => x.table.name)).toEqual(['b', 'c', 'a']);
  });
});

describe('post-data order', () => {
  it('kinds and waves: table items first, attachments, foreign keys, refreshes, then the rest', () => {
    expect(postKind('FK CONSTRAINT')).toBe('fk-constraint');
    expect(postKind('ROW SECURITY')).toBe('policy');
    expect(waveOf(item('1', 'index', 't'))).toBe('table');
    expect(waveOf(item('2', 'index-attach', null))).toBe('attach');
    expect(waveOf(item('3', 'fk-constraint', 'a', 'b'))).toBe('fk');
    expect(waveOf(item('4', 'matview-refresh', 'mv'))).toBe('refresh');
    expect(waveOf(item('5', 'comment', null))).toBe('last');
    expect(waveOf(item('6', 'analyze', 't'))).toBe('analyze');
  });

  it('plans one analyze per relation, with an id from the relation alone, and an analyze waits for nothing else to wait on it', () => {
    const [a] = plannedAnalyze([{ schema: 'public', name: 'With a space' }]);
    expect(a).toMatchObject({ kind: 'analyze', desc: 'ANALYZE', name: 'public."With a space"', table: { schema: 'public', name: 'With a space' } });
    expect(a!.id).toBe(analyzeItemId({ schema: 'public', name: 'With a space' }));
    expect(a!.id).not.toBe(analyzeItemId({ schema: 'public', name: 'with a space' }));
    expect(conflictsInFlight(item('an', 'analyze', 't'), [item('i2', 'index', 't')])).toBe(true);
  });

  it('never runs two items that lock the same table at once — except index builds — so cyclic foreign keys cannot deadlock', () => {
    const fkAB = item('fk1', 'fk-constraint', 'chicken', 'egg');
    const fkBA = item('fk2', 'fk-constraint', 'egg', 'chicken');
    expect(conflictsInFlight(fkBA, [fkAB])).toBe(true);
    expect(conflictsInFlight(item('fk3', 'fk-constraint', 'x', 'y'), [fkAB])).toBe(false);
    expect(conflictsInFlight(item('i1', 'index', 't'), [item('i2', 'index', 't')])).toBe(false);
    expect(conflictsInFlight(item('pk', 'constraint', 't'), [item('i2', 'index', 't')])).toBe(true);
  });

  it('gives items ids from their content, stable across dumps whose dump ids shift', () => {
    const entry = (dumpId: number) => ({ dumpId, tableoid: 1259, oid: 1, desc: 'INDEX', rest: 'public i x', section: 'post-data' as const });
    const a = postItemIds([
      { entry: entry(10), sql: 'CREATE INDEX i ON t (x);' },
      { entry: entry(11), sql: 'CREATE INDEX j ON t (y);' },
    ]);
    const b = postItemIds([
      { entry: entry(99), sql: 'CREATE INDEX i ON t (x);' },
      { entry: entry(100), sql: 'CREATE INDEX j ON t (y);' },
    ]);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(2);
  });
});

describe("reading pg_restore's output", () => {
  const list = `;
; Archive created at 2026-11-28 03:54:44 UTC
;
3283; 2606 16616 CONSTRAINT public parted parted_pkey postgres
3289; 0 0 INDEX ATTACH public parted_2024_pkey postgres
3291; 2606 16606 FK CONSTRAINT public projects projects_owner_fkey postgres
3446; 0 16632 MATERIALIZED VIEW DATA public mv postgres
`;
  it('parses multi-word descriptions before their prefixes', () => {
    const toc = parseTocList(list, 'post-data');
    expect(toc.map((e) => e.desc)).toEqual(['CONSTRAINT', 'INDEX ATTACH', 'FK CONSTRAINT', 'MATERIALIZED VIEW DATA']);
    expect(toc[3]).toMatchObject({ dumpId: 3446, tableoid: 0, oid: 16632, rest: 'public mv postgres' });
  });

  const header = (name: string, type: string) => `--\n-- Name: ${name}; Type: ${type}; Schema: public; Owner: -\n--\n\n`;
  it('splits the script into items when exactly the expected headers appear in order', () => {
    const toc = parseTocList(list, 'post-data');
    const sql = `SET x = 1;\n\n${header('parted parted_pkey', 'CONSTRAINT')}ALTER TABLE a;\n\n${header('p', 'INDEX ATTACH')}ALTER INDEX b;\n\n${header('fk', 'FK CONSTRAINT')}ALTER TABLE c;\n\n${header('mv', 'MATERIALIZED VIEW DATA')}REFRESH MATERIALIZED VIEW d;\n`;
    const s = splitItems(sql, toc)!;
    expect(s.preamble).toBe('SET x = 1;\n\n');
    expect(s.items.map((i) => i.trim().split('\n').at(-1))).toEqual(['ALTER TABLE a;', 'ALTER INDEX b;', 'ALTER TABLE c;', 'REFRESH MATERIALIZED VIEW d;']);
  });

  it('refuses to split when a string literal imitates a header (then items are asked for one by one)', () => {
    const toc = parseTocList(list, 'post-data').slice(0, 1);
    const hostile = `${header('t t_pkey', 'CONSTRAINT')}CREATE INDEX x ON t (a) WHERE b = '\n${header('evil', 'CONSTRAINT')}DROP TABLE t; --';\n`;
    expect(splitItems(hostile, toc)).toBeNull();
  });
});
