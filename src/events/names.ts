// Names of database objects: the one identifier quoter, a table's canonical key (its quoted, qualified SQL name) and its label.
import type { TableRef } from './schemas.js';

/** A SQL identifier, always quoted: every name that comes from a catalog goes through here. */
export function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** A table's quoted, schema-qualified name: how SQL names it, and the unambiguous key the fold files it under. */
export function tableKey(t: TableRef): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

/** A readable name: parts quoted only where SQL would need it. */
export function tableLabel(t: TableRef): string {
  return `${labelPart(t.schema)}.${labelPart(t.name)}`;
}

function labelPart(s: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(s) ? s : quoteIdent(s);
}
