/**
 * Child process of the rollup benchmark: rolls a minute (rollMinute) or a day (rollRange over its
 * 1,440 minutes, then rollDay) with the same code as the rollup function, sampling its own memory,
 * then reads the same index keys with bare Query pages (the emulator's raw rate, nothing else).
 */
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { rollMinute, rollRange } from '#shared/rollup.ts';
import { EVENTS_TABLE } from '#shared/store/tables.ts';
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

async function rawQuery(ddb: DynamoDBClient, table: string, key: string): Promise<{ items: number; pages: number }> {
  let items = 0;
  let pages = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        TableName: table, IndexName: EVENTS_TABLE.indexes[0]!.name, KeyConditionExpression: 'b = :b',
        ExpressionAttributeValues: { ':b': { S: key } }, ExclusiveStartKey: start,
      }),
    );
    items += out.Count ?? 0;
    pages++;
    start = out.LastEvaluatedKey;
  } while (start);
  return { items, pages };
}

childMain<RollChildInput, RollChildOutput>(async (input) => {
  const c = makeLocalClients(input.endpoints, input.region);
  const deps = {
    ...makeStores(c.ddb, c.s3, { eventsTable: input.tables.events, statsTable: input.tables.stats, bucket: input.bucket }, { ...PIPELINE, shards: input.shards }),
    concurrency: input.concurrency,
  };
  const isDay = input.period.length === 10;
  const minutes = isDay ? minuteKeysBetween(dayStartMs(input.period), dayStartMs(input.period) + DAY_MS) : [input.period];
  // Warm the connection and the modules; then the baseline the roll's memory adds to.
  await rawQuery(c.ddb, input.tables.events, 'warmup#0');
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

  // The same index keys, bare Query pages, the same parallelism (shards of `concurrency` minutes).
  const t1 = performance.now();
  let rawItems = 0;
  let rawPages = 0;
  await pool(minutes, isDay ? input.concurrency : 1, async (m) => {
    await Promise.all(
      Array.from({ length: input.shards }, async (_, s) => {
        const r = await rawQuery(c.ddb, input.tables.events, `${m}#${s}`);
        rawItems += r.items;
        rawPages += r.pages;
      }),
    );
  });
  const rawMs = performance.now() - t1;
  return {
    transactions, rollMs: Math.round(rollMs), baselineRssMb: mb(base.rss), baselineHeapMb: mb(base.heapUsed),
    peakRssMb: mem.peakRssMb, peakHeapMb: mem.peakHeapMb, rawItems, rawPages, rawMs: Math.round(rawMs),
  };
});
