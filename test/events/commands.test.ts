// Suggested commands run as printed: the recorded target as a quoted URL without a password, the run id, and the shell's quoting.
import { describe, expect, it } from 'vitest';
import { identityUrl, shellQuote, suggest } from '../../src/events/commands.js';
import { parseConnString } from '../../src/engine/pg/conninfo.js';

const target = { host: 'staging.example', port: 5433, database: 'shop', user: 'app', serverVersion: '15.4', fingerprint: 'f' };

/** The words a POSIX shell hands the program for a line of bare words, single-quoted strings and backslash escapes. */
function argvOf(line: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === ' ') {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      cur = (cur ?? '') + (line[++i] as string);
    } else {
      if (/[?&;|<>()$`"*#~]/.test(c)) throw new Error(`unquoted ${c} in ${line}`);
      cur = (cur ?? '') + c;
    }
  }
  if (cur !== null) words.push(cur);
  return words.slice(1);
}

describe('suggest', () => {
  it('names the run and its recorded target, quoted, so the command runs as printed', () => {
    expect(suggest('resume', { runId: 'NQt4abc', target })).toBe("pgclone resume NQt4abc --target 'postgresql://app@staging.example:5433/shop'");
    expect(suggest('wipe', { runId: 'NQt4abc', target }, ['--restart'])).toBe(
      "pgclone wipe NQt4abc --target 'postgresql://app@staging.example:5433/shop' --restart",
    );
  });

  it('the URL parses back to the same host, port, database and user, for awkward names too (no password: none is recorded)', () => {
    for (const t of [
      target,
      { ...target, user: "o'brien@corp", database: 'my db?x=1&y' },
      { ...target, host: '/var/run/postgresql' },
      { ...target, host: '::1' },
    ]) {
      const line = suggest('resume', { runId: 'r1', target: t });
      const argv = argvOf(line);
      expect(argv.slice(0, 3)).toEqual(['resume', 'r1', '--target']);
      const back = parseConnString(argv[3] as string, 'target', {});
      expect({ host: back.host, port: back.port, database: back.database, user: back.user }).toEqual({
        host: t.host,
        port: t.port,
        database: t.database,
        user: t.user,
      });
      expect(back.password).toBeUndefined();
      expect(identityUrl(t)).not.toContain(':@');
    }
  });

  it('an id that starts with "-" (older logs) goes after "--", where it cannot read as an option', () => {
    expect(suggest('log', { runId: '-x1', target })).toBe("pgclone log --target 'postgresql://app@staging.example:5433/shop' -- -x1");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
