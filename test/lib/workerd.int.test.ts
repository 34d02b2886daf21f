// pgclone inside the Cloudflare Workers runtime: examples/cloudflare-worker/worker.mjs, bundled as wrangler bundles
// (esbuild, nodejs_compat), served by workerd itself; each HTTP request is one step(), repeated as a platform would
// re-invoke, to a verified finish equal to the source. node-postgres reaches the servers through workerd's TCP
// sockets (cloudflare:sockets); the connection strings reach the worker as bindings from workerd's environment.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bulkSql } from '../fixtures/fidelity.js';
import { compareDatabases } from '../helpers/compare.js';
import { createTestDb } from '../helpers/db.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const WORKERD = `${root}node_modules/.bin/workerd`;

/** The worker and pgclone (the build in dist/, as the package exports it) in one ES module. */
async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [`${root}examples/cloudflare-worker/worker.mjs`],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    conditions: ['workerd', 'worker'],
    alias: { pgclone: `${root}dist/lib.js` },
    external: ['cloudflare:sockets', 'pg-native'],
    // node-postgres is CommonJS: its require() of node built-ins goes through nodejs_compat's node:module
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire('/');" },
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/** workerd's config: the worker, and a network that may reach private addresses (the test's servers are local). */
const CONFIG = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private"])),
  ],
  sockets = [(name = "http", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.bundle.mjs")],
  compatibilityDate = "2026-07-01",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [
    (name = "SOURCE_DB_URL", fromEnvironment = "SOURCE_DB_URL"),
    (name = "TARGET_DB_URL", fromEnvironment = "TARGET_DB_URL"),
  ],
);
`;

/**
 * A listening socket made here and handed to workerd as a file descriptor: its port is known and nobody can take it
 * first. This process closes its own copy as soon as workerd has it, so only workerd accepts on it.
 */
async function listening(): Promise<{ server: Server; port: number; fd: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  return { server, port, fd };
}

describe('examples/cloudflare-worker under workerd (nodejs_compat)', () => {
  it('one step() per request, re-invoked until finished: the clone is verified and equal to the source', async () => {
    const source = await createTestDb('cf_src');
    await source.query(`${bulkSql(20_000)}
      CREATE TYPE mood AS ENUM ('calm', 'tense');
      CREATE TABLE blobs (id int PRIMARY KEY, mood mood NOT NULL, data bytea NOT NULL);
      INSERT INTO blobs SELECT i, (ARRAY['calm', 'tense'])[1 + i % 2]::mood, decode(md5(i::text) || 'ff00', 'hex') FROM generate_series(1, 300) i;`);
    const target = await createTestDb('cf_dst');
    const dir = await mkdtemp(join(tmpdir(), 'pgclone-workerd-'));
    await writeFile(join(dir, 'worker.bundle.mjs'), await bundle());
    await writeFile(join(dir, 'config.capnp'), CONFIG);
    const { server, port, fd } = await listening();
    const child = spawn(WORKERD, ['serve', join(dir, 'config.capnp'), '--socket-fd', `http=3`], {
      stdio: ['ignore', 'pipe', 'pipe', fd],
      env: { SOURCE_DB_URL: source.url, TARGET_DB_URL: target.url },
    });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout?.resume();
    server.close();
    try {
      const answers: { outcome: string; phase: string | null }[] = [];
      for (let i = 0; i < 200; i++) {
        // a 1 ms budget: every request stops at its first boundary, so the clone takes many requests
        const res = await fetch(`http://127.0.0.1:${port}/?limitMs=1`, { signal: AbortSignal.timeout(120_000) });
        const text = await res.text();
        let body: { outcome: string; progress: { phase: string } | null };
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          throw new Error(`the worker answered ${res.status}: ${text.slice(0, 500)}\n${stderr.slice(-2000)}`);
        }
        answers.push({ outcome: body.outcome, phase: body.progress?.phase ?? null });
        if (body.outcome !== 'suspended') {
          expect(body, text).toMatchObject({ outcome: 'finished' });
          break;
        }
      }
      expect(answers.at(-1)?.outcome).toBe('finished');
      expect(answers.length).toBeGreaterThanOrEqual(3);
      expect(answers.slice(0, -1).every((a) => a.outcome === 'suspended')).toBe(true);
      expect(answers.some((a) => a.phase === 'data')).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
  }, 240_000);
});
