/**
 * AWS SDK clients: the one factory of the project. The functions (and the local workers) take
 * the SDK's own settings: `AWS_REGION` and the standard `AWS_ENDPOINT_URL_SQS` /
 * `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_S3` variables, so the same code talks to AWS,
 * the embedded emulators, DynamoDB Local or MinIO (created once per process). The local stack,
 * the CLI and the tests pass endpoints, region and credentials explicitly.
 */
import { writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

export type { DynamoDBClient, S3Client, SQSClient };

export interface Clients {
  ddb: DynamoDBClient;
  s3: S3Client;
  sqs: SQSClient;
}

/** Extra SDK middleware (e.g. the request counter of bench/) applied to every client made here. */
export type ClientHook = (client: DynamoDBClient | S3Client | SQSClient, service: 'dynamodb' | 's3' | 'sqs') => void;

export interface ClientOptions {
  /** Service endpoints (the local stack's); absent: the SDK's own settings (`AWS_ENDPOINT_URL_*`). */
  endpoints?: { sqs?: string; dynamodb?: string; s3?: string };
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK attempts per request. @default NGSP_SDK_MAX_ATTEMPTS, else 4 */
  maxAttempts?: number;
  hook?: ClientHook;
}

const base = (o: ClientOptions) => ({
  maxAttempts: o.maxAttempts ?? Number(process.env.NGSP_SDK_MAX_ATTEMPTS ?? 4),
  ...(o.region ? { region: o.region } : {}),
  ...(o.credentials ? { credentials: { ...o.credentials } } : {}),
});

/** An SQS client (also one signing as a given principal: a platform's local sending credential). */
export function makeSqsClient(o: ClientOptions = {}): SQSClient {
  const sqs = new SQSClient({ ...base(o), ...(o.endpoints?.sqs ? { endpoint: o.endpoints.sqs } : {}) });
  o.hook?.(sqs, 'sqs');
  return sqs;
}

/** Builds the three clients. Emulators need path-style S3 and no optional request checksums. */
export function makeClients(o: ClientOptions = {}): Clients {
  const localS3 = Boolean(o.endpoints?.s3 ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  const ddb = new DynamoDBClient({ ...base(o), ...(o.endpoints?.dynamodb ? { endpoint: o.endpoints.dynamodb } : {}) });
  const s3 = new S3Client({
    ...base(o),
    ...(o.endpoints?.s3 ? { endpoint: o.endpoints.s3 } : {}),
    forcePathStyle: localS3,
    ...(localS3 ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
  o.hook?.(ddb, 'dynamodb');
  o.hook?.(s3, 's3');
  return { ddb, s3, sqs: makeSqsClient(o) };
}

/** Releases the clients' sockets so the process can exit. */
export function closeClients(c: Clients): void {
  c.ddb.destroy();
  c.s3.destroy();
  c.sqs.destroy();
}

/**
 * Opt-in request counter for bench/: with `NGSP_COUNT_REQUESTS=<path prefix>` set, every HTTP
 * attempt of the process-wide clients is counted per `service:Operation` and the counts are
 * written to `<prefix>-<pid>.json` (every 250 ms while they change, and at exit). Off otherwise.
 */
function envRequestCounter(): ClientHook | undefined {
  const prefix = process.env.NGSP_COUNT_REQUESTS;
  if (!prefix) return undefined;
  const counts: Record<string, number> = {};
  const file = `${prefix}-${process.pid}.json`;
  let dirty = false;
  const flush = (): void => {
    if (!dirty) return;
    dirty = false;
    writeFileSync(file, JSON.stringify({ pid: process.pid, argv: process.argv.slice(1), counts }));
  };
  setInterval(flush, 250).unref();
  process.on('exit', flush);
  type Next = (args: unknown) => Promise<unknown>;
  type Stack = { add(mw: (next: Next, context: { commandName?: string }) => Next, opts: { step: 'deserialize'; name: string }): void };
  return (client, service) => {
    // The deserialize step runs once per attempt (retries included): what the service bills.
    (client.middlewareStack as unknown as Stack).add(
      (next, context) => (args) => {
        const key = `${service}:${String(context.commandName ?? 'unknown').replace(/Command$/, '')}`;
        counts[key] = (counts[key] ?? 0) + 1;
        dirty = true;
        return next(args);
      },
      { step: 'deserialize', name: 'ngspRequestCounter' },
    );
  };
}

let shared: Clients | undefined;

/** The process-wide clients (one set per Lambda container or local worker). */
export function clients(): Clients {
  const hook = envRequestCounter();
  shared ??= makeClients(hook ? { hook } : {});
  return shared;
}
