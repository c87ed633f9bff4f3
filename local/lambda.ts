/**
 * How the local stack invokes function code: the same handler module Lambda loads, with
 * Lambda-shaped events and a Lambda-shaped context.
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Message } from '@aws-sdk/client-sqs';
import type { FunctionDecl } from '#infra/wiring.ts';

export type AnyHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Loads the declared entry's exported handler. */
export async function loadHandler(decl: FunctionDecl): Promise<AnyHandler> {
  const mod = (await import(new URL(`../${decl.entry}`, import.meta.url).href)) as Record<string, unknown>;
  const handler = mod[decl.handler];
  if (typeof handler !== 'function') throw new Error(`${decl.entry} does not export ${decl.handler}`);
  return handler as AnyHandler;
}

export function lambdaContext(decl: FunctionDecl): Context {
  const deadline = Date.now() + decl.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `local-${decl.name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:local-${decl.name}`,
    memoryLimitInMB: String(decl.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/local-${decl.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An SQS message as the Lambda event source mapping hands it over. */
export function toSqsRecord(m: Message, queueArn: string, region: string): SQSRecord {
  const a = m.Attributes ?? {};
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export function toSqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
