// The orchestrator: the numbered steps, each one call, each skipped when the folded log already records it.
import type { EngineOutcome, RunContext } from './context.js';
import { runPhase } from './phase.js';
import { catchUp } from './phases/catch-up.js';
import { copyDataAndPostData, dataAndPostDataDone } from './phases/data-and-post-data.js';
import { finishRun } from './phases/finish.js';
import { copyLargeObjects, verifyLargeObjects } from './phases/large-objects.js';
import { applySchema } from './phases/schema.js';
import { syncSequences } from './phases/sequences.js';
import { allVerified, verifyOn } from './phases/verify.js';

/** The steps of a run, top to bottom. Retries, the watchdog and start-up live elsewhere (retry.ts, start.ts). */
export async function steps(ctx: RunContext): Promise<EngineOutcome> {
  // 1. preflight — checked before RunStarted / RunResumed was written (start.ts, phases/preflight.ts)
  // 2. schema
  await runPhase(
    ctx,
    'schema',
    (s) => s.schemaObjects !== null,
    () => applySchema(ctx),
  );
  // 3 + 4. data and post-data, overlapping: a table's indexes start as soon as its rows are in
  await runPhase(ctx, ['data', 'post-data'], dataAndPostDataDone, () => copyDataAndPostData(ctx));
  // 5. large objects
  await runPhase(
    ctx,
    'large-objects',
    (s) => s.phases['large-objects'].status === 'done',
    () => copyLargeObjects(ctx),
  );
  // 6. catch-up: the source's changes since the slot was made, applied by key up to its WAL position now
  if (ctx.options.catchUp === true) {
    await runPhase(
      ctx,
      'catch-up',
      (s) => s.phases['catch-up'].status === 'done',
      () => catchUp(ctx),
    );
  }
  // 7. sequences
  await runPhase(
    ctx,
    'sequences',
    (s) => s.sequencesSynced !== null,
    () => syncSequences(ctx),
  );
  // 8. verify
  if (ctx.options.verify !== 'none') {
    await runPhase(ctx, 'verify', allVerified, async () => {
      await verifyOn(ctx, ctx.options.jobs);
      await verifyLargeObjects(ctx);
    });
  }
  // 9. finished
  return finishRun(ctx);
}
