// The Supabase Edge Function example, short version: the real handler under Deno, invoked through the local platform
// (test/serverless/platform.ts) on the demo's storyboard dataset with small images, cut by the guillotine — once at a
// clean stop, once by SIGKILL mid-batch — re-invoked until finished and compared row for row. The first cut falls
// inside storyboard_panels by construction (the brake, log-gate.ts), never by the machine's speed.
import { beforeAll, describe, expect, it } from 'vitest';
import { demoSql } from '../../src/commands/demo.js';
import { BIN } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { tmuxTerminals } from '../helpers/tmux.js';
import { PANELS, runStory, runUninterrupted, type StoryResult } from './story.js';

/** 2,430 panels of 64 kB: storyboard_panels ≈ 160 MB, ten 16 MB batches — more than the four the brake may let through (two when it closes, two more when it opens) */
const IMAGE_KB = 64;
const MB = 1024;
const t = tmuxTerminals('pgclone-edge');

let source: TestDb;
beforeAll(async () => {
  source = await createTestDb('edge_src');
  await source.query(`BEGIN; SET LOCAL search_path = public; ${demoSql(IMAGE_KB)} COMMIT;`);
}, 300_000);

const show = (r: StoryResult) =>
  `${r.shape}: ${r.invocations.length} invocations (${r.invocations.map((i) => `${i.end}${i.report ? ` ${i.report.outcome}` : ''}`).join(', ')}), ` +
  `${(r.workMs / 1000).toFixed(1)} s of work, peak RSS ${(r.peakRssKb / MB).toFixed(0)} MB, CPU ${(r.cpuMs / 1000).toFixed(1)} s; first cut ${JSON.stringify(r.firstCut)}`;

function expectVerifiedFinish(r: StoryResult): void {
  expect(r.invocations.length).toBeGreaterThanOrEqual(2);
  expect(r.invocations.at(-1)?.report?.outcome).toBe('finished');
  expect(r.invocations.slice(0, -1).every((i) => i.report?.outcome !== 'finished')).toBe(true);
  // the first invocation stopped with storyboard_panels part copied, as in the story
  expect(r.firstCut.phase).toBe('data');
  expect(r.firstCut.panelsRows).toBeGreaterThan(0);
  expect(r.firstCut.panelsRows).toBeLessThan(r.firstCut.panelsTotal);
  expect(r.firstCut.panelsTotal).toBe(2430);
  // nothing lost, nothing twice: the target equals the source, and holds exactly what its log says
  expect(r.differences).toEqual([]);
  expect(r.logProblems).toEqual([]);
  // the platform's memory limit
  expect(r.peakRssKb).toBeGreaterThan(0);
  expect(r.peakRssKb).toBeLessThanOrEqual(256 * MB);
}

describe('examples/supabase-edge-function under Deno, through the local platform', () => {
  it('uninterrupted: one invocation with no limit clones it all (the yardstick)', async () => {
    const target = await createTestDb('edge_once');
    const inv = await runUninterrupted(source.url, target.url);
    console.log(
      `uninterrupted: 1 invocation, ${(inv.wallMs / 1000).toFixed(1)} s, peak RSS ${(inv.peakRssKb / MB).toFixed(0)} MB, CPU ${(inv.cpuMs / 1000).toFixed(1)} s`,
    );
    expect(inv.end).toBe('reported');
    expect(inv.peakRssKb).toBeLessThanOrEqual(256 * MB);
  }, 300_000);

  it('clean stop: the budget ends before the limit; the function suspends at a boundary and invokes itself until finished', async () => {
    const target = await createTestDb('edge_clean');
    const r = await runStory({
      source: source.url,
      target: target.url,
      shape: 'clean',
      wallLimitMs: 30_000,
      handlerWallMs: 30_000,
      handlerMarginMs: 15_000,
      maxInvocations: 8,
      brake: true,
    });
    console.log(show(r));
    expectVerifiedFinish(r);
    // no invocation met the guillotine: each one stopped itself and the next was its own doing
    expect(r.invocations.every((i) => i.end === 'reported')).toBe(true);
    expect(r.firstCut.how).toBe('suspended');
    expect(r.invocations[0]?.report?.next).toBe('invoked');
    expect(r.invocations.slice(1).every((i) => i.trigger === 'self')).toBe(true);
  }, 400_000);

  it('SIGKILL mid-batch: the guillotine falls on a batch in flight; the dashboard shows the run interrupted in storyboard_panels; later invocations finish it', async () => {
    const target = await createTestDb('edge_kill');
    let screen = '';
    const r = await runStory({
      source: source.url,
      target: target.url,
      shape: 'sigkill',
      wallLimitMs: 20_000,
      // the free plan's 150 s against a 20 s limit: the function never stops itself in time
      handlerWallMs: 150_000,
      handlerMarginMs: 20_000,
      maxInvocations: 8,
      brake: true,
      afterFirst: async () => {
        const s = t.open([process.execPath, BIN, 'watch', '--target', target.url]);
        screen = await t.screenUntil(s, /Interrupted in data at public\.storyboard_panels — [\d,]+ \/ ~?2,430 rows \(\d+ %\)/, { timeoutMs: 60_000 });
        t.tmux('kill-session', '-t', s);
      },
    });
    console.log(show(r));
    console.log(`the dashboard after the first invocation:\n${screen}`);
    expectVerifiedFinish(r);
    expect(r.invocations[0]?.end).toBe('killed');
    expect(r.firstCut.how).toBe('killed');
    // mid-batch: at the kill a storyboard_panels batch was copied into the target and not yet committed
    expect(r.inFlightAtKill).toBeGreaterThanOrEqual(1);
    expect(r.firstCut.table).toBe(PANELS);
    // the overlapping request found the run held and did nothing: a normal answer, with who holds it
    expect(r.overlap?.report?.outcome).toBe('locked');
    expect(r.overlap?.report?.holder).toBeTruthy();
    expect(r.overlap?.report?.next).toBe('none');
    for (const line of screen.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  }, 400_000);

  it("CPU budget: step()'s cpuBudgetMs stops each invocation at a boundary before 100 ms of CPU would be passed (or just after); the chain finishes", async () => {
    const target = await createTestDb('edge_cpu');
    const r = await runStory({
      source: source.url,
      target: target.url,
      shape: 'clean',
      // the wall clock never binds here: only the CPU watch stops a step
      wallLimitMs: 120_000,
      handlerWallMs: 120_000,
      handlerMarginMs: 20_000,
      cpuBudgetMs: 100,
      maxInvocations: 80,
    });
    console.log(`${show(r)}; suspended by: ${[...new Set(r.suspendReasons)].join(' / ')}`);
    // the whole clone takes several times 100 ms of CPU: the first step cannot be the last
    expect(r.invocations.length).toBeGreaterThanOrEqual(2);
    expect(r.invocations.at(-1)?.report?.outcome).toBe('finished');
    expect(r.invocations.every((i) => i.end === 'reported')).toBe(true);
    expect(r.suspendReasons.length).toBe(r.invocations.length - 1);
    for (const reason of r.suspendReasons) expect(reason).toMatch(/^CPU budget of 100 ms (nearly )?spent \(\d+ ms used/);
    expect(r.differences).toEqual([]);
    expect(r.logProblems).toEqual([]);
  }, 400_000);
});
