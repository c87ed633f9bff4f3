/**
 * Creates the stack's resources in the emulators (or DynamoDB Local, MinIO...): tables from the
 * shared table definitions, the ingest queue with its dead-letter queue, and the bucket.
 * Idempotent: safe on every start.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { functionDecl, MAX_RECEIVE_COUNT } from '#infra/wiring.ts';
import { ensureBucket, ensureTable } from '#shared/store/provision.ts';
import { TABLES, type TableDef } from '#shared/store/tables.ts';
import type { Clients } from '#shared/store/clients.ts';

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

/** Creates (or finds) every resource of the stack. */
export async function bootstrap(c: Clients, names: StackNames, opts: { visibilityTimeoutSeconds?: number } = {}): Promise<StackResources> {
  for (const def of TABLES) await ensureTable(c.ddb, names.tables[def.id], def);
  const ingest = functionDecl('ingest');
  const visibility = opts.visibilityTimeoutSeconds ?? ingest.timeoutSeconds * 6;
  const dlqUrl = await createQueue(c.sqs, names.dlq, { MessageRetentionPeriod: String(14 * 86400) });
  const dlqArn = (await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!
    .QueueArn!;
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
