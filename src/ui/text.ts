// Fitting text into terminal columns: truncation, padding, bars and short durations.

/** Cut to width columns, marking the cut with an ellipsis. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  return s.length <= width ? s : `${s.slice(0, width - 1)}…`;
}

export function padEnd(s: string, width: number): string {
  return truncate(s, width).padEnd(width);
}

export function padStart(s: string, width: number): string {
  return truncate(s, width).padStart(width);
}

export function bar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(Math.max(0, width - full));
}

/** "900ms", "4.2s", "12m05s", "3h07m", "2d04h": two units at most, for columns. */
export function shortDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const two = (n: number) => String(n).padStart(2, '0');
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${two(Math.floor(s - m * 60))}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${two(m - h * 60)}m`;
  const d = Math.floor(h / 24);
  return `${d}d${two(h - d * 24)}h`;
}

/** "10:00:12" in UTC, as the log stores times. */
export function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

/** How many rows a wrapped text takes at this width. */
export function wrappedRows(s: string, width: number): number {
  if (width <= 0) return 1;
  return s.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(line.length / width)), 0);
}
