/**
 * The local DynamoDB's secondary indexes are exact (issue 14 §4). Unpatched dynalite keys an index
 * entry by the index key plus the first 24 bits of MD5(table key): two items under one index key
 * whose table keys share those bits overwrite each other's entry, and one vanishes from queries
 * (~n²/2²⁵ of n items; the rollup reads a minute's transactions through such an index).
 * local/dynalite-patch.mjs keys entries by the whole MD5. These tests count what a Query returns.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { startEmulators, type RunningEmulators } from '../../local/emulators.ts';
import { pool } from '#shared/pool.ts';

/** dynalite's old suffix of an index entry: MD5('Outliers' + hash key), first 6 hex digits. */
const oldSuffix = (pk: string): string => createHash('md5').update('Outliers').update(pk).digest('hex').slice(0, 6);

/** Two table keys whose old index suffixes are equal (a birthday search: ~5,000 tries). */
function collidingKeys(): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const pk = `tx-${i}`;
    const s = oldSuffix(pk);
    const other = seen.get(s);
    if (other) return [other, pk];
    seen.set(s, pk);
  }
}

async function countIndex(ddb: DynamoDBClient, table: string, b: string): Promise<{ count: number; keys: string[] }> {
  const keys: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'byB',
        KeyConditionExpression: 'b = :b',
        ExpressionAttributeValues: { ':b': { S: b } },
        ExclusiveStartKey: start,
      }),
    );
    for (const it of page.Items ?? []) keys.push(it.pk!.S!);
    start = page.LastEvaluatedKey;
  } while (start);
  return { count: keys.length, keys };
}

describe('local DynamoDB secondary index', () => {
  let emu: RunningEmulators;
  let ddb: DynamoDBClient;
  const table = `idx-${Date.now()}`;
  beforeAll(async () => {
    emu = await startEmulators({ useEnvironment: false });
    ddb = new DynamoDBClient({
      endpoint: emu.endpoints.dynamodb,
      region: 'ap-southeast-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'b', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          { IndexName: 'byB', KeySchema: [{ AttributeName: 'b', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
        ],
      }),
    );
  });
  afterAll(async () => {
    ddb?.destroy();
    await emu?.stop();
  });

  it('given two items under one index key whose table keys collide in 24 bits, when written and updated, then a Query returns each exactly once', async () => {
    // Prepare
    const [a, b] = collidingKeys();
    expect(oldSuffix(a)).toBe(oldSuffix(b));
    // Act
    for (const pk of [a, b])
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: pk } },
          UpdateExpression: 'SET b = :b',
          ExpressionAttributeValues: { ':b': { S: 'pair' } },
        }),
      );
    const written = await countIndex(ddb, table, 'pair');
    for (const pk of [a, b])
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: pk } },
          UpdateExpression: 'SET x = :x',
          ExpressionAttributeValues: { ':x': { N: '1' } },
        }),
      );
    const updated = await countIndex(ddb, table, 'pair');
    // Assess
    expect(written.keys.sort()).toEqual([a, b].sort());
    expect(updated.keys.sort()).toEqual([a, b].sort());
  });

  it('given 20,000 items under one index key (about 12 old-hash collisions expected), when queried page by page, then all 20,000 come back', async () => {
    // Prepare
    const n = 20_000;
    const items = Array.from({ length: n }, (_, i) => ({ pk: { S: `bulk-${i}` }, b: { S: 'busy-minute#0' }, v: { N: String(i) } }));
    const chunks: (typeof items)[] = [];
    for (let i = 0; i < n; i += 25) chunks.push(items.slice(i, i + 25));
    // Act
    await pool(chunks, 4, async (chunk) => {
      let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
      while (pending.length) {
        const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    });
    const got = await countIndex(ddb, table, 'busy-minute#0');
    // Assess
    const suffixes = new Set(items.map((it) => oldSuffix(it.pk.S)));
    console.log(
      `[dynamodb-index] ${n} items under one index key, ${n - suffixes.size} would share an old 24-bit suffix; Query returned ${got.count}`,
    );
    expect(n - suffixes.size).toBeGreaterThan(0);
    expect(got.count).toBe(n);
    expect(new Set(got.keys).size).toBe(n);
  });
});
