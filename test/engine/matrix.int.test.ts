// The cross-version matrix's pairs that npm test runs (npm run matrix runs all 21): same major, the widest jump, the newest.
import { describe, expect, it } from 'vitest';
import type { Major } from '../../src/local/majors.js';
import { majorServer, type MajorServer } from '../helpers/majors.js';
import { pairName, runPair, type Pair } from '../matrix/pairs.js';

const PAIRS: Pair[] = [
  { source: 15, target: 15 },
  { source: 13, target: 18 },
  { source: 18, target: 18 },
];
const servers = new Map<Major, MajorServer>([...new Set(PAIRS.flatMap((p) => [p.source, p.target]))].map((m) => [m, majorServer(m)]));

describe('cross-version matrix', () => {
  for (const pair of PAIRS) {
    it(`${pairName(pair)}: the fidelity fixture of a ${pair.source} source is cloned exactly into a ${pair.target} target`, async () => {
      const urls = Object.fromEntries([...servers].map(([m, s]) => [m, s.url]));
      const r = await runPair(urls, pair);
      const differences = r.differences?.map((d) => `${d.kind} ${d.what}: ${d.detail}`) ?? null;
      expect({ code: r.code, error: r.error, differences }).toEqual({ code: 0, error: null, differences: [] });
      expect(r.ok).toBe(true);
    });
  }
});
