// Once per test run: find or start the PostgreSQL server every SQL test uses, and stop it afterwards.
import type { TestProject } from 'vitest/node';
import { provideServer } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    pgProvider: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await provideServer();
  project.provide('pgUrl', server.url);
  project.provide('pgProvider', server.kind);
  process.stderr.write(`[pgclone tests] PostgreSQL: ${server.kind}\n`);
  return async () => {
    await server.stop();
  };
}
