// The commands pgclone suggests to an operator, built from what the log recorded so they run as printed — never a password.
import type { ConnectionIdentity } from './schemas.js';
import type { RunState } from './state.js';

/** A word as a POSIX shell reads it back unchanged: bare when it is plainly safe, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return quoted(word);
}

/** Always in single quotes (a URL: its ? and & would otherwise matter to the shell, and a quoted one reads as one word). */
function quoted(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A postgresql:// URL for a recorded identity: host, port, database and user, never a password (none is
 * recorded; PGPASSWORD or ~/.pgpass supply it, as they did for the run). A socket directory goes in ?host=.
 */
export function identityUrl(id: Pick<ConnectionIdentity, 'host' | 'port' | 'database' | 'user'>): string {
  const enc = encodeURIComponent;
  const socket = id.host.startsWith('/');
  const host = socket ? '' : id.host.includes(':') ? `[${id.host}]` : enc(id.host);
  return `postgresql://${enc(id.user)}@${host}:${id.port}/${enc(id.database)}${socket ? `?host=${enc(id.host)}` : ''}`;
}

export type SuggestedVerb = 'resume' | 'wipe' | 'status' | 'log' | 'watch' | 'replay' | 'cutover';

/**
 * `pgclone VERB RUN --target URL [extra…]` for a run, from its recorded target. No --source: a resume or a
 * restart defaults to the run's recorded source identity (host, port, database, user) — the same URL
 * printed here would add nothing, and the password, the one thing it could add, must never be printed.
 */
export function suggest(verb: SuggestedVerb, state: Pick<RunState, 'runId' | 'target'>, extra: string[] = [], program = 'pgclone'): string {
  const target = ['--target', quoted(identityUrl(state.target)), ...extra.map(shellQuote)];
  // an id of an older log may start with "-", which would read as an option: it goes after "--"
  const words = state.runId.startsWith('-') ? [program, verb, ...target, '--', shellQuote(state.runId)] : [program, verb, shellQuote(state.runId), ...target];
  return words.join(' ');
}

/** The file name the suggested forget exports to. */
export const LOG_FILE = 'pgclone-log.jsonl';

/**
 * `pgclone forget --target URL --output pgclone-log.jsonl`: every run's events kept in a file, then the log removed
 * from the target (a command of the target, not of one run: it refuses while any run is unfinished).
 */
export function suggestForget(state: Pick<RunState, 'target'>, program = 'pgclone'): string {
  return [program, 'forget', '--target', quoted(identityUrl(state.target)), '--output', LOG_FILE].join(' ');
}
