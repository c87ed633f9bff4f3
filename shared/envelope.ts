/**
 * The one envelope packer: events into message bodies and send batches within the transport limits
 * (CONTRACT.md section 1: `{"events": [...]}` with 1–500 events; SQS: a message and a
 * SendMessageBatch of up to 10 messages are each at most 256 KiB). The API's ingest queue, the
 * CLI's sender and the benchmarks all pack with it.
 */

export interface PackLimits {
  /** Events per envelope. @default 500 */
  maxEventsPerEnvelope: number;
  /** UTF-8 bytes of one message body. */
  maxMessageBytes: number;
  /** Messages per batch (SendMessageBatch: 10; HTTP: 1). */
  maxMessagesPerBatch: number;
  /** UTF-8 bytes of one batch (SendMessageBatch: 256 KiB in total). */
  maxBatchBytes: number;
  /** An event larger than a message goes alone in a message of its own (else EventTooLargeError). @default false */
  oversizedAlone?: boolean;
}

const KIB = 1024;
/** SQS: 256 KiB per message and per batch; a little room kept for the request's own framing. */
export const SQS_LIMITS: PackLimits = {
  maxEventsPerEnvelope: 500,
  maxMessageBytes: 255 * KIB,
  maxMessagesPerBatch: 10,
  maxBatchBytes: 255 * KIB,
};
/** POST /v1/events: one envelope per request, the API's 1 MiB body limit with room to spare. */
export const API_LIMITS: PackLimits = {
  maxEventsPerEnvelope: 500,
  maxMessageBytes: 1000 * KIB,
  maxMessagesPerBatch: 1,
  maxBatchBytes: 1000 * KIB,
};

export interface Batch {
  /** Message bodies, each `{"events":[...]}`. */
  bodies: string[];
  /** Events in each body. */
  counts: number[];
  /** Events in the batch. */
  events: number;
  bytes: number;
}

const OPEN = '{"events":[';
const CLOSE = ']}';
const FRAME = OPEN.length + CLOSE.length;

/** An event too large for one message even alone. */
export class EventTooLargeError extends Error {}

/**
 * Accumulates serialized events; `add` returns the batches it completed (usually none), `flush`
 * the rest. Envelopes close at the event or byte limit; batches at the message or byte limit.
 */
export class Packer {
  private envelope: string[] = [];
  private envelopeBytes = FRAME;
  private batch: string[] = [];
  private batchCounts: number[] = [];
  private batchEvents = 0;
  private batchBytes = 0;

  constructor(readonly limits: PackLimits) {}

  add(eventJson: string): Batch[] {
    const size = Buffer.byteLength(eventJson, 'utf8');
    if (size + FRAME > this.limits.maxMessageBytes && this.limits.oversizedAlone) {
      const out = this.closeEnvelope();
      this.envelope = [eventJson];
      this.envelopeBytes = FRAME + size;
      return [...out, ...this.closeEnvelope()];
    }
    if (size + FRAME > this.limits.maxMessageBytes) {
      throw new EventTooLargeError(`an event of ${size} bytes does not fit in one message (${this.limits.maxMessageBytes} bytes)`);
    }
    const out: Batch[] = [];
    const extra = this.envelope.length ? size + 1 : size;
    if (this.envelope.length >= this.limits.maxEventsPerEnvelope || this.envelopeBytes + extra > this.limits.maxMessageBytes) {
      out.push(...this.closeEnvelope());
    }
    this.envelopeBytes += this.envelope.length ? size + 1 : size;
    this.envelope.push(eventJson);
    return out;
  }

  flush(): Batch[] {
    const out = this.closeEnvelope();
    if (this.batch.length) out.push(this.takeBatch());
    return out;
  }

  private closeEnvelope(): Batch[] {
    if (!this.envelope.length) return [];
    const body = OPEN + this.envelope.join(',') + CLOSE;
    const bytes = this.envelopeBytes;
    const events = this.envelope.length;
    this.envelope = [];
    this.envelopeBytes = FRAME;
    const out: Batch[] = [];
    if (
      this.batch.length &&
      (this.batch.length >= this.limits.maxMessagesPerBatch || this.batchBytes + bytes > this.limits.maxBatchBytes)
    ) {
      out.push(this.takeBatch());
    }
    this.batch.push(body);
    this.batchCounts.push(events);
    this.batchEvents += events;
    this.batchBytes += bytes;
    return out;
  }

  private takeBatch(): Batch {
    const b: Batch = { bodies: this.batch, counts: this.batchCounts, events: this.batchEvents, bytes: this.batchBytes };
    this.batch = [];
    this.batchCounts = [];
    this.batchEvents = 0;
    this.batchBytes = 0;
    return b;
  }
}
