// The watchdog: cuts every connection of a side that stops answering, so a dead network cannot hang a COPY or an index build.
import type pg from 'pg';
import { destroyAll, type RunContext } from './context.js';
import { destroyClient } from './pg/connect.js';

type Ping = 'ok' | 'dead' | 'silent';

/** 'dead': the connection failed at once (the work on it fails by itself); 'silent': no answer in time (a cut network). */
async function ping(c: pg.Client | null | undefined, timeoutMs: number): Promise<Ping> {
  if (!c) return 'dead';
  const answer = c.query('SELECT 1').then(
    (): Ping => 'ok',
    (): Ping => 'dead',
  );
  const late = new Promise<Ping>((r) => setTimeout(() => r('silent'), timeoutMs).unref());
  return Promise.race([answer, late]);
}

export async function alive(c: pg.Client | null | undefined, timeoutMs: number): Promise<boolean> {
  return (await ping(c, timeoutMs)) === 'ok';
}

/** One look at both sides: the lock's connection (target) and the snapshot holder (source). */
async function check(ctx: RunContext): Promise<void> {
  const lock = ctx.lock;
  const holder = ctx.snapshot?.holder;
  const [target, source] = await Promise.all([
    ping(lock, ctx.settings.ioTimeoutMs),
    holder ? ping(holder, ctx.settings.ioTimeoutMs) : Promise.resolve<Ping>('ok'),
  ]);
  if (ctx.recovering) return;
  const secs = Math.round(ctx.settings.ioTimeoutMs / 1000);
  if (target === 'silent') {
    ctx.observer.onNote?.(`the target did not answer for ${secs} s: cutting its connections`);
    destroyClient(lock);
    destroyAll(ctx);
  }
  if (source === 'silent' && holder) {
    ctx.observer.onNote?.(`the source did not answer for ${secs} s: cutting its connections`);
    destroyClient(holder);
    destroyAll(ctx);
  }
}

/**
 * Cuts every connection of a side that stops answering: a peer behind a dead network never closes
 * its socket, so without this a COPY or an index build could wait forever. Returns the stop function.
 */
export function startWatchdog(ctx: RunContext): () => void {
  const every = Math.max(250, Math.floor(ctx.settings.ioTimeoutMs / 3));
  let busy = false;
  const tick = () => {
    if (busy || ctx.recovering) return;
    busy = true;
    check(ctx)
      .catch((e: unknown) => {
        // a look that itself fails must not crash the process; the work on those connections reports the failure
        ctx.observer.onNote?.(`the connection watchdog could not check the connections: ${e instanceof Error ? e.message : String(e)}`);
      })
      .finally(() => {
        busy = false;
      });
  };
  const timer = setInterval(tick, every);
  timer.unref();
  return () => clearInterval(timer);
}
