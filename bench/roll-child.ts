/**
 * Child process of the rollup benchmark: rolls a minute (rollMinute) or a day (rollRange over its
 * 1,440 minutes, then rollDay) with the same code as the rollup function, sampling its own memory,
 * then does the same reads bare: each minute's journal Query, then its items by BatchGetItem, 8
 * calls in flight (the emulator's raw rate, nothing else).
 */
import { BatchGetItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { rollMinute, rollRange } from '#shared/rollup.ts';
import { makeStores } from '#shared/store/stores.ts';
import { PIPELINE } from '#infra/wiring.ts';
import { DAY_MS, dayStartMs, minuteKeysBetween } from '#shared/time.ts';
import type { Endpoints } from '../local/emulators.ts';
import { makeLocalClients } from '../local/stack.ts';
import { MemorySampler, childMain, mb, pool } from './lib.ts';

export interface RollChildInput {
  endpoints: Endpoints;
  region: string;
  tables: { events: string; stats: string };
  bucket: string;
  shards: number;
  /** A minute key (`YYYY-MM-DDTHH:mm`) or a day (`YYYY-MM-DD`). */
  period: string;
  /** Minutes rolled at once for a day: the rollup function's ROLLUP_CONCURRENCY. */
  concurrency: number;
}

export interface RollChildOutput {
  transactions: number;
  rollMs: number;
  baselineRssMb: number;
  baselineHeapMb: number;
  peakRssMb: number;
  peakHeapMb: number;
  rawItems: number;
  rawPages: number;
  rawMs: number;
}

async function rawRead(ddb: DynamoDBClient, tables: RollChildInput['tables'], minute: string): Promise<{ items: number; pages: number }> {
  const keys: string[] = [];
  let pages = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        TableName: tables.stats,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `J#${minute}` } },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const it of out.Items ?? []) keys.push(...(it.k?.SS ?? []));
    pages++;
    start = out.LastEvaluatedKey;
  } while (start);
  const batches: string[][] = [];
  for (let i = 0; i < keys.length; i += 100) batches.push(keys.slice(i, i + 100));
  let items = 0;
  await pool(batches, 8, async (batch) => {
    let pending: Record<string, AttributeValue>[] = batch.map((k) => ({ pk: { S: k } }));
    while (pending.length) {
      const out = await ddb.send(new BatchGetItemCommand({ RequestItems: { [tables.events]: { Keys: pending } } }));
      items += out.Responses?.[tables.events]?.length ?? 0;
      pages++;
      pending = (out.UnprocessedKeys?.[tables.events]?.Keys ?? []) as Record<string, AttributeValue>[];
    }
  });
  return { items, pages };
}

childMain<RollChildInput, RollChildOutput>(async (input) => {
  const c = makeLocalClients(input.endpoints, input.region);
  const deps = {
    ...makeStores(
      c.ddb,
      c.s3,
      { eventsTable: input.tables.events, statsTable: input.tables.stats, bucket: input.bucket },
      { ...PIPELINE, shards: input.shards },
    ),
    concurrency: input.concurrency,
  };
  const isDay = input.period.length === 10;
  const minutes = isDay ? minuteKeysBetween(dayStartMs(input.period), dayStartMs(input.period) + DAY_MS) : [input.period];
  // Warm the connection and the modules; then the baseline the roll's memory adds to.
  await rawRead(c.ddb, input.tables, 'warmup');
  global.gc?.();
  const base = process.memoryUsage();
  const sampler = new MemorySampler().start(20);
  const t0 = performance.now();
  let transactions = 0;
  if (isDay) {
    await rollRange(dayStartMs(input.period), dayStartMs(input.period) + DAY_MS, deps);
    const [day] = await deps.stats.daysOf(input.period.slice(0, 4), input.period.slice(5), input.period.slice(5));
    transactions = day?.transactions ?? 0;
  } else {
    transactions = (await rollMinute(input.period, deps)).transactions;
  }
  const rollMs = performance.now() - t0;
  const mem = sampler.stop();

  // The same reads, bare, with the same parallelism (`concurrency` minutes at once for a day).
  const t1 = performance.now();
  let rawItems = 0;
  let rawPages = 0;
  await pool(minutes, isDay ? input.concurrency : 1, async (m) => {
    const r = await rawRead(c.ddb, input.tables, m);
    rawItems += r.items;
    rawPages += r.pages;
  });
  const rawMs = performance.now() - t1;
  return {
    transactions,
    rollMs: Math.round(rollMs),
    baselineRssMb: mb(base.rss),
    baselineHeapMb: mb(base.heapUsed),
    peakRssMb: mem.peakRssMb,
    peakHeapMb: mem.peakHeapMb,
    rawItems,
    rawPages,
    rawMs: Math.round(rawMs),
  };
});
