// Step 7: RunFinished with the run's totals and what verification found.
import type { EngineOutcome, RunContext } from '../context.js';
import { record } from '../context.js';
import { finishedText, markTarget } from '../target-state.js';

export async function finishRun(ctx: RunContext): Promise<EngineOutcome> {
  const s = ctx.state;
  const verified = Object.values(s.verified);
  const sequencesAhead = (s.sequencesVerified?.behind.length ?? 0) === 0;
  const largeObjectsMatch = s.largeObjects.verified?.match ?? true;
  const verification =
    ctx.options.verify === 'none' ? 'skipped' : verified.every((v) => v.match) && sequencesAhead && largeObjectsMatch ? 'passed' : 'mismatch';
  await record(
    ctx,
    [
      {
        type: 'RunFinished',
        runId: ctx.runId,
        durationMs: Math.max(0, Date.now() - Date.parse(s.startedAt)),
        totals: {
          tables: s.tableOrder.length,
          rows: s.rowsDone,
          bytes: s.bytesDone,
          postDataItems: s.postDataOrder.length,
          sequences: s.sequencesSynced ?? 0,
        },
        verification,
      },
    ],
    async (db) => {
      await markTarget(db, finishedText(ctx.runId, new Date().toISOString(), verification));
    },
  );
  return verification === 'mismatch' ? 'mismatch' : 'finished';
}
