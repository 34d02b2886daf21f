// Argument errors in pgclone's words: the nearest option, the command's usage line; pg-style short flags; wipe's question.
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { argumentError, closest, commandHelp, commandSuggestion, parserOptions } from '../../src/commands/help.js';
import { confirm } from '../../src/commands/confirm.js';

/** What the CLI says for these arguments when node:util parseArgs refuses them (null: it took them). */
function explain(argv: string[]): string | null {
  try {
    parseArgs({ args: argv, options: parserOptions(), allowPositionals: true, strict: true });
    return null;
  } catch (e) {
    return argumentError(argv, e as { code?: string; message: string });
  }
}

describe('argument errors', () => {
  it('a mistyped option: the nearest of the command’s options, then its usage line', () => {
    expect(explain(['clone', '--sorce', 'x'])).toBe(
      'unknown option --sorce (did you mean --source?)\nusage: pgclone clone --source URL --target URL [options]',
    );
    expect(explain(['status', '--trget', 'x'])).toBe(
      'unknown option --trget (did you mean --target?)\nusage: pgclone status [RUN] --target URL [--source URL] [--json] [--stall-threshold D]',
    );
    expect(explain(['clone', '--frobnicate'])).toMatch(/^unknown option --frobnicate\nusage: pgclone clone /);
    expect(explain(['clone', '-x'])).toMatch(/^unknown option -x\nusage: /);
  });

  it('a value left out, or followed by another option, is "needs a value"; a switch given one "takes no value"', () => {
    expect(explain(['clone', '--source', '--target', 'x'])?.split('\n')[0]).toBe('--source needs a value (URL)');
    expect(explain(['clone', '--target'])?.split('\n')[0]).toBe('--target needs a value (URL)');
    expect(explain(['clone', '--plain=yes'])?.split('\n')[0]).toBe('--plain takes no value');
  });

  it('pg_dump’s short flags, and -V', () => {
    const v = parseArgs({
      args: ['clone', '-j', '3', '-t', 'a', '-T', 'b', '-n', 'c', '-N', 'd', '-V'],
      options: parserOptions(),
      allowPositionals: true,
      strict: true,
    }).values;
    expect(v).toMatchObject({ jobs: '3', table: ['a'], 'exclude-table': ['b'], schema: ['c'], 'exclude-schema': ['d'], version: true });
    expect(commandHelp('clone')).toMatch(/^ {2}-j, --jobs N /m);
  });

  it('closest: a unique prefix or a near miss, nothing for what is far', () => {
    expect(closest('sour', ['source', 'target'])).toBe('source');
    expect(closest('jbos', ['jobs', 'index-jobs'])).toBe('jobs');
    expect(closest('zzz', ['source', 'target'])).toBeUndefined();
    expect(commandSuggestion('stauts')).toBe(' (did you mean status?)');
  });
});

describe("wipe's question", () => {
  const ask = async (typed: string | null) => {
    const input = new PassThrough();
    const output = new PassThrough();
    const answer = confirm('Drop these 3?', input, output);
    if (typed === null) input.end();
    else input.write(typed);
    return answer;
  };
  it('only y or yes is yes; anything else, or the end of input, is no', async () => {
    expect(await ask('y\n')).toBe(true);
    expect(await ask('YES\n')).toBe(true);
    expect(await ask('\n')).toBe(false);
    expect(await ask('n\n')).toBe(false);
    expect(await ask('yep\n')).toBe(false);
    expect(await ask(null)).toBe(false);
  });
});
