// The one worker pool: workers run together, the first failure stops the rest and is rethrown once all have stopped.

/**
 * Run workers together; the first failure is reported to `onFirstError` (which aborts the others) and
 * rethrown once every worker has stopped, so nothing still uses a connection when the caller recovers.
 */
export async function runWorkers(workers: (() => Promise<void>)[], onFirstError: (e: unknown) => void = () => undefined): Promise<void> {
  let first: { e: unknown } | null = null;
  await Promise.all(
    workers.map((w) =>
      w().catch((e: unknown) => {
        if (!first) {
          first = { e };
          onFirstError(e);
        }
      }),
    ),
  );
  if (first) throw (first as { e: unknown }).e;
}
