// pgclone demo: the serverless story on an embedded PostgreSQL — a clone killed at 29 %, found interrupted, resumed to the end.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tableKey } from '../events/codec.js';
import { evolve } from '../events/fold.js';
import { classifyRun } from '../events/liveness.js';
import { PgcloneEvent, type LoggedEvent } from '../events/schemas.js';
import type { FoldState } from '../events/state.js';
import { readRun, readRunLocks } from '../events/store.js';
import { foldRun } from '../events/fold.js';
import { closeClient, openClient } from '../engine/connect.js';
import { parseConnString, type ConnInfo } from '../engine/conninfo.js';
import { DEFAULT_SETTINGS } from '../engine/context.js';
import { startEmbedded } from '../engine/embedded.js';
import { EXIT } from '../engine/errors.js';
import { resumeRun } from '../engine/run.js';
import { formatInt, whereStopped } from '../ui/format.js';
import { secretsOf, type Flags, type Output } from './common.js';
import { exitFor, textObserver } from './run-output.js';

export const DEMO_SCHEMA = `
CREATE TYPE panel_state AS ENUM ('draft', 'review', 'final');
CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL);
CREATE TABLE projects (id serial PRIMARY KEY, owner_id bigint NOT NULL REFERENCES users (id), title text NOT NULL, created timestamptz NOT NULL DEFAULT now());
CREATE TABLE storyboard_panels (
  id bigserial PRIMARY KEY,
  project_id int NOT NULL REFERENCES projects (id),
  position int NOT NULL,
  state panel_state NOT NULL DEFAULT 'draft',
  script text NOT NULL,
  meta jsonb NOT NULL DEFAULT '{}',
  UNIQUE (project_id, position)
);
CREATE TABLE assets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), panel_id bigint REFERENCES storyboard_panels (id), bytes bytea NOT NULL);
CREATE INDEX panels_state_idx ON storyboard_panels (state) WHERE state <> 'final';
INSERT INTO users (email, name) SELECT 'user' || i || '@example.com', 'User ' || i FROM generate_series(1, 40) i;
INSERT INTO projects (owner_id, title) SELECT 1 + (i % 40), 'Project ' || i FROM generate_series(1, 120) i;
INSERT INTO storyboard_panels (project_id, position, state, script, meta)
  SELECT 1 + (i % 120), i, (ARRAY['draft', 'review', 'final']::panel_state[])[1 + i % 3],
         repeat('Scene ' || i || ': the camera pans across the skyline. ', 40), jsonb_build_object('shot', i, 'tags', jsonb_build_array('wide', 'dusk'))
    FROM generate_series(1, 2430) i;
INSERT INTO assets (panel_id, bytes) SELECT 1 + (i % 2430), decode(repeat(md5(i::text), 64), 'hex') FROM generate_series(1, 1800) i;
`;

async function exec(info: ConnInfo, sql: string): Promise<void> {
  const c = await openClient(info, { side: 'source', purpose: 'demo' });
  try {
    await c.query(sql);
  } finally {
    await closeClient(c);
  }
}

async function counts(info: ConnInfo): Promise<Record<string, number>> {
  const c = await openClient(info, { side: 'target', purpose: 'demo' });
  try {
    const r = await c.query<{ t: string; n: string }>(
      `SELECT 'users' AS t, count(*) AS n FROM public.users UNION ALL SELECT 'projects', count(*) FROM public.projects
       UNION ALL SELECT 'storyboard_panels', count(*) FROM public.storyboard_panels UNION ALL SELECT 'assets', count(*) FROM public.assets`,
    );
    return Object.fromEntries(r.rows.map((x) => [x.t, Number(x.n)]));
  } finally {
    await closeClient(c);
  }
}

/** Run `pgclone clone` as a child and SIGKILL it once storyboard_panels is at least 29 % copied. */
async function cloneAndKill(source: ConnInfo, target: ConnInfo, password: string, out: Output): Promise<string> {
  const url = (i: ConnInfo) => `postgresql://${i.user}@${i.host}:${i.port}/${i.database}`;
  const args = [...process.execArgv, process.argv[1] as string, 'clone', '--source', url(source), '--target', url(target), '--json', '--batch-size', '128kB', '--jobs', '1'];
  const child = spawn(process.execPath, args, { env: { ...process.env, PGPASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] });
  let state: FoldState = null;
  let killedAt: string | null = null;
  const panels = tableKey({ schema: 'public', name: 'storyboard_panels' });
  const lines = createInterface({ input: child.stdout });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  lines.on('line', (line) => {
    if (killedAt) return;
    let ev: LoggedEvent;
    try {
      const raw = JSON.parse(line) as { id: number };
      ev = { ...PgcloneEvent.parse(raw), id: raw.id };
    } catch {
      return;
    }
    state = evolve(state, ev);
    const t = state.tables[panels];
    if (t && t.exactRows && t.rowsDone / t.exactRows >= 0.29) {
      child.kill('SIGKILL');
      killedAt = `${formatInt(t.rowsDone)} of ${formatInt(t.exactRows)} storyboard_panels rows`;
    }
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  if (!killedAt || !state) throw new Error(`the demo clone ended before the kill (exit ${code}): ${stderr.trim()}`);
  out.line(`  … SIGKILL after ${killedAt} — like a serverless function hitting its time limit`);
  return (state as { runId: string }).runId;
}

export async function demoCommand(flags: Flags, out: Output): Promise<number> {
  out.line('pgclone demo — starting an embedded PostgreSQL 15 (a temporary cluster, removed at the end)');
  const server = await startEmbedded({ label: 'demo' });
  try {
    const admin = parseConnString(server.url, 'demo');
    out.addSecrets(secretsOf(admin));
    const source = { ...admin, database: 'demo_source' };
    const target = { ...admin, database: 'demo_target' };
    await exec(admin, 'CREATE DATABASE demo_source');
    await exec(admin, 'CREATE DATABASE demo_target');
    await exec(source, `SET search_path = public; ${DEMO_SCHEMA}`);
    const src = await counts(source);
    out.line(`source demo_source: ${Object.entries(src).map(([t, n]) => `${t} ${formatInt(n)}`).join(', ')} rows`);

    out.line('\n1. pgclone clone demo_source → demo_target, killed partway:');
    const runId = await cloneAndKill(source, target, server.password, out);

    out.line('\n2. what the target’s log says (pgclone status):');
    const db = await openClient(target, { side: 'target', purpose: 'demo' });
    try {
      const state = foldRun(await readRun(db, runId));
      const holder = (await readRunLocks(db, [runId])).get(runId) ?? null;
      const c = classifyRun(state, holder, new Date());
      out.line(`  run ${runId}: ${c.state} — nobody holds its lock, so it is known dead at once`);
      out.line(`  stopped in ${whereStopped(state)}`);
    } finally {
      await closeClient(db);
    }

    out.line(`\n3. pgclone resume ${runId}: only what the log does not record is done`);
    const observer = textObserver(flags.json === true ? 'json' : 'plain', { ...out, line: (l) => out.line(`  ${l}`) });
    let code: number;
    try {
      code = exitFor(await resumeRun({ target, source, runId, settings: DEFAULT_SETTINGS }, observer));
    } finally {
      observer.stop();
    }
    const dst = await counts(target);
    out.line('\n4. source and target, table by table:');
    for (const [t, n] of Object.entries(src)) out.line(`  ${t.padEnd(18)} source ${formatInt(n).padStart(6)}  target ${formatInt(dst[t] ?? 0).padStart(6)}  ${n === dst[t] ? 'equal' : 'DIFFERENT'}`);
    const equal = Object.entries(src).every(([t, n]) => dst[t] === n);
    out.line(equal ? '\nno row lost, none duplicated. Try it on your own databases: pgclone clone --source URL --target URL' : '\nthe demo found a difference: please report it');
    return equal ? code : EXIT.verifyMismatch;
  } finally {
    await server.stop();
  }
}

