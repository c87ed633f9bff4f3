/**
 * `ngsp redrive`: moves dead-lettered messages back to the ingest queue. On AWS it starts an SQS
 * message move task (the service moves them, keeping attributes) and waits for it; locally it
 * receives, sends and then deletes, so a crash between the two leaves a copy, never a loss (the
 * copy is a duplicate: counted once).
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { UserError } from '../errors.ts';
import { count, n, progressBar, type Io } from '../io.ts';
import type { Target } from '../target.ts';

export interface RedriveOptions {
  /** `move-task` (SQS StartMessageMoveTask) or `copy` (receive, send, delete). @default move-task on AWS, copy locally */
  method?: 'move-task' | 'copy';
  /** Move at most this many messages (copy only). */
  max?: number;
  /** Wait for a move task to finish. @default true */
  wait?: boolean;
}

export interface RedriveResult {
  method: 'move-task' | 'copy';
  moved: number;
  failed: number;
  /** Messages in the dead-letter queue before. */
  before: number;
}

async function depth(target: Target, url: string): Promise<number> {
  const a =
    (await target.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] })))
      .Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0);
}

async function copy(target: Target, opts: RedriveOptions, io: Io, before: number): Promise<RedriveResult> {
  const sqs = target.clients.sqs;
  const max = opts.max ?? Infinity;
  const bar = progressBar(io, 'redrive', before, 'messages');
  let moved = 0;
  let failed = 0;
  let empties = 0;
  try {
    while (moved < max && empties < 2) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: target.dlqUrl,
          MaxNumberOfMessages: Math.min(10, max - moved),
          WaitTimeSeconds: 1,
          VisibilityTimeout: 60,
          MessageAttributeNames: ['All'],
        }),
      );
      const msgs = got.Messages ?? [];
      if (!msgs.length) {
        empties++;
        continue;
      }
      empties = 0;
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: target.queueUrl,
          Entries: msgs.map((m, i) => ({
            Id: String(i),
            MessageBody: m.Body ?? '',
            ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length ? { MessageAttributes: m.MessageAttributes } : {}),
          })),
        }),
      );
      const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
      failed += (sent.Failed ?? []).length;
      const done = msgs.filter((_, i) => ok.has(String(i)));
      // Deleted only once the copy is on the ingest queue; failed ones reappear in the DLQ.
      if (done.length) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: target.dlqUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
      moved += done.length;
      bar.setTotal(Math.max(before, moved));
      bar.update(moved);
    }
  } finally {
    bar.stop();
  }
  return { method: 'copy', moved, failed, before };
}

async function moveTask(target: Target, opts: RedriveOptions, io: Io, before: number): Promise<RedriveResult> {
  const sqs = target.clients.sqs;
  const arnOf = async (url: string): Promise<string> =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
  const [source, destination] = await Promise.all([arnOf(target.dlqUrl), arnOf(target.queueUrl)]);
  if (!source || !destination) throw new UserError('could not read the queue ARNs: check that your credentials may use the queues.');
  try {
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: source, DestinationArn: destination }));
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    if (
      /UnsupportedOperation|InvalidParameter|MaxConcurrentMove|AlreadyExists/i.test(name) ||
      /already/i.test((err as Error).message ?? '')
    ) {
      throw new UserError(
        `SQS did not start a move task (${name}): a redrive may be running already; see it with aws sqs list-message-move-tasks --source-arn ${source}.`,
      );
    }
    throw err;
  }
  io.note(`move task started: ${count(before, 'message')} from ${source} to ${destination}`);
  if (opts.wait === false) return { method: 'move-task', moved: 0, failed: 0, before };
  const bar = progressBar(io, 'redrive', before, 'messages');
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      const task = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: source, MaxResults: 1 }))).Results?.[0];
      const moved = Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
      bar.update(moved);
      if (!task || task.Status === 'COMPLETED') return { method: 'move-task', moved, failed: 0, before };
      if (task.Status === 'FAILED' || task.Status === 'CANCELLED') {
        throw new UserError(
          `the move task ${task.Status.toLowerCase()} after ${n(moved)} message(s)${task.FailureReason ? ` (${task.FailureReason})` : ''}.`,
        );
      }
    }
  } finally {
    bar.stop();
  }
}

export async function redrive(target: Target, opts: RedriveOptions, io: Io): Promise<RedriveResult> {
  const method = opts.method ?? (target.kind === 'aws' ? 'move-task' : 'copy');
  if (method !== 'move-task' && method !== 'copy') throw new UserError(`--method must be move-task or copy, got "${String(method)}".`);
  if (opts.max !== undefined && (!Number.isInteger(opts.max) || opts.max < 1))
    throw new UserError(`--max must be a positive integer, got "${opts.max}".`);
  const before = await depth(target, target.dlqUrl);
  if (before === 0 && method === 'move-task') {
    io.out('the dead-letter queue is empty: nothing to redrive.');
    return { method, moved: 0, failed: 0, before };
  }
  const result = method === 'copy' ? await copy(target, opts, io, before) : await moveTask(target, opts, io, before);
  const left = await depth(target, target.dlqUrl);
  io.out(
    result.moved === 0 && before === 0
      ? 'the dead-letter queue is empty: nothing to redrive.'
      : `moved ${count(result.moved, 'message')} from the dead-letter queue back to the ingest queue${result.failed ? `; ${n(result.failed)} could not be sent and stay in the dead-letter queue` : ''}; about ${n(left)} left there.`,
  );
  return result;
}
