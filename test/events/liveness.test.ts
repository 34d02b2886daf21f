// Liveness classification and the resume/wipe decisions, given/when/then, without a database.
import { describe, expect, it } from 'vitest';
import { classifyRun, decideResume, decideWipe, describeHolder, foldRun, refuseResumeEarly, type LockHolder } from '../../src/events/index.js';
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
  const operator = { user: 'ops', host: 'bastion', pid: 77 };
  const ok = { lock: { held: 'by-us' as const }, source: state.source, schemaHash: state.schemaHash, operator, toolVersion: '9.9.9' };

  it('returns the RunResumed event, from the phase the log has not finished', () => {
    expect(decideResume(state, ok)).toEqual({
      kind: 'resume',
      event: { type: 'RunResumed', runId: state.runId, operator, toolVersion: '9.9.9', fromPhase: 'data', source: state.source, snapshotLost: true },
    });
  });

  it('resumes a run whose every phase is done but which never finished in its last phase', () => {
    const b = interruptedAt29();
    const s = foldRun(b.build());
    const done = Object.fromEntries(Object.entries(s.phases).map(([k, v]) => [k, { ...v, status: 'done' as const }])) as typeof s.phases;
    const d = decideResume({ ...s, phases: done }, ok);
    expect(d.kind === 'resume' && d.event.fromPhase).toBe('verify');
  });

  it('refuses while another process holds the lock, naming it — or saying it cannot', () => {
    const d = decideResume(state, { ...ok, lock: { held: 'by-another', holder } });
    expect(d).toMatchObject({ kind: 'refuse', reason: 'locked' });
    expect(d.kind === 'refuse' && d.message).toMatch(/pid 4242 on fn-worker-7/);
    const e = refuseResumeEarly(state, { held: 'by-another', holder: null });
    expect(e).toMatchObject({ reason: 'locked' });
    expect(e?.message).toMatch(/another process/);
    expect(refuseResumeEarly(state, { held: 'by-us' })).toBeNull();
  });

  it('refuses another source and a changed schema, saying what to do', () => {
    expect(decideResume(state, { ...ok, source: { ...state.source, fingerprint: 'fp-other' } })).toMatchObject({ reason: 'different-source' });
    const d = decideResume(state, { ...ok, schemaHash: 'hash-2' });
    expect(d).toMatchObject({ reason: 'schema-changed' });
    expect(d.kind === 'refuse' && d.message).toMatch(
      /pgclone wipe run_seed_29pct --target 'postgresql:\/\/cloner@db.example.internal:5433\/staging' --restart/,
    );
  });

  it('refuses finished and wiped runs before anything else is asked', () => {
    expect(refuseResumeEarly(foldRun(finishedRun().build()), { held: 'by-us' })).toMatchObject({ reason: 'finished' });
    expect(decideResume(foldRun(wipedRun().build()), ok)).toMatchObject({ reason: 'wiped' });
  });
});

describe('decideWipe', () => {
  it('wipes a stopped run (what it created, schemas first), refuses a locked or already wiped one', () => {
    const s = foldRun(interruptedAt29().build());
    const d = decideWipe(s, { held: 'by-us' });
    expect(d.kind).toBe('wipe');
    expect(d.kind === 'wipe' && d.drop.map((o) => o.kind)).toEqual(
      [...(s.schemaObjects ?? [])].map((o) => o.kind).sort((a, b) => (a === 'schema' ? -1 : b === 'schema' ? 1 : 0)),
    );
    expect(decideWipe(s, { held: 'by-another', holder })).toMatchObject({ reason: 'locked' });
    expect(decideWipe(s, { held: 'by-another', holder: null })).toMatchObject({ reason: 'locked' });
    expect(decideWipe(foldRun(wipedRun().build()), { held: 'by-us' })).toMatchObject({ reason: 'wiped' });
  });
});
