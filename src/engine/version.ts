// The tool's version, as recorded in RunStarted and RunResumed.
import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pgclone' && pkg.version) return pkg.version;
    } catch {
      /* try the next layout (src/engine or dist/engine) */
    }
  }
  return '0.0.0';
}

export const TOOL_VERSION = readVersion();
