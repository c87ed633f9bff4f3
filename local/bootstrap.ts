/**
 * Creates the stack's resources in the emulators (or DynamoDB Local, MinIO...): tables from the
 * shared table definitions, the ingest queue with its dead-letter queue, and the bucket.
 * Idempotent: safe on every start.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { functionDecl, MAX_RECEIVE_COUNT } from '#infra/wiring.ts';
import { TABLES, type TableDef } from '#shared/store/tables.ts';
import type { Clients } from '#shared/aws.ts';

export interface StackNames {
  prefix: string;
  tables: Record<TableDef['id'], string>;
  queue: string;
  dlq: string;
  bucket: string;
}

/** Resource names for a prefix (e.g. `ngsp` for `npm start`, a unique one per test). */
export function stackNames(prefix: string): StackNames {
  return {
    prefix,
    tables: { Events: `${prefix}-events`, Stats: `${prefix}-stats`, Keys: `${prefix}-keys` },
    queue: `${prefix}-ingest`,
    dlq: `${prefix}-ingest-dlq`,
    bucket: `${prefix}-rollups`,
  };
}

export interface StackResources {
  names: StackNames;
  queueUrl: string;
  dlqUrl: string;
}

async function ensureTable(ddb: DynamoDBClient, name: string, def: TableDef): Promise<void> {
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
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true } })).catch(() => undefined);
  }
}

/** Creates (or finds) every resource of the stack. */
export async function bootstrap(c: Clients, names: StackNames, opts: { visibilityTimeoutSeconds?: number } = {}): Promise<StackResources> {
  for (const def of TABLES) await ensureTable(c.ddb, names.tables[def.id], def);
  const ingest = functionDecl('ingest');
  const visibility = opts.visibilityTimeoutSeconds ?? ingest.timeoutSeconds * 6;
  const dlqUrl = await createQueue(c.sqs, names.dlq, { MessageRetentionPeriod: String(14 * 86400) });
  const dlqArn = (await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const queueUrl = await createQueue(c.sqs, names.queue, {
    VisibilityTimeout: String(visibility),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
  });
  await ensureBucket(c.s3, names.bucket);
  return { names, queueUrl, dlqUrl };
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  return url;
}

async function ensureBucket(s3: S3Client, name: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  }
}
