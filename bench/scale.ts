/**
 * `npm run scale` — the scale envelope (issue 12): a 2021-profile day at 1× and at 10× through
 * the real rollup, stats-store and API code (shared/rollup.ts rollMinute and rollDay,
 * shared/store/stats.ts, shared/api/metrics.ts) over an in-memory DynamoDB and S3 that keep
 * DynamoDB's limits and accounting (bench/memory-dynamodb.ts: 400 KB items, 1 MB query pages,
 * units per partition), and the same exact aggregation of the peak minute by DuckDB over the same
 * reports as JSON lines, timed in the same run. Prints one table: limit, 1×, 10×, headroom.
 *
 * How the 10× day is made and rolled, to fit 10 minutes on a shared 2-core machine:
 * - the generator's 2021 day (no late reports: lateness only re-rolls minutes) is generated once
 *   and the counting rules applied (dedupe, pairing); the 10× day is 10 copies of each
 *   transaction with their own keys, systems split 40 ways with real-length agency codes
 *   (`000.00.00.Hnn/...`) and services 120 ways (≥ 10,000 systems, ≥ 2,000 services), and the
 *   peak minute copied up to 20,000 transactions;
 * - the peak minute and the five before it get the real final roll (minute index pages from the
 *   store, archive, S3 file, stats item), then the peak minute is rolled again with the pair
 *   window (its archive and the ten around it read): that is the timed peak-minute roll; every
 *   other minute's stats item is computed and stored by the same code rollMinute runs
 *   (PeriodStats, StatsStore.putMinute) without the event store and the archive;
 * - the day is rolled by rollDay from the 1,440 stats items; the API routes read through the real
 *   MetricsReader; year-long reads are the measured day's reads × 366 (estimates, said so);
 * - index-shard writes per second and the 6-hour catch-up are estimates from measured figures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { PIPELINE, functionDecl } from '#infra/wiring.ts';
import { MetricsReader } from '#shared/api/metrics.ts';
import { fnv1a } from '#shared/hash.ts';
import { applyReport, bucketMinute, toReport, type ReportFacts, type TransactionState } from '#shared/report.ts';
import { foldDay } from '#shared/day-so-far.ts';
import { PeriodStats } from '#shared/stats/period.ts';
import { SystemsStats } from '#shared/stats/systems.ts';
import { rollDay, rollMinute } from '#shared/rollup.ts';
import { keys } from '#shared/store/bucket.ts';
import { CONFLICT_SHARDS, encodeTransactionItem } from '#shared/store/events.ts';
import { MAX_ITEM_BYTES } from '#shared/store/item-size.ts';
import { DIRTY_SHARDS, REJECTION_SHARDS } from '#shared/store/stats.ts';
import { makeStores } from '#shared/store/stores.ts';
import { EVENTS_TABLE, KEYS_TABLE, STATS_TABLE } from '#shared/store/tables.ts';
import { MINUTE_MS, dayStartMs, minuteKeyOf, minuteStartMs } from '#shared/time.ts';
import { DayTraffic } from '#shared/traffic/generate.ts';
import { profile } from '#shared/traffic/profile.ts';
import { MemoryDynamoDB } from './memory-dynamodb.ts';
import { MemoryS3 } from './memory-s3.ts';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const DAY = '2021-06-15';
const started = Date.now();
const log = (msg: string): void => console.error(`[scale ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}`);
const ROLLUP = functionDecl('rollup');
const API = functionDecl('api');

interface Figures {
  scale: number;
  transactions: number;
  reports: number;
  peakMinute: string;
  peakTransactions: number;
  systems: number;
  services: number;
  groups: number;
  /** Rows of the day's systems.jsonl. */
  systemsGroups: number;
  generateSeconds: number;
  minuteRollsSeconds: number;
  /** Peak minute, final roll with the pair window (ten archive reads), in ms. */
  peakRollMs: number;
  peakRollRssMb: number;
  peakRollRssGrowthMb: number;
  peakIndexPages: number;
  dayRollMs: number;
  /** CPU time of the day roll (this process's, GC threads included): less sensitive to a shared machine's load. */
  dayRollCpuMs: number;
  dayRollRssMb: number;
  dayRollRssGrowthMb: number;
  /** Sequential roll time of the busiest 360 minutes (a 6-hour outage), s. */
  catchUp6hSeconds: number;
  largestItem: Record<string, number>;
  largestObject: Record<string, number>;
  indexShardPeakWcuPerSecond: number;
  reportsPeakPerSecond: number;
  api: Record<string, { bytes: number; rcu: number; ms: number; responseBytes: number }>;
  duckdbMs: number;
  oursPeakMs: number;
  duckdbGroups: number;
  oursGroups: number;
  /** The day read as today (not rolled): its fold from 1,140 minutes (after a late minute), then 60 more (the hourly add). */
  foldBuild: { ms: number; cpuMs: number; rssMb: number; growthMb: number };
  foldAdd: { ms: number; cpuMs: number; rssMb: number; growthMb: number };
}

/** Peak RSS while `fn` runs (sampled every 10 ms), and its growth over the RSS at the start. */
async function withRss<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number; rssMb: number; growthMb: number }> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    const cpu = process.cpuUsage(cpu0);
    return { value, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: peak / 1e6, growthMb: (peak - base) / 1e6 };
  } finally {
    clearInterval(timer);
  }
}

const DUCKDB_SQL = (file: string): string => `
WITH r AS (SELECT * FROM read_json('${file}', format = 'newline_delimited')),
d AS (SELECT DISTINCT ON (reporter.platformId, eventId) *,
        coalesce('T#' || transactionId, 'E#' || reporter.platformId || '#' || eventId) AS tk,
        CASE reporter.role WHEN 'CONSUMER' THEN 0 ELSE 1 END AS rank
      FROM r),
tx AS (SELECT tk, count(*) AS reports,
         arg_min(route, rank) AS route, arg_min(serviceCode, rank) AS service,
         arg_min(consumer.provinceCode, rank) AS cp, arg_min(provider.provinceCode, rank) AS pp,
         arg_min(succeeded, rank) AS ok, arg_min(requestBytes, rank) AS qb, arg_min(responseBytes, rank) AS sb,
         arg_min(epoch_ms(responseAt::TIMESTAMPTZ) - epoch_ms(requestAt::TIMESTAMPTZ), rank) AS ms,
         arg_min(consumer.orgCode || '/' || consumer.systemCode, rank) AS cs, arg_min(provider.orgCode || '/' || provider.systemCode, rank) AS ps
       FROM d GROUP BY tk)
SELECT route, service, cp, pp, count(*) AS n, sum(ok::INT) AS ok, sum((reports = 2)::INT) AS paired, sum(qb) AS qb, sum(sb) AS sb,
       quantile_cont(ms, [0.5, 0.95, 0.99]) AS p, max(ms) AS mx
FROM tx GROUP BY ALL`;

/** The 2021-profile day at 1×, as transactions by minute (generated once, with the counting rules applied). */
interface BaseDay {
  byMinute: Map<string, TransactionState[]>;
  peakMinute: string;
  reports: number;
  generateSeconds: number;
}

function generateBase(): BaseDay {
  const t0 = performance.now();
  const traffic = new DayTraffic({ ...profile('2021'), lateShare: 0 }, DAY, {});
  const open = new Map<string, TransactionState>();
  let reports = 0;
  for (const e of traffic.events()) {
    const r = toReport(e, Date.parse(e.responseAt) + 1600);
    let tx = open.get(r.transactionKey);
    if (!tx) open.set(r.transactionKey, (tx = { key: r.transactionKey }));
    if (applyReport(tx, r) === 'stored') reports++;
  }
  const byMinute = new Map<string, TransactionState[]>();
  for (const tx of open.values()) {
    const m = bucketMinute(tx);
    if (!byMinute.has(m)) byMinute.set(m, []);
    byMinute.get(m)!.push(tx);
  }
  return {
    byMinute,
    peakMinute: traffic.expected.peakMinute!.periodStart.slice(0, 16),
    reports,
    generateSeconds: (performance.now() - t0) / 1000,
  };
}

const agency = (org: string, v: number): string => {
  const h = fnv1a(`${org}/${v}`);
  return `${String(h % 1000).padStart(3, '0')}.${String((h >>> 10) % 100).padStart(2, '0')}.${String((h >>> 17) % 100).padStart(2, '0')}.H${String((h >>> 24) % 100).padStart(2, '0')}`;
};

const widenedSystems = new Map<string, string>();

/**
 * Copy `c` of a transaction for the 10× day: its own key and ids, systems split 40 ways with
 * real-length agency codes and services 120 ways (≥ 10,000 systems, ≥ 2,000 services).
 */
function cloneTx(tx: TransactionState, c: number, widened: boolean): TransactionState {
  if (!widened) return tx;
  // Services 120 ways at random (the day groups); the systems follow the service variant, as a
  // consumer system calls the services it is built for: each service variant is called by two
  // variants of its consumer system, each calling one variant of the provider system. (Drawn at
  // random too, nearly every transaction was a systems group of its own: ~5 million a day.)
  const j = fnv1a(`${tx.key}~${c}`);
  const sv = (j >>> 12) % 120;
  const vc = (sv + ((j >>> 20) % 2)) % 40;
  const vp = (vc * 7) % 40;
  const sys = (code: string, v: number): string => {
    const k = `${code}|${v}`;
    let out = widenedSystems.get(k);
    if (out === undefined) {
      const [org, system] = [code.slice(0, code.indexOf('/')), code.slice(code.indexOf('/') + 1)];
      widenedSystems.set(k, (out = `${agency(org, v)}/${system}-HTTT-${String(v).padStart(3, '0')}`));
    }
    return out;
  };
  const facts = (f: ReportFacts | undefined): ReportFacts | undefined =>
    f && {
      ...f,
      eventId: `${f.eventId}~${c}`,
      ...(f.transactionId ? { transactionId: `${f.transactionId}~${c}` } : {}),
      consumerSystem: sys(f.consumerSystem, vc),
      providerSystem: sys(f.providerSystem, vp),
      serviceCode: `${f.serviceCode}.v${sv}`,
    };
  return {
    key: `${tx.key}~${c}`,
    ...(tx.consumer ? { consumer: facts(tx.consumer) } : {}),
    ...(tx.provider ? { provider: facts(tx.provider) } : {}),
  };
}

/** The reports of a transaction as exchange events (for DuckDB's JSON lines). */
function eventsOf(tx: TransactionState): object[] {
  const out: object[] = [];
  for (const [role, f] of [
    ['CONSUMER', tx.consumer],
    ['PROVIDER', tx.provider],
  ] as const) {
    if (!f) continue;
    const party = (code: string, province: string) => ({
      orgCode: code.slice(0, code.indexOf('/')),
      systemCode: code.slice(code.indexOf('/') + 1),
      provinceCode: province,
    });
    out.push({
      eventId: f.eventId,
      ...(f.transactionId ? { transactionId: f.transactionId } : {}),
      reporter: { platformId: f.platformId, role },
      route: f.route,
      consumer: party(f.consumerSystem, f.consumerProvince),
      provider: party(f.providerSystem, f.providerProvince),
      serviceCode: f.serviceCode,
      requestAt: new Date(f.requestAtMs).toISOString(),
      responseAt: new Date(f.requestAtMs + f.durationMs).toISOString(),
      succeeded: f.succeeded,
      requestBytes: f.requestBytes,
      responseBytes: f.responseBytes,
    });
  }
  return out;
}

async function run(base: BaseDay, scale: number, peakTarget: number): Promise<Figures> {
  const ddb = new MemoryDynamoDB([
    { name: 'events', def: EVENTS_TABLE },
    { name: 'stats', def: STATS_TABLE },
    { name: 'keys', def: KEYS_TABLE },
  ]);
  const peakMinute = base.peakMinute;
  // Rollup files are counted, not kept: a Lambda sends them away, and a 10× day's are ~400 MB.
  const s3 = new MemoryS3((k) => !k.startsWith('rollups/'));
  const stores = makeStores(
    ddb as unknown as DynamoDBClient,
    s3 as unknown as S3Client,
    { eventsTable: 'events', statsTable: 'stats', bucket: 'bucket' },
    PIPELINE,
  );
  const deps = { ...stores, pairWindowMs: 0, now: () => dayStartMs(DAY) + 2 * 86_400_000 };
  const widened = scale > 1;
  const copiesOf = (m: string): number =>
    m === peakMinute ? Math.max(scale, Math.ceil(peakTarget / base.byMinute.get(m)!.length)) : scale;
  const fullRoll = new Set<string>();
  for (let i = -PIPELINE.pairWindowMinutes; i <= 0; i++) fullRoll.add(minuteKeyOf(minuteStartMs(peakMinute) + i * MINUTE_MS));

  const systems = new Set<string>();
  const services = new Set<string>();
  const perMinuteTx = new Map<string, number>();
  let transactions = 0;
  let statsMs = 0;
  let oursPeakMs = 0;
  let oursGroups = 0;
  let peakTxs: TransactionState[] = [];
  const dayStart = dayStartMs(DAY);
  for (let t = dayStart; t < dayStart + 86_400_000; t += MINUTE_MS) {
    const m = minuteKeyOf(t);
    const txs: TransactionState[] = [];
    for (const tx of base.byMinute.get(m) ?? []) for (let c = 0; c < copiesOf(m); c++) txs.push(cloneTx(tx, c, widened));
    transactions += txs.length;
    perMinuteTx.set(m, txs.length);
    for (const tx of txs) {
      const f = tx.consumer ?? tx.provider!;
      systems.add(f.consumerSystem);
      systems.add(f.providerSystem);
      services.add(f.serviceCode);
    }
    if (fullRoll.has(m)) {
      // The real final roll: minute index pages, archive, S3 file and stats item.
      for (const tx of txs) ddb.put('events', encodeTransactionItem(tx));
      // The minute journal as ingest writes it: one entry per batch (10 envelopes of 100 reports).
      for (let i = 0; i < txs.length; i += 1000)
        await stores.events.journal.record(`scale-${i}`, new Map([[m, new Set(txs.slice(i, i + 1000).map((tx) => tx.key))]]));
      const t0 = performance.now();
      const stats = await rollMinute(m, deps);
      const ms = performance.now() - t0;
      if (m === peakMinute) {
        oursPeakMs = ms;
        oursGroups = stats.rows(m, 'minute').length;
        peakTxs = txs;
      } else ddb.dropWhere('events', (it) => it.m?.S === m);
      continue;
    }
    // Every other minute: the systems and stats items as rollMinute computes and stores them (no event store, no archive).
    const t0 = performance.now();
    const stats = new PeriodStats();
    const minuteSystems = new SystemsStats();
    for (const tx of txs) {
      stats.addTransaction(tx);
      minuteSystems.addTransaction(tx);
    }
    const totals = stats.totals();
    await stores.stats.putMinuteSystems(m, minuteSystems.toPayload());
    await stores.stats.putMinute(
      m,
      { transactions: totals.transactions, succeeded: totals.succeeded, durationMsP95: totals.sketch.quantile(0.95) },
      stats.toPayload(),
    );
    statsMs += performance.now() - t0;
  }
  log(
    `${scale}×: ${transactions.toLocaleString('en')} transactions, ${systems.size.toLocaleString('en')} systems, ${services.size} services; minute stats items in ${(statsMs / 1000).toFixed(0)} s`,
  );

  // The peak minute again, as a re-roll with the pair window: its archive and the ten around it are read.
  ddb.pages.clear();
  const peak = await withRss(() => rollMinute(peakMinute, { ...deps, pairWindowMs: PIPELINE.pairWindowMinutes * MINUTE_MS }));
  const peakIndexPages = Math.max(0, ...[...ddb.pages].filter(([k]) => k === 'stats:J').map(([, v]) => v));
  ddb.dropWhere('events', () => true);
  const day = await withRss(() => rollDay(DAY, deps));
  log(
    `${scale}×: peak minute (${perMinuteTx.get(peakMinute)!.toLocaleString('en')} transactions) re-rolled in ${peak.ms.toFixed(0)} ms, day in ${day.ms.toFixed(0)} ms (${day.value.distinctSystems.toLocaleString('en')} systems)`,
  );

  // API reads: what each route reads for this day, through the real MetricsReader.
  const reader = new MetricsReader(stores.stats, () => dayStart + 3 * 86_400_000);
  const api: Figures['api'] = {};
  const measure = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
    ddb.readBytes = 0;
    ddb.readUnits = 0;
    const t0 = performance.now();
    const out = await fn();
    api[name] = { bytes: ddb.readBytes, rcu: ddb.readUnits, ms: performance.now() - t0, responseBytes: JSON.stringify(out).length };
  };
  await measure('minutes24h', () => reader.minutes({ fromMs: dayStart, toMs: dayStart + 86_400_000, filter: {} }));
  await measure('minutes24hFiltered', () => reader.minutes({ fromMs: dayStart, toMs: dayStart + 86_400_000, filter: { route: 'NGSP' } }));
  await measure('summaryDay', () => reader.summary({ from: DAY, to: DAY }));
  await measure('daysFilteredDay', () => reader.days({ from: DAY, to: DAY, filter: { route: 'NGSP' } }));
  await measure('breakdownSystemsDay', () => reader.systemsBreakdown({ from: DAY, to: DAY, filter: {}, by: 'system', limit: 100 }));

  // The same day read as today (not rolled yet: now is 20:00): from its 1,440 minutes, then through its fold.
  const today = new MetricsReader(stores.stats, () => dayStart + 20 * 3_600_000);
  await measure('todayNoFold', () => today.days({ from: DAY, to: DAY, filter: {} }));
  const foldBuild = await withRss(() => foldDay(DAY, stores.stats, '19:00'));
  const foldAdd = await withRss(() => foldDay(DAY, stores.stats, '20:00'));
  await measure('todayDays', () => today.days({ from: DAY, to: DAY, filter: {} }));
  await measure('todaySummary', () => today.summary({ from: DAY, to: DAY }));
  await measure('todayDaysFiltered', () => today.days({ from: DAY, to: DAY, filter: { route: 'NGSP' } }));
  await measure('todayBreakdownSystems', () => today.systemsBreakdown({ from: DAY, to: DAY, filter: {}, by: 'system', limit: 100 }));

  // A year of such days: the day's items copied under every day of its year, the month unions made by the store.
  const year = DAY.slice(0, 4);
  for (let t = dayStartMs(`${year}-01-01`); t < dayStartMs(`${Number(year) + 1}-01-01`); t += 86_400_000) {
    const d = minuteKeyOf(t).slice(0, 10);
    if (d === DAY) continue;
    for (const pk of [`DAY#${year}`, `DAYP#${year}`, `DAYF#${year}`, `SYS#${year}`])
      ddb.copyPartition('stats', pk, DAY.slice(5), (p, sk) => [p, d.slice(5) + sk.slice(5)]);
  }
  // The year's series item: the day's point under every day.
  const series = (await ddb.send(new GetItemCommand({ TableName: 'stats', Key: { pk: { S: `SER#${year}` }, sk: { S: 'series' } } }))).Item;
  const point = series[`d${DAY.slice(5, 7)}${DAY.slice(8)}`];
  for (let t = dayStartMs(`${year}-01-01`); t < dayStartMs(`${Number(year) + 1}-01-01`); t += 86_400_000) {
    const d = minuteKeyOf(t).slice(0, 10);
    series[`d${d.slice(5, 7)}${d.slice(8)}`] = point;
  }
  ddb.put('stats', series);
  for (let m = 1; m <= 12; m++) await stores.stats.putMonthSystems(year, String(m).padStart(2, '0'));
  const nextYear = new MetricsReader(stores.stats, () => dayStartMs(`${Number(year) + 1}-01-10`));
  await measure('summaryYear', () => nextYear.summary({ from: `${year}-01-01`, to: `${year}-12-31` }));
  await measure('daysYearFiltered', () => nextYear.days({ from: `${year}-01-01`, to: `${year}-12-31`, filter: { province: '01' } }));

  // DuckDB: the same aggregation of the peak minute's reports (dedupe, pairing, groups, percentiles).
  const dir = mkdtempSync(join(tmpdir(), 'ngsp-scale-'));
  let duckdbMs = 0;
  let duckdbGroups = 0;
  try {
    const file = join(dir, 'peak.jsonl');
    writeFileSync(
      file,
      peakTxs
        .flatMap(eventsOf)
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
    );
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const t0 = performance.now();
    const result = await conn.runAndReadAll(DUCKDB_SQL(file));
    duckdbMs = performance.now() - t0;
    duckdbGroups = result.getRows().length;
    conn.closeSync();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // A 6-hour outage: the busiest 360 consecutive minutes at the peak minute's full-roll time per transaction.
  const perTx = peak.ms / perMinuteTx.get(peakMinute)!;
  const counts = [...perMinuteTx.values()];
  let window = counts.slice(0, 360).reduce((a, b) => a + b, 0);
  let worst = window;
  for (let i = 360; i < counts.length; i++) {
    window += counts[i]! - counts[i - 360]!;
    worst = Math.max(worst, window);
  }
  // Journal writes: the peak minute's reports arrive over its 60 s, the busiest second holding ~2× the average; the
  // worst case is single-event messages, one journal entry (≤ 1 KB, 1 WCU) per batch of 10 reports, all on J#<minute>.
  const peakReports = peakTxs.reduce((n, tx) => n + (tx.consumer ? 1 : 0) + (tx.provider ? 1 : 0), 0);
  const reportsPeakPerSecond = Math.ceil((2 * peakReports) / 60);
  const dailyRows = s3.lines.get(keys.dailyJsonl(DAY)) ?? 0;
  const systemsRows = s3.lines.get(keys.systemsJsonl(DAY)) ?? 0;
  return {
    scale,
    transactions,
    reports: 0,
    peakMinute,
    peakTransactions: perMinuteTx.get(peakMinute)!,
    systems: systems.size,
    services: services.size,
    groups: dailyRows,
    systemsGroups: systemsRows,
    generateSeconds: base.generateSeconds,
    minuteRollsSeconds: statsMs / 1000,
    peakRollMs: peak.ms,
    peakRollRssMb: peak.rssMb,
    peakRollRssGrowthMb: peak.growthMb,
    peakIndexPages,
    dayRollMs: day.ms,
    dayRollCpuMs: day.cpuMs,
    dayRollRssMb: day.rssMb,
    dayRollRssGrowthMb: day.growthMb,
    catchUp6hSeconds: (worst * perTx) / 1000,
    largestItem: Object.fromEntries(ddb.largest),
    largestObject: Object.fromEntries(s3.largest),
    indexShardPeakWcuPerSecond: Math.ceil(reportsPeakPerSecond / 10),
    reportsPeakPerSecond,
    api,
    duckdbMs,
    oursPeakMs,
    duckdbGroups,
    oursGroups,
    foldBuild,
    foldAdd,
  };
}

const kb = (n: number): string => `${(n / 1024).toFixed(0)} KB`;
const pct = (v: number, limit: number): string => `${Math.max(0, Math.round((1 - v / limit) * 100))} %`;

async function main(): Promise<void> {
  // `npm run scale -- --tens 0.1`: a smaller "10×" run, to try the harness quickly.
  const arg = process.argv.indexOf('--tens');
  const tens = arg > 0 ? Number(process.argv[arg + 1]) : 10;
  const base = generateBase();
  log(`2021 day generated: ${base.reports.toLocaleString('en')} reports in ${base.generateSeconds.toFixed(0)} s`);
  const one = await run(base, 1, 0);
  const ten = await run(base, tens, 20_000);
  const rows: [string, string, string, string, string][] = [];
  const row = (limit: string, a: string, b: string, headroom: string, note = ''): void => void rows.push([limit, a, b, headroom, note]);
  const largest = (f: Figures, prefix: string): number => f.largestItem[prefix] ?? 0;
  row(
    'volume (transactions / day; peak minute)',
    `${one.transactions.toLocaleString('en')}; ${one.peakTransactions}`,
    `${ten.transactions.toLocaleString('en')}; ${ten.peakTransactions.toLocaleString('en')}`,
    '',
    'generator, 2021 profile, 2021-06-15',
  );
  row(
    'cardinality (systems; services; day groups; systems rows of the day)',
    `${one.systems}; ${one.services}; ${one.groups.toLocaleString('en')}; ${one.systemsGroups.toLocaleString('en')}`,
    `${ten.systems.toLocaleString('en')}; ${ten.services.toLocaleString('en')}; ${ten.groups.toLocaleString('en')}; ${ten.systemsGroups.toLocaleString('en')}`,
    '',
    '10×: widened (see bench/README.md)',
  );
  for (const p of [
    'stats:MIN',
    'stats:DAY',
    'stats:DAYP',
    'stats:SYS',
    'stats:SYSM',
    'stats:SMIN',
    'stats:SDAY',
    'stats:DSF',
    'stats:SER',
    'events:T',
  ]) {
    row(`DynamoDB item ≤ 400 KB: ${p}`, kb(largest(one, p)), kb(largest(ten, p)), pct(largest(ten, p), MAX_ITEM_BYTES));
  }
  row(
    'DynamoDB query page 1 MB: pages of the minute journal (J#minute), peak minute',
    String(one.peakIndexPages),
    String(ten.peakIndexPages),
    'paged (LastEvaluatedKey followed)',
  );
  row(
    'DynamoDB partition 1,000 WCU/s: the minute journal (J#minute), peak second',
    String(one.indexShardPeakWcuPerSecond),
    String(ten.indexShardPeakWcuPerSecond),
    pct(ten.indexShardPeakWcuPerSecond, 1000),
    `est.: ${ten.reportsPeakPerSecond.toLocaleString('en')} reports/s (2× the peak minute's mean), single-event messages: one 1 KB entry per batch of 10; items spread by transaction key`,
  );
  // Worst cases at the peak second: every report alone in its message (10 to an ingest batch).
  const perShard = (f: Figures, shards: number): number => Math.ceil(f.reportsPeakPerSecond / shards);
  const dirtyPerShard = (f: Figures): number => Math.ceil(((f.reportsPeakPerSecond / 10) * 10) / DIRTY_SHARDS);
  row(
    `DynamoDB partition 1,000 WCU/s: a day's conflicts (X#day#shard, ${CONFLICT_SHARDS} index shards), peak second`,
    String(perShard(one, CONFLICT_SHARDS)),
    String(perShard(ten, CONFLICT_SHARDS)),
    pct(perShard(ten, CONFLICT_SHARDS), 1000),
    `est., worst case: every report a conflict (${ten.reportsPeakPerSecond.toLocaleString('en')}/s), 1 WCU each; one partition before the shards`,
  );
  row(
    `DynamoDB partition 1,000 WCU/s: a day's rejection counts (REJ#day#shard, ${REJECTION_SHARDS} shards), peak second`,
    String(perShard(one, REJECTION_SHARDS)),
    String(perShard(ten, REJECTION_SHARDS)),
    pct(perShard(ten, REJECTION_SHARDS), 1000),
    'est., worst case: every report alone in its message and rejected, one count item each; one partition before the shards',
  );
  row(
    `DynamoDB partition 1,000 WCU/s: dirty marks (DIRTY#shard, ${DIRTY_SHARDS} shards), peak second`,
    String(dirtyPerShard(one)),
    String(dirtyPerShard(ten)),
    pct(dirtyPerShard(ten), 1000),
    'est., worst case: an ingest batch a second per 10 reports, each marking 10 minutes; one mark item ≤ 1 KB; one key at most one write per batch',
  );
  row(
    `Lambda memory ${ROLLUP.memoryMb} MB: peak minute roll (peak RSS; growth)`,
    `${one.peakRollRssMb.toFixed(0)}; +${one.peakRollRssGrowthMb.toFixed(0)} MB`,
    `${ten.peakRollRssMb.toFixed(0)}; +${ten.peakRollRssGrowthMb.toFixed(0)} MB`,
    pct(ten.peakRollRssGrowthMb + 150, ROLLUP.memoryMb),
    'RSS includes the in-memory stores; headroom on growth + 150 MB runtime',
  );
  row(
    `Lambda memory ${ROLLUP.memoryMb} MB: day roll (peak RSS; growth)`,
    `${one.dayRollRssMb.toFixed(0)}; +${one.dayRollRssGrowthMb.toFixed(0)} MB`,
    `${ten.dayRollRssMb.toFixed(0)}; +${ten.dayRollRssGrowthMb.toFixed(0)} MB`,
    pct(ten.dayRollRssGrowthMb + 150, ROLLUP.memoryMb),
  );
  row(
    `Lambda timeout ${ROLLUP.timeoutSeconds} s: peak minute final re-roll (pair window)`,
    `${one.peakRollMs.toFixed(0)} ms`,
    `${ten.peakRollMs.toFixed(0)} ms`,
    pct(ten.peakRollMs / 1000, ROLLUP.timeoutSeconds),
  );
  row(
    `Lambda timeout ${ROLLUP.timeoutSeconds} s: day roll (wall; CPU)`,
    `${one.dayRollMs.toFixed(0)}; ${one.dayRollCpuMs.toFixed(0)} ms`,
    `${ten.dayRollMs.toFixed(0)}; ${ten.dayRollCpuMs.toFixed(0)} ms`,
    pct(ten.dayRollMs / 1000, ROLLUP.timeoutSeconds),
    'CPU includes the GC threads (can exceed wall on 2 cores); wall is inflated by other jobs on a shared machine',
  );
  row(
    'minute stats items of the day (aggregate + store, 1,440, sequential)',
    `${one.minuteRollsSeconds.toFixed(0)} s / day`,
    `${ten.minuteRollsSeconds.toFixed(0)} s / day`,
    pct(ten.minuteRollsSeconds, 86_400),
  );
  row(
    "catch-up of a 6-hour outage (busiest 360 minutes at the peak roll's time per transaction)",
    `${one.catchUp6hSeconds.toFixed(0)} s`,
    `${ten.catchUp6hSeconds.toFixed(0)} s`,
    '',
    `estimate; runs of ≤ ${ROLLUP.timeoutSeconds - Number(ROLLUP.settings.BUDGET_MARGIN_SECONDS)} s each (time budget), one a minute`,
  );
  row(
    `Lambda timeout ${ROLLUP.timeoutSeconds} s: today's fold, from 1,140 minutes (after a late minute; wall; CPU; RSS growth)`,
    `${one.foldBuild.ms.toFixed(0)}; ${one.foldBuild.cpuMs.toFixed(0)} ms; +${one.foldBuild.growthMb.toFixed(0)} MB`,
    `${ten.foldBuild.ms.toFixed(0)}; ${ten.foldBuild.cpuMs.toFixed(0)} ms; +${ten.foldBuild.growthMb.toFixed(0)} MB`,
    pct(ten.foldBuild.ms / 1000, ROLLUP.timeoutSeconds),
    'once per run at most, within its time budget; readers merge every minute meanwhile',
  );
  row(
    `Lambda timeout ${ROLLUP.timeoutSeconds} s: today's fold, the hourly add of 60 minutes (wall; CPU; RSS growth)`,
    `${one.foldAdd.ms.toFixed(0)}; ${one.foldAdd.cpuMs.toFixed(0)} ms; +${one.foldAdd.growthMb.toFixed(0)} MB`,
    `${ten.foldAdd.ms.toFixed(0)}; ${ten.foldAdd.cpuMs.toFixed(0)} ms; +${ten.foldAdd.growthMb.toFixed(0)} MB`,
    pct(ten.foldAdd.ms / 1000, ROLLUP.timeoutSeconds),
  );
  for (const [name, what] of [
    ['minutes24h', '/v1/metrics/minutes 24 h'],
    ['minutes24hFiltered', '/v1/metrics/minutes 24 h ?route='],
    ['summaryDay', '/v1/metrics/summary one day'],
    ['daysFilteredDay', '/v1/metrics/days one day ?route='],
    ['breakdownSystemsDay', '/v1/metrics/breakdown?by=system one day'],
    ['todayNoFold', '/v1/metrics/days today, no fold (1,440 minutes)'],
    ['todayDays', '/v1/metrics/days today, through the fold'],
    ['todaySummary', '/v1/metrics/summary today, through the fold'],
    ['todayDaysFiltered', '/v1/metrics/days today ?route=, through the fold'],
    ['todayBreakdownSystems', '/v1/metrics/breakdown?by=system today, through the fold'],
    ['summaryYear', '/v1/metrics/summary?year= (366 days, 12 month unions)'],
    ['daysYearFiltered', '/v1/metrics/days a year ?province= (366 days of facets)'],
  ] as const) {
    row(
      `API 29 s, 6 MB: ${what} (read; response; time)`,
      `${kb(one.api[name]!.bytes)}; ${kb(one.api[name]!.responseBytes)}; ${one.api[name]!.ms.toFixed(0)} ms`,
      `${kb(ten.api[name]!.bytes)}; ${kb(ten.api[name]!.responseBytes)}; ${ten.api[name]!.ms.toFixed(0)} ms`,
      `${pct(ten.api[name]!.ms / 1000, API.timeoutSeconds)} of time; ${pct(ten.api[name]!.responseBytes, 6 * 1024 * 1024)} of size`,
    );
  }
  const month = (f: Figures): string =>
    `${kb(31 * f.api.breakdownSystemsDay!.bytes)}; ${(31 * f.api.breakdownSystemsDay!.ms).toFixed(0)} ms`;
  row(
    'API 29 s: /v1/metrics/breakdown?by=system 31 days (read; time)',
    month(one),
    month(ten),
    pct((31 * ten.api.breakdownSystemsDay!.ms) / 1000, API.timeoutSeconds),
    'est.: 31 × one day; over the limit at 10× (see bench/README.md)',
  );
  row(
    'peer: DuckDB, same aggregation of the peak minute (ours ÷ DuckDB)',
    `${one.oursPeakMs.toFixed(0)} / ${one.duckdbMs.toFixed(0)} ms = ${(one.oursPeakMs / one.duckdbMs).toFixed(1)}`,
    `${ten.oursPeakMs.toFixed(0)} / ${ten.duckdbMs.toFixed(0)} ms = ${(ten.oursPeakMs / ten.duckdbMs).toFixed(1)}`,
    '',
    `groups: ours ${ten.oursGroups}, DuckDB ${ten.duckdbGroups} (10×)`,
  );
  row(
    'S3 objects (no limit): largest daily object (rollup.jsonl/csv/summary.json); minute file; archive',
    `${kb(one.largestObject['rollups/daily'] ?? 0)}; ${kb(one.largestObject['rollups/minute'] ?? 0)}; ${kb(one.largestObject['archive/date=2021-06-15'] ?? 0)}`,
    `${kb(ten.largestObject['rollups/daily'] ?? 0)}; ${kb(ten.largestObject['rollups/minute'] ?? 0)}; ${kb(ten.largestObject['archive/date=2021-06-15'] ?? 0)}`,
    '',
  );
  const widths = [0, 1, 2, 3, 4].map((i) =>
    Math.max(...rows.map((r) => r[i]!.length), ['limit', '1×', '10×', 'headroom at 10×', 'note'][i]!.length),
  );
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(['limit', '1×', '10×', 'headroom at 10×', 'note']));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(
    `\n${((Date.now() - started) / 1000).toFixed(0)} s in all; generation ${one.generateSeconds.toFixed(0)} + ${ten.generateSeconds.toFixed(0)} s; API limits of ${API.name}: ${API.timeoutSeconds} s`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
