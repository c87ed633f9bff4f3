/**
 * What DynamoDB's TTL does, done at once: every item that carries a `ttl` attribute is deleted
 * (real TTL deletes within about 48 h of expiry; the emulators never, or on their own schedule).
 */
import { BatchWriteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';

/** Deletes every item with a TTL attribute (tables keyed by `pk`, or `pk` and `sk`); returns how many were deleted. */
export async function expireEveryHotItem(ddb: DynamoDBClient, table: string): Promise<number> {
  const keys: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: table,
        ExclusiveStartKey: start,
        ProjectionExpression: 'pk, sk, #ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
      }),
    );
    for (const it of page.Items ?? []) if (it.ttl) keys.push({ pk: it.pk!, ...(it.sk ? { sk: it.sk } : {}) });
    start = page.LastEvaluatedKey;
  } while (start);
  for (let i = 0; i < keys.length; i += 25) {
    let pending: WriteRequest[] = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    while (pending.length) {
      const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = out.UnprocessedItems?.[table] ?? [];
    }
  }
  return keys.length;
}

/** Items of the table as raw attribute maps (small test tables only). */
export async function scanAll(ddb: DynamoDBClient, table: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
