// Steps 3 and 4 overlap: a table's post-data items start as soon as its rows are in, and verify's counts once all rows are.
import { pendingPostData } from '../../events/decide.js';
import type { RunState } from '../../events/state.js';
import { BudgetSpent } from '../budget.js';
import { destroyAll, type RunContext } from '../context.js';
import { phaseCompleted } from '../phase.js';
import { allTablesCopied, completeCopiedTables, runDataWorkers } from './data.js';
import { runPostData } from './post-data.js';
import { verifyOn } from './verify.js';

/** Every row is in and every post-data item applied. */
export function dataAndPostDataDone(state: RunState): boolean {
  return allTablesCopied(state) && pendingPostData(state).length === 0;
}

/**
 * Rows and post-data items together. The data phase is recorded done the moment the last row is in, while
 * indexes may still build; a first failure aborts both sides and cuts every connection of the attempt.
 */
export async function copyDataAndPostData(ctx: RunContext): Promise<void> {
  await completeCopiedTables(ctx);
  const ac = new AbortController();
  const fail = (e: unknown) => {
    if (ac.signal.aborted) return;
    ac.abort(e);
    destroyAll(ctx);
    ctx.changed.notify();
  };
  let dataStopped = false;
  let verifying: Promise<void> = Promise.resolve();
  const results = await Promise.allSettled([
    runDataWorkers(ctx, ac.signal, fail)
      .then(async () => {
        if (allTablesCopied(ctx.state) && !ac.signal.aborted) await phaseCompleted(ctx, 'data');
      })
      .finally(() => {
        dataStopped = true;
        ctx.changed.notify();
        // the last index builds leave a core idle: row counts need only the rows, so they start now
        // (on one pair of connections, beside the index builds) — unless catch-up is still to change those rows
        if (
          ctx.options.catchUp !== true &&
          allTablesCopied(ctx.state) &&
          !ac.signal.aborted &&
          !ctx.budget.expired() &&
          ctx.options.verify !== 'none' &&
          ctx.state.phases.verify.status !== 'done'
        ) {
          verifying = verifyOn(ctx, 1, ac.signal).catch((e: unknown) => fail(e));
        }
      }),
    runPostData(ctx, ac.signal, fail, () => dataStopped),
  ]);
  await verifying;
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (ac.signal.aborted) throw ac.signal.reason;
  if (!dataAndPostDataDone(ctx.state)) {
    if (ctx.budget.expired()) throw new BudgetSpent();
    const stuck = pendingPostData(ctx.state).map((p) => p.name);
    throw new Error(`data and post-data stopped with work left (post-data: ${stuck.slice(0, 5).join(', ')})`);
  }
}
