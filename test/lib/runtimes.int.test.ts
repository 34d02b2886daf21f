// The same example script (examples/step-loop.mjs, `import { step } from 'pgclone'`) clones a database to a verified
// finish under each JavaScript runtime, against the test server. The runtimes are the dev dependencies' binaries.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bulkSql } from '../fixtures/fidelity.js';
import { compareDatabases } from '../helpers/compare.js';
import { createTestDb } from '../helpers/db.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = 'examples/step-loop.mjs';
const CPU_STEP = 'test/lib/cpu-step.mjs';
// Deno gets the permissions a function has (network, reading its files, environment, system facts), no more.
const DENO_ALLOW = ['--allow-net', '--allow-read', '--allow-env', '--allow-sys'];
const RUNTIMES: { name: string; argv: string[] }[] = [
  { name: 'node', argv: [process.execPath, EXAMPLE] },
  { name: 'deno', argv: [`${root}node_modules/.bin/deno`, 'run', ...DENO_ALLOW, EXAMPLE] },
  { name: 'bun', argv: [`${root}node_modules/.bin/bun`, EXAMPLE] },
];

// beside the bulk table, an enum and a bytea: the binary COPY path with a type of the database's own
const EXTRA = `CREATE TYPE mood AS ENUM ('calm', 'tense');
CREATE TABLE blobs (id int PRIMARY KEY, mood mood NOT NULL, data bytea NOT NULL);
INSERT INTO blobs SELECT i, (ARRAY['calm', 'tense'])[1 + i % 2]::mood, decode(md5(i::text) || 'ff00', 'hex') FROM generate_series(1, 500) i;`;

describe('examples/step-loop.mjs under each runtime', () => {
  it.each(RUNTIMES)(
    '$name: step() in a loop with a 1 ms budget, several calls, to a verified finish equal to the source',
    async ({ argv }) => {
      const source = await createTestDb('rt_src');
      await source.query(`${bulkSql(50_000)}\n${EXTRA}`);
      const target = await createTestDb('rt_dst');
      const [bin, ...args] = argv as [string, ...string[]];
      const { stdout } = await run(bin, [...args, source.url, target.url, '1'], { cwd: root, timeout: 200_000 });
      const calls = stdout.split('\n').filter((l) => /^call \d+: /.test(l));
      expect(calls.length).toBeGreaterThanOrEqual(2);
      expect(calls.slice(0, -1).every((l) => l.includes(': suspended '))).toBe(true);
      expect(calls.at(-1)).toMatch(/: finished verify rows 50500\/50500$/);
      expect(stdout).toMatch(/^run [A-Za-z0-9_-]+ finished$/m);
      expect(await compareDatabases(source.url, target.url)).toEqual([]);
    },
    240_000,
  );

  it.each(RUNTIMES)(
    "$name: cpuBudgetMs counts this runtime's process.cpuUsage: a 1 ms CPU budget suspends the first call at a boundary, saying so; onProgress is called",
    async ({ argv }) => {
      const source = await createTestDb('rt_cpu_src');
      await source.query(bulkSql(20_000));
      const target = await createTestDb('rt_cpu_dst');
      const [bin, ...args] = argv as [string, ...string[]];
      const script = [...args.slice(0, -1), CPU_STEP]; // the runtime's own arguments, then this script in the example's place
      const { stdout } = await run(bin, [...script, source.url, target.url], { cwd: root, timeout: 200_000 });
      const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { outcome: string; rowsDone: number; progressCalls: number };
      expect(r.outcome).toBe('suspended');
      expect(r.rowsDone).toBeLessThan(20_000);
      expect(r.progressCalls).toBeGreaterThan(0);
      const [last] = await target.query<{ reason: string }>(`SELECT payload->>'reason' AS reason FROM pgclone.events ORDER BY id DESC LIMIT 1`);
      expect(last!.reason).toMatch(/^CPU budget of 1 ms spent \(\d+ ms used\)$/);
    },
    240_000,
  );
});
