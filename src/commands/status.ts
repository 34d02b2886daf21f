// pgclone status: every run in the target's log, its state, and where it stopped.
import { foldRun } from '../events/fold.js';
import { classifyRun, describeHolder } from '../events/liveness.js';
import { readAllRuns } from '../events/store.js';
import { readRunLocks } from '../events/lock.js';
import { closeClient, openClient } from '../engine/pg/connect.js';
import { EXIT } from '../engine/errors.js';
import { ago, timestamp, whereStopped } from '../ui/format.js';
import { connFlag, secretsOf, stallThresholdFrom, type Flags, type Output } from './common.js';

export async function statusCommand(flags: Flags, out: Output): Promise<number> {
  const target = connFlag(flags, 'target', true);
  out.addSecrets(secretsOf(target));
  const threshold = stallThresholdFrom(flags);
  const db = await openClient(target, { side: 'target', purpose: 'status' });
  try {
    const runs = [...(await readAllRuns(db)).values()].map(foldRun);
    const locks = await readRunLocks(db, runs.map((r) => r.runId));
    const now = new Date();
    const rows = runs.map((s) => ({ s, c: classifyRun(s, locks.get(s.runId) ?? null, now, threshold) }));
    if (flags.json === true) {
      for (const { s, c } of rows) {
        out.line(
          JSON.stringify({
            runId: s.runId,
            state: c.state,
            phase: s.phase,
            where: whereStopped(s),
            startedAt: s.startedAt,
            lastEventAt: s.lastEventAt,
            silentForMs: c.silentForMs,
            holder: c.holder,
            rowsDone: s.rowsDone,
            bytesDone: s.bytesDone,
            retries: s.retries.length,
            snapshotLost: s.snapshotLost,
          }),
        );
      }
      return EXIT.finished;
    }
    if (rows.length === 0) {
      out.line('no runs in the target’s pgclone log');
      return EXIT.finished;
    }
    for (const { s, c } of rows) {
      const where = c.state === 'finished' || c.state === 'mismatched' || c.state === 'wiped' ? '' : `  ${whereStopped(s)}`;
      out.line(`${s.runId}  ${c.state.padEnd(11)} ${s.phase.padEnd(9)}${where}`);
      out.line(`    started ${timestamp(s.startedAt)} by ${s.operator.user}@${s.operator.host}; last event ${ago(c.silentForMs)} (${s.lastEventType})`);
      if (c.holder && (c.state === 'running' || c.state === 'stalled')) out.line(`    lock held by ${describeHolder(c.holder)}`);
      if (c.state === 'stalled') out.line(`    stalled: no event for ${ago(c.silentForMs).replace(' ago', '')} while the lock is held`);
      if (c.state === 'interrupted' || c.state === 'failed') out.line(`    resume: pgclone resume ${s.runId} --target …   wipe: pgclone wipe ${s.runId} --target …`);
      if (s.outcome.kind === 'failed') out.line(`    error: ${s.outcome.error.message}`);
    }
    return EXIT.finished;
  } finally {
    await closeClient(db);
  }
}
