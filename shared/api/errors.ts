/**
 * The API's typed errors and the one mapper from any error to a client-facing response.
 * Clients only ever see `{"error": {"code", "message"}}` (plus field `details` for validation);
 * never raw error text from the SDK or the runtime.
 */
import { AppError, ValidationError, isTransient, type FieldError } from '#shared/errors.ts';

/** No key, or a key that is unknown or revoked. */
export class UnauthorizedError extends AppError {
  constructor(message = 'a valid API key is required in the x-api-key header') {
    super('UNAUTHORIZED', message, 401);
  }
}

/** The key is valid but its principal may not do this. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message, 403);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'no such route') {
    super('NOT_FOUND', message, 404);
  }
}

/** The path exists, the method does not; `allow` lists the methods that do. */
export class MethodNotAllowedError extends AppError {
  constructor(readonly allow: string[]) {
    super('METHOD_NOT_ALLOWED', `method not allowed; allowed: ${allow.join(', ')}`, 405);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super('PAYLOAD_TOO_LARGE', `request body is larger than ${limitBytes} bytes`, 413);
  }
}

/** Over the principal's request budget for the current window. */
export class ThrottledError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('THROTTLED', `too many requests; retry after ${retryAfterSeconds} s`, 429);
  }
}

/** A response independent of any gateway's types (functions/api maps it to API Gateway's). */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The error body of the contract, with the field errors of a validation error when there are any. */
export interface ErrorBody {
  error: { code: string; message: string; details?: FieldError[] };
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** JSON response with the API's standard headers. */
export function jsonResponse(statusCode: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...headers }, body: JSON.stringify(value) };
}

/**
 * Maps any error to a response. Known errors keep their status, code and message; transient
 * backend failures become 503; anything else is a 500 with a fixed message (`internal` tells the
 * caller to log it).
 */
export function errorResponse(err: unknown): HttpResponse & { internal: boolean } {
  if (err instanceof AppError && !isTransient(err)) {
    const headers: Record<string, string> = {};
    if (err instanceof MethodNotAllowedError) headers.allow = err.allow.join(', ');
    if (err instanceof ThrottledError) headers['retry-after'] = String(err.retryAfterSeconds);
    const body: ErrorBody = {
      error: {
        code: err.code,
        message: err.message,
        ...(err instanceof ValidationError && err.details?.length ? { details: err.details } : {}),
      },
    };
    return { ...jsonResponse(err.status, body, headers), internal: false };
  }
  if (isTransient(err)) {
    const body: ErrorBody = { error: { code: 'UNAVAILABLE', message: 'a backend service is busy; retry later' } };
    return { ...jsonResponse(503, body, { 'retry-after': '1' }), internal: true };
  }
  const body: ErrorBody = { error: { code: 'INTERNAL', message: 'internal error' } };
  return { ...jsonResponse(500, body), internal: true };
}
