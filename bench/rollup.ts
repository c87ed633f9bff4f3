/**
 * Figure 3: rolling a minute of many transactions and a day, with peak memory, beside the
 * emulator's raw rate for the same reads (the minute journal, then the items by BatchGetItem).
 * Items are loaded with BatchWriteItem straight in EventStore's item format (far faster than one
 * UpdateItem per report) and journaled as ingest would, 100 keys an entry; the roll and the raw
 * reads run in a child process so its memory is the roll's alone.
 */
import { BatchWriteItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PIPELINE, PIPELINE_SETTINGS } from '#infra/wiring.ts';
import { makeStores } from '#shared/store/stores.ts';
import { minuteStartMs } from '#shared/time.ts';
import type { LocalStack } from '../local/stack.ts';
import { load1, pool, runChild } from './lib.ts';
import type { RollChildInput, RollChildOutput } from './roll-child.ts';
import { dayTraffic, distinctReports, transactionItems } from './traffic.ts';

const SHARDS = Number(PIPELINE_SETTINGS.GSI_SHARDS);
/** The rollup function's ROLLUP_CONCURRENCY (minutes rolled at once). */
const ROLL_CONCURRENCY = 8;
export const MINUTE = '2025-12-30T10:00';
export const DAY = '2025-12-31';

export interface RollupBenchOptions {
  minuteTransactions: number;
  dayTransactions: number;
  timeoutMs: number;
}

export interface RollRun extends RollChildOutput {
  period: string;
  loaded: number;
  loadMs: number;
  rollPerSecond: number;
  rawPerSecond: number;
  ratio: number;
  /** Loaded transactions the roll did not count (0 expected). */
  missing: number;
  load1: number;
}

export interface RollupBenchResult {
  minute: RollRun;
  /** Left out when `dayTransactions` is 0 (the quick mode). */
  day?: RollRun;
  /** A day of 1,000,000 from the two runs: 1,440 minutes of fixed cost plus the per-transaction cost. */
  millionDay?: { estimatedMs: number; perTransactionMs: number; perMinuteFixedMs: number; note: string };
}

async function loadItems(ddb: DynamoDBClient, table: string, items: Record<string, AttributeValue>[]): Promise<number> {
  const chunks: Record<string, AttributeValue>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  const t0 = performance.now();
  await pool(chunks, 8, async (chunk) => {
    let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt > 20) throw new Error('BatchWriteItem kept items unprocessed');
      const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  });
  return performance.now() - t0;
}

async function rollOne(
  stack: LocalStack,
  period: string,
  items: Record<string, AttributeValue>[],
  o: RollupBenchOptions,
): Promise<RollRun> {
  const n = stack.resources.names;
  const loadMs = await loadItems(stack.clients.ddb, n.tables.Events, items);
  // The minute journal, as ingest writes it: an entry per envelope of 100 reports and minute.
  const { events } = makeStores(
    stack.clients.ddb,
    stack.clients.s3,
    { eventsTable: n.tables.Events, statsTable: n.tables.Stats, bucket: n.bucket },
    PIPELINE,
  );
  const byMinute = new Map<string, string[]>();
  for (const it of items) {
    const keys = byMinute.get(it.m!.S!) ?? [];
    keys.push(it.pk!.S!);
    byMinute.set(it.m!.S!, keys);
  }
  const entries = [...byMinute].flatMap(([m, keys]) =>
    Array.from({ length: Math.ceil(keys.length / 100) }, (_, i) => [m, keys.slice(i * 100, (i + 1) * 100)] as const),
  );
  await pool(entries, 8, async ([m, keys], i) => events.journal.record(`bench-${i}`, new Map([[m, new Set(keys)]])));
  const before = load1();
  const out = await runChild<RollChildInput, RollChildOutput>(
    'roll-child.ts',
    {
      endpoints: stack.emulators.endpoints,
      region: stack.region,
      tables: { events: n.tables.Events, stats: n.tables.Stats },
      bucket: n.bucket,
      shards: SHARDS,
      period,
      concurrency: ROLL_CONCURRENCY,
    },
    { timeoutMs: o.timeoutMs, execArgv: ['--expose-gc'] },
  );
  const rollPerSecond = Math.round((out.transactions / out.rollMs) * 1000);
  const rawPerSecond = Math.round((out.rawItems / out.rawMs) * 1000);
  return {
    ...out,
    period,
    loaded: items.length,
    loadMs: Math.round(loadMs),
    rollPerSecond,
    rawPerSecond,
    ratio: Math.round((rollPerSecond / rawPerSecond) * 100) / 100,
    missing: items.length - out.transactions,
    load1: Math.max(before, load1()),
  };
}

export async function benchRollup(stack: LocalStack, o: RollupBenchOptions, log: (msg: string) => void): Promise<RollupBenchResult> {
  // A minute: a 2021-profile day's transactions (its mix of services, provinces, pairs) packed into one minute.
  const base = minuteStartMs(MINUTE);
  const minuteItems = transactionItems(
    distinctReports(dayTraffic(MINUTE.slice(0, 10), o.minuteTransactions, 21).events),
    (ms) => base + (ms % 60_000),
  );
  log(`rollup: loading a minute of ${minuteItems.length} transactions`);
  const minute = await rollOne(stack, MINUTE, minuteItems, o);

  if (!o.dayTransactions) return { minute };
  // A day: the 2021 profile's minute curve, scaled to the day size.
  const dayItems = transactionItems(distinctReports(dayTraffic(DAY, o.dayTransactions, 23).events));
  log(`rollup: loading a day of ${dayItems.length} transactions`);
  const day = await rollOne(stack, DAY, dayItems, o);

  const perTransactionMs = minute.rollMs / Math.max(1, minute.transactions);
  const perMinuteFixedMs = Math.max(0, (day.rollMs - day.transactions * perTransactionMs) / 1440);
  return {
    minute,
    day,
    millionDay: {
      estimatedMs: Math.round(1440 * perMinuteFixedMs + 1_000_000 * perTransactionMs),
      perTransactionMs: Math.round(perTransactionMs * 10000) / 10000,
      perMinuteFixedMs: Math.round(perMinuteFixedMs * 10) / 10,
      note: 'estimate, not measured: per-transaction cost from the minute run, per-minute fixed cost from the day run',
    },
  };
}
