// A yes/no question on a terminal, as apt and rm -i ask it: only "y" or "yes" is yes; anything else, or end of input, is no.
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../engine/errors.js';
import type { Flags, Output } from './common.js';

export async function confirm(question: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<boolean> {
  const rl = createInterface({ input, output, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('close', () => resolve(''));
      rl.question(`${question} [y/N] `).then(resolve, () => resolve(''));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

/**
 * A destructive command's consent: --yes, or a yes at the terminal after `explain` is shown; without a terminal
 * and without --yes, a usage error that says what to add (as terraform destroy without -auto-approve: nothing is
 * dropped on a guess). False when the person said no (the caller exits 1).
 */
export async function consent(flags: Flags, out: Output, ask: { verb: string; refusal: string; explain: string[]; question: string }): Promise<boolean> {
  if (flags.yes === true) return true;
  if (!process.stdin.isTTY) throw new UsageError(ask.refusal);
  for (const l of ask.explain) out.error(l);
  if (await confirm(ask.question, process.stdin, process.stderr)) return true;
  out.error(`pgclone: ${ask.verb} cancelled; nothing dropped`);
  return false;
}
