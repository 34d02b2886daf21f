// pgclone in a Cloudflare Worker (compatibility flag nodejs_compat): each request, or each Cron Trigger, does one
// step() of the clone; a request answers where the clone stands. The caller (the cron, a queue, a loop) calls again
// until the answer is "finished". The connection strings are the worker's secrets SOURCE_DB_URL and TARGET_DB_URL.
import { step } from 'pgclone';

/** Stop this long before the platform would: a step ends at the first batch boundary after its budget. */
const MARGIN_MS = 5_000;

/** One job: a run then holds at most 5 connections, within a request's 6. */
const OPTIONS = { jobs: 1, indexJobs: 1 };

function stepOnce(env, limitMs) {
  const budgetMs = Math.max(1, Number(limitMs ?? env.LIMIT_MS ?? 30_000) - MARGIN_MS);
  return step({ source: env.SOURCE_DB_URL, target: env.TARGET_DB_URL, budgetMs, options: OPTIONS });
}

export default {
  async fetch(request, env) {
    const r = await stepOnce(env, new URL(request.url).searchParams.get('limitMs') ?? undefined);
    const body = { runId: r.runId, outcome: r.outcome, progress: r.progress, error: r.error ?? null, holder: r.holder ?? null };
    // suspended: call again; locked: another invocation holds the run, call again later; the rest are final
    const status = r.outcome === 'failed' || r.outcome === 'mismatch' ? 500 : r.outcome === 'locked' ? 409 : 200;
    return Response.json(body, { status });
  },
  async scheduled(_event, env, ctx) {
    ctx.waitUntil(stepOnce(env));
  },
};
