/**
 * Creates the tables (from their shared definitions) and the bucket where CloudFormation does not:
 * in the emulators, DynamoDB Local or MinIO of the local stack and the tests. Idempotent.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { TableDef } from './tables.ts';

/** Creates a table (if missing) and waits until it and its indexes are active. */
export async function ensureTable(ddb: DynamoDBClient, name: string, def: TableDef): Promise<void> {
  const attrs = new Map<string, 'S'>([[def.partitionKey, 'S']]);
  if (def.sortKey) attrs.set(def.sortKey, 'S');
  for (const ix of def.indexes) {
    attrs.set(ix.partitionKey, 'S');
    if (ix.sortKey) attrs.set(ix.sortKey, 'S');
  }
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
        KeySchema: [
          { AttributeName: def.partitionKey, KeyType: 'HASH' },
          ...(def.sortKey ? [{ AttributeName: def.sortKey, KeyType: 'RANGE' as const }] : []),
        ],
        ...(def.indexes.length
          ? {
              GlobalSecondaryIndexes: def.indexes.map((ix) => ({
                IndexName: ix.name,
                KeySchema: [
                  { AttributeName: ix.partitionKey, KeyType: 'HASH' as const },
                  ...(ix.sortKey ? [{ AttributeName: ix.sortKey, KeyType: 'RANGE' as const }] : []),
                ],
                Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: ix.include },
              })),
            }
          : {}),
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  for (let i = 0; i < 100; i++) {
    const d = await ddb.send(new DescribeTableCommand({ TableName: name }));
    if (d.Table?.TableStatus === 'ACTIVE' && (d.Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (def.ttlAttribute) {
    // Not every emulator knows TTL (dynalite does not): the attribute is still written.
    await ddb
      .send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true } }))
      .catch(() => undefined);
  }
}

/** Creates a bucket if missing. */
export async function ensureBucket(s3: S3Client, name: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  }
}
