// What the target's activity views say about a run while it works: the COPYs in flight (pg_stat_progress_copy).
import type { ClientBase } from 'pg';
import { tableLabel } from './names.js';

export interface LiveCopy {
  /** as tableLabel writes it, e.g. public.storyboard_panels; copies of tables outside a run are not shown with it */
  table: string;
  bytesProcessed: number;
  tuplesProcessed: number;
}

/** Every COPY FROM into this database now, with what it has taken so far. */
export async function liveCopies(db: ClientBase): Promise<LiveCopy[]> {
  const r = await db.query<{ nspname: string; relname: string; b: string; t: string }>(
    `SELECT n.nspname, c.relname, p.bytes_processed AS b, p.tuples_processed AS t
       FROM pg_stat_progress_copy p JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND p.command = 'COPY FROM'`,
  );
  return r.rows.map((x) => ({ table: tableLabel({ schema: x.nspname, name: x.relname }), bytesProcessed: Number(x.b), tuplesProcessed: Number(x.t) }));
}
