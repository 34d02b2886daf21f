// What an operator sees must be true (issue 12): a failed verification never reads as finished, every suggested
// command runs as printed, a crashed clone is named when the clone is run again, wipe asks or needs --yes, argument
// errors say what was meant, run ids may be abbreviated, status answers by exit code, and the target says a clone is in progress.
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogPicture } from '../helpers/compare.js';
import { BIN, runCli, runIdOf, runUntil, type CliResult, type JsonEvent } from '../helpers/cli.js';
import { connect, createTestDb, serverUrl, type TestDb } from '../helpers/db.js';
import { bulkSql } from '../fixtures/fidelity.js';
import { parseConnString } from '../../src/engine/pg/conninfo.js';
import { wipeRun } from '../../src/engine/wipe.js';
import { tamperWith } from '../fixtures/tamper.js';

const SMALL = `${bulkSql(30_000)}
  CREATE SCHEMA app; CREATE TABLE app.notes (id int PRIMARY KEY, body text); INSERT INTO app.notes SELECT i, 'n' || i FROM generate_series(1, 300) i;`;

let source: TestDb;
beforeAll(async () => {
  source = await createTestDb('truth_src');
  await source.query(SMALL);
});

const events = (r: CliResult): JsonEvent[] =>
  r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JsonEvent);

/** A run SIGKILLed after its first batch: schema in, some rows in, no finish. */
async function killedRun(label: string): Promise<{ target: TestDb; runId: string }> {
  const target = await createTestDb(label);
  const r = await runUntil(
    ['clone', '--source', source.url, '--target', target.url, '--batch-size', '256kB', '--jobs', '1'],
    (ev) => ev.type === 'BatchCopied',
  );
  expect(r.killed).toBe(true);
  return { target, runId: runIdOf(r.events) };
}

/**
 * What an operator has besides a printed command: the password, which pgclone never prints — PGPASSWORD, as the
 * README says (a server that trusts the connection, as the local one, needs none; an embedded one asks).
 */
const operatorEnv = (): NodeJS.ProcessEnv => {
  const password = decodeURIComponent(new URL(serverUrl()).password);
  return password ? { PGPASSWORD: password } : {};
};

/** Run a command line exactly as pgclone printed it, through the shell, with `pgclone` being this checkout's. */
async function runPrinted(line: string): Promise<CliResult> {
  expect(line).toMatch(/^pgclone /);
  const child = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" ${line.slice('pgclone '.length)}`], {
    env: { ...process.env, NO_COLOR: '1', PGCLONE_USE_DIST: '1', ...operatorEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  return { code, signal, stdout, stderr };
}

/** The first `pgclone VERB … --target '…'` command in a text. */
function printedCommand(text: string, verb: string): string {
  const m = new RegExp(`pgclone ${verb} \\S+ --target '[^']*'`).exec(text);
  if (!m) throw new Error(`no pgclone ${verb} command in:\n${text}`);
  return m[0].trim();
}

/** What a new session of the target reads. */
async function stateSetting(target: TestDb): Promise<string | null> {
  const c = await connect(target.url);
  try {
    return (await c.query<{ v: string | null }>(`SELECT current_setting('pgclone.state', true) AS v`)).rows[0]?.v ?? null;
  } finally {
    await c.end();
  }
}

async function untouched(target: TestDb, fn: () => Promise<void>): Promise<void> {
  const before = await catalogPicture(target.url);
  const n = await target.query('SELECT count(*)::int AS n FROM pgclone.events');
  await fn();
  expect(await catalogPicture(target.url)).toBe(before);
  expect(await target.query('SELECT count(*)::int AS n FROM pgclone.events')).toEqual(n);
}

describe('a failed verification never looks finished (item 1)', () => {
  it('status shows mismatched with the table, --json carries verification, status RUN exits 4, resume says what to do (exit 4)', async () => {
    const target = await createTestDb('truth_mismatch');
    await tamperWith(
      target,
      'AFTER',
      `IF NEW.id > 0 AND NEW.id % 1000 = 0 THEN INSERT INTO public.bulk VALUES (-NEW.id, NEW.grp, NEW.body); END IF; RETURN NULL;`,
    );
    const c = await runCli(['clone', '--source', source.url, '--target', target.url, '--json']);
    expect(c.code, c.stderr).toBe(4);
    const runId = runIdOf(events(c));

    const s = await runCli(['status', runId, '--target', target.url]);
    expect(s.code).toBe(4);
    expect(s.stdout).toMatch(new RegExp(`^${runId}\\s+mismatched`, 'm'));
    expect(s.stdout).toContain('MISMATCH in public.bulk (source 30,000 rows, target 30,030)');
    expect(s.stdout).toMatch(/verification mismatch/);

    const j = await runCli(['status', '--target', target.url, '--json']);
    expect(j.code).toBe(0);
    const row = JSON.parse(j.stdout.trim()) as Record<string, unknown>;
    expect(row).toMatchObject({
      runId,
      state: 'mismatched',
      verification: 'mismatch',
      mismatchedTables: [{ table: { schema: 'public', name: 'bulk' }, sourceRows: 30_000, targetRows: 30_030 }],
    });

    for (const args of [['resume', runId], ['resume']]) {
      const r = await runCli([...args, '--target', target.url, '--source', source.url]);
      expect(r.code, args.join(' ')).toBe(4);
      expect(r.stderr).toContain(`run ${runId} finished at`);
      expect(r.stderr).toContain('verification found differences in public.bulk (source 30,000 rows, target 30,030)');
      expect(r.stderr).toMatch(new RegExp(`pgclone wipe ${runId} --target '[^']+' --restart --verify checksum`));
      expect(r.stderr).toContain(`to start again: pgclone wipe ${runId} --target '`);
    }
    expect(await stateSetting(target)).toMatch(new RegExp(`^mismatched: run ${runId} finished `));
  });
});

describe('exit codes of a wiped run (item 2)', () => {
  it('resume RUN of a wiped run exits 5, as resume without RUN does, and status RUN exits 5', async () => {
    const { target, runId } = await killedRun('truth_wiped');
    // wiped through the engine, so that this test runs unchanged against a CLI without wipe --yes (commit 6112151 exited 9 here)
    await wipeRun(parseConnString(target.url, 'target'), runId, { restart: false, source: parseConnString(source.url, 'source') });
    const named = await runCli(['resume', runId, '--target', target.url, '--source', source.url]);
    expect(named.code).toBe(5);
    expect(named.stderr).toMatch(new RegExp(`run ${runId} was wiped at .*pgclone wipe ${runId} --target '.*' --restart`));
    const newest = await runCli(['resume', '--target', target.url, '--source', source.url]);
    expect(newest.code).toBe(5);
    expect((await runCli(['status', runId, '--target', target.url])).code).toBe(5);
  });
});

describe('a clone run again after a crash (items 3, 4, 8)', () => {
  it('names the interrupted run and a resume command that runs as printed; the target says a clone is in progress until it finishes', async () => {
    const { target, runId } = await killedRun('truth_crash');
    expect(await stateSetting(target)).toMatch(new RegExp(`^cloning: run ${runId} started \\S+ and has not finished; this database is incomplete$`));

    let again!: CliResult;
    await untouched(target, async () => {
      again = await runCli(['clone', '--source', source.url, '--target', target.url]);
    });
    expect(again.code).toBe(7);
    expect(again.stderr).toMatch(/the target is not empty: schema "app" already exists/);
    expect(again.stderr).toContain(`run ${runId} created it and was interrupted in data without finishing; continue it: pgclone resume ${runId} --target '`);

    const s = await runCli(['status', runId, '--target', target.url]);
    expect(s.code).toBe(3);
    expect(s.stdout).toMatch(/^ {4}resume: pgclone resume \S+ --target '[^']+'$/m);
    expect(s.stdout).not.toContain('…   wipe');

    const resumed = await runPrinted(printedCommand(again.stderr, 'resume'));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await stateSetting(target)).toMatch(new RegExp(`^finished: run ${runId} finished \\S+, verification passed$`));
    const done = await runCli(['status', runId, '--target', target.url]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`^${runId}\\s+finished`, 'm'));
    // a finished run's last phase name says nothing: no 'finished  verify'; the last event in words, not a type name
    expect(done.stdout).toMatch(new RegExp(`^${runId}  finished$`, 'm'));
    expect(done.stdout).not.toMatch(/RunFinished|verify\s*$/m);
    expect(done.stdout).toMatch(/from postgres@\S+ into postgres@\S+/);
    expect(done.stdout).toMatch(/finished .* after [\d.]+ (ms|s|min).*: 2 tables, 30,300 rows, .*; verification passed/);
    const j = JSON.parse((await runCli(['status', runId, '--target', target.url, '--json'])).stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ state: 'finished', verification: 'passed', rowsDone: 30_300, mismatchedTables: [] });
    expect(typeof j.finishedAt).toBe('string');
    expect(typeof j.durationMs).toBe('number');
    expect(j.source).toMatchObject({ database: source.name });
  });

  it('the line a stopped run prints ends with a resume command that runs as printed', async () => {
    const target = await createTestDb('truth_suspend');
    const r = await runCli([
      'clone',
      '--source',
      source.url,
      '--target',
      target.url,
      '--batch-size',
      '256kB',
      '--jobs',
      '1',
      '--max-duration',
      '1ms',
      '--plain',
    ]);
    expect(r.code, r.stderr).toBe(3);
    const line = r.stdout.split('\n').find((l) => l.includes(' stopped in '));
    expect(line).toMatch(/ — pgclone resume \S+ --target '[^']+'$/);
    const resumed = await runPrinted(printedCommand(line ?? '', 'resume'));
    expect(resumed.code, resumed.stderr).toBe(0);
  });
});

describe('wipe (item 5)', () => {
  it('without a terminal refuses unless --yes; --dry-run lists and writes nothing; --restart of a wiped run starts it again with its options', async () => {
    const { target, runId } = await killedRun('truth_wipe');
    await untouched(target, async () => {
      const no = await runCli(['wipe', runId, '--target', target.url]);
      expect(no.code).toBe(2);
      expect(no.stderr.trim()).toMatch(
        /^pgclone: wipe drops the \d+ objects run \S+ created, and without a terminal it cannot ask: add --yes \(--dry-run lists them\)$/,
      );
      const dry = await runCli(['wipe', runId, '--target', target.url, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/pgclone wipe would drop the \d+ objects run \S+ created \(nothing written/);
      expect(dry.stdout).toMatch(/^ {2}schema app$/m);
    });
    expect(await stateSetting(target)).toMatch(/^cloning: /);
    const yes = await runCli(['wipe', runId.slice(0, 6), '--target', target.url, '--yes']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toContain(`run ${runId} wiped`);
    expect(await stateSetting(target)).toBeNull();

    // the restart reads the source the run recorded, without its password: the operator's PGPASSWORD gives it
    const again = await runCli(['wipe', runId, '--target', target.url, '--restart', '--yes', '--json'], operatorEnv());
    expect(again.code, again.stderr).toBe(0);
    const started = events(again).find((e) => e.type === 'RunStarted');
    const log = await runCli(['log', runId, '--target', target.url, '--json']);
    const old = events(log).find((e) => e.type === 'RunStarted');
    expect(started?.runId).not.toBe(runId);
    expect(started?.options).toEqual(old?.options);
    expect(events(again).at(-1)).toMatchObject({ type: 'RunFinished', verification: 'passed' });
  });
});

describe('arguments (item 6)', () => {
  it('a mistyped option names the nearest and the usage line (exit 2); a missing value says so', async () => {
    const r = await runCli(['clone', '--sorce', source.url, '--target', source.url]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'pgclone: unknown option --sorce (did you mean --source?)',
      'usage: pgclone clone --source URL --target URL [options]',
    ]);
    const m = await runCli(['clone', '--source', '--target', source.url]);
    expect(m.code).toBe(2);
    expect(m.stderr.trim().split('\n')[0]).toBe('pgclone: --source needs a value (URL)');
  });

  it('pg-style short flags (-j, -t, -V) and abbreviated run ids; an ambiguous prefix lists the runs (exit 2)', async () => {
    const target = await createTestDb('truth_args');
    const c = await runCli(['clone', '--source', source.url, '--target', target.url, '-j', '1', '-t', 'bulk', '--json']);
    expect(c.code, c.stderr).toBe(0);
    const started = events(c).find((e) => e.type === 'RunStarted') as JsonEvent & { options: { jobs: number; filters: { tables: string[] } } };
    expect(started.options.jobs).toBe(1);
    expect(started.options.filters.tables).toEqual(['bulk']);
    expect((await runCli(['-V'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);

    const runId = started.runId as string;
    const log = await runCli(['log', runId.slice(0, 5), '--target', target.url]);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toContain('RunFinished');
    // two more runs whose ids share a prefix (their RunStarted copied from the real one)
    for (const id of ['zzTwin1', 'zzTwin2']) {
      await target.query(
        `INSERT INTO pgclone.events (run_id, type, version, at, payload) SELECT $1, type, version, at, payload || jsonb_build_object('runId', $1::text) FROM pgclone.events WHERE type = 'RunStarted' AND run_id = $2`,
        [id, runId],
      );
    }
    for (const verb of ['log', 'status', 'resume', 'replay', 'watch']) {
      const amb = await runCli([verb, 'zzTw', '--target', target.url]);
      expect(amb.code, verb).toBe(2);
      expect(amb.stderr.trim()).toBe('pgclone: run id zzTw is ambiguous: 2 runs start with it (zzTwin1, zzTwin2); give more of it');
    }
    const one = await runCli(['status', 'zzTwin2', '--target', target.url]);
    expect(one.stdout, one.stderr).toMatch(/^zzTwin2\s+interrupted/m);
  });
});
