// Every object kind of the fidelity fixture, each a named case, cloned by the built-in schema engine (the default)
// and held to both referees: the catalog referee (its own queries, every version) and pg_dump where one can read
// the server. A kind the engine forgot cannot pass: the referee sees it on the source and not on the target.
import { beforeAll, describe, expect, it } from 'vitest';
import { compareDatabases, serverMajor, type Difference } from '../helpers/compare.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { createTestDb, serverUrl, type TestDb } from '../helpers/db.js';
import { FIDELITY_SECRETS_SQL, fidelityCases, fidelitySql } from '../fixtures/fidelity.js';

let source: TestDb;
let target: TestDb;
let clone: CliResult;
let diffs: Difference[];
/** the test server's major: the cases it can hold */
const major = await serverMajor(serverUrl());

beforeAll(async () => {
  source = await createTestDb('kinds_src');
  await source.query(fidelitySql(major));
  target = await createTestDb('kinds_dst');
  clone = await runCli(['clone', '--source', source.url, '--target', target.url, '--verify', 'checksum', '--plain']);
  // pgclone never copies a secret: the user mapping comes without its password, and says so; the operator adds it
  await target.query(FIDELITY_SECRETS_SQL);
  diffs = await compareDatabases(source.url, target.url);
}, 300_000);

describe('every kind, built-in engine', () => {
  it('the clone finishes verified, and says the user mapping came without its password', () => {
    expect(clone.stderr).toBe('');
    expect(clone.code, clone.stdout).toBe(0);
    expect(clone.stdout).toMatch(/verification passed/);
    expect(clone.stdout).toMatch(/user mapping for k_reader on server k_fdw_srv.*password/);
  });

  it.each(fidelityCases(major).map((c) => [c.name, c.objects] as const))('%s', (_name, prefix) => {
    const mine = diffs.filter((d) => d.what.includes(prefix));
    expect(mine).toEqual([]);
  });

  it('nothing differs anywhere, to the catalog referee and to pg_dump', () => {
    expect(diffs).toEqual([]);
  });
});
