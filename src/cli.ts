#!/usr/bin/env node
// The command line: parse, choose the verb, map the outcome to a documented exit code. No engine logic here.
import { parseArgs } from 'node:util';
import { MalformedEventError } from './events/codec.js';
import { EXIT, PgcloneError } from './engine/errors.js';
import { TOOL_VERSION } from './engine/version.js';
import { cloneCommand } from './commands/clone.js';
import { cutoverCommand } from './commands/cutover.js';
import { stdOutput, type Flags, type Output } from './commands/common.js';
import { engineRunning } from './commands/stop.js';
import { demoCommand } from './commands/demo.js';
import { allowedOptions, argumentError, commandHelp, commandSuggestion, COMMANDS, mainHelp, parserOptions } from './commands/help.js';
import { exportCommand } from './commands/export.js';
import { forgetCommand } from './commands/forget.js';
import { logCommand } from './commands/log.js';
import { resumeCommand } from './commands/resume.js';
import { replayCommand } from './commands/replay.js';
import { statusCommand } from './commands/status.js';
import { watchCommand } from './commands/watch.js';
import { wipeCommand } from './commands/wipe.js';

/** Parsed once, for every command; which of them a command takes is checked after (the help's table). */
const OPTIONS = parserOptions();

async function dispatch(argv: string[], out: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new PgcloneError('usage', argumentError(argv, e as { code?: string; message: string }));
  }
  const flags = parsed.values as Flags;
  const [verb, ...rest] = parsed.positionals;
  if (flags.version) {
    out.line(TOOL_VERSION);
    return EXIT.finished;
  }
  // pgclone help [COMMAND] is pgclone [COMMAND] --help
  const helpFor = verb === 'help' ? rest[0] : verb;
  if (!verb || flags.help || verb === 'help') {
    if (helpFor && !allowedOptions(helpFor)) throw new PgcloneError('usage', `unknown command "${helpFor}"${commandSuggestion(helpFor)} (try pgclone --help)`);
    out.line(helpFor ? commandHelp(helpFor) : mainHelp());
    return verb || flags.help ? EXIT.finished : EXIT.usage;
  }
  const allowed = allowedOptions(verb);
  if (!allowed) throw new PgcloneError('usage', `unknown command "${verb}"${commandSuggestion(verb)} (try pgclone --help)`);
  for (const k of Object.keys(flags)) {
    if (!allowed.includes(k)) throw new PgcloneError('usage', `--${k} does not apply to pgclone ${verb} (pgclone ${verb} --help lists its options)`);
  }
  const maxPositionals = ['resume', 'wipe', 'status', 'log', 'export', 'watch', 'replay', 'cutover'].includes(verb) ? 1 : 0;
  if (rest.length > maxPositionals) throw new PgcloneError('usage', `unexpected argument "${rest[maxPositionals]}"\nusage: ${COMMANDS[verb]?.usage}`);
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
      return statusCommand(run, flags, out);
    case 'cutover':
      if (!run) throw new PgcloneError('usage', 'pgclone cutover needs the run id (pgclone status lists them)');
      return cutoverCommand(run, flags, out);
    case 'log':
      if (!run) throw new PgcloneError('usage', 'pgclone log needs the run id (pgclone status lists them)');
      return logCommand(run, flags, out);
    case 'export':
      return exportCommand(run, flags, out);
    case 'forget':
      return forgetCommand(flags, out);
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

/** The verbs that copy, or whose work must end in its own time (the demo removes its servers): output is best-effort for them. */
const WORKING_VERBS = new Set(['clone', 'resume', 'demo', 'cutover']);

export async function main(argv: string[]): Promise<number> {
  // a reader of a closed pipe stops quietly, as git and psql do under `| head`; a copy goes on without its lines
  // (the verb is not parsed yet; a flag's value is never one of these words)
  const working = argv.some((a) => WORKING_VERBS.has(a));
  const out = stdOutput((stream) => {
    if (stream !== 'stdout') return;
    if (working || engineRunning()) out.error('pgclone: stdout was closed; the work goes on without printing its progress');
    else process.exit(EXIT.finished);
  });
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
const flushed = (stream: NodeJS.WriteStream, then: () => void) => (stream.destroyed || stream.writableEnded ? then() : stream.write('', () => then()));
flushed(process.stdout, () => flushed(process.stderr, () => process.exit(code)));
setTimeout(() => process.exit(code), 2000).unref();
