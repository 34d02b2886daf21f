// Which PostgreSQL the tests use: PGCLONE_TEST_URL, else a server on 127.0.0.1:5432, else an embedded one.
import pg from 'pg';
import { startEmbedded } from '../../src/local/embedded.js';

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
  const server = await startEmbedded({ label: 'test', settings: { fsync: 'off', full_page_writes: 'off', max_connections: '200' } });
  return { url: server.url, kind: 'embedded', stop: () => server.stop() };
}
