// Help: every command's --help names each option it accepts (with its default), the environment, the exit codes
// and an example; --version is the package's. The parser and the help come from one table, so a new option
// without help cannot be accepted.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allowedOptions, COMMANDS, EXIT_TEXT } from '../../src/commands/help.js';
import { runCli } from '../helpers/cli.js';

const VERBS = ['clone', 'resume', 'wipe', 'status', 'log', 'watch', 'replay', 'demo', 'cutover'];

describe('pgclone --help', () => {
  it('lists every command, every exit code, and how to get a command’s help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const v of VERBS) expect(r.stdout).toContain(`pgclone ${v}`);
    for (const n of Object.keys(EXIT_TEXT)) expect(r.stdout).toMatch(new RegExp(`^\\s+${n}  \\S`, 'm'));
    expect(r.stdout).toContain('pgclone COMMAND --help');
  });

  it.each(VERBS)('pgclone %s --help: usage, every option with its default, environment, exit codes, an example', async (verb) => {
    const r = await runCli([verb, '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: pgclone ${verb}`));
    for (const name of allowedOptions(verb) ?? []) expect(r.stdout, `--${name}`).toMatch(new RegExp(`^  (-\\w, )?--${name}\\b`, 'm'));
    for (const o of COMMANDS[verb]!.options.filter((x) => x.dflt)) expect(r.stdout).toContain(`(default: ${o.dflt})`);
    for (const section of ['options:', 'environment:', 'exit codes:', 'example:']) expect(r.stdout).toContain(`\n${section}\n`);
    expect(r.stdout).toMatch(/example:\n {2}(pgclone|npm run) /);
    // the same text as pgclone help VERB
    expect((await runCli(['help', verb])).stdout).toBe(r.stdout);
  });

  it('an option a command does not take is refused with a pointer to its help (exit 2)', async () => {
    const r = await runCli(['status', '--target', 'postgresql://x@127.0.0.1:1/x', '--jobs', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('pgclone: --jobs does not apply to pgclone status (pgclone status --help lists its options)');
  });

  it('pgclone --version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});
