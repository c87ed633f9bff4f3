/**
 * `npm run bench` — every figure of bench/README.md against the local stack, each beside a
 * baseline measured in the same run; prints a table and writes bench/results.json.
 * `npm run bench -- --quick`: the CI smoke version (small counts, shortened freshness settings).
 * Figures are printed, never asserted: the machine is shared and timings vary with its load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStack } from '../local/stack.ts';
import { benchApi, type ApiBenchResult } from './api.ts';
import { benchColdStart, type ColdStartResult } from './coldstart.ts';
import { benchCost, type CostResult } from './cost.ts';
import type { FreshnessInput, FreshnessOutput } from './freshness.ts';
import { benchIngest, POLLERS, type IngestBenchResult } from './ingest.ts';
import { load1, runChild } from './lib.ts';
import { benchRollup, type RollupBenchResult } from './rollup.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

const quick = process.argv.includes('--quick');
const started = Date.now();
const log = (msg: string): void => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}`);

const SIZES = quick
  ? {
      ingest: { reports: 300, backfillReports: 200, alternativeReports: 200, timeoutMs: 120_000 },
      rollup: { minuteTransactions: 350, dayTransactions: 0, timeoutMs: 180_000 },
      api: { concurrency: 8, requestsPerRoute: 40, warmupPerRoute: 3, maxMsPerRoute: 5_000, timeoutMs: 120_000 },
      coldStartRuns: 2,
      freshness: { samples: 1, gapMs: 0, latenessSeconds: 5, scheduleSeconds: 5, timeoutMs: 120_000 } as FreshnessInput,
    }
  : {
      ingest: { reports: 2_000, backfillReports: 1_000, alternativeReports: 1_000, timeoutMs: 300_000 },
      rollup: { minuteTransactions: 100_000, dayTransactions: 100_000, timeoutMs: 400_000 },
      api: { concurrency: 8, requestsPerRoute: 400, warmupPerRoute: 5, maxMsPerRoute: 10_000, timeoutMs: 300_000 },
      coldStartRuns: 5,
      // The wiring table's defaults: 120 s lateness window, rollup every 60 s.
      freshness: { samples: 2, gapMs: 30_000, timeoutMs: 330_000 } as FreshnessInput,
    };

interface Results {
  mode: 'full' | 'quick';
  startedAt: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; load1AtStart: number; load1AtEnd: number };
  ingest?: IngestBenchResult;
  rollup?: RollupBenchResult;
  api?: ApiBenchResult;
  freshness?: FreshnessOutput & { mode: string };
  cost?: CostResult;
  coldStart?: ColdStartResult;
  errors: string[];
}

const results: Results = {
  mode: quick ? 'quick' : 'full',
  startedAt: new Date(started).toISOString(),
  durationSeconds: 0,
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load1AtStart: load1(),
    load1AtEnd: 0,
  },
  errors: [],
};

async function step<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const msg = `${name}: ${err instanceof Error ? err.message : String(err)}`;
    log(`FAILED ${msg}`);
    results.errors.push(msg);
    return undefined;
  }
}

// Freshness waits for the schedule (minutes of wall time, little CPU): its own stack in a child
// process, running beside the other figures.
log(`freshness: ${SIZES.freshness.samples} sample(s) in the background (${quick ? 'shortened settings' : 'default settings'})`);
const freshness = runChild<FreshnessInput, FreshnessOutput>('freshness.ts', SIZES.freshness, {
  timeoutMs: SIZES.freshness.timeoutMs + 60_000,
})
  .then(
    (r) => (results.freshness = { ...r, mode: quick ? 'quick: shortened lateness and schedule' : 'full: default lateness and schedule' }),
  )
  .catch((err: unknown) => {
    results.errors.push(`freshness: ${err instanceof Error ? err.message : String(err)}`);
  });

log('cold start: bundling and importing each function');
results.coldStart = await step('cold start', () => benchColdStart(SIZES.coldStartRuns));

log('ingest');
results.ingest = await step('ingest', () => benchIngest(SIZES.ingest, log));
if (results.ingest) results.cost = benchCost(results.ingest);

const dataDir = mkdtempSync(join(tmpdir(), 'ngsp-bench-rollup-'));
const stack = await LocalStack.start({
  prefix: `r${Date.now().toString(36)}`,
  dataDir,
  useEnvironment: false,
  functions: [],
  workerEnv: { THROTTLE_LIMIT: '100000000' },
});
try {
  results.rollup = await step('rollup', () => benchRollup(stack, SIZES.rollup, log));
  if (results.rollup) results.api = await step('api', () => benchApi(stack, SIZES.api, log));
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

log('waiting for the freshness samples');
await freshness;
results.durationSeconds = Math.round((Date.now() - started) / 1000);
results.machine.load1AtEnd = load1();
writeFileSync(fileURLToPath(new URL('./results.json', import.meta.url)), JSON.stringify(results, null, 2) + '\n');
console.log(table(results));
process.exit(0);

// ---------------------------------------------------------------------------------------------

function table(r: Results): string {
  const rows: string[][] = [['#', 'figure', 'measured', 'baseline (same run)', 'ratio', 'target', 'met']];
  const f = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const yes = (ok: boolean): string => (ok ? 'yes' : 'NO');
  for (const run of r.ingest?.runs ?? []) {
    rows.push([
      '1',
      `ingest, ${run.envelope === 1 ? 'single events' : `envelopes of ${run.envelope}`} (${f(run.reports)} reports, ${POLLERS} pollers)`,
      `${f(run.reportsPerSecond)} reports/s`,
      `${f(run.ceilingPerSecond)} UpdateItem/s direct (best of ${f(run.ceilingRunsPerSecond[0]!)}, ${f(run.ceilingRunsPerSecond[1]!)})`,
      `${f(run.ratio * 100)} %`,
      '>= 50 %',
      yes(run.ratio >= 0.5),
    ]);
  }
  const live = r.ingest?.budgets[0];
  const liveSingle = r.ingest?.budgets[1];
  const alt = r.ingest?.alternative;
  if (live && alt) {
    rows.push([
      '2',
      'DynamoDB writes / 1,000 reports (live, envelopes)',
      f(live.per1000.ddbWrites, 1),
      `${f(alt.per1000.ddbWrites, 1)} Powertools idempotency`,
      `${f((live.per1000.ddbWrites / alt.per1000.ddbWrites) * 100)} %`,
      '<= 1,100',
      yes(live.per1000.ddbWrites <= 1100),
    ]);
  }
  for (const b of r.ingest?.budgets.slice(1) ?? []) {
    rows.push([
      '2',
      `DynamoDB writes / 1,000 reports (${b.scenario})`,
      f(b.per1000.ddbWrites, 1),
      '',
      '',
      '<= 1,100',
      yes(b.per1000.ddbWrites <= 1100),
    ]);
  }
  if (live && liveSingle) {
    rows.push([
      '2',
      'DynamoDB reads / 1,000 reports (live, envelopes | singles)',
      `${f(live.per1000.ddbReads, 1)} | ${f(liveSingle.per1000.ddbReads, 1)}`,
      '',
      '',
      '',
      '',
    ]);
    rows.push([
      '2',
      'SQS requests / 1,000 reports (live, envelopes | singles)',
      `${f(live.per1000.sqs, 1)} | ${f(liveSingle.per1000.sqs, 1)}`,
      '',
      '',
      '',
      '',
    ]);
    rows.push(['2', 'S3 PUTs / 1,000 reports at ingest (live)', f(live.per1000.s3Puts, 1), '', '', '', '']);
  }
  const rb = r.ingest?.rollupBudget;
  if (rb) {
    rows.push([
      '2',
      `S3 PUTs per rolled minute (file + archive) | per rolled day`,
      `${f(rb.s3PutsPerMinute, 2)} | ${f(rb.s3PutsPerDay)}`,
      '',
      '',
      '<= 2 | <= 4',
      yes(rb.s3PutsPerMinute <= 2 && rb.s3PutsPerDay <= 4),
    ]);
    rows.push(['2', 'raw archive bytes per transaction (gzip JSON lines)', f(rb.archiveBytesPerTransaction), '', '', '', '']);
  }
  const ro = r.rollup;
  if (ro) {
    for (const run of [ro.minute, ...(ro.day ? [ro.day] : [])]) {
      const what = run.period.length === 10 ? `a day of ${f(run.loaded)} (2021 curve)` : `a minute of ${f(run.loaded)}`;
      rows.push([
        '3',
        `rollup, ${what}`,
        `${f(run.rollPerSecond)} tx/s, ${f(run.rollMs / 1000, 1)} s, peak RSS ${f(run.peakRssMb)} MB (${run.peakRssMb >= run.baselineRssMb ? '+' : ''}${f(run.peakRssMb - run.baselineRssMb)} over idle), heap ${f(run.peakHeapMb)} MB`,
        `${f(run.rawPerSecond)} items/s raw journal Query + BatchGetItem`,
        `${f(run.ratio * 100)} %`,
        '',
        '',
      ]);
    }
    if (ro.millionDay)
      rows.push([
        '3',
        'rollup, a day of 1,000,000 (estimate from the two runs)',
        `${f(ro.millionDay.estimatedMs / 1000)} s`,
        '',
        '',
        '',
        '',
      ]);
  }
  const health = r.api?.routes[0];
  r.api?.routes.slice(1).forEach((route, i) => {
    const target = route.name.includes('summary') ? '' : 'p99 <= 50 ms';
    const one = r.api!.oneClient[i + 1];
    const raw = r.api!.rawQuery.find((q) => route.name.includes(q.route));
    rows.push([
      '4',
      `API ${route.name}, ${r.api!.concurrency} clients (${route.requests} req)`,
      `p50 ${f(route.p50Ms, 1)} ms, p99 ${f(route.p99Ms, 1)} ms`,
      health ? `health p50 ${f(health.p50Ms, 1)}, p99 ${f(health.p99Ms, 1)} ms` : '',
      health ? `${f(route.p99Ms / health.p99Ms, 1)}x` : '',
      target,
      target ? yes(route.p99Ms <= 50 && route.errors === 0) : '',
    ]);
    if (one) {
      rows.push([
        '4',
        `  same, 1 client (${one.requests} req)`,
        `p50 ${f(one.p50Ms, 1)} ms, p99 ${f(one.p99Ms, 1)} ms`,
        raw
          ? `raw Query of its ${f(raw.items)} items ${f(raw.wholeItemsMs)} ms (${f(raw.withoutPayloadMs)} ms without payload)`
          : `health p50 ${f(r.api!.oneClient[0]!.p50Ms, 1)} ms`,
        raw ? `${f(one.p50Ms / raw.wholeItemsMs, 1)}x` : '',
        '',
        '',
      ]);
    }
  });
  for (const s of r.freshness?.samples ?? []) {
    const fr = r.freshness!;
    rows.push([
      '5',
      `freshness (${fr.mode.split(':')[0]}: lateness ${fr.latenessSeconds} s, schedule ${fr.scheduleSeconds} s), sent at :${String(Math.floor(s.secondOfMinute)).padStart(2, '0')}`,
      `${f(s.visibleAfterMs / 1000, 1)} s`,
      `bound ${f(60 - s.secondOfMinute + fr.latenessSeconds + fr.scheduleSeconds)} s`,
      '',
      '< 180 s',
      yes(s.visibleAfterMs < 180_000),
    ]);
  }
  if (r.cost) {
    rows.push([
      '6',
      `cost / million tx at ${f(r.cost.transactionsPerDay)} tx/day (prices ${r.cost.pricesAsOf})`,
      `US$${f(r.cost.measured.perMillion, 3)}`,
      `US$${f(r.cost.committed.perMillion, 3)} budget.ts`,
      '',
      '<= US$1.00',
      yes(r.cost.measured.perMillion <= 1),
    ]);
  }
  for (const fn of r.coldStart?.functions ?? []) {
    rows.push([
      '7',
      `cold start, ${fn.name}`,
      `${f(fn.bundleBytes / 1024)} KiB (gz ${f(fn.gzipBytes / 1024)}), init ${f(fn.initMsMedian)} ms`,
      `empty module ${f(r.coldStart!.baselineMsMedian, 1)} ms`,
      '',
      '',
      '',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
  const m = r.machine;
  out.push(
    '',
    `${r.mode} run, ${r.durationSeconds} s; ${m.cpus} x ${m.cpuModel}, ${m.memoryGb} GiB, Node ${m.node}; load average ${m.load1AtStart} at start, ${m.load1AtEnd} at end (shared machine)`,
  );
  if (r.errors.length) out.push(`errors: ${r.errors.join('; ')}`);
  return out.join('\n');
}
