// Liveness end to end: a process holding a run's lock is running; SIGKILLed, it reads as interrupted at once.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { classifyRun, foldRun, readRun, readRunLocks } from '../../src/events/index.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

const holderScript = fileURLToPath(new URL('../fixtures/lock-holder.ts', import.meta.url));

let db: TestDb;
let reader: pg.Client;
beforeAll(async () => {
  db = await createTestDb('liveness');
  reader = await db.client();
});
afterAll(async () => {
  await reader.end();
});

async function classify(runId: string) {
  const state = foldRun(await readRun(reader, runId));
  const holder = (await readRunLocks(reader, [runId])).get(runId) ?? null;
  return classifyRun(state, holder, new Date());
}

describe('liveness from the lock', () => {
  it('a SIGKILLed engine is classified interrupted within 2 seconds', async () => {
    const runId = 'run_kill_me';
    const child = spawn(process.execPath, ['--import', 'tsx', holderScript, db.url, runId], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => String(d).includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`holder exited ${code}: ${err}`)));
    });

    const alive = await classify(runId);
    expect(alive.state).toBe('running');
    expect(alive.holder?.clientPid).toBe(child.pid);

    const killedAt = Date.now();
    child.kill('SIGKILL');
    let state = alive.state;
    while (state !== 'interrupted' && Date.now() - killedAt < 5000) {
      await new Promise((r) => setTimeout(r, 50));
      state = (await classify(runId)).state;
    }
    const elapsed = Date.now() - killedAt;
    expect(state).toBe('interrupted');
    expect(elapsed).toBeLessThan(2000);
  });
});
