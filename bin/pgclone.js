#!/usr/bin/env node
// Entry point: the compiled dist/ when it is current, else the TypeScript sources through tsx (a checkout being edited).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const srcDir = join(root, 'src');
const distCli = join(root, 'dist', 'cli.js');

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

function useDist() {
  if (process.env.PGCLONE_USE_DIST === '1') return true;
  if (!existsSync(distCli)) return false;
  if (!existsSync(srcDir)) return true;
  return newestMtime(join(root, 'dist')) >= newestMtime(srcDir);
}

if (useDist()) {
  await import(new URL(`file://${distCli}`).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL(`file://${join(srcDir, 'cli.ts')}`).href);
}
