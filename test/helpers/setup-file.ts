// Every test file drops the databases it created.
import { afterAll } from 'vitest';
import { dropAllTestDbs } from './db.js';

afterAll(async () => {
  await dropAllTestDbs();
});
