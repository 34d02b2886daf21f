// Which PostgreSQL the tests use: PGCLONE_TEST_URL, else a server on 127.0.0.1:5432, else an embedded one.
import pg from 'pg';
import { startEmbedded, type EmbeddedServer } from '../../src/local/embedded.js';
import type { Major } from '../../src/local/majors.js';

export interface TestServer {
  url: string;
  kind: 'url' | 'local' | 'embedded';
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The tests' embedded servers: throwaway data, many connections. */
export const TEST_SERVER_SETTINGS: Readonly<Record<string, string>> = { fsync: 'off', full_page_writes: 'off', max_connections: '200' };

/**
 * An embedded server of this major for tests and the matrix, its binaries fetched on first use (src/local/majors.ts);
 * guarded: if this process is SIGKILLed, its servers are reaped at once rather than at the next start.
 */
export function startMajorServer(major: Major, opts: { settings?: Record<string, string>; label?: string } = {}): Promise<EmbeddedServer> {
  return startEmbedded({ major, label: opts.label ?? `pg${major}`, guard: true, settings: { ...TEST_SERVER_SETTINGS, ...opts.settings } });
}

export const LOCAL_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

export async function provideServer(env: NodeJS.ProcessEnv = process.env): Promise<TestServer> {
  const forced = env.PGCLONE_TEST_PROVIDER;
  if (forced && !['embedded', 'local', 'url'].includes(forced)) {
    throw new Error(`PGCLONE_TEST_PROVIDER must be embedded, local or url, not ${forced}`);
  }
  if (forced !== 'embedded' && forced !== 'local' && env.PGCLONE_TEST_URL) {
    return { url: env.PGCLONE_TEST_URL, kind: 'url', stop: async () => undefined };
  }
  if (forced !== 'embedded' && (await answers(LOCAL_URL))) {
    return { url: LOCAL_URL, kind: 'local', stop: async () => undefined };
  }
  if (forced === 'local') throw new Error(`PGCLONE_TEST_PROVIDER=local but nothing answers at ${LOCAL_URL}`);
  const server = await startEmbedded({ label: 'test', settings: TEST_SERVER_SETTINGS });
  return { url: server.url, kind: 'embedded', stop: () => server.stop() };
}
