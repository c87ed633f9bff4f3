/**
 * `POST /v1/events`: an LGSP posts events over HTTPS. Every readable `reporter.platformId` must be
 * the key's platform (else 403 and nothing is accepted); invalid events are kept in `rejected/`
 * (source `api`) and listed in the answer; valid ones go to the ingest queue, the same path as
 * SQS events, so they are counted by the same code.
 */
import { createHash } from 'node:crypto';
import type { Principal } from '#shared/auth/keys.ts';
import { parseBody } from '#shared/contract/validate.ts';
import { ValidationError, type FieldError } from '#shared/errors.ts';
import { keepRejected, rejectedLines, type IncomingMessage } from '#shared/ingest.ts';
import type { LivePlatforms } from '#shared/platforms.ts';
import { attributeLines, isForeign, judgeBySender, type Sender } from '#shared/sender.ts';
import type { RollupBucket } from '#shared/store/bucket.ts';
import type { StatsStore } from '#shared/store/stats.ts';
import { ForbiddenError, PayloadTooLargeError } from './errors.ts';

export interface PostEventsDeps {
  queue: { send(events: unknown[]): Promise<void> };
  bucket: RollupBucket;
  stats: StatsStore;
  /** Largest accepted body (the wiring table's BODY_LIMIT_BYTES: 1 MiB, 500 events of ~2 KiB each); larger → 413. */
  bodyLimitBytes: number;
  /** Issue 16: the platforms registry of the running stack (cached); absent: the seed alone. */
  platforms?: Pick<LivePlatforms, 'registry'>;
  now?: () => number;
}

export interface PostEventsResult {
  accepted: number;
  rejected: { index: number; errors: FieldError[] }[];
}

/**
 * Handles one request body for an `lgsp` principal.
 * @throws PayloadTooLargeError over the byte limit; ValidationError when the body as a whole is
 *   unreadable (not JSON, not an event or envelope, more than 500 events); ForbiddenError when an
 *   event names another platform.
 */
export async function postEvents(
  body: string,
  principal: Principal & { platformId: string },
  deps: PostEventsDeps,
): Promise<PostEventsResult> {
  if (Buffer.byteLength(body, 'utf8') > deps.bodyLimitBytes) throw new PayloadTooLargeError(deps.bodyLimitBytes);
  const now = (deps.now ?? Date.now)();
  const registry = deps.platforms ? await deps.platforms.registry() : undefined;
  const parsed = parseBody(body, now, registry);
  if (parsed.bodyErrors.length) {
    const { bodyErrors } = parsed;
    const first = bodyErrors[0]!;
    const what = first.path === '(body)' || first.path === '(root)' ? 'request body' : `field "${first.path}"`;
    throw new ValidationError(`${what} ${first.message}`, bodyErrors);
  }
  // The same sender rule as the SQS path (shared/sender.ts): the key is the sender.
  const sender: Sender = { kind: 'platform', platformId: principal.platformId };
  const { items } = judgeBySender(sender, parsed);
  // Same body from the same platform → same id: a retried request overwrites its rejected/ file.
  const messageId = createHash('sha256').update(`${principal.platformId}\n${body}`).digest('hex').slice(0, 32);
  const msg: IncomingMessage = { messageId, body, receivedAtMs: now, source: 'api' };
  const lines = attributeLines(sender, rejectedLines(msg, items, []));
  const foreign = items.find(isForeign);
  if (foreign) {
    // Contract: 403 and nothing accepted; rule 7: the refused reports are kept in the sender's rejections.
    await keepRejected(lines, msg, deps, registry);
    const reported = (foreign.raw as { reporter?: { platformId?: unknown } }).reporter?.platformId;
    throw new ForbiddenError(
      `events[${foreign.index}].reporter.platformId "${String(reported).slice(0, 64)}" is not the platform of this key (${principal.platformId}); nothing was accepted`,
    );
  }
  if (lines.length) await keepRejected(lines, msg, deps, registry);
  const valid = items.filter((it) => it.ok);
  if (valid.length) await deps.queue.send(valid.map((it) => it.raw));
  return {
    accepted: valid.length,
    rejected: items.filter((it): it is typeof it & { ok: false } => !it.ok).map((it) => ({ index: it.index, errors: it.errors })),
  };
}
