// The library's short reads of a target's log, on a connection of their own (kept out of the public types: they name pg).
import type pg from 'pg';
import { MalformedEventError } from '../../events/codec.js';
import { PgcloneError } from '../errors.js';
import { closeClient, openClient } from '../pg/connect.js';
import type { ConnInfo } from '../pg/conninfo.js';

/** A client on the target for reading the log; a log that does not parse is a typed error. */
export async function readingTarget<T>(target: ConnInfo, read: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = await openClient(target, { side: 'target', purpose: 'status' });
  try {
    return await read(db);
  } catch (e) {
    if (e instanceof MalformedEventError) throw new PgcloneError('corrupt-log', e.message, null, { cause: e });
    throw e;
  } finally {
    await closeClient(db);
  }
}
