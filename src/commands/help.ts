// Every command's help: usage, options with defaults, the environment it reads, exit codes, an example. The
// same table says which options a command accepts, so the help and the parser cannot disagree.
import { DEFAULT_SETTINGS } from '../engine/context.js';
import { RUN_DEFAULTS } from './common.js';
import { IMAGE_KB } from './demo.js';
import { DEFAULT_REPLAY_SPEED } from './replay.js';
import { DEFAULT_BATCH_BYTES } from '../engine/plan.js';
import { TOOL_VERSION } from '../engine/version.js';
import { DEFAULT_STALL_THRESHOLD_MS } from '../events/liveness.js';

/** A default as it is typed: 60000 ms → "60s", 16 MiB → "16MB". */
const seconds = (ms: number) => `${ms / 1000}s`;
const megabytes = (bytes: number) => `${bytes / (1 << 20)}MB`;

export interface OptionDoc {
  /** the long name, without dashes */
  name: string;
  /** the value's placeholder; none for a switch */
  arg?: string;
  text: string;
  /** shown as (default: …) */
  dflt?: string;
  /** may be given more than once (its values are a list) */
  repeatable?: boolean;
}

export interface CommandDoc {
  usage: string;
  summary: string;
  /** positional arguments */
  args?: { name: string; text: string }[];
  options: OptionDoc[];
  env: string[];
  /** the exit codes this command can end with */
  exits: number[];
  example: string;
}

const o = (name: string, text: string, arg?: string, dflt?: string): OptionDoc => ({ name, text, arg, dflt });
/** a pg_dump pattern option, repeatable */
const pattern = (name: string, text: string, dflt?: string): OptionDoc => ({ ...o(name, `${text} (a pg_dump pattern; repeatable)`, 'P', dflt), repeatable: true });

const SOURCE = o('source', 'the database to copy from: a postgresql:// URL or a key=value string', 'URL');
const TARGET = o('target', 'the database to copy into; it holds the log (schema pgclone)', 'URL');
const SOURCE_OPT = o('source', "the source, when it is not the run's recorded host, port, database and user (its password is never stored)", 'URL', 'the recorded source');
const MAX_DURATION = o('max-duration', 'stop cleanly at the next batch or item boundary once D has passed since the command started; exit 3, resumable', 'D', 'none');
const IO_TIMEOUT = o('io-timeout', 'a connection that moves no data and answers no ping for D is cut and the step retried', 'D', seconds(DEFAULT_SETTINGS.ioTimeoutMs));
const RETRIES = o('retries', 'transient failures retried in-process before the run stops as resumable (exit 3)', 'N', String(DEFAULT_SETTINGS.maxRetries));
const JSON_OUT = o('json', 'one JSON event per line on stdout instead of the dashboard or plain lines');
const PLAIN = o('plain', 'plain progress lines, even on a terminal', undefined, 'the dashboard on a terminal, plain lines otherwise');
const STALL = o('stall-threshold', 'a run whose lock is held but which wrote no event for D reads as stalled', 'D', seconds(DEFAULT_STALL_THRESHOLD_MS));
const DEBUG = o('debug', 'print the stack trace of an unexpected error');

/** How a run that this command drives may be bounded: every command that runs the engine takes them. */
const RUN_LIMITS = [MAX_DURATION, IO_TIMEOUT, RETRIES];

const CONN_ENV = ['PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT, PGCONNECT_TIMEOUT: fill in what a URL leaves out', 'PGPASSFILE (default ~/.pgpass): passwords by host, port, database and user'];
const TOOLS_ENV = ['PGCLONE_PG_BIN: the folder holding pg_dump and pg_restore (default: the newest /usr/lib/postgresql/*/bin, else PATH)'];
const SHOW_ENV = ['NO_COLOR: a dashboard without colour', 'CI: plain lines instead of the dashboard', 'PGCLONE_PROGRESS_MS: how often plain output prints a progress line (default 5000)'];

/** What a command that runs the engine reads. */
const ENGINE_ENV = [...CONN_ENV, ...TOOLS_ENV, ...SHOW_ENV];

const RUN_EXITS = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10];
const ALL_EXITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const READ_EXITS = [0, 1, 2, 6, 10];
const RUN_ARG = { name: 'RUN', text: 'the run id (pgclone status lists them)' };

export const COMMANDS: Record<string, CommandDoc> = {
  clone: {
    usage: 'pgclone clone --source URL --target URL [options]',
    summary: 'Start a new run: schema, data, indexes, constraints and sequences from the source into an empty target.',
    options: [
      SOURCE,
      TARGET,
      pattern('schema', 'only schemas matching P', 'all'),
      pattern('exclude-schema', 'leave out schemas matching P'),
      pattern('table', 'only tables matching P', 'all'),
      pattern('exclude-table', 'leave out tables matching P'),
      pattern('exclude-table-data', "copy these tables' definitions but not their rows"),
      o('jobs', 'tables copied at once', 'N', String(RUN_DEFAULTS.jobs)),
      o('index-jobs', 'indexes and constraints built at once', 'N', String(RUN_DEFAULTS.indexJobs)),
      o('batch-size', 'rows committed together, with their event, per batch: the most a kill can lose', 'SIZE', megabytes(DEFAULT_BATCH_BYTES)),
      o('verify', 'after the copy compare row counts, or checksums of every row, or nothing', 'count|checksum|none', 'count'),
      o('no-owner', 'do not set owners (pg_dump --no-owner)'),
      o('no-acl', 'do not copy grants (pg_dump --no-acl)'),
      o('text', 'COPY in text format', undefined, 'binary for built-in types and enums between servers of one major version'),
      o('maintenance-work-mem', 'maintenance_work_mem of each index job', 'SIZE', megabytes(RUN_DEFAULTS.maintenanceWorkMemBytes)),
      ...RUN_LIMITS,
      JSON_OUT,
      PLAIN,
    ],
    env: ENGINE_ENV,
    exits: RUN_EXITS,
    example: 'pgclone clone --source postgresql://app@prod:5432/shop --target postgresql://app@staging:5432/shop --jobs 4',
  },
  resume: {
    usage: 'pgclone resume [RUN] --target URL [--source URL] [options]',
    summary: "Continue a stopped run from exactly where the target's log says it stopped.",
    args: [{ ...RUN_ARG, text: `${RUN_ARG.text}; default: the newest run that is not finished` }],
    options: [TARGET, SOURCE_OPT, ...RUN_LIMITS, JSON_OUT, PLAIN],
    env: ENGINE_ENV,
    exits: ALL_EXITS,
    example: 'pgclone resume --target postgresql://app@staging:5432/shop --max-duration 50s',
  },
  wipe: {
    usage: 'pgclone wipe RUN --target URL [--restart [--source URL] [options]]',
    summary: 'Drop exactly what the run created (nothing else in the target), keep its log, record RunWiped.',
    args: [RUN_ARG],
    options: [
      TARGET,
      o('restart', 'then start a new run with the same options'),
      SOURCE_OPT,
      ...RUN_LIMITS,
      JSON_OUT,
      PLAIN,
    ],
    env: [...CONN_ENV, ...TOOLS_ENV],
    exits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 10],
    example: 'pgclone wipe Qm3v9x_Lk2PzT0aB7cD1e --target postgresql://app@staging:5432/shop --restart',
  },
  status: {
    usage: 'pgclone status --target URL [--json] [--stall-threshold D]',
    summary: "Every run in the target's log: running, stalled, interrupted, failed, finished or wiped; where it stopped; who holds its lock.",
    options: [TARGET, o('json', 'one JSON object per run'), STALL],
    env: CONN_ENV,
    exits: READ_EXITS,
    example: 'pgclone status --target postgresql://app@staging:5432/shop',
  },
  log: {
    usage: 'pgclone log RUN --target URL [--json]',
    summary: "A run's events, oldest first: for people, or one JSON object per line.",
    args: [RUN_ARG],
    options: [TARGET, o('json', 'one JSON event per line')],
    env: CONN_ENV,
    exits: READ_EXITS,
    example: 'pgclone log Qm3v9x_Lk2PzT0aB7cD1e --target postgresql://app@staging:5432/shop --json',
  },
  watch: {
    usage: 'pgclone watch [RUN] --target URL [--source URL] [options]',
    summary: 'The dashboard over the target\'s log, from any terminal: R resumes a stopped run, W wipes and restarts it, L shows its events, Q quits. Without a terminal: plain lines until no run is running.',
    args: [{ name: 'RUN', text: 'show only this run; default: every run in the log' }],
    options: [TARGET, SOURCE_OPT, STALL, ...RUN_LIMITS, o('json', 'without a terminal: one JSON event per line'), PLAIN],
    env: ENGINE_ENV,
    exits: ALL_EXITS,
    example: 'pgclone watch --target postgresql://app@staging:5432/shop',
  },
  replay: {
    usage: 'pgclone replay RUN --target URL [--speed N]',
    summary: 'The dashboard as it was after each event of a run, for audit: space pauses, ←/→ step, +/− speed, Q quits. Without a terminal: the log.',
    args: [RUN_ARG],
    options: [TARGET, o('speed', 'replay speed; 1 is real time', 'N', String(DEFAULT_REPLAY_SPEED)), o('json', 'without a terminal: one JSON event per line'), PLAIN],
    env: [...CONN_ENV, 'NO_COLOR: a dashboard without colour', 'CI: the log instead of the dashboard'],
    exits: READ_EXITS,
    example: 'pgclone replay Qm3v9x_Lk2PzT0aB7cD1e --target postgresql://app@staging:5432/shop --speed 50',
  },
  demo: {
    usage: 'pgclone demo [--no-interrupt] [--keep] [--plain] | pgclone demo --stop',
    summary:
      'The story on two embedded PostgreSQL 15 servers in a temporary folder: a storyboard app is cloned, stopped at ~29 % of storyboard_panels by a time limit, shown interrupted, and resumed with R to a verified finish. The servers are removed at the end, on Ctrl-C, and (by the next demo) after a kill.',
    options: [
      o('no-interrupt', 'clone straight through, without the time limit'),
      o('keep', 'leave both servers running and print their connection strings, to try status, watch, log and replay'),
      o('stop', 'stop and remove the servers a --keep demo left running'),
      o('plain', 'plain lines, even on a terminal (the time limit then resumes by itself)', undefined, 'the dashboard on a terminal'),
    ],
    env: [
      'PGCLONE_PG_BIN: the folder holding pg_dump and pg_restore 15 or newer',
      ...SHOW_ENV,
      `PGCLONE_DEMO_IMAGE_KB: kB of each panel image (default ${IMAGE_KB}); smaller for the tests of what surrounds the clone`,
    ],
    exits: [0, 1, 2, 3, 4, 7, 130],
    example: 'npm run demo -- --keep      (from a checkout; installed: pgclone demo --keep)',
  },
};

/** Options every command takes. */
const COMMON: OptionDoc[] = [o('help', 'this help'), DEBUG];

export const EXIT_TEXT: Record<number, string> = {
  0: 'finished (and verified, unless --verify none)',
  1: 'failed: the run is recorded as failed and is resumable',
  2: 'usage error: bad arguments, a malformed URL, an unknown run id',
  3: 'stopped but resumable: the time budget was spent, transient failures outlasted the retries, or the dashboard was left while the run copied',
  4: 'verification mismatch: source and target row counts (or checksums) differ',
  5: 'nothing to do: the run already finished (or was wiped)',
  6: 'cannot connect: unknown host, refused port, wrong password, missing database',
  7: 'preflight refused: nothing was written to the target',
  8: 'the run is locked: another process is working on it',
  9: 'resume refused: the source is another database, or its schema changed since the run began',
  10: 'the log is corrupt: an event does not parse',
  130: 'interrupted: Ctrl-C (SIGINT); the demo stops and removes its servers first',
};

type ParserOption = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

/** Every option for node:util parseArgs, from the commands' help: one with a value is a string. */
export function parserOptions(): Record<string, ParserOption> {
  const out: Record<string, ParserOption> = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
  for (const c of Object.values(COMMANDS)) {
    for (const x of [...c.options, ...COMMON]) out[x.name] ??= { type: x.arg ? 'string' : 'boolean', ...(x.repeatable ? { multiple: true } : {}) };
  }
  return out;
}

/** The options `pgclone VERB` accepts. */
export function allowedOptions(verb: string): string[] | undefined {
  const c = COMMANDS[verb];
  return c ? [...c.options.map((x) => x.name), ...COMMON.map((x) => x.name)] : undefined;
}

function optionLines(opts: OptionDoc[]): string[] {
  const heads = opts.map((x) => `--${x.name}${x.arg ? ` ${x.arg}` : ''}`);
  const w = Math.min(28, Math.max(...heads.map((h) => h.length)));
  return opts.map((x, i) => {
    const head = heads[i] as string;
    const text = `${x.text}${x.dflt ? ` (default: ${x.dflt})` : ''}`;
    return head.length > w ? `  ${head}\n  ${' '.repeat(w)}  ${text}` : `  ${head.padEnd(w)}  ${text}`;
  });
}

export function commandHelp(verb: string): string {
  const c = COMMANDS[verb];
  if (!c) throw new Error(`no help for ${verb}`);
  const lines = [`usage: ${c.usage}`, '', c.summary];
  if (c.args) {
    lines.push('', 'arguments:');
    for (const a of c.args) lines.push(`  ${a.name.padEnd(6)}${a.text}`);
  }
  lines.push('', 'options:', ...optionLines([...c.options, ...COMMON]));
  lines.push('', 'environment:', ...c.env.map((e) => `  ${e}`));
  lines.push('', 'exit codes:', ...c.exits.map((n) => `  ${String(n).padStart(2)}  ${EXIT_TEXT[n]}`));
  lines.push('', 'example:', `  ${c.example}`);
  return lines.join('\n');
}

export function mainHelp(): string {
  const lines = [`pgclone ${TOOL_VERSION} — clone a PostgreSQL database into another, resumable from an event log in the target`, '', 'usage:'];
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage}`);
  lines.push(
    '',
    'pgclone COMMAND --help tells a command\'s options, their defaults, the environment it reads and its exit codes.',
    'URL: postgresql://user[:password]@host:port/db?sslmode=… or host=… port=… dbname=… user=…; PGHOST, PGPORT,',
    'PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE and ~/.pgpass fill in what it leaves out.',
    '',
    'exit codes:',
    ...Object.entries(EXIT_TEXT).map(([n, t]) => `  ${n.padStart(2)}  ${t}`),
    '',
    'example:',
    '  pgclone clone --source postgresql://app@prod/shop --target postgresql://app@staging/shop',
    '',
    '--version prints the version.',
  );
  return lines.join('\n');
}
