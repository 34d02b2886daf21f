// The package: `npm pack` holds only what pgclone needs, and `npm install -g` of it gives a pgclone command that
// works from any directory (here: a prefix of its own, run from the temporary folder, against the test server); installed
// into a project, `import { step } from 'pgclone'` resolves with its types and clones.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../helpers/db.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'pgclone-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

describe('npm pack and npm install -g', () => {
  it('packs bin, the compiled JavaScript and its declarations, README and LICENSE only; the installed pgclone runs from any directory; the library imports, typed', async () => {
    // --ignore-scripts: dist/ is built by the test setup; prepack's rebuild would rewrite it under the feet of
    // the tests running the CLI beside this one
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = packed[0]!.files.map((f) => f.path).sort();
    expect(files.filter((f) => !/^dist\/.+\.(js|d\.ts)$/.test(f))).toEqual(['LICENSE', 'README.md', 'bin/pgclone.js', 'package.json']);
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/lib.d.ts');
    expect(files).toContain('dist/commands/demo.js');

    const prefix = join(work, 'global');
    run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, packed[0]!.filename)], work);
    const pgclone = join(prefix, 'bin', 'pgclone');
    const pkg = JSON.parse(run('npm', ['pkg', 'get', 'version'], ROOT)) as string;
    expect(run(pgclone, ['--version'], tmpdir()).trim()).toBe(pkg);
    expect(run(pgclone, ['clone', '--help'], tmpdir())).toMatch(/^usage: pgclone clone --source URL --target URL/);
    // its own dependencies (pg, zod, …) are in place: it talks to a real server
    const db = await createTestDb('pack_status');
    expect(run(pgclone, ['status', '--target', db.url], tmpdir(), { PGCLONE_USE_DIST: '' }).trim()).toBe('no runs in the target’s pgclone log');

    // the library, installed into a project of its own: its types check under tsc, and step() clones to a verified finish
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed[0]!.filename), '@types/node@20'], app);
    writeFileSync(
      join(app, 'use.ts'),
      [
        "import { step, PgcloneError, type StepResult } from 'pgclone';",
        'const r: StepResult = await step({ source: process.argv[2]!, target: { connectionString: process.argv[3]! }, budgetMs: 60_000 });',
        "const outcome: 'finished' | 'suspended' | 'mismatch' | 'locked' | 'failed' = r.outcome;",
        '// @ts-expect-error: not one of the outcomes',
        "const wrong: 'done' = r.outcome;",
        'export const kindOf = (e: unknown) => (e instanceof PgcloneError ? e.kind : null);',
        // the other entry points, typed: a request checked against its declaration, an iterator of logged events
        "import { clone, resume, wipe, events, type CloneRequest, type WipeResult, type LoggedEvent } from 'pgclone';",
        "export const req: CloneRequest = { source: 'a', target: 'b', cpuBudgetMs: 1500, onProgress: (p) => void p.rowsDone };",
        'export const later = async (): Promise<[WipeResult, LoggedEvent[]]> => {',
        "  await resume({ target: 'b', source: { password: 'x' }, runId: 'r' });",
        "  const seen: LoggedEvent[] = []; for await (const e of events({ target: 'b', follow: true })) seen.push(e);",
        "  return [await wipe({ target: 'b', runId: 'r', dryRun: true }), seen];",
        '};',
        'export const entries = [clone, resume, wipe, events] as const;',
        'console.log(JSON.stringify({ outcome, wrong, rows: r.progress?.rowsDone }));',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, types: ['node'] },
        files: ['use.ts'],
      }),
    );
    run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', '.'], app);
    const source = await createTestDb('pack_lib_src');
    await source.query('CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 1000) i');
    const target = await createTestDb('pack_lib_dst');
    expect(JSON.parse(run('node', ['use.js', source.url, target.url], app))).toEqual({ outcome: 'finished', wrong: 'finished', rows: 1000 });
  }, 300_000);
});
