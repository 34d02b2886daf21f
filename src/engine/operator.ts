// Who starts a run and what it is called: the operator (user, host, pid) and new run ids.
import { hostname, userInfo } from 'node:os';
import { customAlphabet } from 'nanoid';
import type { Operator } from '../events/schemas.js';

/**
 * Run ids: 21 letters and digits. nanoid's default alphabet has "-" and "_", and an id that starts with
 * "-" reads as an option on the command line (found by the torture suite: `pgclone resume -x…`).
 */
export const newRunId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 21);

export function operator(): Operator {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return { user, host: hostname(), pid: process.pid };
}
