// psql/pg_dump name patterns (-t, -n, --exclude-table-data) matched the way pg_dump matches them.
import type { TableRef } from '../events/schemas.js';

export interface NamePattern {
  schema: RegExp | null;
  name: RegExp;
}

const escapeRe = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/**
 * processSQLNamePattern's rules: unquoted text folds to lower case, `*` and `?` are wildcards, an
 * unquoted `.` separates schema from name, double quotes keep text literal ("" is a quote).
 */
export function parseNamePattern(pattern: string): NamePattern {
  const parts: string[] = [''];
  let inQuotes = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '"') {
      if (inQuotes && pattern[i + 1] === '"') {
        parts[parts.length - 1] += escapeRe('"');
        i++;
      } else inQuotes = !inQuotes;
    } else if (!inQuotes && c === '.') {
      parts.push('');
    } else if (!inQuotes && c === '*') {
      parts[parts.length - 1] += '.*';
    } else if (!inQuotes && c === '?') {
      parts[parts.length - 1] += '.';
    } else {
      parts[parts.length - 1] += escapeRe(inQuotes ? c : c.toLowerCase());
    }
  }
  const anchored = (s: string) => new RegExp(`^(?:${s})$`, 's');
  if (parts.length === 1) return { schema: null, name: anchored(parts[0] as string) };
  const name = parts.pop() as string;
  // a database-qualified pattern (db.schema.name) keeps only the last two parts, as pg_dump does
  return { schema: anchored(parts[parts.length - 1] as string), name: anchored(name) };
}

/** An unqualified pattern matches tables visible on the default search path, i.e. in public, as in pg_dump. */
export function matchesAny(t: TableRef, patterns: NamePattern[]): boolean {
  return patterns.some((p) => (p.schema === null ? t.schema === 'public' : p.schema.test(t.schema)) && p.name.test(t.name));
}
