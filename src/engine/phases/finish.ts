// The last step: what catch-up made on the source dropped, then RunFinished with the run's totals and what verification found.
import type { EngineOutcome, RunContext } from '../context.js';
import { closeTracked, openTracked, record } from '../context.js';
import type { NewEventOf } from '../../events/schemas.js';
import { dropSlotAndPublication } from '../pg/slot.js';
import { finishedText, markTarget } from '../target-state.js';

/**
 * The slot and publication go before RunFinished: a kill between the two drops nothing twice (they are dropped if
 * they exist). A run asked to cut over records CutoverCompleted — the target equals the source at the last pass's
 * LSN, its sequences synced and verified since — in the transaction that records the drop.
 */
async function releaseCatchUp(ctx: RunContext): Promise<void> {
  const c = ctx.state.catchUp;
  if (!c) return;
  const cutover: NewEventOf<'CutoverCompleted'>[] =
    c.cutover && !c.cutover.completedAt
      ? [
          {
            type: 'CutoverCompleted',
            runId: ctx.runId,
            lsn: c.targetLsn ?? c.appliedLsn ?? c.consistentLsn,
            durationMs: Math.max(0, Date.now() - Date.parse(c.cutover.requestedAt)),
          },
        ]
      : [];
  if (c.released) {
    if (cutover.length > 0) await record(ctx, cutover);
    return;
  }
  const src = await openTracked(ctx, 'source', 'release catch-up');
  const dropped = await dropSlotAndPublication(src, c.slot, c.publication);
  await closeTracked(ctx, src);
  await record(ctx, [...cutover, { type: 'CatchUpReleased', runId: ctx.runId, dropped, by: c.cutover ? 'cutover' : 'finish' }]);
}

export async function finishRun(ctx: RunContext): Promise<EngineOutcome> {
  await releaseCatchUp(ctx);
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
