// A Supabase Edge Function that clones SOURCE_DB_URL into TARGET_DB_URL one invocation at a time: each request
// accepts at once (202), then runs pgclone's step() in the background for the platform's wall-clock limit minus a
// margin (and earlier when the next stretch of work would pass its CPU budget); when the step is suspended it invokes itself again. The
// clone's state is the log in the target, so a killed invocation loses nothing: the next one goes on from there.
import { timingSafeEqual } from 'node:crypto';
import { step, type StepResult } from 'pgclone';

/** Supabase's runtime global (background tasks); absent under plain `deno run`, where the server keeps the process alive. */
declare const EdgeRuntime: { waitUntil(p: Promise<unknown>): void } | undefined;

const SECRET_HEADER = 'x-pgclone-secret';

function setting(name: string, fallback?: string): string {
  const v = Deno.env.get(name) ?? fallback;
  if (v === undefined || v === '') throw new Error(`the function's secret ${name} is not set (supabase secrets set ${name}=…)`);
  return v;
}

function milliseconds(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of milliseconds, not ${JSON.stringify(raw)}`);
  return n;
}

// The platform's limits (https://supabase.com/docs/guides/functions/limits): 150 s of wall clock per worker on the
// free plan (400 s on paid plans), 2 s of CPU per request. The margin covers the batch in flight and the clean stop.
const WALL_CLOCK_LIMIT_MS = milliseconds('WALL_CLOCK_LIMIT_MS', 150_000);
const STOP_MARGIN_MS = milliseconds('STOP_MARGIN_MS', 20_000);
/** 0: no CPU budget. step() stops at the boundary before it would be passed (predicted from the last batches). */
const CPU_BUDGET_MS = milliseconds('CPU_BUDGET_MS', 1_500);

const SOURCE = setting('SOURCE_DB_URL');
const TARGET = setting('TARGET_DB_URL');
const SECRET = setting('CLONE_SECRET');
/** where the next invocation goes: this function's own URL on the platform */
const SELF_URL = Deno.env.get('SELF_URL') || `${setting('SUPABASE_URL')}/functions/v1/clone-step`;

function authorized(req: Request): boolean {
  const given = new TextEncoder().encode(req.headers.get(SECRET_HEADER) ?? '');
  const expected = new TextEncoder().encode(SECRET);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The next invocation, sent and accepted (it answers 202 before it works); not awaited beyond that. */
async function invokeNext(): Promise<string> {
  const headers: Record<string, string> = { [SECRET_HEADER]: SECRET, 'content-type': 'application/json' };
  // the platform's gateway checks a JWT unless the function is deployed with --no-verify-jwt
  const anon = Deno.env.get('SUPABASE_ANON_KEY');
  if (anon) headers.authorization = `Bearer ${anon}`;
  try {
    const res = await fetch(SELF_URL, { method: 'POST', headers, body: '{}', signal: AbortSignal.timeout(15_000) });
    await res.body?.cancel();
    return res.status === 202 ? 'invoked' : `refused with HTTP ${res.status}`;
  } catch (e) {
    return `not invoked: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** One step of the clone, reported as one JSON line in the function's log (no connection string: pgclone's messages carry no secret). */
async function cloneStep(arrivedAt: number): Promise<void> {
  const budgetMs = Math.max(1, WALL_CLOCK_LIMIT_MS - STOP_MARGIN_MS - (Date.now() - arrivedAt));
  let report: Record<string, unknown>;
  try {
    const r: StepResult = await step({ source: SOURCE, target: TARGET, budgetMs, ...(CPU_BUDGET_MS > 0 ? { cpuBudgetMs: CPU_BUDGET_MS } : {}) });
    // suspended: more to do, so the next invocation starts now. locked: another invocation holds the run and
    // will go on itself. finished, mismatch, failed: nothing to re-invoke for (a schedule may retry a failure).
    const next = r.outcome === 'suspended' ? await invokeNext() : 'none';
    report = {
      outcome: r.outcome,
      runId: r.runId,
      where: r.progress?.where ?? null,
      rowsDone: r.progress?.rowsDone ?? 0,
      rowsTotal: r.progress?.rowsTotal ?? 0,
      ...(r.holder !== undefined ? { holder: r.holder } : {}),
      ...(r.error ? { error: r.error } : {}),
      next,
    };
  } catch (e) {
    // refused (preflight, cannot connect, bad options): a person must act; re-invoking would only repeat it
    const kind = typeof e === 'object' && e !== null && 'kind' in e ? String(e.kind) : 'bug';
    report = { outcome: 'error', kind, message: e instanceof Error ? e.message : String(e), next: 'none' };
  }
  console.log(JSON.stringify({ pgclone: 'clone-step', budgetMs, ms: Date.now() - arrivedAt, ...report }));
}

Deno.serve((req: Request) => {
  const arrivedAt = Date.now();
  if (req.method !== 'POST') return Response.json({ error: 'POST only' }, { status: 405 });
  if (!authorized(req)) return Response.json({ error: 'unauthorized' }, { status: 401 });
  const work = cloneStep(arrivedAt);
  if (typeof EdgeRuntime !== 'undefined') EdgeRuntime.waitUntil(work);
  return Response.json({ accepted: true }, { status: 202 });
});
