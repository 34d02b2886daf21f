// Every command's help: usage, options with defaults, the environment it reads, exit codes, an example. The
// same table says which options a command accepts, so the help and the parser cannot disagree.
import { DEFAULT_SETTINGS } from '../engine/context.js';
import { RUN_DEFAULTS } from './common.js';
import { IMAGE_KB, STOP_AT } from './demo.js';
import { DEFAULT_REPLAY_SPEED } from './replay.js';
import { DEFAULT_BATCH_BYTES } from '../engine/plan.js';
import { DEFAULT_MAX_RETAINED_WAL_BYTES } from '../engine/run-options.js';
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
  /** the one-letter form, as pg_dump spells it (-j, -t, -T, -n, -N) */
  short?: string;
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
  /** what a code means for this command, where it is not the shared meaning (EXIT_TEXT) */
  exitText?: Record<number, string>;
  example: string;
}

const o = (name: string, text: string, arg?: string, dflt?: string): OptionDoc => ({ name, text, arg, dflt });
/** a pg_dump pattern option, repeatable */
const pattern = (name: string, text: string, dflt?: string, short?: string): OptionDoc => ({
  ...o(name, `${text} (a pg_dump pattern; repeatable)`, 'P', dflt),
  repeatable: true,
  short,
});

const SOURCE = o('source', 'the database to copy from: a postgresql:// URL or a key=value string', 'URL');
const TARGET = o('target', 'the database to copy into; it holds the log (schema pgclone)', 'URL');
const SOURCE_OPT = o(
  'source',
  "the source, when it is not the run's recorded host, port, database and user (its password is never stored)",
  'URL',
  'the recorded source',
);
const MAX_DURATION = o(
  'max-duration',
  'stop cleanly at the next batch or item boundary once D has passed since the command started; exit 3, resumable',
  'D',
  'none',
);
const IO_TIMEOUT = o(
  'io-timeout',
  'a connection that moves no data and answers no ping for D is cut and the step retried',
  'D',
  seconds(DEFAULT_SETTINGS.ioTimeoutMs),
);
const RETRIES = o('retries', 'transient failures retried in-process before the run stops as resumable (exit 3)', 'N', String(DEFAULT_SETTINGS.maxRetries));
const JSON_OUT = o('json', 'one JSON event per line on stdout instead of the dashboard or plain lines');
const PLAIN = o('plain', 'plain progress lines, even on a terminal', undefined, 'the dashboard on a terminal, plain lines otherwise');
const STALL = o('stall-threshold', 'a run whose lock is held but which wrote no event for D reads as stalled', 'D', seconds(DEFAULT_STALL_THRESHOLD_MS));
const DEBUG = o('debug', 'print the stack trace of an unexpected error');
const MAX_RETAINED_WAL = o(
  'max-retained-wal',
  "the most WAL catch-up's replication slot may hold on the source (checked at every batch, item and chunk, and when a run resumes): past it the run drops the slot and its publication, records why and stops (exit 11); none (or 0) for no limit",
  'SIZE',
  `${DEFAULT_MAX_RETAINED_WAL_BYTES / 1024 ** 3}GB`,
);

/** How a run that this command drives may be bounded: every command that runs the engine takes them. */
const RUN_LIMITS = [MAX_DURATION, IO_TIMEOUT, RETRIES];

const CONN_ENV = [
  'PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT, PGCONNECT_TIMEOUT: fill in what a URL leaves out',
  'PGPASSFILE (default ~/.pgpass): passwords by host, port, database and user',
];
const TOOLS_ENV = [
  'PGCLONE_PG_BIN: with --schema-engine pg_dump, the folder holding pg_dump and pg_restore (default: the newest /usr/lib/postgresql/*/bin, else PATH)',
];
const SHOW_ENV = [
  'NO_COLOR: a dashboard without colour',
  'CI: plain lines instead of the dashboard',
  'PGCLONE_PROGRESS_MS: how often plain output prints a progress line (default 5000)',
];

/** What a command that runs the engine reads. */
const ENGINE_ENV = [...CONN_ENV, ...TOOLS_ENV, ...SHOW_ENV];

/** What each command can end with; pgclone COMMAND --help lists exactly these. */
const CLONE_EXITS = [0, 1, 2, 3, 4, 6, 7, 8, 10, 11];
const ALL_EXITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const READ_EXITS = [0, 1, 2, 6, 10];
const RUN_ARG = { name: 'RUN', text: 'the run id (pgclone status lists them), or a unique prefix of it' };

export const COMMANDS: Record<string, CommandDoc> = {
  clone: {
    usage: 'pgclone clone --source URL --target URL [options]',
    summary: 'Start a new run: schema, data, indexes, constraints and sequences from the source into an empty target.',
    options: [
      SOURCE,
      TARGET,
      pattern('schema', 'only schemas matching P', 'all', 'n'),
      pattern('exclude-schema', 'leave out schemas matching P', undefined, 'N'),
      pattern('table', 'only tables matching P', 'all', 't'),
      pattern('exclude-table', 'leave out tables matching P', undefined, 'T'),
      pattern('exclude-table-data', "copy these tables' definitions but not their rows"),
      { ...o('jobs', 'tables copied at once', 'N', String(RUN_DEFAULTS.jobs)), short: 'j' },
      o('index-jobs', 'indexes and constraints built at once', 'N', String(RUN_DEFAULTS.indexJobs)),
      o('batch-size', 'rows committed together, with their event, per batch: the most a kill can lose', 'SIZE', megabytes(DEFAULT_BATCH_BYTES)),
      o('verify', 'after the copy compare row counts, or checksums of every row, or nothing', 'count|checksum|none', 'count'),
      o('no-owner', 'do not set owners (pg_dump --no-owner)'),
      o('no-acl', 'do not copy grants (pg_dump --no-acl)'),
      o(
        'roles',
        'create the roles the schema names that the target lacks (attributes, VALID UNTIL, settings, memberships, comments; never passwords); wipe drops them when nothing else uses them',
      ),
      {
        ...o('role-map', 'owners and grantees named SRC on the source are DST on the target (repeatable; DST must exist there, never pg_*)', 'SRC=DST'),
        repeatable: true,
      },
      o('text', 'COPY in text format', undefined, 'binary for built-in types and enums between servers of one major version'),
      o('maintenance-work-mem', 'maintenance_work_mem of each index job', 'SIZE', megabytes(RUN_DEFAULTS.maintenanceWorkMemBytes)),
      o('no-analyze', 'do not ANALYZE each table once its rows and indexes are in: leave planner statistics to autovacuum'),
      o(
        'no-catch-up',
        'do not keep the clone exact across breaks through a logical replication slot (by default, when the source has wal_level=logical and a role that may replicate, a publication and a slot are made on the source before any row is copied, and dropped at finish or wipe)',
      ),
      o(
        'follow',
        "after catch-up, keep applying the source's changes (lag, rate and retained WAL on the dashboard and in status) until a cutover is asked for: pgclone cutover RUN, or C in the dashboard",
      ),
      o(
        'schema-engine',
        "what reads the schema: builtin (the source's catalogs, over the snapshot's connection; no client program) or pg_dump (pg_dump and pg_restore of at least the source's major)",
        'builtin|pg_dump',
        'builtin',
      ),
      MAX_RETAINED_WAL,
      ...RUN_LIMITS,
      JSON_OUT,
      PLAIN,
    ],
    env: ENGINE_ENV,
    exits: CLONE_EXITS,
    example: 'pgclone clone --source postgresql://app@prod:5432/shop --target postgresql://app@staging:5432/shop --jobs 4',
  },
  resume: {
    usage: 'pgclone resume [RUN] --target URL [--source URL] [options]',
    summary: "Continue a stopped run from exactly where the target's log says it stopped.",
    args: [{ ...RUN_ARG, text: `${RUN_ARG.text}; default: the newest run that is not finished` }],
    options: [
      TARGET,
      SOURCE_OPT,
      { ...MAX_RETAINED_WAL, text: `${MAX_RETAINED_WAL.text}; given here, it replaces the run's own for this resume`, dflt: "the run's" },
      o(
        'no-catch-up',
        'go on without catch-up when its replication slot can no longer serve the run (the retained-WAL guard dropped it, or the source invalidated it): the slot and publication are dropped if left, and the rest is copied as without catch-up — not exact if the source changed during the run (use --verify checksum)',
      ),
      ...RUN_LIMITS,
      JSON_OUT,
      PLAIN,
    ],
    env: ENGINE_ENV,
    exits: ALL_EXITS,
    example: 'pgclone resume --target postgresql://app@staging:5432/shop --max-duration 50s',
  },
  wipe: {
    usage: 'pgclone wipe RUN --target URL [--yes | --dry-run] [--restart [--source URL] [options]]',
    summary:
      'Drop exactly what the run created (nothing else in the target), keep its log, record RunWiped. On a terminal it lists the drops and asks; without one it needs --yes. A run already wiped can still be --restarted.',
    args: [RUN_ARG],
    options: [
      TARGET,
      o('yes', 'drop without asking (needed without a terminal)'),
      o('dry-run', 'list what would be dropped and write nothing'),
      o('restart', "then start a new run with the run's recorded options (also for a run wiped before)"),
      SOURCE_OPT,
      o('verify', 'with --restart: the new run verifies this way instead of as the wiped run did', 'count|checksum|none', "the wiped run's"),
      ...RUN_LIMITS,
      JSON_OUT,
      PLAIN,
    ],
    env: [...CONN_ENV, ...TOOLS_ENV],
    exits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11],
    exitText: {
      0: 'wiped (or, with --dry-run, listed); with --restart: the new run finished and verified',
      1: 'failed, or the question was answered no (nothing dropped)',
      2: 'usage error: bad arguments, an unknown run id, or no terminal to ask on and no --yes',
      5: 'nothing to do: the run was already wiped (without --restart)',
      11: "with --restart: the new run's replication slot held more WAL than --max-retained-wal",
    },
    example: 'pgclone wipe Qm3v9x_Lk2PzT0aB7cD1e --target postgresql://app@staging:5432/shop --restart',
  },
  status: {
    usage: 'pgclone status [RUN] --target URL [--source URL] [--json] [--stall-threshold D]',
    summary:
      'Every run in the target\'s log (or one): running, stalled, interrupted, failed, finished, mismatched or wiped; source, where it stopped, duration, totals, verification, who holds its lock. With RUN the exit code answers "finished and verified?": 0 only then.',
    args: [{ ...RUN_ARG, text: `${RUN_ARG.text}, or a unique prefix of it; default: every run (exit 0 when they are listed)` }],
    options: [
      TARGET,
      o(
        'source',
        "where to read the runs' replication slots from (their retained WAL, live); its password is never stored",
        'URL',
        "each run's recorded source, with PGPASSWORD or ~/.pgpass",
      ),
      o('json', 'one JSON object per run'),
      STALL,
    ],
    env: CONN_ENV,
    exits: [0, 1, 2, 3, 4, 5, 6, 8, 10],
    exitText: {
      0: 'the runs are listed; with RUN: that run finished and verified (or was cloned with --verify none)',
      1: 'the log could not be read; with RUN: the run failed (it is resumable)',
      3: 'with RUN: the run is interrupted (stopped without finishing; resumable)',
      4: 'with RUN: the run finished, but verification found tables that differ',
      5: 'with RUN: the run was wiped',
      8: 'with RUN: the run is running or stalled (a process holds its lock)',
    },
    example: 'pgclone status Qm3v --target postgresql://app@staging:5432/shop && echo finished and verified',
  },
  cutover: {
    usage: 'pgclone cutover RUN --target URL [--source URL] [options]',
    summary:
      "Cut a run over: record CutoverRequested in its log; the process that follows it (--follow) applies what the source has up to that moment, syncs sequences, verifies, records CutoverCompleted with the final LSN, drops the slot and publication and finishes — this command waits for it. With nobody following (the run stopped), this command resumes the run itself and cuts it over. Quiet the source's writers first: what they commit after the moment of the cutover is not in the target.",
    args: [RUN_ARG],
    options: [TARGET, SOURCE_OPT, ...RUN_LIMITS, o('json', 'one JSON event per line instead of plain lines')],
    env: ENGINE_ENV,
    exits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    exitText: {
      0: 'cut over: the run finished and verified',
      2: 'usage error, or the run has no replication slot to cut over from (resume it instead)',
      5: 'nothing to do: the run already finished (or was wiped)',
      9: 'the source schema changed while the run followed it (or since it began)',
    },
    example: 'pgclone cutover Qm3v --target postgresql://app@staging:5432/shop',
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
  export: {
    usage: 'pgclone export [RUN] --target URL [--output FILE]',
    summary: "The log's events as JSON lines, oldest first: every run's, or one run's — the record to keep before pgclone forget.",
    args: [{ ...RUN_ARG, text: `${RUN_ARG.text}; default: every run in the log` }],
    options: [TARGET, o('output', 'write them to FILE, a new file (one that exists is never overwritten)', 'FILE', 'stdout')],
    env: CONN_ENV,
    exits: READ_EXITS,
    example: 'pgclone export --target postgresql://app@staging:5432/shop --output shop-clone-log.jsonl',
  },
  forget: {
    usage: 'pgclone forget --target URL [--output FILE] [--yes | --dry-run]',
    summary:
      "Remove pgclone from a target whose runs all finished or were wiped: its log (schema pgclone) is dropped and reset the pgclone.state setting, so the database is the operator's and its pg_dump holds nothing of pgclone. Refuses while a run is unfinished or locked. On a terminal it asks; without one it needs --yes.",
    options: [
      TARGET,
      o('output', "first write every run's events to FILE, a new file, as pgclone export does", 'FILE', 'no copy'),
      o('yes', 'drop without asking (needed without a terminal)'),
      o('dry-run', 'say what would be dropped and write nothing'),
    ],
    env: CONN_ENV,
    exits: [0, 1, 2, 5, 6, 7, 8, 10],
    exitText: {
      0: 'the log is dropped (or, with --dry-run, described)',
      1: 'failed, or the question was answered no (nothing dropped)',
      2: 'usage error: bad arguments, FILE exists, or no terminal to ask on and no --yes',
      5: 'nothing to do: the target holds no pgclone log',
      7: 'refused: a run is interrupted or failed (resume it or wipe it first); nothing dropped',
      8: "refused: a process holds a run's lock; nothing dropped",
    },
    example: 'pgclone forget --target postgresql://app@staging:5432/shop --output shop-clone-log.jsonl',
  },
  watch: {
    usage: 'pgclone watch [RUN] --target URL [--source URL] [options]',
    summary:
      "The dashboard over the target's log, from any terminal: R resumes a stopped run, C asks a run that catches up to cut over, W wipes and restarts it, L shows its events, Q quits. Without a terminal: plain lines until no run is running.",
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
    options: [
      TARGET,
      o('speed', 'replay speed; 1 is real time', 'N', String(DEFAULT_REPLAY_SPEED)),
      o('json', 'without a terminal: one JSON event per line'),
      PLAIN,
    ],
    env: [...CONN_ENV, 'NO_COLOR: a dashboard without colour', 'CI: the log instead of the dashboard'],
    exits: READ_EXITS,
    example: 'pgclone replay Qm3v9x_Lk2PzT0aB7cD1e --target postgresql://app@staging:5432/shop --speed 50',
  },
  demo: {
    usage: 'pgclone demo [--no-interrupt] [--keep] [--plain] | pgclone demo --stop',
    summary: `The story on two embedded PostgreSQL 15 servers in a temporary folder: a storyboard app is cloned, stopped by a time limit once ${Math.round(STOP_AT * 100)} % of storyboard_panels is in (at the end of the batches in flight), shown interrupted, and resumed with R to a verified finish. The servers are removed at the end, on Ctrl-C, and (by the next demo) after a kill.`,
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
const COMMON: OptionDoc[] = [{ ...o('help', 'this help'), short: 'h' }, DEBUG];

export const EXIT_TEXT: Record<number, string> = {
  0: 'finished (and verified, unless --verify none)',
  1: 'failed: the run is recorded as failed and is resumable',
  2: 'usage error: bad arguments, a malformed URL, an unknown run id',
  3: 'stopped but resumable: the time budget was spent, transient failures outlasted the retries, or the dashboard was left while the run copied',
  4: 'verification mismatch: source and target row counts (or checksums) differ (resume of such a run says so again)',
  5: 'nothing to do: the run already finished (or was wiped)',
  6: 'cannot connect: unknown host, refused port, wrong password, missing database',
  7: 'preflight refused: nothing was written to the target',
  8: 'the run is locked: another process is working on it',
  9: 'resume refused: the source is another database, or its schema changed since the run began (or while catch-up or --follow applied its changes)',
  10: 'the log is corrupt: an event does not parse',
  11: "the retained-WAL guard dropped the run's replication slot (it held more than --max-retained-wal): wipe --restart to start again exact, or resume --no-catch-up to finish without catch-up",
  130: 'interrupted: Ctrl-C (SIGINT); the demo stops and removes its servers first',
};

type ParserOption = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

/** Every option for node:util parseArgs, from the commands' help: one with a value is a string. */
export function parserOptions(): Record<string, ParserOption> {
  const out: Record<string, ParserOption> = { version: { type: 'boolean', short: 'V' } };
  for (const c of Object.values(COMMANDS)) {
    for (const x of [...c.options, ...COMMON])
      out[x.name] ??= { type: x.arg ? 'string' : 'boolean', ...(x.repeatable ? { multiple: true } : {}), ...(x.short ? { short: x.short } : {}) };
  }
  return out;
}

/** The options `pgclone VERB` accepts. */
export function allowedOptions(verb: string): string[] | undefined {
  const c = COMMANDS[verb];
  return c ? [...c.options.map((x) => x.name), ...COMMON.map((x) => x.name)] : undefined;
}

function optionLines(opts: OptionDoc[]): string[] {
  const heads = opts.map((x) => `${x.short ? `-${x.short}, ` : ''}--${x.name}${x.arg ? ` ${x.arg}` : ''}`);
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
  lines.push('', 'exit codes:', ...c.exits.map((n) => `  ${String(n).padStart(2)}  ${c.exitText?.[n] ?? EXIT_TEXT[n]}`));
  lines.push('', 'example:', `  ${c.example}`);
  return lines.join('\n');
}

export function mainHelp(): string {
  const lines = [`pgclone ${TOOL_VERSION} — clone a PostgreSQL database into another, resumable from an event log in the target`, '', 'usage:'];
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage}`);
  lines.push(
    '',
    "pgclone COMMAND --help tells a command's options, their defaults, the environment it reads and its exit codes.",
    'URL: postgresql://user[:password]@host:port/db?sslmode=… or host=… port=… dbname=… user=…; PGHOST, PGPORT,',
    'PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE and ~/.pgpass fill in what it leaves out.',
    '',
    'exit codes:',
    ...Object.entries(EXIT_TEXT).map(([n, t]) => `  ${n.padStart(2)}  ${t}`),
    '',
    'example:',
    '  pgclone clone --source postgresql://app@prod/shop --target postgresql://app@staging/shop',
    '',
    '--version (-V) prints the version.',
  );
  return lines.join('\n');
}

/** Edit distance (insert, delete, replace, swap two neighbours): how far a typo is from an option. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}

/** The closest of `names` to `typed`: one it starts, or within a third of its length; none when nothing is close. */
export function closest(typed: string, names: string[]): string | undefined {
  const prefixed = names.filter((n) => n.startsWith(typed));
  if (typed.length >= 2 && prefixed.length === 1) return prefixed[0];
  let best: { n: string; d: number } | undefined;
  for (const n of names) {
    const d = distance(typed, n);
    if (d <= Math.max(1, Math.floor(n.length / 3)) && (!best || d < best.d)) best = { n, d };
  }
  return best?.n;
}

/** The command the arguments name (the first word that is one), for its usage line. */
export function verbOf(argv: string[]): string | undefined {
  return argv.find((a) => COMMANDS[a] !== undefined);
}

/** "(did you mean status?)" after an unknown command, or nothing. */
export function commandSuggestion(typed: string): string {
  const c = closest(typed, Object.keys(COMMANDS));
  return c ? ` (did you mean ${c}?)` : '';
}

/**
 * node:util parseArgs's error, told in pgclone's words: what was wrong, the nearest option when one was
 * mistyped, and on a second line the command's usage.
 */
export function argumentError(argv: string[], e: { code?: string; message: string }): string {
  const verb = verbOf(argv);
  const names = verb ? (allowedOptions(verb) ?? []) : Object.keys(parserOptions());
  const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? '';
  const long = /--([A-Za-z0-9-]+)/.exec(quoted)?.[1];
  const doc = long ? [...Object.values(COMMANDS).flatMap((c) => c.options), ...COMMON].find((x) => x.name === long) : undefined;
  let line: string;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const typed = quoted.replace(/^-+/, '').split('=')[0] ?? '';
    const near = quoted.startsWith('--') ? closest(typed, names) : undefined;
    line = `unknown option ${quoted}${near ? ` (did you mean --${near}?)` : ''}`;
  } else if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /does not take an argument/.test(e.message)) {
    line = `--${long} takes no value`;
  } else if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // missing at the end, or "ambiguous": the next word starts with a dash (write --source=-x for a value that does)
    line = `--${long} needs a value${doc?.arg ? ` (${doc.arg})` : ''}`;
  } else {
    line = e.message.split('\n')[0] ?? 'bad arguments';
  }
  const usage = verb ? COMMANDS[verb]?.usage : undefined;
  return `${line}\nusage: ${usage ?? 'pgclone COMMAND [options] (pgclone --help lists the commands)'}`;
}
