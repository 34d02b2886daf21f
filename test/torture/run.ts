// npm run torture: every fault scenario at full size (the live-source one on an embedded wal_level=logical server), a report, and one summary line that must be all zeros.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { provideServer } from '../helpers/server.js';
import {
  concurrentResumes,
  dropDb,
  KILL_PHASES,
  killTrials,
  networkCut,
  randomSlices,
  stalledThenContinued,
  targetRestart,
  variedSource,
  type FaultResult,
  type TortureEnv,
} from './scenarios.js';
import { liveSource, type LiveResult } from './live.js';

const trials = Number(process.env.TORTURE_TRIALS ?? 50);
const seed = process.env.TORTURE_SEED ? Number(process.env.TORTURE_SEED) : randomInt(1, 2 ** 31);

async function main(): Promise<number> {
  const t0 = Date.now();
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/tsconfig.build.json`], { stdio: 'inherit' });
  process.env.PGCLONE_USE_DIST = '1';
  const server = await provideServer();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s]`;
  const env: TortureEnv = { serverUrl: server.url, log: (l) => console.log(`${stamp()} ${l}`) };
  console.log(`pgclone torture — seed ${seed} (replay with TORTURE_SEED=${seed}), ${trials} kill trials, PostgreSQL: ${server.kind}`);
  const source = await variedSource(env, 150_000);
  const faults: FaultResult[] = [];
  let kills;
  const live: { result: LiveResult | null } = { result: null };
  try {
    kills = await killTrials(env, source, { trials, seed });
    const one = async (f: () => Promise<FaultResult>) => {
      const r = await f().catch((e: unknown): FaultResult => ({
        name: 'scenario crashed',
        ok: false,
        detail: e instanceof Error ? e.message : String(e),
        outcome: null,
      }));
      env.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}`);
      faults.push(r);
    };
    await one(() => targetRestart(env, source));
    await one(() => networkCut(env, source, 'source', { ioTimeoutMs: 3000, cutMs: 8000 }));
    await one(() => networkCut(env, source, 'target', { ioTimeoutMs: 3000, cutMs: 8000 }));
    await one(() => networkCut(env, source, 'source', { ioTimeoutMs: 2000, cutMs: null }));
    await one(() => stalledThenContinued(env, source));
    await one(() => concurrentResumes(env, source));
    await one(() => randomSlices(env, source, { seed, minSlices: 20 }));
    // its own embedded source with wal_level=logical (the suite's server may not have it), stopped at its end
    await one(async () => (live.result = await liveSource(env, { seed, bulkRows: 150_000, writerProcesses: 12, catchUpProcesses: 6, minWrites: 20_000 })));
  } finally {
    await dropDb(env, source);
    await server.stop();
  }
  const sum = (f: (o: NonNullable<FaultResult['outcome']>) => number) => faults.reduce((n, x) => n + (x.outcome ? f(x.outcome) : 0), 0);
  const lost = kills.rowsLost + sum((o) => o.rowsLost);
  const dup = kills.rowsDuplicated + sum((o) => o.rowsDuplicated);
  const schema = kills.schemaDifferences + sum((o) => o.schemaDifferences);
  const seqs = kills.sequenceDifferences + sum((o) => o.sequenceDifferences);
  const failedFaults = faults.filter((f) => !f.ok).length;
  const liveKills = live.result ? Object.values(live.result.kills).reduce((a, b) => a + b, 0) : 0;
  const totalKills = Object.values(kills.kills).reduce((a, b) => a + b, 0) + liveKills;
  const logDisagreements = kills.logDisagreements + (live.result?.logDisagreements ?? 0);
  console.log('');
  console.log(`kills per phase: ${KILL_PHASES.map((p) => `${p} ${kills.kills[p]}`).join(', ')} (${kills.missed} kill times fell after the run had finished)`);
  for (const f of kills.failures) console.log(`  ${f}`);
  if (live.result) {
    const l = live.result;
    console.log(
      `live source: kills per phase: ${KILL_PHASES.map((p) => `${p} ${l.kills[p]}`).join(', ')} (${l.figures.killsWhileWriting} while the writers ran); ${l.figures.slices} slices; ` +
        `wrote ${l.figures.wrote.transactions} transactions, applied ${l.figures.applied.transactions} in ${l.figures.applied.chunks} chunks over ${l.figures.applied.passes} catch-up passes`,
    );
  }
  console.log(`faults: ${faults.map((f) => `${f.name}: ${f.ok ? 'ok' : 'FAILED'}`).join('; ')}`);
  console.log(`duration ${((Date.now() - t0) / 60_000).toFixed(1)} min`);
  const line = `TORTURE SUMMARY seed=${seed} trials=${kills.trials} kills=${totalKills} rows_lost=${lost} rows_duplicated=${dup} schema_differences=${schema} sequence_differences=${seqs} log_disagreements=${logDisagreements} failed_trials=${kills.failedTrials} failed_faults=${failedFaults}`;
  console.log(line);
  const clean = lost + dup + schema + seqs + logDisagreements + kills.failedTrials + failedFaults === 0;
  return clean ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
