/**
 * Figures 1 and 2: ingest throughput through the real worker process (SQS → store), beside the
 * local ceiling (the same UpdateItems issued straight to the emulator), and the exact request
 * budget per 1,000 reports counted by SDK middleware — in the worker (NGSP_COUNT_REQUESTS), in
 * the sender, in a scheduled rollup of the same minutes, and for the Powertools alternative.
 */
import { gunzipSync } from 'node:zlib';
import { queueDepth } from '#shared/store/queue.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { PIPELINE, PIPELINE_SETTINGS, rollupNumbers } from '#infra/wiring.ts';
import { makeStores } from '#shared/store/stores.ts';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { toReport } from '#shared/report.ts';
import { rollDay, runScheduled } from '#shared/rollup.ts';
import { dayOf } from '#shared/time.ts';
import { LocalStack, makeLocalClients } from '../local/stack.ts';
import { createIdempotencyTable, writeWithPowertools } from './idempotency-alt.ts';
import {
  RequestCounter,
  addCounts,
  classify,
  diffCounts,
  load1,
  pool,
  readWorkerCounts,
  runChild,
  sleep,
  waitFor,
  type Counts,
} from './lib.ts';
import type { RawWriterInput, RawWriterOutput } from './raw-writer.ts';
import { bodies, dayTraffic, retime } from './traffic.ts';

const SHARDS = Number(PIPELINE_SETTINGS.GSI_SHARDS);
/** In-flight writes of the ceiling: the ingest function's WRITE_CONCURRENCY. */
const CEILING_CONCURRENCY = 32;
/** Batches the local worker handles at once (the event source mapping scales up with a backlog). */
export const POLLERS = 4;
/** A past day of the 2021 profile for the backfill budget (every minute already rolled: all late). */
const BACKFILL_DAY = '2021-03-10';

const require = createRequire(import.meta.url);
/** DynamoDB's item size rules (attribute names + values), as dynalite implements them. */
const itemSize = (require('dynalite/db/index.js') as { itemSize: (item: Record<string, AttributeValue>) => number }).itemSize;

export interface IngestBenchOptions {
  /** Reports per throughput run (live traffic). */
  reports: number;
  /** Reports per backfill budget run. */
  backfillReports: number;
  /** Reports through the Powertools alternative. */
  alternativeReports: number;
  /** Bound for each wait. */
  timeoutMs: number;
}

export interface ThroughputRun {
  envelope: number;
  messages: number;
  reports: number;
  workerMs: number;
  reportsPerSecond: number;
  ceilingWrites: number;
  ceilingMs: number;
  ceilingPerSecond: number;
  /** Both ceiling measurements (before and after the worker run); the better one is `ceilingPerSecond`. */
  ceilingRunsPerSecond: number[];
  /** Worker rate / ceiling rate. */
  ratio: number;
  storedTransactions: number;
  expectedTransactions: number;
  load1: number;
}

export interface Budget {
  scenario: string;
  reports: number;
  counts: Counts;
  per1000: ReturnType<typeof classify> & { byOperation: Counts };
}

export interface IngestBenchResult {
  runs: ThroughputRun[];
  budgets: Budget[];
  rollupBudget: {
    minutesRolled: number;
    days: number;
    counts: Counts;
    s3PutsPerMinute: number;
    ddbWritesPerMinute: number;
    ddbReadsPerMinute: number;
    dayCounts: Counts;
    s3PutsPerDay: number;
    archiveBytesPerTransaction: number;
  };
  alternative: Budget & { library: string };
  itemSizes: {
    transactions: number;
    avgItemBytes: number;
    avgWruPerReport: number;
    avgQueryRruPerTransaction: number;
    avgStoredBytesPerTransaction: number;
  };
  avgEventBytes: number;
  avgEnvelopeBytes: number;
}

function per1000(counts: Counts, reports: number): Budget['per1000'] {
  const scale = (n: number): number => Math.round((n * 1000_0) / reports) / 10;
  const c = classify(counts);
  const byOperation: Counts = {};
  for (const [k, v] of Object.entries(counts)) byOperation[k] = scale(v);
  return {
    ddbWrites: scale(c.ddbWrites),
    ddbReads: scale(c.ddbReads),
    sqs: scale(c.sqs),
    s3Puts: scale(c.s3Puts),
    s3Other: scale(c.s3Other),
    byOperation,
  };
}

/** SendMessageBatch, 10 messages a request, 4 requests in flight (an LGSP's sender). */
async function send(sqs: SQSClient, queueUrl: string, messageBodies: string[]): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < messageBodies.length; i += 10) batches.push(messageBodies.slice(i, i + 10));
  await pool(batches, 4, async (batch) => {
    const out = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((b, i) => ({ Id: String(i), MessageBody: b })) }),
    );
    if (out.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(out.Failed[0])}`);
  });
}

async function scanTransactions(stack: LocalStack, prefix: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await stack.clients.ddb.send(new ScanCommand({ TableName: stack.resources.names.tables.Events, ExclusiveStartKey: start }));
    for (const it of out.Items ?? []) if (it.pk?.S?.includes(prefix) && !it.pk.S.includes('-ceil-')) items.push(it);
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The minute journal's entries (stats table, `J#…`) that name a key with the prefix. */
async function scanJournal(stack: LocalStack, prefix: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await stack.clients.ddb.send(new ScanCommand({ TableName: stack.resources.names.tables.Stats, ExclusiveStartKey: start }));
    for (const it of out.Items ?? [])
      if (it.pk?.S?.startsWith('J#') && it.k?.SS?.some((k) => k.includes(prefix) && !k.includes('-ceil-'))) items.push(it);
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Write units of each report and read units of one roll, from the stored items by DynamoDB's
 * size rules: each report writes its item as it is after that report (1 KB units); each message
 * writes one journal entry per minute (its share per report); a roll reads the minute's journal
 * (strongly consistent, 4 KB units summed over the page) and each item by BatchGetItem
 * (eventually consistent: half a unit per 4 KB, rounded up per item).
 */
function sizesOf(items: Record<string, AttributeValue>[], journal: Record<string, AttributeValue>[]): IngestBenchResult['itemSizes'] {
  let bytes = 0;
  let wru = 0;
  let reports = 0;
  let rru = 0;
  let stored = 0;
  for (const it of items) {
    const full = itemSize(it);
    bytes += full;
    stored += full + 100; // DynamoDB adds 100 bytes of overhead per item
    rru += Math.ceil(full / 4096) / 2;
    const slots = (['c', 'p'] as const).filter((s) => it[s]);
    slots.forEach((_s, i) => {
      const after = i === slots.length - 1 ? it : Object.fromEntries(Object.entries(it).filter(([k]) => k !== slots[slots.length - 1]));
      wru += Math.ceil(itemSize(after) / 1024);
      reports++;
    });
  }
  for (const j of journal) {
    const size = itemSize(j);
    wru += Math.ceil(size / 1024);
    rru += size / 4096;
    stored += size + 100;
  }
  const n = Math.max(1, items.length);
  return {
    transactions: items.length,
    avgItemBytes: Math.round(bytes / n),
    avgWruPerReport: Math.round((wru / Math.max(1, reports)) * 1000) / 1000,
    avgQueryRruPerTransaction: Math.round((rru / n) * 10000) / 10000,
    avgStoredBytesPerTransaction: Math.round(stored / n),
  };
}

interface ModeOutcome {
  run: ThroughputRun;
  live: Budget;
  backfill: Budget;
  stack?: LocalStack;
  dataDir: string;
  countPrefix: string;
}

/** One stack per mode: ceiling, then the preloaded queue drained by a freshly started worker, then a backfill. */
async function runMode(
  envelope: number,
  liveEvents: ExchangeEvent[],
  backfillEvents: ExchangeEvent[],
  o: IngestBenchOptions,
  keepStack: boolean,
  afterLive?: (stack: LocalStack) => Promise<void>,
): Promise<ModeOutcome> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ngsp-bench-ingest-'));
  const countPrefix = join(dataDir, 'requests');
  const tag = `b${envelope}x${Date.now().toString(36)}`;
  const stack = await LocalStack.start({
    prefix: tag,
    dataDir,
    useEnvironment: false,
    functions: [],
    workerEnv: { NGSP_COUNT_REQUESTS: countPrefix, NGSP_POLL_WAIT_SECONDS: '1', NGSP_POLLERS: String(POLLERS) },
  });
  try {
    const sender = new RequestCounter();
    const clients = sender.install(makeLocalClients(stack.emulators.endpoints, stack.region));
    const queueUrl = stack.resources.queueUrl;
    const table = stack.resources.names.tables.Events;
    const runPrefix = `${tag}-`;
    const events = retime(liveEvents, dayOf(Date.now()), Date.now(), 60_000, runPrefix);
    const expectedTransactions = new Set(events.map((e) => toReport(e).transactionKey)).size;

    // The ceiling: the same UpdateItems (same reports, fresh keys), from another process, 32 in flight;
    // measured before and after the worker run, the better of the two kept (the machine is shared).
    const ceilingRun = (label: string): Promise<RawWriterOutput> =>
      runChild<RawWriterInput, RawWriterOutput>(
        'raw-writer.ts',
        {
          endpoints: stack.emulators.endpoints,
          region: stack.region,
          table,
          journalTable: stack.resources.names.tables.Stats,
          shards: SHARDS,
          concurrency: CEILING_CONCURRENCY,
          reports: retime(liveEvents, dayOf(Date.now()), Date.now(), 60_000, `${tag}-ceil${label}-`).map(toReport),
        },
        { timeoutMs: o.timeoutMs },
      );
    const ceilingBefore = await ceilingRun('a');

    // Preload the queue, then start the worker: the clock runs from its first poll to an empty queue.
    const msgBodies = bodies(events, envelope);
    await send(clients.sqs, queueUrl, msgBodies);
    const sendCounts = sender.snapshot();
    const loadBefore = load1();
    await stack.startWorker('ingest');
    const t0 = performance.now();
    await waitFor(
      async () => (await queueDepth(stack.clients.sqs, queueUrl)) === 0,
      o.timeoutMs,
      `the ingest queue (${envelope}) to drain`,
      50,
    );
    const workerMs = performance.now() - t0;
    await sleep(700); // the worker's counter file is flushed every 250 ms
    const workerCounts = readWorkerCounts(countPrefix).ingest ?? {};
    const stored = await scanTransactions(stack, runPrefix);
    const ceilingAfter = await ceilingRun('b');
    const ceiling = ceilingAfter.writes / ceilingAfter.ms > ceilingBefore.writes / ceilingBefore.ms ? ceilingAfter : ceilingBefore;
    const liveCounts = addCounts(workerCounts, sendCounts);
    const run: ThroughputRun = {
      envelope,
      messages: msgBodies.length,
      reports: events.length,
      workerMs: Math.round(workerMs),
      reportsPerSecond: Math.round((events.length / workerMs) * 1000),
      ceilingWrites: ceiling.writes,
      ceilingMs: Math.round(ceiling.ms),
      ceilingPerSecond: Math.round((ceiling.writes / ceiling.ms) * 1000),
      ceilingRunsPerSecond: [ceilingBefore, ceilingAfter].map((c) => Math.round((c.writes / c.ms) * 1000)),
      ratio: 0,
      storedTransactions: stored.length,
      expectedTransactions,
      load1: Math.max(loadBefore, load1()),
    };
    run.ratio = Math.round((run.reportsPerSecond / run.ceilingPerSecond) * 100) / 100;
    await afterLive?.(stack);

    // Backfill budget: a past day, every minute of it already due (dirty marks on every batch).
    sender.reset();
    const before = readWorkerCounts(countPrefix).ingest ?? {};
    const past = backfillEvents.map((e) => ({
      ...e,
      eventId: `${tag}-${e.eventId}`,
      ...(e.transactionId ? { transactionId: `${tag}-${e.transactionId}` } : {}),
    }));
    await send(clients.sqs, queueUrl, bodies(past, envelope));
    await waitFor(async () => (await queueDepth(stack.clients.sqs, queueUrl)) === 0, o.timeoutMs, 'the backfill to drain', 100);
    await sleep(700);
    const backfillCounts = addCounts(diffCounts(readWorkerCounts(countPrefix).ingest ?? {}, before), sender.snapshot());
    const scenario = envelope === 1 ? 'single events' : `envelopes of ${envelope}`;
    const outcome: ModeOutcome = {
      run,
      live: { scenario: `live, ${scenario}`, reports: events.length, counts: liveCounts, per1000: per1000(liveCounts, events.length) },
      backfill: {
        scenario: `backfill (${BACKFILL_DAY}), ${scenario}`,
        reports: past.length,
        counts: backfillCounts,
        per1000: per1000(backfillCounts, past.length),
      },
      dataDir,
      countPrefix,
      ...(keepStack ? { stack } : {}),
    };
    clients.ddb.destroy();
    clients.s3.destroy();
    clients.sqs.destroy();
    if (!keepStack) {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    return outcome;
  } catch (err) {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

export async function benchIngest(o: IngestBenchOptions, log: (msg: string) => void): Promise<IngestBenchResult> {
  const today = dayOf(Date.now());
  // 2021 profile: ~1.65 reports per transaction.
  const live = dayTraffic(today, Math.ceil(o.reports / 1.65), 11).events.slice(0, o.reports);
  const past = dayTraffic(BACKFILL_DAY, Math.ceil(o.backfillReports / 1.65), 13).events.slice(0, o.backfillReports);
  const avgEventBytes = Math.round(live.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0) / live.length);
  const avgEnvelopeBytes = Math.round(bodies(live, 100).reduce((n, b) => n + Buffer.byteLength(b), 0) / Math.ceil(live.length / 100));

  log(`ingest: envelopes of 100, ${live.length} reports`);
  let sizes: IngestBenchResult['itemSizes'] | undefined;
  let rollupBudget: IngestBenchResult['rollupBudget'] | undefined;
  const env = await runMode(100, live, past, o, true, async (stack) => {
    // Item sizes of what the live run stored: write and read units per report and transaction.
    sizes = sizesOf(await scanTransactions(stack, 'b100x'), await scanJournal(stack, 'b100x'));
    // The scheduled rollup of those minutes, counted in-process (same code as the rollup function).
    const counter = new RequestCounter();
    const c = counter.install(makeLocalClients(stack.emulators.endpoints, stack.region));
    const n = stack.resources.names;
    const deps = {
      ...makeStores(c.ddb, c.s3, { eventsTable: n.tables.Events, statsTable: n.tables.Stats, bucket: n.bucket }, PIPELINE),
      indexLagMs: 0,
      latenessMs: Number(PIPELINE_SETTINGS.LATENESS_SECONDS) * 1000,
      concurrency: 8,
      maxMinutesPerRun: 240,
      initialLookbackMs: 5 * 60_000,
      ...rollupNumbers(),
      // Three minutes on: every minute of the live run is due.
      now: () => Date.now() + 180_000,
    };
    const report = await runScheduled(deps);
    const runCounts = counter.snapshot();
    counter.reset();
    await rollDay(today, deps);
    const dayCounts = counter.snapshot();
    const rc = classify(runCounts);
    // The raw archive those minutes wrote: compressed bytes per transaction (cost figure 6).
    let archiveBytes = 0;
    let archivedTransactions = 0;
    for (const key of await deps.bucket.list('archive/')) {
      const bytes = (await deps.bucket.getBytes(key))!;
      archiveBytes += bytes.length;
      archivedTransactions += gunzipSync(bytes).toString('utf8').split('\n').filter(Boolean).length;
    }
    rollupBudget = {
      minutesRolled: report.minutes,
      days: report.days.length,
      counts: runCounts,
      s3PutsPerMinute: Math.round((rc.s3Puts / Math.max(1, report.minutes)) * 100) / 100,
      ddbWritesPerMinute: Math.round((rc.ddbWrites / Math.max(1, report.minutes)) * 100) / 100,
      ddbReadsPerMinute: Math.round((rc.ddbReads / Math.max(1, report.minutes)) * 100) / 100,
      dayCounts,
      s3PutsPerDay: classify(dayCounts).s3Puts,
      archiveBytesPerTransaction: Math.round(archiveBytes / Math.max(1, archivedTransactions)),
    };
    c.ddb.destroy();
    c.s3.destroy();
    c.sqs.destroy();
  });
  const stack = env.stack!;
  try {
    const n = stack.resources.names;
    // The alternative: Powertools idempotency around the same write, counted the same way.
    log(`ingest: Powertools idempotency alternative, ${o.alternativeReports} reports`);
    const altCounter = new RequestCounter();
    const ac = altCounter.install(makeLocalClients(stack.emulators.endpoints, stack.region));
    const idemTable = `${n.tables.Events}-idempotency`;
    await createIdempotencyTable(stack.clients.ddb, idemTable);
    const altReports = retime(live.slice(0, o.alternativeReports), today, Date.now(), 60_000, 'alt-').map(toReport);
    await writeWithPowertools(ac.ddb, {
      eventsTable: n.tables.Events,
      statsTable: n.tables.Stats,
      idempotencyTable: idemTable,
      shards: SHARDS,
      reports: altReports,
      concurrency: 32,
    });
    const altCounts = altCounter.snapshot();
    ac.ddb.destroy();
    ac.s3.destroy();
    ac.sqs.destroy();
    const alternative = {
      scenario: 'Powertools idempotency + the same store write (store writes only)',
      library: '@aws-lambda-powertools/idempotency 2.35.0, DynamoDBPersistenceLayer',
      reports: altReports.length,
      counts: altCounts,
      per1000: per1000(altCounts, altReports.length),
    };

    await stack.stop();
    rmSync(env.dataDir, { recursive: true, force: true });

    log(`ingest: single events, ${live.length} reports`);
    const single = await runMode(1, live, past, o, false);
    return {
      runs: [env.run, single.run],
      budgets: [env.live, single.live, env.backfill, single.backfill],
      rollupBudget: rollupBudget!,
      alternative,
      itemSizes: sizes!,
      avgEventBytes,
      avgEnvelopeBytes,
    };
  } catch (err) {
    await stack.stop().catch(() => undefined);
    rmSync(env.dataDir, { recursive: true, force: true });
    throw err;
  }
}
