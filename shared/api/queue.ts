/**
 * The ingest queue as the API sees it: events accepted over HTTPS are sent as envelope messages
 * (`{"events": [...]}`, the SQS transport of CONTRACT.md section 1), so they take exactly the
 * path SQS events take. The only code of the API that knows SQS.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { TransientError } from '#shared/errors.ts';

/** Below SQS' 256 KiB message and batch limits, with room for the envelope. */
export const MESSAGE_BYTES = 60 * 1024;
export const BATCH_BYTES = 240 * 1024;
const BATCH_ENTRIES = 10;
const ATTEMPTS = 4;

/** Packs events into envelope bodies of at most `maxBytes` each (one event per message if it is larger). */
export function packEvents(events: unknown[], maxBytes = MESSAGE_BYTES): string[] {
  const bodies: string[] = [];
  let current: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (current.length) bodies.push(`{"events":[${current.join(',')}]}`);
    current = [];
    size = 0;
  };
  for (const e of events) {
    const text = JSON.stringify(e);
    const bytes = Buffer.byteLength(text, 'utf8') + 1;
    if (current.length && size + bytes + 12 > maxBytes) flush();
    current.push(text);
    size += bytes;
  }
  flush();
  return bodies;
}

/** Groups bodies into SendMessageBatch calls (10 entries, {@link BATCH_BYTES} at most). */
export function batchBodies(bodies: string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const b of bodies) {
    const bytes = Buffer.byteLength(b, 'utf8');
    if (current.length && (current.length === BATCH_ENTRIES || size + bytes > BATCH_BYTES)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(b);
    size += bytes;
  }
  if (current.length) batches.push(current);
  return batches;
}

export class IngestQueue {
  constructor(private readonly sqs: SQSClient, private readonly queueUrl: string) {}

  /**
   * Sends the events; entries SQS refuses are sent again a few times. Throws a TransientError if
   * some are still refused (the client retries the request; reports are idempotent by eventId).
   */
  async send(events: unknown[]): Promise<void> {
    for (const batch of batchBodies(packEvents(events))) {
      let pending: SendMessageBatchRequestEntry[] = batch.map((body, i) => ({ Id: String(i), MessageBody: body }));
      for (let attempt = 1; pending.length; attempt++) {
        if (attempt > ATTEMPTS) throw new TransientError(`the ingest queue refused ${pending.length} message(s)`);
        if (attempt > 1) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        pending = pending.filter((e) => failed.has(e.Id));
      }
    }
  }
}
