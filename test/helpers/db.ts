// Fresh databases for each test on the test server (or another server by URL), dropped when the file's tests are done.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inject } from 'vitest';
import { connect, createDatabase, databaseName, dropDatabase, withDatabase } from './pg.js';

export { connect };

export interface TestDb {
  name: string;
  url: string;
  /** run SQL and return rows */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** a connected client the caller must end */
  client(): Promise<pg.Client>;
}

/** database name → the URL of the server it is on */
const created = new Map<string, string>();

export function serverUrl(): string {
  return inject('pgUrl');
}

export function urlFor(database: string, base = serverUrl()): string {
  return withDatabase(base, database);
}

export async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResultRow[]> {
  const c = await connect(serverUrl());
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** `base`: a server other than the test server (test/helpers/majors.ts), its URL to any database. */
export async function createTestDb(label = 'db', base = serverUrl()): Promise<TestDb> {
  const name = databaseName(label);
  const url = await createDatabase(base, name);
  created.set(name, base);
  return {
    name,
    url,
    async query(sql, params = []) {
      const c = await connect(url);
      try {
        return (await c.query(sql, params)).rows;
      } finally {
        await c.end();
      }
    },
    client: () => connect(url),
  };
}

export async function dropTestDb(name: string): Promise<void> {
  await dropDatabase(created.get(name) ?? serverUrl(), name);
  created.delete(name);
}

export async function dropAllTestDbs(): Promise<void> {
  for (const name of created.keys()) await dropTestDb(name);
}

/** The server at `base` is going away with its databases: nothing of it is left to drop. */
export function forgetTestDbsOn(base: string): void {
  for (const [name, b] of created) if (b === base) created.delete(name);
}

export interface TestRole {
  name: string;
  /** a URL for this role to a database of the test server */
  url(database: string): string;
  drop(): Promise<void>;
}

/** A login role with a password (the embedded server asks for one; a trusting server ignores it). */
export async function createLoginRole(prefix: string, attributes = ''): Promise<TestRole> {
  const name = `${prefix}_${randomBytes(3).toString('hex')}`;
  const password = randomBytes(8).toString('hex');
  await adminQuery(`CREATE ROLE ${name} LOGIN PASSWORD '${password}' ${attributes}`);
  return {
    name,
    url(database) {
      const u = new URL(urlFor(database));
      u.username = name;
      u.password = password;
      return u.toString();
    },
    async drop() {
      for (const [db, base] of created) {
        if (base !== serverUrl()) continue;
        const c = await connect(urlFor(db)).catch(() => null);
        if (!c) continue;
        await c.query(`DROP OWNED BY ${name}`).catch(() => undefined);
        await c.end();
      }
      await adminQuery(`DROP ROLE IF EXISTS ${name}`);
    },
  };
}
