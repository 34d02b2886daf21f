// What the target's activity views say about a run while it works: the COPYs (pg_stat_progress_copy) and index builds (pg_stat_progress_create_index) in flight.
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

/** An index build on the target now (CREATE INDEX, or a primary key or unique constraint being added), from pg_stat_progress_create_index. */
export interface LiveIndexBuild {
  /** the table, as tableLabel writes it */
  table: string;
  /** the index's name; null while a plain CREATE INDEX has not made it yet (the view says 0) */
  index: string | null;
  command: string;
  /** e.g. "building index: scanning table" */
  phase: string;
  blocksDone: number;
  blocksTotal: number;
  tuplesDone: number;
  tuplesTotal: number;
}

export async function liveIndexBuilds(db: ClientBase): Promise<LiveIndexBuild[]> {
  const r = await db.query<{
    nspname: string;
    relname: string;
    idx: string | null;
    command: string;
    phase: string;
    bd: string;
    bt: string;
    td: string;
    tt: string;
  }>(
    `SELECT n.nspname, c.relname, i.relname AS idx, p.command, p.phase,
            p.blocks_done AS bd, p.blocks_total AS bt, p.tuples_done AS td, p.tuples_total AS tt
       FROM pg_stat_progress_create_index p JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class i ON i.oid = p.index_relid
      WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return r.rows.map((x) => ({
    table: tableLabel({ schema: x.nspname, name: x.relname }),
    index: x.idx,
    command: x.command,
    phase: x.phase,
    blocksDone: Number(x.bd),
    blocksTotal: Number(x.bt),
    tuplesDone: Number(x.td),
    tuplesTotal: Number(x.tt),
  }));
}
