// Who starts a run and what it is called: the operator (user, host, pid) and new run ids.
import { hostname, userInfo } from 'node:os';
import { customAlphabet } from 'nanoid';
import type { Operator } from '../events/schemas.js';

/**
 * Run ids: 21 letters and digits. nanoid's default alphabet has "-" and "_", and an id that starts with
 * "-" reads as an option on the command line (found by the torture suite: `pgclone resume -x…`).
 */
export const newRunId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 21);

/** A text the runtime may not have (a Worker's node:os answers undefined or empty): else 'unknown'. */
function known(read: () => unknown): string {
  try {
    const v = read();
    return typeof v === 'string' && v !== '' ? v : 'unknown';
  } catch {
    return 'unknown'; // no passwd entry
  }
}

export function operator(): Operator {
  const pid = typeof process !== 'undefined' && Number.isInteger(process.pid) ? process.pid : 0;
  return { user: known(() => userInfo().username), host: known(hostname), pid };
}
