// The report: header, the comparison table, the extra measurements and the targets, as Markdown and raw JSON.
import { DEFAULT_BATCH_BYTES } from '../src/engine/plan.js';
import { BIG_BATCH } from './tools.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from './dataset.js';
import type { LargeMemory, ResumeRep } from './extras.js';
import { largeObjectSummaries, type LargeObjectsResult } from './large-objects.js';
import type { Availability } from './pgcopydb.js';
import type { PhaseTimes } from './phase-times.js';
import type { Sample } from './rounds.js';
import type { Remote } from './throttle.js';
import { median, ratio, summarize, type Summary } from './stats.js';
import type { ToolId } from './tools.js';

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  size: Dataset['size'];
  reps: number;
  jobs: number;
  server: { mode: 'embedded' | 'local'; source: string; target: string };
  /** 1-minute load average when the run started and when it finished: other work on the machine shows here */
  machine: { cores: number; cpu: string; memGiB: number; loadStart: number; loadEnd: number };
  pgDump: string;
  pgcopydb: Availability;
  dataset: Dataset;
  tools: { id: ToolId; label: string; shown: string; unavailable: string | null }[];
  samples: Sample[];
  rssMethod: string;
  resume: { skipped: string } | { uninterruptedS: number; reps: ResumeRep[] };
  large: { skipped: string } | LargeMemory;
  /** absent in results written before the scenario existed */
  largeObjects?: { skipped: string } | LargeObjectsResult;
  /** --remote: every tool reached the source through a throttling proxy */
  remote?: Remote;
}

const f2 = (x: number): string => x.toFixed(2);
/** text inside a Markdown table cell */
const cell = (t: string): string => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const mb = (x: number | null): string => (x === null ? '?' : x.toFixed(0));

function verifyCell(s: Summary): string {
  return s.ok ? `ok ${s.verified}/${s.n}` : `**FAILED** (${s.verified}/${s.n} ok)`;
}

/** Medians of a tool's phase times over the samples that have them (pgclone's, read from each run's log); null when none has. */
interface PhaseMedians {
  n: number;
  preflightS: number;
  schemaS: number;
  /** the median of each sample's preflight + schema, not the sum of the two medians */
  preAndSchemaS: number;
  postDataS: number;
}

function phaseMedians(samples: Sample[]): PhaseMedians | null {
  const ps = samples.map((s) => s.phases).filter((p): p is PhaseTimes => p !== undefined);
  if (ps.length === 0) return null;
  return {
    n: ps.length,
    preflightS: median(ps.map((p) => p.preflightS)),
    schemaS: median(ps.map((p) => p.schemaS)),
    preAndSchemaS: median(ps.map((p) => p.preflightS + p.schemaS)),
    postDataS: median(ps.map((p) => p.postDataS)),
  };
}

/**
 * --remote: what crossed the proxy per tool and how close that came to what the links allow — the per-connection rate
 * times the jobs (every tool runs --jobs connections' worth of parallel copies), over the whole wall time.
 */
function remoteSection(r: BenchResult, sums: Map<ToolId, Summary | null>): string[] {
  if (!r.remote) return [];
  const allowed = (r.remote.rate * r.jobs) / 2 ** 20;
  const lines = [
    `## Remote source: ${(r.remote.rate / 2 ** 20).toFixed(1)} MB/s per connection and direction, ${r.remote.rttMs} ms round trip`,
    '',
    `Every tool reached the source through the same proxy (bench/throttle.ts); the links allow ${allowed.toFixed(0)} MB/s at ${r.jobs} connections in parallel. "of the links" = MB down the proxy / wall s / that aggregate (1.00 would be the links full for the whole run, schema and indexes included).`,
    '',
    '| tool | median s | MB down (median) | MB/s over the wall | of the links | MB/s while copying rows | of the links | connections (median) | most open at once |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const t of r.tools) {
    const s = sums.get(t.id);
    const xs = r.samples.filter((x) => x.tool === t.id && x.crossing);
    if (!s || xs.length === 0) continue;
    const down = median(xs.map((x) => x.crossing!.down / 2 ** 20));
    const rate = median(xs.map((x) => x.crossing!.down / 2 ** 20 / x.wallS));
    const conns = median(xs.map((x) => x.crossing!.connections));
    const peak = Math.max(...xs.map((x) => x.crossing!.peakConnections));
    // the rows' part of the wall, where a tool says it: pgclone's data phase (its log), the floor's data step
    const dataS = (x: Sample): number | undefined => x.phases?.dataS ?? x.parts?.dataS;
    const withData = xs.filter((x) => dataS(x) !== undefined);
    const copying = withData.length === xs.length ? median(withData.map((x) => x.crossing!.down / 2 ** 20 / dataS(x)!)) : null;
    const c = copying === null ? '— | —' : `${f2(copying)} | ${f2(copying / allowed)}`;
    lines.push(`| ${cell(t.label)} | ${f2(s.medianS)} | ${down.toFixed(0)} | ${f2(rate)} | ${f2(rate / allowed)} | ${c} | ${conns} | ${peak} |`);
  }
  lines.push(
    '',
    '"while copying rows": MB down / the time the rows took — pgclone\'s data phase from its log (post-data overlaps it and goes on after), the floor\'s data step; the other tools do not say when their rows were in. The rest of each wall is index builds and constraints on the target, bound by its CPU, not by the links.',
  );
  return lines;
}

function table(r: BenchResult, sums: Map<ToolId, Summary | null>): string[] {
  const mbTotal = r.dataset.bytes / 2 ** 20;
  const pg = sums.get('pgclone');
  const lines = [
    '| tool | median s | min s | max s | MB/s | pgclone ratio | peak RSS MB | verify | preflight s | schema s | post-data s |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const t of r.tools) {
    const s = sums.get(t.id);
    if (t.unavailable !== null) {
      lines.push(`| ${cell(t.label)} | unavailable: ${cell(t.unavailable)} | | | | | | | | | |`);
      continue;
    }
    if (!s) continue;
    const q = ratio(pg, s);
    const speed = s.ok ? f2(mbTotal / s.medianS) : '—';
    const ph = phaseMedians(r.samples.filter((x) => x.tool === t.id));
    const phases = ph ? `${f2(ph.preflightS)} | ${f2(ph.schemaS)} | ${f2(ph.postDataS)}` : ' | | ';
    lines.push(
      `| ${cell(t.label)} | ${f2(s.medianS)} | ${f2(s.minS)} | ${f2(s.maxS)} | ${speed} | ${q === null ? '—' : f2(q)} | ${mb(s.rssMb)} | ${verifyCell(s)} | ${phases} |`,
    );
    if (t.id === 'floor' && s.parts) lines.push(`| ↳ floor: data / indexes | ${f2(s.parts.dataS)} / ${f2(s.parts.indexS)} | | | | | | | | | |`);
  }
  return lines;
}

/** Built-in vs pg_dump schema engine, side by side from the same run's alternating rounds. */
function schemaEngines(r: BenchResult, sums: Map<ToolId, Summary | null>): string[] {
  const head = '## Schema engine: built-in vs pg_dump';
  const a = r.tools.find((t) => t.id === 'pgclone');
  const b = r.tools.find((t) => t.id === 'pgclone-pgdump');
  if (!a || !b) return [head, '', `Not measured: run both pgclone and pgclone-pgdump (--only).`];
  const sa = sums.get('pgclone');
  const sb = sums.get('pgclone-pgdump');
  const pa = phaseMedians(r.samples.filter((x) => x.tool === 'pgclone'));
  const pb = phaseMedians(r.samples.filter((x) => x.tool === 'pgclone-pgdump'));
  // like the wall ratios: only when every repetition of both finished and verified
  const usable = Boolean(sa?.ok && sb?.ok && pa && pb);
  const row = (name: string, x: number | undefined, y: number | undefined, bold = false): string => {
    const q = usable && x !== undefined && y !== undefined && y > 0 ? f2(x / y) : '—';
    return `| ${name} | ${x === undefined ? '—' : f2(x)} | ${y === undefined ? '—' : f2(y)} | ${bold && q !== '—' ? `**${q}**` : q} |`;
  };
  return [
    head,
    '',
    `| median over the repetitions | ${cell(a.label)} (built-in) | ${cell(b.label)} | built-in / pg_dump |`,
    '|---|---:|---:|---:|',
    row('wall s', sa?.medianS, sb?.medianS),
    row('preflight s', pa?.preflightS, pb?.preflightS),
    row('schema s', pa?.schemaS, pb?.schemaS),
    row('preflight + schema s', pa?.preAndSchemaS, pb?.preAndSchemaS, true),
    row('post-data s', pa?.postDataS, pb?.postDataS),
    '',
    "From each run's own log in the target (`pgclone.events`, PhaseCompleted durationMs). Preflight includes reading the schema (catalog queries, or pg_dump) and the dry run of its DDL; schema applies it; post-data overlaps the data phase. A ratio is shown only when every repetition of both variants verified.",
  ];
}

/** pgclone against pg_dump -Fc | pg_restore on a source of large objects, from the same run's alternating rounds. */
function largeObjectsSection(r: BenchResult): string[] {
  const head = '## Large objects: pgclone vs pg_dump -Fc | pg_restore';
  const lo = r.largeObjects;
  if (!lo || 'skipped' in lo) return [head, '', `Not measured${lo ? ` (${lo.skipped})` : ''}.`];
  const sums = largeObjectSummaries(lo);
  const pg = sums.get('pgclone');
  const dump = sums.get('pgdump-fc');
  const both = Boolean(pg?.ok && dump?.ok);
  const q = (a: number | null | undefined, b: number | null | undefined): string => (both && a != null && b != null && b > 0 ? f2(a / b) : '—');
  const { big, bigMb, small } = lo.shape;
  const lines = [
    head,
    '',
    `Source: ${big} large object${big === 1 ? '' : 's'} of ${bigMb} MB (random bytes) and ${small.toLocaleString('en')} small ones (16 B – 3 kB, named by the rows of public.images), ${(lo.bytes / 2 ** 20).toFixed(0)} MB (pg_database_size), built in ${lo.buildS.toFixed(0)} s. ${Math.max(...lo.tools.map((t) => lo.samples.filter((s) => s.tool === t.id).length))} repetitions per tool, alternating which goes first, each into a fresh target database; every clone verified: the table as above, and every large object's oid, owner, ACL, comment, size and contents (an md5 of its pages).`,
    '',
    '| tool | median s | min s | max s | peak RSS MB (max) | verify |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const t of lo.tools) {
    const s = sums.get(t.id);
    if (!s) continue;
    lines.push(`| ${cell(t.label)} | ${f2(s.medianS)} | ${f2(s.minS)} | ${f2(s.maxS)} | ${mb(s.rssMb)} | ${verifyCell(s)} |`);
  }
  lines.push(`| **pgclone / pg_dump -Fc** | **${q(pg?.medianS, dump?.medianS)}** | | | **${q(pg?.rssMb, dump?.rssMb)}** | |`, '');
  for (const t of lo.tools) {
    const w = lo.samples.filter((x) => x.tool === t.id).map((x) => `${f2(x.wallS)} s / ${mb(x.rssMb)} MB${x.ok ? '' : ' FAILED'}`);
    if (w.length > 0) lines.push(`- ${t.label}: ${w.join(', ')}`);
  }
  const failures = lo.tools.flatMap((t) => (sums.get(t.id)?.errors ?? []).map((e) => `- ${t.label}: ${e}`));
  if (failures.length > 0) lines.push('', 'Failures:', '', ...failures);
  lines.push('', ...lo.tools.map((t) => `- ${t.label}: \`${t.shown}\``));
  lines.push(
    '',
    "Peak RSS is of the client side only (pgclone; the larger of pg_dump and pg_restore), never the servers. pgclone's wall includes its own verify (`--verify count`: the large objects' count and an md5 of each one's contents, read on both servers); pg_restore checks nothing. A ratio is shown only when every repetition of both verified.",
  );
  return lines;
}

/** pgclone's peak RSS over its large-object clones, when every one verified. */
function rssLargeObjects(r: BenchResult): { mb: number; objectMb: number } | null {
  const lo = r.largeObjects;
  if (!lo || 'skipped' in lo || lo.shape.big === 0) return null;
  const s = largeObjectSummaries(lo).get('pgclone');
  return s?.ok && s.rssMb !== null ? { mb: s.rssMb, objectMb: lo.shape.bigMb } : null;
}

type Status = string;
const check = (value: number | null, limit: number, why: string): Status =>
  value === null ? `not measured (${cell(why)})` : value <= limit ? 'met' : '**NOT met**';

function resumeRatio(r: BenchResult): number | null {
  if ('skipped' in r.resume) return null;
  const ok = r.resume.reps.filter((x) => x.ok);
  if (ok.length === 0 || ok.length < r.resume.reps.length) return null;
  return median(ok.map((x) => x.totalS)) / r.resume.uninterruptedS;
}

function rssOn(r: BenchResult, size: 'medium' | 'large', sums: Map<ToolId, Summary | null>): number | null {
  if (r.size === size) {
    const s = sums.get('pgclone');
    return s?.ok ? s.rssMb : null;
  }
  if (size === 'large' && !('skipped' in r.large) && r.large.sample.ok) return r.large.sample.rssMb;
  return null;
}

function targets(r: BenchResult, sums: Map<ToolId, Summary | null>): string[] {
  const pg = sums.get('pgclone');
  const vsCopydb = ratio(pg, sums.get('pgcopydb'));
  const vsDump = ratio(pg, sums.get('pgdump'));
  const big = sums.get('pgclone-4x');
  const overhead = ratio(pg, big);
  const res = resumeRatio(r);
  const rssMedium = rssOn(r, 'medium', sums);
  const rssLarge = rssOn(r, 'large', sums);
  const why = (id: ToolId): string => {
    const t = r.tools.find((x) => x.id === id);
    if (!t) return 'not run';
    if (t.unavailable !== null) return `unavailable: ${t.unavailable}`;
    return sums.get(id)?.ok === false ? 'a run failed' : 'pgclone failed';
  };
  const sizeNote = r.size === 'medium' ? '' : ` — measured on ${r.size}; the targets are defined on medium`;
  const lines = [`## Targets${sizeNote}`, '', '| target | measured | status |', '|---|---|---|'];
  lines.push(`| pgclone ≤ 0.85 × pgcopydb | ${vsCopydb === null ? '—' : `${f2(vsCopydb)} ×`} | ${check(vsCopydb, 0.85, why('pgcopydb'))} |`);
  lines.push(`| pgclone ≤ 0.80 × pg_dump \\| psql | ${vsDump === null ? '—' : `${f2(vsDump)} ×`} | ${check(vsDump, 0.8, why('pgdump'))} |`);
  lines.push(
    `| client peak RSS ≤ 200 MB on medium | ${rssMedium === null ? '—' : `${mb(rssMedium)} MB`} | ${check(rssMedium, 200, r.size === 'medium' ? 'pgclone failed' : 'run with --size medium')} |`,
  );
  lines.push(
    `| client peak RSS ≤ 200 MB on large | ${rssLarge === null ? '—' : `${mb(rssLarge)} MB`} | ${check(rssLarge, 200, 'run with --size large or --memory-large')} |`,
  );
  const rssLo = rssLargeObjects(r);
  lines.push(
    `| client peak RSS ≤ 200 MB with large objects of ${rssLo ? rssLo.objectMb : 100} MB | ${rssLo === null ? '—' : `${mb(rssLo.mb)} MB`} | ${check(rssLo?.mb ?? null, 200, r.largeObjects && !('skipped' in r.largeObjects) ? 'a pgclone run failed, or no big object' : 'run with --large-objects')} |`,
  );
  const resWhy = 'skipped' in r.resume ? r.resume.skipped : 'a kill/resume run failed';
  lines.push(`| kill at 50 % + resume ≤ 1.15 × uninterrupted | ${res === null ? '—' : `${f2(res)} ×`} | ${check(res, 1.15, resWhy)} |`);
  const ovWhy = big === undefined ? 'skipped: --skip-logcost, or pgclone not selected' : why('pgclone-4x');
  lines.push(
    `| event log overhead ≤ 3 % | ${overhead === null ? '—' : `${((overhead - 1) * 100).toFixed(1)} %`} | ${check(overhead === null ? null : overhead - 1, 0.03, ovWhy)} |`,
  );
  return lines;
}

function extras(r: BenchResult, sums: Map<ToolId, Summary | null>): string[] {
  const lines = ['## Extra measurements', ''];
  if ('skipped' in r.resume) lines.push(`- **Resume cost**: not measured (${r.resume.skipped}).`);
  else {
    const T = r.resume.uninterruptedS;
    lines.push(`- **Resume cost** (SIGKILL at 50 % of the uninterrupted median ${f2(T)} s, then \`pgclone resume RUN\`; total = both walls):`);
    for (const x of r.resume.reps) {
      const tail = x.ok ? 'verified' : `**FAILED**: ${x.error}`;
      lines.push(
        `  - killed at ${f2(x.killAfterS)} s (ran ${f2(x.firstS)} s) + resume ${f2(x.resumeS)} s${x.resumeAttempts > 1 ? ` (${x.resumeAttempts} attempts)` : ''} = ${f2(x.totalS)} s → ${f2(x.totalS / T)} × — ${tail}`,
      );
    }
    const rr = resumeRatio(r);
    lines.push(`  - median total / uninterrupted: ${rr === null ? '— (not every run verified)' : `${f2(rr)} ×`}`);
  }
  const pg = sums.get('pgclone');
  const big = sums.get('pgclone-4x');
  if (big === undefined) lines.push('- **Event log cost**: not measured (skipped).');
  else if (big === null) lines.push('- **Event log cost**: not measured (no run).');
  else {
    const ov = ratio(pg, big);
    lines.push(
      `- **Event log cost**: pgclone with the default ${DEFAULT_BATCH_BYTES >> 20}MB batches ${pg ? f2(pg.medianS) : '?'} s vs ${BIG_BATCH} batches (4× fewer batches, events and commits) ${f2(big.medianS)} s → overhead ${ov === null ? '— (a run failed)' : `${((ov - 1) * 100).toFixed(1)} %`}.`,
    );
  }
  const mem: string[] = [];
  if (pg) mem.push(`${r.size}: ${mb(pg.rssMb)} MB (max over ${pg.n} runs, ${f2(r.dataset.bytes / 2 ** 30)} GB)`);
  if (r.size !== 'large') {
    if ('skipped' in r.large) mem.push(`large: not measured (${r.large.skipped})`);
    else
      mem.push(
        `large: ${mb(r.large.sample.rssMb)} MB (${f2(r.large.dataset.bytes / 2 ** 30)} GB, one run, ${f2(r.large.sample.wallS)} s, ${r.large.sample.ok ? 'verified' : `FAILED: ${r.large.sample.error}`})`,
      );
  }
  if (r.size !== 'medium') mem.push('medium: not measured in this run (run with --size medium)');
  lines.push(`- **Memory as tables grow** (pgclone client peak RSS): ${mem.join('; ')}.`);
  return lines;
}

export function renderMarkdown(r: BenchResult): string {
  const sums = new Map<ToolId, Summary | null>(r.tools.map((t) => [t.id, summarize(r.samples.filter((s) => s.tool === t.id))]));
  const d = r.dataset;
  const out = [
    `# pgclone benchmark — ${r.size}`,
    '',
    `- date: ${r.startedAt} (finished ${r.finishedAt})`,
    `- machine: ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memGiB.toFixed(0)} GiB RAM; 1-min load average ${r.machine.loadStart.toFixed(2)} at start, ${r.machine.loadEnd.toFixed(2)} at the end`,
    `- PostgreSQL: source ${r.server.source}, target ${r.server.target} (${r.server.mode === 'embedded' ? 'two embedded clusters on loopback, separate buffers and WAL' : 'the local server, one cluster'})`,
    `- client tools: ${r.pgDump}; pgcopydb ${r.pgcopydb.ok ? r.pgcopydb.version : `unavailable: ${r.pgcopydb.reason}`}`,
    `- dataset: pgbench scale ${d.scale} + app schema — ${d.tables} tables, ≈ ${d.rows.toLocaleString('en')} rows, **${(d.bytes / 2 ** 20).toFixed(0)} MB** (pg_database_size), built in ${d.buildS.toFixed(0)} s`,
    `- ${r.reps} repetitions per tool in one run, alternating (round k starts k tools later), each into a fresh target database (CREATE DATABASE … TEMPLATE template0, CHECKPOINT before, DROP after verifying), after one untimed warm-up (pg_dump | psql); ${r.jobs} jobs`,
    `- every result verified: per table row count + ordered md5 (primary key, else whole-row text COLLATE "C"), every sequence's last_value/is_called, every index and constraint definition`,
    `- peak RSS: ${r.rssMethod}`,
    '',
    ...table(r, sums),
    '',
    'pgclone ratio = pgclone median / tool median (below 1: pgclone is faster); "—" when either side failed a run or its verification. preflight, schema, post-data: medians of the phase durations in each pgclone run\'s own log.',
    '',
  ];
  out.push('Every repetition (s, by round):', '');
  for (const t of r.tools) {
    const w = r.samples
      .filter((x) => x.tool === t.id)
      .map((x) => `${f2(x.wallS)}${x.phases ? ` (preflight ${f2(x.phases.preflightS)} + schema ${f2(x.phases.schemaS)})` : ''}${x.ok ? '' : ' FAILED'}`);
    if (w.length > 0) out.push(`- ${t.label}: ${w.join(', ')}`);
  }
  out.push('');
  const failures = r.tools.flatMap((t) => (sums.get(t.id)?.errors ?? []).map((e) => `- ${t.label}: ${e}`));
  if (failures.length > 0) out.push('Failures:', '', ...failures, '');
  out.push('Commands:', '', ...r.tools.map((t) => `- ${t.label}: \`${t.shown}\``), '');
  if (r.remote) out.push(...remoteSection(r, sums), '');
  out.push(...schemaEngines(r, sums), '', ...largeObjectsSection(r), '', ...extras(r, sums), '', ...targets(r, sums), '');
  return out.join('\n');
}

export async function writeResults(dir: string, r: BenchResult, markdown: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = r.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const base = join(dir, `${stamp}-${r.size}`);
  await writeFile(`${base}.md`, markdown);
  await writeFile(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
  return base;
}
