// How a running engine is shown: plain lines or JSON events (the dashboard has its own entry).
import type { EngineObserver } from '../engine/context.js';
import { EXIT, type ExitCode } from '../engine/errors.js';
import type { RunResult } from '../engine/context.js';
import { createPlainPrinter } from '../ui/plain.js';
import type { Output, OutputMode } from './common.js';

export interface ShownObserver extends EngineObserver {
  stop(): void;
}

export function textObserver(mode: Exclude<OutputMode, 'dashboard'>, out: Output): ShownObserver {
  if (mode === 'json') {
    return {
      onEvents: (events) => {
        for (const ev of events) out.line(JSON.stringify(ev));
      },
      onNote: (t) => out.error(t),
      stop: () => undefined,
    };
  }
  const p = createPlainPrinter((l) => out.line(l), Number(process.env.PGCLONE_PROGRESS_MS ?? 5000));
  return { onEvents: (e, s) => p.onEvents(e, s), onNote: (t) => p.onNote(t), stop: () => p.stop() };
}

export function exitFor(r: RunResult): ExitCode {
  switch (r.outcome) {
    case 'finished':
      return EXIT.finished;
    case 'mismatch':
      return EXIT.verifyMismatch;
    case 'suspended':
      return EXIT.resumable;
  }
}
