#!/usr/bin/env node
// Entry point: the TypeScript sources through tsx in a checkout, the compiled dist/ in an installed package.
import { existsSync } from 'node:fs';

const src = new URL('../src/cli.ts', import.meta.url);
const dist = new URL('../dist/cli.js', import.meta.url);
if (existsSync(src) && process.env.PGCLONE_USE_DIST !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import(src.href);
} else {
  await import(dist.href);
}
