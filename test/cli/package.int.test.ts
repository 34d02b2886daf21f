// The package: `npm pack` holds only what pgclone needs, and `npm install -g` of it gives a pgclone command that
// works from any directory (here: a prefix of its own, run from the temporary folder, against the test server).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
  it('packs bin, the compiled JavaScript, README and LICENSE only; the installed pgclone runs from any directory', async () => {
    // --ignore-scripts: dist/ is built by the test setup; prepack's rebuild would rewrite it under the feet of
    // the tests running the CLI beside this one
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = packed[0]!.files.map((f) => f.path).sort();
    expect(files.filter((f) => !/^dist\/.+\.js$/.test(f))).toEqual(['LICENSE', 'README.md', 'bin/pgclone.js', 'package.json']);
    expect(files).toContain('dist/cli.js');
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
  }, 300_000);
});
