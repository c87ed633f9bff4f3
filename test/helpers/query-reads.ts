/**
 * What each Query reads, as DynamoDB charges it: whole items, whatever the projection (the
 * emulators do not account read units). Bytes are kept by the prefix of the partition key
 * (before the first `#`), for assertions on which partitions a request touched.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { itemSize } from '#shared/store/item-size.ts';

/** Counts the bytes of the items each Query on `ddb` returns; clear the map between requests. */
export function countQueryReads(ddb: DynamoDBClient): Map<string, number> {
  const read = new Map<string, number>();
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'QueryCommand') {
        const pk = String(
          (args.input as { ExpressionAttributeValues?: Record<string, AttributeValue> }).ExpressionAttributeValues?.[':pk']?.S,
        );
        const prefix = pk.split('#')[0]!;
        const items = (out.output as { Items?: Record<string, AttributeValue>[] }).Items ?? [];
        read.set(prefix, (read.get(prefix) ?? 0) + items.reduce((n, it) => n + itemSize(it), 0));
      }
      return out;
    },
    { step: 'initialize', name: 'countQueryReads' },
  );
  return read;
}
