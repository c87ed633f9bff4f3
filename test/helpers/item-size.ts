/**
 * DynamoDB's 400 KB item limit on a client that talks to an emulator that does not enforce it
 * (dynalite): every PutItem and BatchWriteItem put is measured by DynamoDB's size rules
 * (shared/store/item-size.ts) and refused with the service's ValidationException when too big.
 * The largest item written per key prefix is kept, for assertions.
 */
import { DynamoDBServiceException, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MAX_ITEM_BYTES, itemSize } from '#shared/store/item-size.ts';

export interface SizeLog {
  /** Largest item size written, by the part of its pk before the first `#`. */
  largest: Map<string, number>;
}

function refuse(size: number): never {
  throw new DynamoDBServiceException({
    name: 'ValidationException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: `Item size has exceeded the maximum allowed size (${size} bytes > ${MAX_ITEM_BYTES})`,
  });
}

/** Makes `ddb` refuse items over 400 KB as DynamoDB does; returns the log of sizes written. */
export function enforceItemSizes(ddb: DynamoDBClient): SizeLog {
  const log: SizeLog = { largest: new Map() };
  const check = (item: Record<string, AttributeValue> | undefined): void => {
    if (!item) return;
    const size = itemSize(item);
    const prefix = (item.pk?.S ?? '').split('#')[0]!;
    log.largest.set(prefix, Math.max(size, log.largest.get(prefix) ?? 0));
    if (size > MAX_ITEM_BYTES) refuse(size);
  };
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        Item?: Record<string, AttributeValue>;
        RequestItems?: Record<string, { PutRequest?: { Item?: Record<string, AttributeValue> } }[]>;
      };
      if (context.commandName === 'PutItemCommand') check(input.Item);
      if (context.commandName === 'BatchWriteItemCommand')
        for (const reqs of Object.values(input.RequestItems ?? {})) for (const r of reqs) check(r.PutRequest?.Item);
      return next(args);
    },
    { step: 'initialize', name: 'enforceItemSizes' },
  );
  return log;
}
