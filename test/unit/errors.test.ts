/** Error mapping (shared/api/errors.ts) and transient classification (shared/errors.ts). */
import { describe, expect, it } from 'vitest';
import { errorResponse, MethodNotAllowedError, ThrottledError, UnauthorizedError } from '#shared/api/errors.ts';
import { isPermanentWriteError, isTransient, retryTransient, TransientError, ValidationError } from '#shared/errors.ts';
import { awsError } from '../helpers/fakes.ts';

describe('error mapping', () => {
  it('given typed errors, then their status, code and message, with Allow, Retry-After and details', () => {
    expect(errorResponse(new UnauthorizedError())).toMatchObject({ statusCode: 401, internal: false });
    expect(errorResponse(new MethodNotAllowedError(['GET', 'POST'])).headers.allow).toBe('GET, POST');
    expect(errorResponse(new ThrottledError(7)).headers['retry-after']).toBe('7');
    const bad = errorResponse(new ValidationError('from is bad', [{ path: 'from', message: 'bad' }]));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({
      error: { code: 'VALIDATION', message: 'from is bad', details: [{ path: 'from', message: 'bad' }] },
    });
  });

  it('given a busy backend, then 503 with a fixed message; anything unknown is 500 and never shows its text', () => {
    const busy = errorResponse(awsError('ThrottlingException'));
    expect(busy).toMatchObject({ statusCode: 503, internal: true });
    expect(errorResponse(new TransientError('queue refused')).statusCode).toBe(503);
    const unknown = errorResponse(new Error('secret table name ngsp-keys'));
    expect(unknown.statusCode).toBe(500);
    expect(unknown.body).not.toContain('secret');
  });
});

describe('transient classification', () => {
  it.each([
    ['a throttling name', awsError('ThrottlingException'), true],
    ['a 5xx status', awsError('Whatever', 503), true],
    ['a dropped connection', Object.assign(new Error('reset'), { code: 'ECONNRESET' }), true],
    ['access denied', awsError('AccessDeniedException', 400), false],
    ['a validation error', awsError('ValidationException', 400), false],
    ['not an object', 'boom', false],
  ])('given %s, then transient is %s', (_what, err, transient) => {
    expect(isTransient(err)).toBe(transient);
  });

  it('given ValidationException, then only it is a permanent write error', () => {
    expect(isPermanentWriteError(awsError('ValidationException'))).toBe(true);
    expect(isPermanentWriteError(awsError('AccessDeniedException'))).toBe(false);
    expect(isPermanentWriteError(awsError('ThrottlingException', 400))).toBe(false);
  });

  it('given a transient failure, then retryTransient tries again; a permanent one is thrown at once', async () => {
    let calls = 0;
    expect(await retryTransient(async () => (++calls < 3 ? Promise.reject(awsError('ThrottlingException')) : 'ok'), 3, 1)).toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryTransient(async () => (calls++, Promise.reject(awsError('AccessDeniedException'))), 3, 1)).rejects.toThrow(
      /AccessDenied/,
    );
    expect(calls).toBe(1);
  });
});
