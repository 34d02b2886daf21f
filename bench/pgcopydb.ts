// Finding pgcopydb, installing it from the system's packages when missing; the reason when it cannot be had.
import { existsSync } from 'node:fs';
import { run, lastLines } from './proc.js';

export type Availability = { ok: true; path: string; version: string } | { ok: false; reason: string };

async function which(name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/lib/postgresql/15/bin'])) {
    const p = `${dir}/${name}`;
    if (dir && existsSync(p)) return p;
  }
  return null;
}

async function version(path: string): Promise<string> {
  const r = await run(path, ['--version'], { env: process.env });
  const text = `${r.stdout}\n${r.stderr}`;
  const m = /pgcopydb version\s+(\S+)/i.exec(text) ?? /(\d+\.\d+(?:\.\d+)?)/.exec(text);
  return m?.[1] ?? 'unknown';
}

export async function findPgcopydb(allowInstall: boolean, log: (t: string) => void): Promise<Availability> {
  let path = await which('pgcopydb');
  if (!path) {
    if (!allowInstall) return { ok: false, reason: 'not installed (--no-install)' };
    if (!existsSync('/usr/bin/apt-get')) return { ok: false, reason: 'not installed and no apt-get on this system' };
    log('  pgcopydb is missing: apt-get install -y pgcopydb …');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = await run('apt-get', ['install', '-y', '--no-install-recommends', 'pgcopydb'], { env });
    if (r.code !== 0) {
      log('  apt-get install failed; apt-get update and one more try …');
      await run('apt-get', ['update'], { env });
      r = await run('apt-get', ['install', '-y', '--no-install-recommends', 'pgcopydb'], { env });
    }
    if (r.code !== 0) return { ok: false, reason: `apt-get install pgcopydb failed: ${lastLines(r.stderr || r.stdout, 2)}` };
    path = await which('pgcopydb');
    if (!path) return { ok: false, reason: 'apt-get installed pgcopydb but no pgcopydb binary was found' };
  }
  try {
    return { ok: true, path, version: await version(path) };
  } catch (e) {
    return { ok: false, reason: `pgcopydb --version failed: ${(e as Error).message}` };
  }
}
