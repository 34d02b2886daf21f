// Summaries of repeated measurements: median, min, max, peak RSS, and whether every repetition verified.
import type { Sample } from './rounds.js';

export interface Summary {
  n: number;
  verified: number;
  medianS: number;
  minS: number;
  maxS: number;
  rssMb: number | null;
  /** every repetition finished and verified: only then is the time used in ratios */
  ok: boolean;
  errors: string[];
  parts?: { dataS: number; indexS: number };
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function summarize(samples: Pick<Sample, 'wallS' | 'rssMb' | 'ok' | 'error' | 'parts'>[]): Summary | null {
  if (samples.length === 0) return null;
  const walls = samples.map((s) => s.wallS);
  const rss = samples.map((s) => s.rssMb).filter((x): x is number => x !== null);
  const verified = samples.filter((s) => s.ok).length;
  const parts = samples.map((s) => s.parts).filter((p): p is { dataS: number; indexS: number } => p !== undefined);
  return {
    n: samples.length,
    verified,
    medianS: median(walls),
    minS: Math.min(...walls),
    maxS: Math.max(...walls),
    rssMb: rss.length > 0 ? Math.max(...rss) : null,
    ok: verified === samples.length,
    errors: [...new Set(samples.filter((s) => !s.ok).map((s) => s.error ?? 'failed'))],
    ...(parts.length > 0 ? { parts: { dataS: median(parts.map((p) => p.dataS)), indexS: median(parts.map((p) => p.indexS)) } } : {}),
  };
}

/** a / b when both are usable (verified) medians, else null. */
export function ratio(a: Summary | null | undefined, b: Summary | null | undefined): number | null {
  if (!a || !b || !a.ok || !b.ok || !(b.medianS > 0)) return null;
  return a.medianS / b.medianS;
}
