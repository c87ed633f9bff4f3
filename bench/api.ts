/**
 * Figure 4: API latency over a year of stats items, with concurrent clients, beside
 * `/v1/health` (the same worker, router, HTTP and auth-free path) in the same run.
 * The stats come from the rollup benchmark's day (1,440 rolled minute items and its day item);
 * the day item is copied to the 365 days before it, so a 366-day query reads 366 real-sized items.
 */
import { gzipSync } from 'node:zlib';
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KeyStore } from '#shared/store/api-keys.ts';
import { StatsStore } from '#shared/store/stats.ts';
import { DAY_MS, dayStartMs, daysBetween, minuteKeysBetween } from '#shared/time.ts';
import type { LocalStack } from '../local/stack.ts';
import { load1, percentile, pool, runChild } from './lib.ts';
import type { HttpLoadInput, HttpLoadOutput } from './http-load.ts';
import { DAY, MINUTE } from './rollup.ts';

export interface ApiBenchOptions {
  concurrency: number;
  requestsPerRoute: number;
  warmupPerRoute: number;
  maxMsPerRoute: number;
  timeoutMs: number;
}

export interface RouteLatency {
  name: string;
  path: string;
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  requestsPerSecond: number;
  responseBytes: number;
}

/** Bare Query of the same stats items from one client (median ms), whole items and without the payload. */
export interface RawStatsQuery {
  route: string;
  partitions: string[];
  items: number;
  wholeItemsMs: number;
  withoutPayloadMs: number;
}

export interface ApiBenchResult {
  concurrency: number;
  /** The same routes with one client: service time without queueing. */
  oneClient: RouteLatency[];
  rawQuery: RawStatsQuery[];
  dayItemsWritten: number;
  /** The copied day item: transactions, gzip payload bytes. */
  dayItem: { transactions: number; payloadGzipBytes: number; groups: number };
  routes: RouteLatency[];
  load1: number;
}

const FIRST_DAY = '2024-12-31';

/** Reads whole partitions of the stats table with bare Query pages; median of `runs`, in ms. */
async function rawStatsQuery(
  ddb: DynamoDBClient,
  table: string,
  partitions: string[],
  projection: string | undefined,
  runs: number,
): Promise<{ ms: number; items: number }> {
  const times: number[] = [];
  let items = 0;
  for (let r = 0; r < runs; r++) {
    items = 0;
    const t0 = performance.now();
    for (const pk of partitions) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await ddb.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: pk } },
            ExclusiveStartKey: start,
            ...(projection ? { ProjectionExpression: projection, ExpressionAttributeNames: { '#n': 'n' } } : {}),
          }),
        );
        items += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start);
    }
    times.push(performance.now() - t0);
  }
  return { ms: Math.round(percentile(times, 50) * 10) / 10, items };
}

export async function benchApi(stack: LocalStack, o: ApiBenchOptions, log: (msg: string) => void): Promise<ApiBenchResult> {
  const n = stack.resources.names;
  const stats = new StatsStore(stack.clients.ddb, n.tables.Stats);
  let [day] = await stats.daysOf<Record<string, unknown>>(DAY.slice(0, 4), DAY.slice(5), DAY.slice(5));
  if (!day) {
    // No rolled day (quick mode): the rolled minute, copied to the 1,440 minutes of the day and as its day item.
    const [minute] = await stats.minutesOf(MINUTE.slice(0, 10), MINUTE.slice(11), MINUTE.slice(11));
    if (!minute) throw new Error(`neither ${DAY} nor ${MINUTE} is rolled`);
    const mTotals = { transactions: minute.transactions, succeeded: minute.succeeded, durationMsP95: minute.durationMsP95 };
    const mPayload = minute.payload();
    log(`api: writing 1,440 minute items of ${DAY} (copies of ${MINUTE})`);
    await pool(minuteKeysBetween(dayStartMs(DAY), dayStartMs(DAY) + DAY_MS), 8, async (m) => {
      await stats.putMinute(m, mTotals, mPayload);
    });
    await stats.putDay(DAY, mTotals, mPayload, { date: DAY, synthetic: true });
    [day] = await stats.daysOf<Record<string, unknown>>(DAY.slice(0, 4), DAY.slice(5), DAY.slice(5));
    if (!day) throw new Error(`could not write the day item of ${DAY}`);
  }
  const payload = day.payload();
  const totals = { transactions: day.transactions, succeeded: day.succeeded, durationMsP95: day.durationMsP95 };
  const days = daysBetween(FIRST_DAY, DAY).filter((d) => d !== DAY);
  log(`api: writing ${days.length} day items (copies of ${DAY}, ${day.transactions} transactions each)`);
  await pool(days, 8, async (d) => {
    await stats.putDay(d, totals, payload, { ...day.summary, date: d });
  });

  const { key } = await new KeyStore(stack.clients.ddb, n.tables.Keys).create('analyst');
  await stack.startWorker('api');
  const routes = [
    { name: '/v1/health', path: '/v1/health' },
    {
      name: '/v1/metrics/minutes (24 h)',
      path: `/v1/metrics/minutes?from=${encodeURIComponent(`${DAY}T00:00:00+07:00`)}&to=${encodeURIComponent('2026-01-01T00:00:00+07:00')}`,
    },
    { name: '/v1/metrics/days (366 days)', path: `/v1/metrics/days?from=${FIRST_DAY}&to=${DAY}` },
    { name: '/v1/metrics/summary?year=', path: `/v1/metrics/summary?year=${DAY.slice(0, 4)}` },
  ];
  // Baseline: the emulator's bare Query of the same items (whole, and without the payload attribute `z`).
  const rawQuery: RawStatsQuery[] = [];
  for (const [route, partitions] of [
    ['minutes', [`MIN#${DAY}`]],
    ['days', ['DAY#2024', `DAY#${DAY.slice(0, 4)}`]],
  ] as const) {
    const whole = await rawStatsQuery(stack.clients.ddb, n.tables.Stats, [...partitions], undefined, 3);
    const light = await rawStatsQuery(stack.clients.ddb, n.tables.Stats, [...partitions], 'pk, sk, #n, ok, p95, parts', 3);
    rawQuery.push({ route, partitions: [...partitions], items: whole.items, wholeItemsMs: whole.ms, withoutPayloadMs: light.ms });
  }
  log(`api: ${o.requestsPerRoute} requests per route, ${o.concurrency} clients; then 1 client`);
  const before = load1();
  const out = await runChild<HttpLoadInput, HttpLoadOutput>(
    'http-load.ts',
    {
      baseUrl: stack.apiUrl,
      apiKey: key,
      routes,
      concurrency: o.concurrency,
      requestsPerRoute: o.requestsPerRoute,
      warmupPerRoute: o.warmupPerRoute,
      maxMsPerRoute: o.maxMsPerRoute,
    },
    { timeoutMs: o.timeoutMs },
  );
  const single = await runChild<HttpLoadInput, HttpLoadOutput>(
    'http-load.ts',
    {
      baseUrl: stack.apiUrl,
      apiKey: key,
      routes,
      concurrency: 1,
      requestsPerRoute: Math.max(5, Math.round(o.requestsPerRoute / 20)),
      warmupPerRoute: 1,
      maxMsPerRoute: o.maxMsPerRoute / 2,
    },
    { timeoutMs: o.timeoutMs },
  );
  const round = (x: number): number => Math.round(x * 10) / 10;
  const summarise = (r: HttpLoadOutput['routes'][number], i: number): RouteLatency => ({
    name: r.name,
    path: routes[i]!.path,
    requests: r.latenciesMs.length,
    errors: r.errors,
    p50Ms: round(percentile(r.latenciesMs, 50)),
    p99Ms: round(percentile(r.latenciesMs, 99)),
    meanMs: round(r.latenciesMs.reduce((a, b) => a + b, 0) / Math.max(1, r.latenciesMs.length)),
    requestsPerSecond: round((r.latenciesMs.length / r.wallMs) * 1000),
    responseBytes: r.bytes,
  });
  return {
    concurrency: o.concurrency,
    oneClient: single.routes.map(summarise),
    rawQuery,
    dayItemsWritten: days.length + 1,
    dayItem: { transactions: day.transactions, payloadGzipBytes: gzipSync(JSON.stringify(payload)).length, groups: payload.groups.length },
    load1: Math.max(before, load1()),
    routes: out.routes.map(summarise),
  };
}
