// A PostgreSQL server of a given major for one test file: started before its first test, stopped after its last.
import { afterAll, beforeAll } from 'vitest';
import type { EmbeddedServer } from '../../src/local/embedded.js';
import type { Major } from '../../src/local/majors.js';
import { forgetTestDbsOn } from './db.js';
import { startMajorServer } from './server.js';

export interface MajorServer {
  /** the server's URL to database postgres: `createTestDb(label, url)` makes databases on it */
  readonly url: string;
  readonly server: EmbeddedServer;
}

/** Call at a test file's top level; read `url` inside tests and hooks, once the file's beforeAll has run. */
export function majorServer(major: Major, settings: Record<string, string> = {}): MajorServer {
  let server: EmbeddedServer | null = null;
  beforeAll(async () => {
    server = await startMajorServer(major, { settings });
  });
  afterAll(async () => {
    if (!server) return;
    // its databases go with it
    forgetTestDbsOn(server.url);
    await server.stop();
  });
  const started = (): EmbeddedServer => {
    if (!server) throw new Error(`the PostgreSQL ${major} server is started in beforeAll: read it inside a test or a hook`);
    return server;
  };
  return {
    get url() {
      return started().url;
    },
    get server() {
      return started();
    },
  };
}
