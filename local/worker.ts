/**
 * A function worker process: runs one function of the wiring table behind a local trigger that
 * behaves like its AWS counterpart — the SQS event source mapping (batch size, visibility
 * timeout, partial batch response, redelivery), the EventBridge schedule, or API Gateway.
 * It runs apart from the emulators, so killing it (even with SIGKILL) loses nothing.
 *
 * Usage: node --import tsx local/worker.ts <function-name>
 */
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { functionDecl, type FunctionDecl } from '#infra/wiring.ts';
import { clients } from '#shared/store/clients.ts';
import { readConfig } from '#shared/config.ts';
import { lambdaContext, loadHandler, toSqsEvent, toSqsRecord, type AnyHandler } from './lambda.ts';

const local = readConfig({
  AWS_REGION: { type: 'string' },
  NGSP_POLLERS: { type: 'int', default: 2, min: 1 },
  NGSP_SCHEDULE_SECONDS: { type: 'int', default: 60, min: 1 },
  NGSP_POLL_WAIT_SECONDS: { type: 'int', default: 1, min: 0 },
});

let stopping = false;

function notify(msg: Record<string, unknown>): void {
  if (process.send) process.send(msg);
}

async function runSqs(decl: FunctionDecl & { trigger: { kind: 'sqs' } }, handler: AnyHandler): Promise<void> {
  // The process-wide client: bench/ counts the poller's requests (NGSP_COUNT_REQUESTS) like Lambda's.
  const sqs = clients().sqs;
  const queueUrl = process.env.NGSP_TRIGGER_QUEUE_URL;
  if (!queueUrl) throw new Error(`NGSP_TRIGGER_QUEUE_URL is required (the ${decl.trigger.queue} of ${decl.name})`);
  const arn =
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ??
    'arn:aws:sqs:local';
  const poller = async (): Promise<void> => {
    while (!stopping) {
      let messages: Message[];
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, decl.trigger.batchSize),
            WaitTimeSeconds: local.NGSP_POLL_WAIT_SECONDS,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        messages = out.Messages ?? [];
      } catch (err) {
        console.error(`[${decl.name}] receive failed: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (!messages.length) continue;
      const records = messages.map((m) => toSqsRecord(m, arn, local.AWS_REGION));
      let failed: Set<string>;
      try {
        const res = (await handler(toSqsEvent(records), lambdaContext(decl))) as SQSBatchResponse | undefined;
        failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      } catch (err) {
        // Like Lambda: a thrown error fails the whole batch; messages return after the visibility timeout.
        console.error(`[${decl.name}] invocation failed: ${String(err)}`);
        continue;
      }
      const done = records.filter((r) => !failed.has(r.messageId));
      if (done.length) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
          }),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: local.NGSP_POLLERS }, poller));
}

async function runSchedule(decl: FunctionDecl & { trigger: { kind: 'schedule' } }, handler: AnyHandler): Promise<void> {
  const periodMs = Math.min(decl.trigger.everyMinutes * 60, local.NGSP_SCHEDULE_SECONDS) * 1000;
  while (!stopping) {
    const started = Date.now();
    try {
      await handler(
        { source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date().toISOString(), detail: {} },
        lambdaContext(decl),
      );
    } catch (err) {
      console.error(`[${decl.name}] scheduled run failed: ${String(err)}`);
    }
    notify({ type: 'tick', fn: decl.name, at: Date.now() });
    await new Promise((r) => setTimeout(r, Math.max(0, periodMs - (Date.now() - started))));
  }
}

async function main(): Promise<void> {
  const name = process.argv[2] as FunctionDecl['name'];
  const decl = functionDecl(name);
  const handler = await loadHandler(decl);
  // A worker outlives nothing: when its supervisor goes (even by SIGKILL), the IPC channel closes.
  process.on('disconnect', () => {
    stopping = true;
    setTimeout(() => process.exit(0), 3000).unref();
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      stopping = true;
      setTimeout(() => process.exit(0), 3000).unref();
    });
  }
  notify({ type: 'ready', fn: name });
  if (decl.trigger.kind === 'sqs') await runSqs(decl as FunctionDecl & { trigger: { kind: 'sqs' } }, handler);
  else if (decl.trigger.kind === 'schedule') await runSchedule(decl as FunctionDecl & { trigger: { kind: 'schedule' } }, handler);
  else {
    const { serveHttp } = await import('./http.ts');
    await serveHttp(decl, handler, (url) => notify({ type: 'listening', fn: name, url }));
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(`worker ${process.argv[2]} failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
