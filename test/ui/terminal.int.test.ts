// The dashboard in a real terminal (tmux): R resumes an interrupted run to finished; W, then y, wipes it and starts a new run.
import { beforeAll, describe, expect, it } from 'vitest';
import { compareDatabases } from '../helpers/compare.js';
import { BIN, runCli, runIdOf, runUntil } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { bulkSql } from '../fixtures/fidelity.js';
import { tmuxTerminals } from '../helpers/tmux.js';

const t = tmuxTerminals('pgclone-test');
const { tmux } = t;
const openTerminal = t.open;
const screenUntil = (session: string, re: RegExp, timeoutMs?: number) => t.screenUntil(session, re, { timeoutMs });

let source: TestDb;
beforeAll(async () => {
  source = await createTestDb('tty_src');
  await source.query(bulkSql(80_000));
  await source.query(`CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT i, 'n' || i FROM generate_series(1, 300) i;`);
});

async function interrupted(): Promise<{ target: TestDb; runId: string }> {
  const target = await createTestDb('tty_dst');
  const r = await runUntil(
    ['clone', '--source', source.url, '--target', target.url, '--batch-size', '512kB', '--jobs', '1'],
    (ev, seen) => ev.type === 'BatchCopied' && seen.filter((e) => e.type === 'BatchCopied').length === 3,
  );
  expect(r.killed).toBe(true);
  return { target, runId: runIdOf(r.events) };
}

describe('the dashboard in tmux', () => {
  it('shows the interrupted run with where it stopped; R resumes it to finished', async () => {
    const { target, runId } = await interrupted();
    const s = openTerminal([process.execPath, BIN, 'watch', '--target', target.url, '--source', source.url]);
    const before = await screenUntil(s, /Interrupted in data at public\.bulk — [\d,]+ \/ [\d,]+ rows \(\d+ %\)/);
    expect(before).toContain(runId);
    expect(before).toMatch(/R resume/);
    for (const line of before.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    tmux('send-keys', '-t', s, 'R');
    const after = await screenUntil(s, new RegExp(`${runId}\\s+finished`));
    expect(after).toMatch(/verif\w* pass/);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
  }, 180_000);

  it('W asks first, lists what will be dropped; y wipes and a new run finishes', async () => {
    const { target, runId } = await interrupted();
    const s = openTerminal([process.execPath, BIN, 'watch', '--target', target.url, '--source', source.url]);
    await screenUntil(s, /Interrupted in data/);
    tmux('send-keys', '-t', s, 'W');
    const confirm = await screenUntil(s, /press y/i);
    expect(confirm).toMatch(/public\.bulk/);
    tmux('send-keys', '-t', s, 'y');
    await screenUntil(s, /2 runs/);
    const done = await screenUntil(s, /finished/);
    expect(done).toMatch(new RegExp(`${runId}\\s+wiped`));
    const status = (await runCli(['status', '--target', target.url, '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(status.map((x) => x.state)).toEqual(['wiped', 'finished']);
    expect(await compareDatabases(source.url, target.url)).toEqual([]);
  }, 180_000);
});

describe('the demo in a terminal', () => {
  it('`npm run demo`: the clone is stopped part way and shown interrupted in storyboard_panels; R resumes it to a verified finish', async () => {
    const s = openTerminal(['npm', 'run', 'demo']);
    const alert = await screenUntil(s, /Interrupted in data at public\.storyboard_panels — [\d,]+ \/ ~?2,430 rows \(\d+ %\)/, 180_000);
    const pct = Number(/2,430 rows \((\d+) %\)/.exec(alert)?.[1]);
    expect(pct).toBeGreaterThanOrEqual(29);
    expect(pct).toBeLessThan(50);
    expect(alert).toMatch(/Stopped cleanly .* the function hit its time limit/);
    expect(alert).toMatch(/R resume · W wipe and restart/);
    tmux('send-keys', '-t', s, 'R');
    await screenUntil(s, /^EXIT=\d+/m, 180_000);
    const all = tmux('capture-pane', '-p', '-J', '-S', '-400', '-t', s);
    expect(all).toMatch(/^EXIT=0$/m);
    // lines longer than the terminal wrap between words (a word or a URL cut in two would not)
    expect(all).toMatch(/starting two PostgreSQL 15 servers \(embedded, temporary\): source on port \d+,\s+target on port \d+/);
    expect(all).toMatch(/users,\s+projects,\s+storyboards,\s+storyboard_panels,\s+comments/);
    expect(all).toMatch(/finished: 5 tables, 152,960 rows, 1\.\d GB; 16 indexes\/constraints; 5 sequences/);
    expect(all).toMatch(/planner statistics: 5 tables analyzed on the target/);
    expect(all).toMatch(/verified: row counts equal in source and target, table by table/);
    expect(all).toMatch(/2 attempts,\s+.*\s+of\s+work:\s+.*\s+until\s+the\s+time\s+limit,\s+.*\s+after\s+the\s+resume/);
    expect(all).toMatch(/the demo's servers are stopped and removed now/);
    expect(all).not.toMatch(/npx pgclone replay/);
  }, 400_000);
});

describe('the dashboard on a resize, and on a dumb terminal', () => {
  /** The screen once it shows the frame for `width` with nothing left over: one header, at the top, no line wider. */
  async function cleanFrameAt(session: string, width: number): Promise<string> {
    const deadline = Date.now() + 20_000;
    let screen = '';
    while (Date.now() < deadline) {
      screen = tmux('capture-pane', '-p', '-t', session);
      const lines = screen.split('\n');
      const headers = lines.filter((l) => l.startsWith('pgclone · watching')).length;
      if (headers === 1 && lines[0]?.startsWith('pgclone · watching') && lines.every((l) => l.length <= width) && /verification\s+passed/.test(screen))
        return screen;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`the screen never showed one clean frame at ${width} columns; it shows:\n${screen}`);
  }

  it('80 × 24 → 60 × 20 → 100 × 30: after each resize one frame, from the top, with no fragment of the old one', async () => {
    const target = await createTestDb('tty_resize');
    expect((await runCli(['clone', '--source', source.url, '--target', target.url])).code).toBe(0);
    const s = openTerminal([process.execPath, BIN, 'watch', '--target', target.url]);
    await screenUntil(s, /verification\s+passed/);
    await cleanFrameAt(s, 80);
    tmux('resize-window', '-t', s, '-x', '60', '-y', '20');
    const narrow = await cleanFrameAt(s, 60);
    expect(narrow).toMatch(/Data 100 %/);
    tmux('resize-window', '-t', s, '-x', '100', '-y', '30');
    await cleanFrameAt(s, 100);
  }, 180_000);

  it('TERM=dumb gets plain lines, like a pipe, not the full-screen UI', async () => {
    const target = await createTestDb('tty_dumb');
    expect((await runCli(['clone', '--source', source.url, '--target', target.url])).code).toBe(0);
    const s = openTerminal([process.execPath, BIN, 'watch', '--target', target.url], ['TERM=dumb']);
    expect(await screenUntil(s, /EXIT=\d+/)).toMatch(/EXIT=0/);
    // watch without a terminal prints the log and ends; the whole of it, scrolled-off lines included
    const screen = tmux('capture-pane', '-p', '-S', '-', '-t', s);
    expect(screen).toMatch(/^run \S+: /m);
    expect(screen).toMatch(/^finished in/m);
    expect(screen).not.toContain('pgclone · watching');
    expect(screen).not.toContain('▶');
  }, 180_000);
});

describe('the dashboard when a clone is refused', () => {
  it('closes and prints the refusal and its exit code (source = target: 7)', async () => {
    const s = openTerminal([process.execPath, BIN, 'clone', '--source', source.url, '--target', source.url]);
    const screen = await screenUntil(s, /EXIT=\d+/);
    expect(screen).toMatch(/EXIT=7/);
    expect(screen).toMatch(/pgclone: .*same database/);
  }, 120_000);
});

describe('without a terminal', () => {
  it('a piped clone prints plain lines — no escape codes — and exits 0; watch on a pipe prints the log and exits', async () => {
    const target = await createTestDb('pipe_dst');
    const r = await runCli(['clone', '--source', source.url, '--target', target.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
    expect(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .every((l) => /^\d\d:\d\d:\d\d /.test(l)),
    ).toBe(true);
    expect(r.stdout).toMatch(/finished in/);
    const w = await runCli(['watch', '--target', target.url]);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toMatch(/run \S+: .* → /);
    expect(w.stdout).toMatch(/finished in/);
    // a terminal inside CI (CI=true) gets the same plain lines, and watch exits instead of waiting for keys
    const s = openTerminal([process.execPath, BIN, 'watch', '--target', target.url], ['CI=true']);
    const screen = await screenUntil(s, /EXIT=\d+/);
    expect(screen).toMatch(/EXIT=0/);
    expect(screen).toMatch(/finished in/);
  }, 120_000);
});
