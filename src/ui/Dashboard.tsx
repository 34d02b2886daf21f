// The container: subscribes to a feed and hands its snapshots, and the terminal's size, to App.
import { useStdout } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { App } from './App.js';
import type { ReplayAction } from './actions.js';
import type { DashboardModel } from './model.js';

export interface ModelSource {
  get(): DashboardModel;
  subscribe(fn: (m: DashboardModel) => void): () => void;
}

export interface DashboardProps {
  source: ModelSource;
  onResume: (runId: string) => void;
  onCutover?: (runId: string) => void;
  onWipeRestart: (runId: string) => void;
  onQuit: () => void;
  onStop?: (key: string) => void;
  onReplay?: (action: ReplayAction) => void;
}

/** Clear the screen and put the cursor home (not the scrollback: what the operator scrolled past stays). */
export const CLEAR_SCREEN = '\u001b[2J\u001b[H';
/** Longer than Ink's slowest render throttle here (maxFps 2: 500 ms), so the frame at the new size is drawn by then. */
const REDRAW_AFTER_MS = 600;

/**
 * The terminal's size, and a clean screen after its width changes. Ink 6.8 clears on a resize only when the width
 * shrinks, and then only the rows it counted before the terminal re-wrapped them: old fragments stay above the frame.
 * Ink's own resize handler (registered first) has drawn by the time this one runs; the clear leaves the cursor at the
 * top, where Ink's next frame (at the new size) starts. Should that frame be the same text as the last (nothing on
 * screen depends on the width), Ink would not draw it: an empty write() makes it draw its last frame again.
 */
function useTerminalSize(): { width: number; height: number } {
  const { stdout, write } = useStdout();
  const read = () => ({ width: Math.max(40, stdout.columns || 80), height: Math.max(12, stdout.rows || 24) });
  const [size, setSize] = useState(read);
  const [cleared, setCleared] = useState(0);
  useEffect(() => {
    const onResize = () => {
      const next = read();
      if (next.width !== size.width) {
        stdout.write(CLEAR_SCREEN);
        setCleared((n) => n + 1);
      }
      setSize(next);
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });
  useEffect(() => {
    if (cleared === 0) return;
    const t = setTimeout(() => write(''), REDRAW_AFTER_MS);
    return () => clearTimeout(t);
  }, [cleared, write]);
  return size;
}

export function Dashboard({ source, onResume, onCutover, onWipeRestart, onQuit, onStop, onReplay }: DashboardProps) {
  const model = useSyncExternalStore(
    (fn) => source.subscribe(() => fn()),
    () => source.get(),
  );
  const { width, height } = useTerminalSize();
  // one row less than the terminal: a frame as tall as the screen makes Ink clear and redraw it all
  return (
    <App
      model={model}
      onResume={onResume}
      onCutover={onCutover}
      onWipeRestart={onWipeRestart}
      onQuit={onQuit}
      onStop={onStop}
      onReplay={onReplay}
      width={width}
      height={height - 1}
    />
  );
}
