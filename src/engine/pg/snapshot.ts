// The run's source snapshot: one exporting transaction kept open, imported by every source reader.
import type pg from 'pg';

/** Begin a repeatable-read, read-only transaction and export its snapshot. The client must stay idle in it. */
export async function exportSnapshot(holder: pg.ClientBase): Promise<string> {
  await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const r = await holder.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
  const id = r.rows[0]?.id;
  if (!id) throw new Error('pg_export_snapshot returned nothing');
  return id;
}

/** Make a reader see exactly what the holder sees. */
export async function importSnapshot(reader: pg.ClientBase, snapshotId: string): Promise<void> {
  await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await reader.query(`SET TRANSACTION SNAPSHOT '${snapshotId.replace(/'/g, "''")}'`);
}
