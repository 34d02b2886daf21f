// Opening a connection is bounded end to end: a network cut between the handshake and the first query
// (the session settings) fails within the connect timeout, retryable, instead of waiting forever.
import { describe, expect, it } from 'vitest';
import { openClient, closeClient } from '../../src/engine/pg/connect.js';
import { parseConnString } from '../../src/engine/pg/conninfo.js';
import { PgcloneError } from '../../src/engine/errors.js';
import { serverUrl } from '../helpers/db.js';
import { CuttableProxy } from '../torture/proxy.js';

describe('openClient', () => {
  it('a cut right after the handshake fails within the connect timeout, retryable; a whole network connects', async () => {
    const real = new URL(serverUrl());
    const proxy = new CuttableProxy(real.hostname, Number(real.port || 5432));
    await proxy.listen();
    try {
      const via = new URL(real.toString());
      via.port = String(proxy.port);
      const info = parseConnString(via.toString(), 'target');

      const ok = await openClient(info, { side: 'target', purpose: 'test', connectTimeoutMs: 1000 });
      expect((await ok.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
      await closeClient(ok);

      proxy.cutAtFirstQuery();
      const t0 = Date.now();
      const err = await openClient(info, { side: 'target', purpose: 'test', connectTimeoutMs: 1000 }).then(
        () => null,
        (e: unknown) => e,
      );
      const waited = Date.now() - t0;
      expect(err).toBeInstanceOf(PgcloneError);
      expect((err as PgcloneError).retryable).toBe(true);
      expect((err as PgcloneError).message).toMatch(/did not answer for 1 s after connecting/);
      expect(waited).toBeLessThan(5000);
    } finally {
      proxy.restore();
      await proxy.close();
    }
  });
});
