/**
 * AWS SDK clients, configured only from the SDK's own settings: `AWS_REGION` and the standard
 * `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_S3` variables, so the
 * same code talks to AWS, the embedded emulators, DynamoDB Local or MinIO. Created once per process.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface Clients {
  ddb: DynamoDBClient;
  s3: S3Client;
  sqs: SQSClient;
}

/** Extra SDK middleware (e.g. the request counter of bench/) applied to every client made here. */
export type ClientHook = (client: DynamoDBClient | S3Client | SQSClient, service: 'dynamodb' | 's3' | 'sqs') => void;

/** Builds the three clients. Emulators need path-style S3 and no optional request checksums. */
export function makeClients(hook?: ClientHook): Clients {
  const localS3 = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  const maxAttempts = Number(process.env.NGSP_SDK_MAX_ATTEMPTS ?? 4);
  const ddb = new DynamoDBClient({ maxAttempts });
  const s3 = new S3Client({
    maxAttempts,
    forcePathStyle: localS3,
    ...(localS3 ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
  const sqs = new SQSClient({ maxAttempts });
  if (hook) {
    hook(ddb, 'dynamodb');
    hook(s3, 's3');
    hook(sqs, 'sqs');
  }
  return { ddb, s3, sqs };
}

let shared: Clients | undefined;

/** The process-wide clients (one set per Lambda container or local worker). */
export function clients(): Clients {
  shared ??= makeClients();
  return shared;
}
