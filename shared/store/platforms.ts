/**
 * The operators' platform entries (issue 16 part 6, shared/platforms.ts): one item of the keys
 * table, `P#platforms`, holding the entries laid over seeds/platforms.json and the log of changes,
 * with a version: a change is written only over the version it was planned from, so two operators
 * changing the registry at once cannot lose one another's change. The only code that knows the item.
 *
 * The keys table already holds the stack's other ops-managed data (API keys, SQS senders) and is
 * read by both functions that validate events, so no new grant is needed; the functions only read
 * it (the CLI writes with the operator's credentials).
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EMPTY_STORED, type StoredPlatforms } from '#shared/platforms.ts';

const PK = 'P#platforms';

/** Thrown when the registry changed between a read and a write: read again and re-plan. */
export class PlatformsChangedError extends Error {
  constructor() {
    super('the platform registry was changed by someone else meanwhile; run the command again');
    this.name = 'PlatformsChangedError';
  }
}

export class PlatformStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** The stored entries (none yet: the registry is the seed). */
  async read(): Promise<StoredPlatforms> {
    const out = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: PK } }, ConsistentRead: true }));
    if (!out.Item) return EMPTY_STORED;
    const body = JSON.parse(out.Item.body?.S ?? '{}') as Partial<StoredPlatforms>;
    return { version: Number(out.Item.version?.N ?? 0), entries: body.entries ?? [], log: body.log ?? [] };
  }

  /** Writes the entries over the version they were planned from (`next.version`); the stored version becomes `next.version + 1`. */
  async write(next: StoredPlatforms): Promise<StoredPlatforms> {
    const written = { ...next, version: next.version + 1 };
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: PK },
            version: { N: String(written.version) },
            updatedAt: { S: new Date().toISOString() },
            body: { S: JSON.stringify({ entries: written.entries, log: written.log }) },
          },
          ConditionExpression: next.version === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
          ...(next.version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(next.version) } } }),
        }),
      );
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') throw new PlatformsChangedError();
      throw err;
    }
    return written;
  }
}
