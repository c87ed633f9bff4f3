/**
 * The common alternative, counted: the standard Powertools for AWS Lambda idempotency pattern
 * (`@aws-lambda-powertools/idempotency` with its DynamoDB persistence layer, the real library)
 * wrapped around the same store write. Per report Powertools writes an idempotency record
 * (conditional PutItem, status INPROGRESS), runs the write, then updates the record (UpdateItem,
 * status COMPLETED, with the result). Our store needs neither: the condition on the report's
 * slot is the idempotency check.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Report } from '#shared/report.ts';
import { EventStore } from '#shared/store/events.ts';
import { functionDecl } from '#infra/wiring.ts';
import { lambdaContext } from '../local/lambda.ts';
import { pool, waitFor } from './lib.ts';

/** Creates the Powertools idempotency table (`id` hash key, as its docs define it). */
export async function createIdempotencyTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitFor(
    async () => (await ddb.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus === 'ACTIVE',
    10_000,
    `table ${tableName}`,
  );
}

/**
 * Writes each report through Powertools' idempotency wrapper (keyed like our rule 1: platform and
 * eventId), `concurrency` in flight. The caller counts the requests on `ddb`.
 */
export async function writeWithPowertools(
  ddb: DynamoDBClient,
  opts: { eventsTable: string; statsTable: string; idempotencyTable: string; shards: number; reports: Report[]; concurrency: number },
): Promise<{ stored: number; repeated: number }> {
  const store = new EventStore(ddb, { tableName: opts.eventsTable, journalTableName: opts.statsTable, shards: opts.shards, hotDays: 0 });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: opts.idempotencyTable, awsSdkV3Client: ddb });
  const config = new IdempotencyConfig({ eventKeyJmesPath: '[platformId, eventId]', throwOnNoIdempotencyKey: true });
  // As in a handler: Powertools uses the invocation's remaining time for its in-progress expiry.
  config.registerLambdaContext(lambdaContext(functionDecl('ingest')));
  const write = makeIdempotent(async (r: Report) => (await store.writeReport(r)).outcome, { persistenceStore, config });
  let stored = 0;
  let repeated = 0;
  // The same journal entries as ingest (one per envelope of 100 and minute), so only the idempotency differs.
  for (let i = 0; i < opts.reports.length; i += 100) await store.journalReports(`alt-${i}`, opts.reports.slice(i, i + 100));
  await pool(opts.reports, opts.concurrency, async (r) => {
    try {
      if ((await write(r)) === 'stored') stored++;
    } catch (err) {
      // A report whose record is still INPROGRESS (a concurrent duplicate): Powertools refuses it.
      if ((err as Error).name !== 'IdempotencyAlreadyInProgressError') throw err;
      repeated++;
    }
  });
  return { stored, repeated };
}
