// Real terminals for the tests (tmux): a private tmux server per test file, sessions of 80×24 that run a command
// as an operator's terminal would (not CI's: its CI=true makes pgclone and Ink print plain), screens read back.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Terminals {
  /** run tmux against this file's own server */
  tmux: (...args: string[]) => string;
  /** a new 80×24 session running `command` (its exit code is printed as EXIT=n), with extra VAR=value words */
  open: (command: string[], env?: string[]) => string;
  /** the screen once it matches `re`; fails with the screen when it never does or the program has ended */
  screenUntil: (session: string, re: RegExp, opts?: { timeoutMs?: number; history?: number }) => Promise<string>;
}

/**
 * Call at the top of a test file. The server has its own socket, so no other tmux user — a developer's, another
 * test run's — shares, sees or stops it; -u because the screen holds UTF-8 whatever the locale says. The socket's
 * folder is made in beforeAll: a file whose tests are all filtered out runs no hooks, and would leave it behind.
 */
export function tmuxTerminals(prefix = 'pgclone-test'): Terminals {
  let socketDir = '';
  const sessions: string[] = [];
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-u', '-S', join(socketDir, 'server'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  beforeAll(() => {
    socketDir = mkdtempSync(join(tmpdir(), 'pgclone-tmux-'));
    // a session that lives as long as the file: a server whose last session was just killed is exiting, and the
    // next new-session, racing it, failed with "server exited unexpectedly" (seen in a CI run)
    tmux('new-session', '-d', '-s', 'keeper', 'sleep 86400');
  });
  afterEach(() => {
    for (const s of sessions.splice(0)) {
      try {
        tmux('kill-session', '-t', s);
      } catch {
        /* already gone */
      }
    }
  });
  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      /* no session left, so no server */
    }
    rmSync(socketDir, { recursive: true, force: true });
  });
  return {
    tmux,
    open(command, env = []) {
      const name = `${prefix}-${randomBytes(3).toString('hex')}`;
      const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      const vars = ['NO_COLOR=1', 'PGCLONE_USE_DIST=1', 'TERM=xterm-256color', ...env].join(' ');
      tmux(
        'new-session',
        '-d',
        '-s',
        name,
        '-c',
        ROOT,
        '-x',
        '80',
        '-y',
        '24',
        `env -u CI -u CONTINUOUS_INTEGRATION ${vars} ${quoted}; echo "EXIT=$?"; sleep 600`,
      );
      sessions.push(name);
      return name;
    },
    async screenUntil(session, re, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? 45_000;
      const capture = opts.history ? ['capture-pane', '-p', '-J', '-S', `-${opts.history}`, '-t', session] : ['capture-pane', '-p', '-t', session];
      const deadline = Date.now() + timeoutMs;
      let screen = '';
      while (Date.now() < deadline) {
        screen = tmux(...capture);
        if (re.test(screen)) return screen;
        if (/^EXIT=\d+/m.test(screen)) break; // the program has ended: the screen will not change any more
        await new Promise((r) => setTimeout(r, 150));
      }
      throw new Error(`the screen never showed ${re} (waited up to ${timeoutMs / 1000} s); it shows:\n${screen}`);
    },
  };
}
