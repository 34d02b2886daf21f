// Liveness classification and the resume/wipe decisions, given/when/then, without a database.
import { describe, expect, it } from 'vitest';
import { classifyRun, decideResume, decideWipe, describeHolder, foldRun, type LockHolder } from '../../src/events/index.js';
import { failedWithRetries, finishedRun, interruptedAt29, wipedRun } from '../fixtures/stories.js';

const holder: LockHolder = { backendPid: 31337, clientPid: 4242, clientHost: 'fn-worker-7', clientAddr: '10.0.0.9', since: null };

describe('classifyRun', () => {
  const b = interruptedAt29();
  const state = foldRun(b.build());
  const last = Date.parse(state.lastEventAt);

  it('is running when the lock is held and the last event is recent', () => {
    expect(classifyRun(state, holder, new Date(last + 5_000)).state).toBe('running');
  });

  it('is stalled when the lock is held but the log is silent past the threshold, and says who holds it', () => {
    const c = classifyRun(state, holder, new Date(last + 61_000));
    expect(c.state).toBe('stalled');
    expect(c.silentForMs).toBe(61_000);
    expect(describeHolder(c.holder!)).toBe('pid 4242 on fn-worker-7 (backend pid 31337)');
  });

  it('honours a custom threshold', () => {
    expect(classifyRun(state, holder, new Date(last + 3_000), 2_000).state).toBe('stalled');
  });

  it('is interrupted when nobody holds the lock and nothing terminal was logged — no waiting for a timeout', () => {
    expect(classifyRun(state, null, new Date(last + 1)).state).toBe('interrupted');
  });

  it('is failed after RunFailed with no lock, running again when a resumer holds it', () => {
    const f = foldRun(failedWithRetries().build());
    expect(classifyRun(f, null, new Date()).state).toBe('failed');
    expect(classifyRun(f, holder, new Date(Date.parse(f.lastEventAt) + 10)).state).toBe('running');
  });

  it('is finished or wiped from the terminal event, lock or not', () => {
    expect(classifyRun(foldRun(finishedRun().build()), holder, new Date()).state).toBe('finished');
    expect(classifyRun(foldRun(wipedRun().build()), null, new Date()).state).toBe('wiped');
  });
});

describe('decideResume', () => {
  const state = foldRun(interruptedAt29().build());
  const ok = { holder: null, sourceFingerprint: state.source.fingerprint, schemaHash: state.schemaHash };

  it('proceeds from the phase the log has not finished', () => {
    expect(decideResume(state, ok)).toEqual({ kind: 'proceed', fromPhase: 'data' });
  });

  it('refuses while another process holds the lock, naming it', () => {
    const d = decideResume(state, { ...ok, holder });
    expect(d).toMatchObject({ kind: 'refuse', reason: 'locked' });
    expect(d.kind === 'refuse' && d.message).toMatch(/pid 4242 on fn-worker-7/);
  });

  it('refuses another source and a changed schema, saying what to do', () => {
    expect(decideResume(state, { ...ok, sourceFingerprint: 'fp-other' })).toMatchObject({ reason: 'different-source' });
    const d = decideResume(state, { ...ok, schemaHash: 'hash-2' });
    expect(d).toMatchObject({ reason: 'schema-changed' });
    expect(d.kind === 'refuse' && d.message).toMatch(/pgclone wipe run_seed_29pct --restart/);
  });

  it('refuses finished and wiped runs', () => {
    expect(decideResume(foldRun(finishedRun().build()), ok)).toMatchObject({ reason: 'finished' });
    expect(decideResume(foldRun(wipedRun().build()), ok)).toMatchObject({ reason: 'wiped' });
  });
});

describe('decideWipe', () => {
  it('wipes a stopped run, refuses a locked or already wiped one', () => {
    const s = foldRun(interruptedAt29().build());
    expect(decideWipe(s, null)).toEqual({ kind: 'proceed' });
    expect(decideWipe(s, holder)).toMatchObject({ reason: 'locked' });
    expect(decideWipe(foldRun(wipedRun().build()), null)).toMatchObject({ reason: 'wiped' });
  });
});
