// Once per test run: find or start the PostgreSQL server every SQL test uses, and stop it afterwards.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { provideServer } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    pgProvider: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // the CLI under test runs from a fresh build: a second less per spawn than through tsx, and it proves the build
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/tsconfig.build.json`], { stdio: 'inherit' });
  const server = await provideServer();
  project.provide('pgUrl', server.url);
  project.provide('pgProvider', server.kind);
  process.stderr.write(`[pgclone tests] PostgreSQL: ${server.kind}\n`);
  return async () => {
    await server.stop();
  };
}
