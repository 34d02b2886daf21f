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
  onWipeRestart: (runId: string) => void;
  onQuit: () => void;
  onReplay?: (action: ReplayAction) => void;
}

function useTerminalSize(): { width: number; height: number } {
  const { stdout } = useStdout();
  const read = () => ({ width: Math.max(40, stdout.columns || 80), height: Math.max(12, stdout.rows || 24) });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });
  return size;
}

export function Dashboard({ source, onResume, onWipeRestart, onQuit, onReplay }: DashboardProps) {
  const model = useSyncExternalStore(
    (fn) => source.subscribe(() => fn()),
    () => source.get(),
  );
  const { width, height } = useTerminalSize();
  // one row less than the terminal: a frame as tall as the screen makes Ink clear and redraw it all
  return <App model={model} onResume={onResume} onWipeRestart={onWipeRestart} onQuit={onQuit} onReplay={onReplay} width={width} height={height - 1} />;
}
