/**
 * What a command talks to: the local stack (`.local/stack.json`, written by `npm start`) or a
 * deployed stack (`--outputs cdk-outputs.json`, written by `cdk deploy --outputs-file`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { closeClients, makeClients, makeSqsClient, type Clients, type SQSClient } from '#shared/store/clients.ts';
import { PIPELINE } from '#infra/wiring.ts';
import { makeStores, type Stores } from '#shared/store/stores.ts';
import type { StackJson } from '#shared/stack-file.ts';
import { UserError } from './errors.ts';

export interface Target {
  kind: 'local' | 'aws';
  /** For messages: the file it came from. */
  source: string;
  region: string;
  clients: Clients;
  queueUrl: string;
  dlqUrl: string;
  bucket: string;
  tables: { events?: string; stats?: string; keys?: string };
  apiUrl?: string;
  /** Local stack only: the keys `npm start` created. */
  apiKeys?: StackJson['api']['keys'];
  /** Local stack only: each platform's sending credentials (`sqs.senders` of stack.json). */
  senders?: NonNullable<StackJson['sqs']['senders']>;
  /** SQS clients signing as each platform, made on first use (closed by closeTarget). */
  senderClients?: Map<string, SQSClient>;
  /** Local stack only: the SQS endpoint. */
  sqsEndpoint?: string;
  rollupFunctionName?: string;
  athenaDatabase?: string;
  dashboardUrl?: string;
}

/** The SDK attempts per request: enough for a blip, few enough that a dead endpoint fails fast. */
const MAX_ATTEMPTS = 3;

/** A target built from the local stack's description (also used by tests, in process). */
export function localTarget(json: StackJson, source = '.local/stack.json'): Target {
  // stack.json names the operator's credentials (CONTRACT.md §4 1.1); the local services take any.
  const credentials = json.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' };
  const region = json.region;
  return {
    kind: 'local',
    source,
    region,
    clients: makeClients({
      endpoints: { dynamodb: json.dynamodb.endpoint, s3: json.s3.endpoint, sqs: json.sqs.endpoint },
      region,
      credentials,
      maxAttempts: MAX_ATTEMPTS,
    }),
    queueUrl: json.sqs.queueUrl,
    dlqUrl: json.sqs.dlqUrl,
    bucket: json.s3.bucket,
    tables: { ...json.dynamodb.tables },
    ...(json.api?.url ? { apiUrl: json.api.url, dashboardUrl: json.api.url } : {}),
    ...(json.api?.keys ? { apiKeys: json.api.keys } : {}),
    sqsEndpoint: json.sqs.endpoint,
    ...(json.sqs.senders ? { senders: json.sqs.senders, senderClients: new Map<string, SQSClient>() } : {}),
  };
}

/**
 * The SQS client and queue a platform's events are sent with. Locally: signed with that
 * platform's own credentials, so the stack sees the platform as the sender (rule 7). On AWS: the
 * caller's credentials (an LGSP's principal), whatever the events say.
 */
export function sqsSenderFor(target: Target, platformId: string): { sqs: SQSClient; queueUrl: string } {
  if (target.kind !== 'local' || !target.senders) return { sqs: target.clients.sqs, queueUrl: target.queueUrl };
  const creds = target.senders[platformId];
  if (!creds)
    throw new UserError(
      `${target.source} has no sending credentials for platform ${platformId} (sqs.senders): restart npm start, or register one with ngsp senders add.`,
    );
  let sqs = target.senderClients?.get(platformId);
  if (!sqs) {
    sqs = makeSqsClient({
      endpoints: { sqs: target.sqsEndpoint },
      region: target.region,
      maxAttempts: MAX_ATTEMPTS,
      credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    });
    target.senderClients?.set(platformId, sqs);
  }
  return { sqs, queueUrl: creds.queueUrl };
}

/** The stack outputs of `cdk deploy --outputs-file` (the first stack of the file). */
export interface StackOutputs {
  ApiUrl?: string;
  IngestQueueUrl?: string;
  DeadLetterQueueUrl?: string;
  RollupBucketName?: string;
  AthenaDatabase?: string;
  DashboardUrl?: string;
  EventsTableName?: string;
  StatsTableName?: string;
  KeysTableName?: string;
  RollupFunctionName?: string;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${what} ${path} is not valid JSON (${(err as Error).message.split('\n')[0]}).`);
  }
}

/** A target from a cdk outputs file; clients use the default AWS credential chain. */
export function awsTarget(path: string): Target {
  if (!existsSync(path)) throw new UserError(`outputs file ${path} does not exist: write it with npx cdk deploy --outputs-file ${path}.`);
  const file = readJson(path, 'outputs file') as Record<string, StackOutputs>;
  const [stackName, out] = Object.entries(file ?? {})[0] ?? [];
  if (!stackName || !out || typeof out !== 'object')
    throw new UserError(`outputs file ${path} holds no stack: write it with npx cdk deploy --outputs-file ${path}.`);
  if (!out.IngestQueueUrl || !out.DeadLetterQueueUrl || !out.RollupBucketName) {
    throw new UserError(
      `outputs file ${path} lacks IngestQueueUrl, DeadLetterQueueUrl or RollupBucketName for ${stackName}: redeploy with the current CDK app.`,
    );
  }
  // The queue URL names the region (https://sqs.<region>.amazonaws.com/...); AWS_REGION wins.
  const region =
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    /sqs\.([a-z0-9-]+)\.amazonaws/.exec(out.IngestQueueUrl)?.[1] ??
    'ap-southeast-1';
  return {
    kind: 'aws',
    source: `${stackName} (${path})`,
    region,
    clients: makeClients({ region, maxAttempts: MAX_ATTEMPTS }),
    queueUrl: out.IngestQueueUrl,
    dlqUrl: out.DeadLetterQueueUrl,
    bucket: out.RollupBucketName,
    tables: { events: out.EventsTableName, stats: out.StatsTableName, keys: out.KeysTableName },
    ...(out.ApiUrl ? { apiUrl: out.ApiUrl.replace(/\/$/, '') } : {}),
    ...(out.RollupFunctionName ? { rollupFunctionName: out.RollupFunctionName } : {}),
    ...(out.AthenaDatabase ? { athenaDatabase: out.AthenaDatabase } : {}),
    ...(out.DashboardUrl ? { dashboardUrl: out.DashboardUrl } : {}),
  };
}

/** `--outputs FILE` → that deployed stack; otherwise the local stack of `npm start`. */
export function loadTarget(outputs: string | undefined): Target {
  if (outputs) return awsTarget(resolve(outputs));
  const path = resolve(process.env.NGSP_LOCAL_DIR ?? '.local', 'stack.json');
  if (!existsSync(path))
    throw new UserError(`no local stack: run npm start (${path} is missing), or pass --outputs cdk-outputs.json for a deployed stack.`);
  return localTarget(readJson(path, 'local stack file') as StackJson, path);
}

/** A table name the command needs, or a sentence saying why it is missing. */
export function tableOf(target: Target, table: keyof Target['tables']): string {
  const name = target.tables[table];
  if (!name) {
    const output = { events: 'EventsTableName', stats: 'StatsTableName', keys: 'KeysTableName' }[table];
    throw new UserError(`${target.source} has no ${output}: redeploy with the current CDK app (it adds that output).`);
  }
  return name;
}

/** The pipeline's stores on the target (tables, bucket, archive), with the wiring table's numbers. */
export function storesOf(target: Target): Stores {
  return makeStores(
    target.clients.ddb,
    target.clients.s3,
    { eventsTable: tableOf(target, 'events'), statsTable: tableOf(target, 'stats'), bucket: target.bucket },
    PIPELINE,
  );
}

/** Releases the target's sockets so the process can exit. */
export function closeTarget(target: Target): void {
  closeClients(target.clients);
  for (const c of target.senderClients?.values() ?? []) c.destroy();
}
