#!/usr/bin/env node
// The command line: parse, choose the verb, map the outcome to a documented exit code. No engine logic here.
import { parseArgs } from 'node:util';
import { MalformedEventError } from './events/codec.js';
import { EXIT, PgcloneError } from './engine/errors.js';
import { TOOL_VERSION } from './engine/version.js';
import { cloneCommand } from './commands/clone.js';
import { stdOutput, type Flags, type Output } from './commands/common.js';
import { demoCommand } from './commands/demo.js';
import { logCommand } from './commands/log.js';
import { resumeCommand } from './commands/resume.js';
import { replayCommand } from './commands/replay.js';
import { statusCommand } from './commands/status.js';
import { watchCommand } from './commands/watch.js';
import { wipeCommand } from './commands/wipe.js';

const HELP = `pgclone ${TOOL_VERSION} — clone a PostgreSQL database, resumable from a log in the target

usage:
  pgclone clone  --source URL --target URL [options]
  pgclone resume [RUN] --target URL [--source URL] [--max-duration D]
  pgclone wipe   RUN --target URL [--restart [--source URL]]
  pgclone status --target URL [--json] [--stall-threshold D]
  pgclone log    RUN --target URL [--json]
  pgclone watch  [RUN] --target URL [--source URL]     the dashboard: R resume, W wipe and restart, L log, Q quit
  pgclone replay RUN --target URL [--speed N]          the dashboard as it was at each event, for audit
  pgclone demo

clone options:
  --schema P, --exclude-schema P, --table P, --exclude-table P, --exclude-table-data P   (pg_dump patterns; repeatable)
  --jobs N (2)  --index-jobs N (2)  --batch-size SIZE (16MB)  --verify count|checksum|none (count)
  --no-owner  --no-acl  --text (COPY in text format; default: binary for built-in types, same major version)
  --maintenance-work-mem SIZE (256MB per index job)
  --max-duration D   stop cleanly at the next batch after D (e.g. 30s) and exit 3: resumable
  --io-timeout D (60s)  --retries N (8)  --json | --plain  --debug

URL: postgresql://user[:password]@host:port/db?sslmode=… or key=value; PGHOST, PGPORT, PGUSER,
PGPASSWORD, PGDATABASE, PGSSLMODE and ~/.pgpass fill in what it leaves out.

exit codes: 0 finished · 1 failed · 2 usage · 3 stopped, resumable · 4 verification mismatch ·
5 nothing to do · 6 cannot connect · 7 preflight refused · 8 run locked by another process ·
9 resume refused (other source / schema changed) · 10 corrupt log`;

const OPTIONS = {
  source: { type: 'string' },
  target: { type: 'string' },
  schema: { type: 'string', multiple: true },
  'exclude-schema': { type: 'string', multiple: true },
  table: { type: 'string', multiple: true },
  'exclude-table': { type: 'string', multiple: true },
  'exclude-table-data': { type: 'string', multiple: true },
  jobs: { type: 'string' },
  'index-jobs': { type: 'string' },
  'batch-size': { type: 'string' },
  verify: { type: 'string' },
  'no-owner': { type: 'boolean' },
  'no-acl': { type: 'boolean' },
  text: { type: 'boolean' },
  'maintenance-work-mem': { type: 'string' },
  'max-duration': { type: 'string' },
  'io-timeout': { type: 'string' },
  retries: { type: 'string' },
  'stall-threshold': { type: 'string' },
  restart: { type: 'boolean' },
  speed: { type: 'string' },
  json: { type: 'boolean' },
  plain: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const ALLOWED: Record<string, string[]> = {
  clone: ['source', 'target', 'schema', 'exclude-schema', 'table', 'exclude-table', 'exclude-table-data', 'jobs', 'index-jobs', 'batch-size', 'verify', 'no-owner', 'no-acl', 'text', 'maintenance-work-mem', 'max-duration', 'io-timeout', 'retries', 'json', 'plain'],
  resume: ['source', 'target', 'max-duration', 'io-timeout', 'retries', 'json', 'plain'],
  wipe: ['source', 'target', 'restart', 'max-duration', 'io-timeout', 'retries', 'json', 'plain'],
  status: ['target', 'json', 'stall-threshold'],
  log: ['target', 'json'],
  watch: ['target', 'source', 'json', 'plain', 'stall-threshold', 'max-duration', 'io-timeout', 'retries'],
  replay: ['target', 'speed', 'json', 'plain'],
  demo: ['plain', 'json'],
};

async function dispatch(argv: string[], out: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new PgcloneError('usage', (e as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const flags = parsed.values as Flags;
  const [verb, ...rest] = parsed.positionals;
  if (flags.version) {
    out.line(TOOL_VERSION);
    return EXIT.finished;
  }
  if (!verb || flags.help || verb === 'help') {
    out.line(HELP);
    return verb || flags.help ? EXIT.finished : EXIT.usage;
  }
  const allowed = ALLOWED[verb];
  if (!allowed) throw new PgcloneError('usage', `unknown command "${verb}" (try pgclone --help)`);
  for (const k of Object.keys(flags)) {
    if (k !== 'debug' && !allowed.includes(k)) throw new PgcloneError('usage', `--${k} does not apply to pgclone ${verb}`);
  }
  const maxPositionals = ['resume', 'wipe', 'log', 'watch', 'replay'].includes(verb) ? 1 : 0;
  if (rest.length > maxPositionals) throw new PgcloneError('usage', `unexpected argument "${rest[maxPositionals]}"`);
  const run = rest[0];
  switch (verb) {
    case 'clone':
      return cloneCommand(flags, out);
    case 'resume':
      return resumeCommand(run, flags, out);
    case 'wipe':
      if (!run) throw new PgcloneError('usage', 'pgclone wipe needs the run id (pgclone status lists them)');
      return wipeCommand(run, flags, out);
    case 'status':
      return statusCommand(flags, out);
    case 'log':
      if (!run) throw new PgcloneError('usage', 'pgclone log needs the run id (pgclone status lists them)');
      return logCommand(run, flags, out);
    case 'watch':
      return watchCommand(run, flags, out);
    case 'replay':
      if (!run) throw new PgcloneError('usage', 'pgclone replay needs the run id (pgclone status lists them)');
      return replayCommand(run, flags, out);
    case 'demo':
      return demoCommand(flags, out);
    default:
      throw new PgcloneError('usage', `unknown command "${verb}"`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const out = stdOutput();
  const debug = argv.includes('--debug');
  try {
    return await dispatch(argv, out);
  } catch (e) {
    if (e instanceof PgcloneError) {
      out.error(`pgclone: ${e.message}`);
      if (debug && e.cause instanceof Error && e.cause.stack) out.error(e.cause.stack);
      return e.exitCode;
    }
    if (e instanceof MalformedEventError) {
      out.error(`pgclone: ${e.message}`);
      return EXIT.corruptLog;
    }
    out.error(`pgclone: ${e instanceof Error ? e.message : String(e)}`);
    if (debug && e instanceof Error && e.stack) out.error(e.stack);
    return EXIT.failed;
  }
}

const code = await main(process.argv.slice(2));
// the commands closed what they opened; whatever else is left (a terminal's input listener, a socket a
// failure left half-open) must not keep the process, or its exit code, waiting. The exit waits only for
// stdout and stderr to take what was printed (a pipe is asynchronous on some platforms).
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
setTimeout(() => process.exit(code), 2000).unref();
