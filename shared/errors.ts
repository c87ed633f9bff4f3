/** One problem with one field of an input, named by its path (e.g. `reporter.platformId`). */
export interface FieldError {
  path: string;
  message: string;
}

/** Base of the typed errors that map to a client-facing response. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: FieldError[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input is wrong: a parameter or body field, named in the message. */
export class ValidationError extends AppError {
  constructor(message: string, details?: FieldError[]) {
    super('VALIDATION', message, 400, details);
  }
}

/** A failure worth retrying (throttling, 5xx, timeouts, dropped connections). */
export class TransientError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('TRANSIENT', message, 503);
    this.cause = cause;
  }
}

const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'SlowDown',
  'InternalServerError',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionConflictException',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

/**
 * Whether an AWS SDK (or network) error is transient: retrying the same request later can succeed.
 * Anything else is treated as permanent by callers that must choose between retry and reject.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (e.$retryable) return true;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/**
 * Whether a store write failed for a reason that lies in the report itself, so that no retry can
 * ever succeed (DynamoDB's `ValidationException`: e.g. an item over 400 KB). Only these turn a
 * valid event into a rejection. Anything else — throttling, 5xx, but also AccessDenied, a missing
 * table, a disabled KMS key, expired credentials or an error never seen before — is a fault of
 * the deployment, not of the event: the message is delivered again (and ends in the DLQ, alarmed)
 * so that fixing the fault loses nothing.
 */
export function isPermanentWriteError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const name = (err as { name?: string }).name;
  return name === 'ValidationException' && !isTransient(err);
}

/**
 * Runs `fn`, trying again (up to `retries` times, exponential backoff with full jitter) while it
 * fails with a transient error. For idempotent store writes only. The SDK retries too, but its
 * retry quota drains under a sustained share of failures (each retry costs 5 tokens, a success
 * returns 1), after which every throttled request fails at once: a message needing tens of
 * writes would then fail almost every delivery and end in the DLQ.
 */
export async function retryTransient<T>(fn: () => Promise<T>, retries = 3, baseMs = 50): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= retries || !isTransient(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * baseMs * 2 ** (attempt + 1)));
    }
  }
}
