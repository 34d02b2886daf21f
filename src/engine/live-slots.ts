// The replication slots of a target's runs as the source has them now: what each holds, for status and the dashboard.
import type { SlotReading } from '../events/summary.js';
import type { RunState } from '../events/state.js';
import { errorMessage } from './errors.js';
import { closeClient, openClient } from './pg/connect.js';
import type { ConnInfo } from './pg/conninfo.js';
import { readSlots } from './pg/slot.js';

/**
 * Every run that made a slot — released ones too: a drop that failed (a wipe while the source was down) leaves one
 * there — read from its source, one connection per recorded source. A source that cannot be reached says so per run.
 */
export async function readRunSlots(runs: RunState[], sourceOf: (s: RunState) => ConnInfo, connectTimeoutMs = 5000): Promise<Map<string, SlotReading>> {
  const out = new Map<string, SlotReading>();
  const groups = new Map<string, RunState[]>();
  for (const s of runs) {
    if (!s.catchUp) continue;
    const k = `${s.source.host}\u0000${s.source.port}\u0000${s.source.database}\u0000${s.source.fingerprint}`;
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  for (const group of groups.values()) {
    const at = new Date().toISOString();
    let db: Awaited<ReturnType<typeof openClient>> | null = null;
    try {
      db = await openClient(sourceOf(group[0] as RunState), { side: 'source', purpose: 'slots', connectTimeoutMs });
      const found = new Map(
        (
          await readSlots(
            db,
            group.map((s) => s.catchUp?.slot as string),
          )
        ).map((x) => [x.name, x]),
      );
      for (const s of group) {
        const x = found.get(s.catchUp?.slot as string);
        out.set(s.runId, {
          read: 'ok',
          at,
          onSource: x !== undefined,
          retainedBytes: x?.retainedBytes ?? null,
          walStatus: x?.walStatus ?? null,
          safeWalBytes: x?.safeWalBytes ?? null,
          active: x?.active ?? false,
          sourceLsn: x?.sourceLsn ?? null,
          confirmedLsn: x?.confirmedFlushLsn ?? null,
        });
      }
    } catch (e) {
      for (const s of group) out.set(s.runId, { read: 'unreachable', at, error: errorMessage(e) });
    } finally {
      await closeClient(db);
    }
  }
  return out;
}
