// One pair of the cross-version matrix (a source major, a target major at or above it): the fidelity fixture cloned by the CLI, then compared.
import type { Major } from '../../src/local/majors.js';
import { MAJORS } from '../../src/local/majors.js';
import * as fixtures from '../fixtures/fidelity.js';
import { runCli } from '../helpers/cli.js';
import { compareDatabases, type Difference } from '../helpers/compare.js';
import { createDatabase, databaseName, dropDatabase, query } from '../helpers/pg.js';

export interface Pair {
  source: Major;
  target: Major;
}

export interface PairResult extends Pair {
  ok: boolean;
  /** the CLI's exit code; null when it did not run or was killed */
  code: number | null;
  /** the clone's wall time */
  seconds: number;
  /** null when the comparison could not be made */
  differences: Difference[] | null;
  /** what stopped the pair short of a clean comparison: the fixture, the CLI's stderr, the comparison */
  error: string | null;
  sourceUrl: string;
  targetUrl: string;
}

/** Every (source, target ≥ source) pair: 21. */
export function allPairs(majors: readonly Major[] = MAJORS): Pair[] {
  return majors.flatMap((source) => majors.filter((target) => target >= source).map((target) => ({ source, target })));
}

/** `13-18,15-15` → those pairs; a target below its source, or a major outside 13–18, is an error. */
export function parsePairs(spec: string): Pair[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^(\d+)-(\d+)$/.exec(s);
      const [source, target] = [Number(m?.[1]), Number(m?.[2])] as [Major, Major];
      if (!m || !MAJORS.includes(source) || !MAJORS.includes(target)) throw new Error(`--pairs: "${s}" is not SOURCE-TARGET with majors ${MAJORS.join(', ')}`);
      if (target < source) throw new Error(`--pairs: "${s}" clones into an older major; the target must be at or above the source`);
      return { source, target };
    });
}

export function pairName(p: Pair): string {
  return `${p.source}→${p.target}`;
}

/** The fidelity fixture for a source of this major: fidelitySql(major) once the fixture has it, FIDELITY_SQL until then. */
export function fixtureSql(major: Major): string {
  const f = fixtures as Record<string, unknown>;
  if (typeof f.fidelitySql === 'function') return (f.fidelitySql as (m: number) => string)(major);
  if (typeof f.FIDELITY_SQL === 'string') return f.FIDELITY_SQL;
  throw new Error('test/fixtures/fidelity.ts exports neither fidelitySql nor FIDELITY_SQL');
}

/** What the matrix runs for each pair: exactly the clone an operator would type (the target clusters lack the fixture's roles: --roles makes them). */
export const cloneArgs = (sourceUrl: string, targetUrl: string): string[] => ['clone', '--source', sourceUrl, '--target', targetUrl, '--roles'];

/** The lines of a message that say what went wrong: pg_dump's "error:" lines, else the first few. */
export function essence(text: string, n = 2): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const errors = lines.filter((l) => /\berror: /.test(l)).map((l) => l.replace(/^.*?\berror: /, ''));
  return (errors.length > 0 ? errors : lines).slice(0, n).join(' / ');
}

/**
 * A fresh source database on `servers[source]` loaded with the fixture, a fresh empty target on `servers[target]`,
 * the CLI's clone (from dist/, built by the caller), and compareDatabases. The two databases are dropped after,
 * unless `keep`. Never throws for what a pair does wrong: that is its result.
 */
export async function runPair(servers: Partial<Record<Major, string>>, pair: Pair, opts: { keep?: boolean; timeoutMs?: number } = {}): Promise<PairResult> {
  const src = servers[pair.source];
  const dst = servers[pair.target];
  if (!src || !dst) throw new Error(`no server for ${pairName(pair)}`);
  const sourceUrl = await createDatabase(src, databaseName(`mx${pair.source}_${pair.target}_src`));
  const targetUrl = await createDatabase(dst, databaseName(`mx${pair.source}_${pair.target}_dst`));
  const result: PairResult = { ...pair, ok: false, code: null, seconds: 0, differences: null, error: null, sourceUrl, targetUrl };
  try {
    try {
      await query(sourceUrl, fixtureSql(pair.source));
    } catch (e) {
      result.error = `fixture: ${e instanceof Error ? e.message : String(e)}`;
      return result;
    }
    const t0 = Date.now();
    const r = await runCli(cloneArgs(sourceUrl, targetUrl), {}, opts.timeoutMs ?? 300_000);
    result.seconds = (Date.now() - t0) / 1000;
    result.code = r.code;
    // pgclone never copies a secret: the fixture's user mapping arrives without its password, which the operator adds
    await query(targetUrl, fixtures.FIDELITY_SECRETS_SQL);
    const errors: string[] = [];
    if (r.signal) errors.push(`clone killed by ${r.signal}`);
    else if (r.code !== 0 || r.stderr.trim() !== '') errors.push(essence(r.stderr) || essence(r.stdout.split('\n').slice(-5).join('\n')));
    try {
      result.differences = await compareDatabases(sourceUrl, targetUrl);
    } catch (e) {
      // the schema referee (pg_dump on PATH) cannot read every major: rows and sequences are still compared
      errors.push(`schema not compared: ${essence(e instanceof Error ? e.message : String(e), 1)}`);
      result.differences = await compareDatabases(sourceUrl, targetUrl, { schema: false }).catch((e2: unknown) => {
        errors.push(`compare: ${essence(e2 instanceof Error ? e2.message : String(e2), 1)}`);
        return null;
      });
    }
    result.error = errors.length > 0 ? errors.join('; ') : null;
    result.ok = r.code === 0 && result.error === null && result.differences?.length === 0;
    return result;
  } finally {
    if (!opts.keep) {
      const name = (u: string) => decodeURIComponent(new URL(u).pathname.slice(1));
      await dropDatabase(src, name(sourceUrl)).catch(() => undefined);
      await dropDatabase(dst, name(targetUrl)).catch(() => undefined);
    }
  }
}

/** The first few differences, one line. */
export function differencesText(r: PairResult, few = 3): string {
  if (!r.differences || r.differences.length === 0) return '';
  const first = r.differences.slice(0, few).map((d) => `${d.kind} ${d.what}: ${d.detail}`);
  return `${first.join(' | ')}${r.differences.length > few ? ' | …' : ''}`;
}

/** The matrix's table: one row per pair (the differences counted, the error and the first differences after), then the summary line. */
export function matrixTable(results: PairResult[], width = 160): string {
  const head = ['pair', 'result', 'rc', 'seconds', 'diffs', 'error / first differences'];
  const rows = results.map((r) => [
    pairName(r),
    r.ok ? 'ok' : 'FAIL',
    r.code === null ? '-' : String(r.code),
    r.seconds.toFixed(1),
    r.differences === null ? '?' : String(r.differences.length),
    [r.error, differencesText(r)].filter(Boolean).join(' · '),
  ]);
  const w = head.slice(0, 5).map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => {
    const fixed = cells
      .slice(0, 5)
      .map((c, i) => (i >= 2 ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
      .join('  ');
    const room = Math.max(20, width - fixed.length - 2);
    const detail = cells[5]!.length > room ? `${cells[5]!.slice(0, room - 1)}…` : cells[5]!;
    return `${fixed}  ${detail}`.trimEnd();
  };
  return [line(head), ...rows.map(line), matrixSummary(results)].join('\n');
}

export function matrixSummary(results: PairResult[]): string {
  const failed = results.filter((r) => !r.ok).map(pairName);
  return `matrix: ${results.length} pairs, ${results.length - failed.length} passed, ${failed.length} failed${failed.length > 0 ? ` (${failed.join(', ')})` : ''}`;
}
