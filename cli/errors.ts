/**
 * The CLI's error model: a user error is one clear sentence and a non-zero exit, never a stack
 * trace. Known failures of the SDK (unreachable endpoint, no credentials, missing resource) are
 * turned into such sentences here, in one place.
 */

/** A mistake the user can fix (bad argument, missing file, bad input line). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  errors?: unknown[];
  cause?: unknown;
  address?: string;
  port?: number;
  hostname?: string;
  $metadata?: { httpStatusCode?: number };
}

function networkCause(err: unknown, depth = 0): ErrorLike | undefined {
  if (!err || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as ErrorLike;
  if (e.code && NETWORK_CODES.has(e.code)) return e;
  for (const inner of e.errors ?? []) {
    const found = networkCause(inner, depth + 1);
    if (found) return found;
  }
  return networkCause(e.cause, depth + 1);
}

/** Where the command was pointed, for error sentences. */
export interface ErrorContext {
  kind?: 'local' | 'aws';
}

/** One sentence for any error; `expected` is false for a bug (then a hint to see details). */
export function describeError(err: unknown, ctx: ErrorContext = {}): { message: string; expected: boolean; exitCode: number } {
  if (err instanceof UserError) return { message: err.message, expected: true, exitCode: err.exitCode };
  const net = networkCause(err);
  if (net) {
    const where = net.address
      ? `${net.address}${net.port ? `:${net.port}` : ''}`
      : (net.hostname ?? /\s(\S+:\d+)\b/.exec(net.message ?? '')?.[1] ?? 'the endpoint');
    const why =
      net.code === 'ECONNREFUSED'
        ? 'connection refused'
        : net.code === 'ENOTFOUND' || net.code === 'EAI_AGAIN'
          ? 'unknown host'
          : (net.code ?? 'network error').toLowerCase();
    const hint =
      ctx.kind === 'aws' ? 'check your network and the region of the outputs file' : 'is the local stack running? start it with npm start';
    return { message: `cannot reach ${where} (${why}): ${hint}.`, expected: true, exitCode: 3 };
  }
  const e = (err ?? {}) as ErrorLike;
  const name = e.name ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message ?? '')) {
    return {
      message: 'no AWS credentials found: configure the default credential chain (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID).',
      expected: true,
      exitCode: 3,
    };
  }
  if (
    [
      'AccessDenied',
      'AccessDeniedException',
      'UnrecognizedClientException',
      'ExpiredToken',
      'ExpiredTokenException',
      'InvalidClientTokenId',
    ].includes(name)
  ) {
    return { message: `AWS refused the request (${name}): check that your credentials may use this stack.`, expected: true, exitCode: 3 };
  }
  if (['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'ResourceNotFoundException', 'NoSuchBucket'].includes(name)) {
    return {
      message: `a resource of the stack does not exist (${name}): is the stack running or deployed, and is the outputs file current?`,
      expected: true,
      exitCode: 3,
    };
  }
  if (name === 'TimeoutError')
    return { message: 'the endpoint did not answer in time: is the stack running?', expected: true, exitCode: 3 };
  const text = (e.message ?? String(err)).split('\n')[0];
  return { message: `unexpected error: ${text} (set NGSP_DEBUG=1 to see the details).`, expected: false, exitCode: 1 };
}
