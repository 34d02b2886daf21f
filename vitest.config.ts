import { defineConfig } from 'vitest/config';

// Two lanes. unit: pure code (fold, decisions, UI frames, planning, parsing), no server, no child process,
// no build. int: everything that touches PostgreSQL or spawns the CLI; only it pays the global setup
// (a tsc build, then find or start a server) and the per-file drop of test databases.
const exclude = ['dist/**', 'node_modules/**', 'scratch/**', 'test/torture/**'];

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: [...exclude, 'test/**/*.int.test.ts', 'test/**/*.int.test.tsx'],
          pool: 'threads',
          // projects with different maxWorkers must run as separate groups: the fast lane first
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'int',
          include: ['test/**/*.int.test.ts', 'test/**/*.int.test.tsx'],
          exclude,
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/setup-file.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          // most tests wait on PostgreSQL and child processes, not on this CPU
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
