/**
 * Sending events to a stack: through SQS (SendMessageBatch of envelopes, the main path) or the
 * HTTP API (`POST /v1/events` with the platform's key). Batches within the transport limits,
 * a few requests in flight, throttling and 5xx retried with backoff.
 */
import { API_LIMITS, Packer, SQS_LIMITS, type Batch, type PackLimits } from '#shared/envelope.ts';
import { QueueRefusedError, sendBatch } from '#shared/store/queue.ts';
import { UserError } from '../errors.ts';
import { sqsSenderFor, type Target } from '../target.ts';

export type Via = 'sqs' | 'api';

export interface SendStats {
  /** Events handed over (to the queue, or accepted by the API). */
  sent: number;
  /** SQS messages or HTTP requests. */
  messages: number;
  /** Events the API rejected (SQS rejects later, in rejected/). */
  rejected: number;
  /** First API rejections, for the report. */
  rejections: { platformId: string; index: number; errors: { path: string; message: string }[] }[];
}

export interface SenderOptions {
  via: Via;
  /** Events per envelope. @default 500 */
  envelope?: number;
  /** API key for every request (else the local stack's key of each event's platform). */
  apiKey?: string;
  /** Requests in flight. @default 4 */
  concurrency?: number;
  onProgress?: (stats: SendStats) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Accepts serialized events, sends them in batches; `close()` sends the rest and reports. */
export class EventSender {
  readonly stats: SendStats = { sent: 0, messages: 0, rejected: 0, rejections: [] };
  private readonly packers = new Map<string, Packer>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private readonly limits: PackLimits;
  private readonly concurrency: number;

  constructor(
    private readonly target: Target,
    private readonly opts: SenderOptions,
  ) {
    const base = opts.via === 'api' ? API_LIMITS : SQS_LIMITS;
    const envelope = opts.envelope ?? base.maxEventsPerEnvelope;
    if (!Number.isInteger(envelope) || envelope < 1 || envelope > 500)
      throw new UserError(`--envelope must be an integer from 1 to 500, got ${envelope}.`);
    this.limits = { ...base, maxEventsPerEnvelope: envelope };
    this.concurrency = opts.concurrency ?? 4;
    if (opts.via === 'api' && !target.apiUrl)
      throw new UserError(`${target.source} has no API URL: send through SQS (--via sqs) or deploy the API.`);
  }

  /** Adds one event (its JSON text, and its platform for the API's per-platform keys). */
  async add(eventJson: string, platformId: string): Promise<void> {
    if (this.failure) throw this.failure;
    // One packer per platform: each platform's batches go with its own key or credentials (rule 7).
    const key = platformId;
    let packer = this.packers.get(key);
    if (!packer) {
      packer = new Packer(this.limits);
      this.packers.set(key, packer);
    }
    for (const batch of packer.add(eventJson)) await this.dispatch(batch, platformId);
  }

  /** Sends what is left and waits for every request. */
  async close(): Promise<SendStats> {
    for (const [key, packer] of this.packers) for (const batch of packer.flush()) await this.dispatch(batch, key);
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    return this.stats;
  }

  private async dispatch(batch: Batch, platformId: string): Promise<void> {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    const p = (this.opts.via === 'api' ? this.post(batch, platformId) : this.enqueue(batch, platformId))
      .then(() => this.opts.onProgress?.(this.stats))
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async enqueue(batch: Batch, platformId: string): Promise<void> {
    const { sqs, queueUrl } = sqsSenderFor(this.target, platformId);
    const onSent = (i: number): void => {
      this.stats.sent += batch.counts[i] ?? 0;
      this.stats.messages++;
    };
    try {
      await sendBatch(sqs, queueUrl, batch.bodies, { attempts: 6, backoffMs: 100, onSent });
    } catch (err) {
      if (err instanceof QueueRefusedError)
        throw new UserError(`the queue refused a message (${err.code}: ${err.reason ?? 'no reason given'}).`);
      throw err;
    }
  }

  private apiKeyFor(platformId: string): string {
    if (this.opts.apiKey) return this.opts.apiKey;
    const key = this.target.apiKeys?.lgsp[platformId];
    if (!key)
      throw new UserError(`no API key for platform ${platformId}: pass --api-key (an lgsp key of that platform, see ngsp keys create).`);
    return key;
  }

  private async post(batch: Batch, platformId: string): Promise<void> {
    const key = this.apiKeyFor(platformId);
    for (const body of batch.bodies) {
      for (let attempt = 0; ; attempt++) {
        let res: Response;
        try {
          res = await fetch(`${this.target.apiUrl}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': key },
            body,
          });
        } catch (err) {
          if (attempt >= 4) throw err;
          await sleep(250 * 2 ** attempt);
          continue;
        }
        if (res.status === 202) {
          const out = (await res.json()) as { accepted: number; rejected: SendStats['rejections'][number][] };
          this.stats.sent += out.accepted;
          this.stats.messages++;
          this.stats.rejected += out.rejected.length;
          for (const r of out.rejected) if (this.stats.rejections.length < 20) this.stats.rejections.push({ ...r, platformId });
          break;
        }
        if ((res.status === 429 || res.status >= 500) && attempt < 6) {
          await sleep(Math.min(8000, 250 * 2 ** attempt));
          continue;
        }
        const text = await res.text();
        let message = text.slice(0, 200);
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
        } catch {
          // not JSON: keep the text
        }
        throw new UserError(`the API answered ${res.status} for events of ${platformId}: ${message.replace(/\.$/, '')}.`);
      }
    }
  }
}
