// A run killed mid-dump leaves its schema dump in the temp directory; the next dump on the host removes it
// (and only dumps whose process is gone).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestDb, serverUrl } from '../helpers/db.js';
import { pgDumpFor, pgToolsEnv, serverMajor } from '../helpers/compare.js';

/** The pg_dump engine's own behaviour: where a pg_dump can read the test server (a machine with Node only has none). */
const pgDump = await pgDumpFor(await serverMajor(serverUrl()));

describe('schema dumps left by killed runs', () => {
  it.runIf(pgDump !== null)('are removed by the next pg_dump-engine clone on the host; a live process keeps its own', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    const stale = join(tmpdir(), `pgclone-dump-${deadPid}-test01`);
    const live = join(tmpdir(), `pgclone-dump-${process.pid}-test02`);
    for (const d of [stale, live]) {
      await mkdir(d, { recursive: true });
      await writeFile(join(d, 'schema.dump'), 'x');
    }
    try {
      const source = await createTestDb('stale_src');
      await source.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)');
      const target = await createTestDb('stale_dst');
      const r = await runCli(['clone', '--source', source.url, '--target', target.url, '--schema-engine', 'pg_dump'], pgToolsEnv(pgDump));
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      await Promise.all([stale, live].map((d) => rm(d, { recursive: true, force: true })));
    }
  });
});
