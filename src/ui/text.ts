// Fitting text into terminal columns: truncation, padding, bars and short durations.

/** Cut to width columns, marking the cut with an ellipsis. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  return s.length <= width ? s : `${s.slice(0, width - 1)}…`;
}

/**
 * Cut to width columns in the middle, keeping the tail: names that differ only at the end (partitions:
 * app.orders_2025_01, app.orders_2025_02) stay told apart — "app.ord…_2025_01".
 */
export function truncateMiddle(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s;
  if (width <= 2) return s.slice(0, width);
  const tail = Math.ceil((width - 1) / 2);
  return `${s.slice(0, width - 1 - tail)}…${s.slice(s.length - tail)}`;
}

/** Wrap at word boundaries (a word longer than the width is cut); each line fits width columns. */
export function wrapWords(s: string, width: number): string[] {
  if (width <= 0) return [s];
  const out: string[] = [];
  for (const para of s.split('\n')) {
    let line = '';
    for (const word of para.split(/ +/)) {
      let w = word;
      while (w.length > width) {
        if (line) out.push(line);
        out.push(w.slice(0, width));
        line = '';
        w = w.slice(width);
      }
      if (!line) line = w;
      else if (line.length + 1 + w.length <= width) line += ` ${w}`;
      else {
        out.push(line);
        line = w;
      }
    }
    out.push(line);
  }
  return out;
}

/** wrapWords for a line that may be indented: its lines keep the indent, continuations two more. */
export function wrapIndented(s: string, width: number): string[] {
  const indent = /^ */.exec(s)?.[0] ?? '';
  const rest = s.slice(indent.length);
  const [first = '', ...more] = wrapWords(rest, Math.max(10, width - indent.length));
  const tail = more.length > 0 ? wrapWords(rest.slice(first.length).trimStart(), Math.max(10, width - indent.length - 2)) : [];
  return [`${indent}${first}`, ...tail.map((l) => `${indent}  ${l}`)];
}

/** Parts joined by " · ", onto as many lines as the width needs: a part is never cut in two. */
export function fitParts(parts: string[], width: number, sep = ' · '): string[] {
  const lines: string[] = [];
  let line = '';
  for (const p of parts) {
    if (!line) line = p;
    else if (line.length + sep.length + p.length <= width) line += `${sep}${p}`;
    else {
      lines.push(line);
      line = `  ${p}`;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => truncate(l, width));
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

/** How many rows a text takes at this width, wrapped at word boundaries (wrapWords). */
export function wrappedRows(s: string, width: number): number {
  return wrapWords(s, width).length;
}
