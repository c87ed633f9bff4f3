/**
 * The ingest queue: the one SQS send-with-retry of the project (the API's relay, the CLI's
 * sender and the tests send through it) and the queue's depth.
 */
import { GetQueueAttributesCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { Packer, type PackLimits } from '#shared/envelope.ts';
import { TransientError } from '#shared/errors.ts';

/** Messages still in a queue: visible, in flight and delayed. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const a =
    (
      await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      )
    ).Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Entries SQS still refused after every attempt, or refused for a fault of the request (never retried). */
export class QueueRefusedError extends Error {
  constructor(
    /** The first refusal: its code and reason. */
    readonly code: string,
    readonly reason: string | undefined,
    /** Entries not sent. */
    readonly pending: number,
  ) {
    super(`the queue refused ${pending} message(s) (${code}: ${reason ?? 'no reason given'})`);
    this.name = 'QueueRefusedError';
  }
}

export interface SendOptions {
  /** Attempts per batch (the first included). */
  attempts: number;
  /** Wait before attempt n (n ≥ 2): backoffMs × 2^(n−1). */
  backoffMs: number;
  /** Called with the index (in `bodies`) of each message SQS took. */
  onSent?: (index: number) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sends up to 10 bodies with one SendMessageBatch; the entries SQS refuses for its own reasons are
 * sent again with backoff, a refusal for the request's fault (`SenderFault`) is not.
 * @throws QueueRefusedError when entries are still refused
 */
export async function sendBatch(sqs: SQSClient, queueUrl: string, bodies: string[], opts: SendOptions): Promise<void> {
  let pending: SendMessageBatchRequestEntry[] = bodies.map((body, i) => ({ Id: String(i), MessageBody: body }));
  for (let attempt = 1; pending.length; attempt++) {
    if (attempt > 1) await sleep(opts.backoffMs * 2 ** (attempt - 1));
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
    for (const ok of out.Successful ?? []) opts.onSent?.(Number(ok.Id));
    const failed = out.Failed ?? [];
    if (!failed.length) return;
    const fatal = failed.find((f) => f.SenderFault);
    if (fatal || attempt >= opts.attempts) {
      const f = fatal ?? failed[0]!;
      throw new QueueRefusedError(String(f.Code), f.Message, failed.length);
    }
    const retry = new Set(failed.map((f) => f.Id));
    pending = pending.filter((e) => retry.has(e.Id));
  }
}

/** Below SQS' 256 KiB message and batch limits, with room for the envelope. */
export const MESSAGE_BYTES = 60 * 1024;
export const BATCH_BYTES = 240 * 1024;

/** How the API packs what it relays: 60 KiB messages, 10 a batch; a larger event goes alone. */
export const RELAY_LIMITS: PackLimits = {
  maxEventsPerEnvelope: 500,
  maxMessageBytes: MESSAGE_BYTES,
  maxMessagesPerBatch: 10,
  maxBatchBytes: BATCH_BYTES,
  oversizedAlone: true,
};

/**
 * The ingest queue as the API sees it: events accepted over HTTPS are sent as envelope messages
 * (`{"events": [...]}`, the SQS transport of CONTRACT.md section 1), so they take exactly the
 * path SQS events take.
 */
export class IngestQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /**
   * Sends the events; entries SQS refuses are sent again a few times. Throws a TransientError if
   * some are still refused (the client retries the request; reports are idempotent by eventId).
   */
  async send(events: unknown[]): Promise<void> {
    const packer = new Packer(RELAY_LIMITS);
    const batches = events.flatMap((e) => packer.add(JSON.stringify(e)));
    batches.push(...packer.flush());
    for (const batch of batches) {
      try {
        await sendBatch(this.sqs, this.queueUrl, batch.bodies, { attempts: 4, backoffMs: 100 });
      } catch (err) {
        if (err instanceof QueueRefusedError) throw new TransientError(`the ingest queue refused ${err.pending} message(s)`);
        throw err;
      }
    }
  }
}
