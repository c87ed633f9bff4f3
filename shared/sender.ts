/**
 * Who sent a message, and what that allows (CONTRACT.md rule 7): a report belongs to the platform
 * that sent it. On SQS the sender is the principal SQS names in `SenderId` — never the body; on
 * HTTPS it is the API key's platform. One rule for both paths:
 * - a platform's sender may report only as that platform; another `reporter.platformId` is
 *   rejected with a named reason, kept in the *sender's* rejections and counted nowhere;
 * - a relay (an operator's principal, or the API function, which checked the key itself) may
 *   carry any platform's reports;
 * - an unregistered sender's messages are rejected whole, into `rejected/platform=unknown/`.
 */
import type { BodyItem, ParsedBody } from '#shared/contract/validate.ts';
import type { FieldError } from '#shared/errors.ts';
import { defaultRegistry, type Registry } from '#shared/registry.ts';
import type { SenderRecord } from '#shared/store/senders.ts';

export type Sender =
  | { kind: 'platform'; platformId: string; senderId?: string }
  | { kind: 'relay'; role: 'ops' | 'api' | 'in-process'; senderId?: string }
  | { kind: 'unknown'; senderId: string; why: string };

/** Folder of `rejected/` for lines no platform can be held to. */
export const UNKNOWN_PLATFORM = 'unknown';

export interface SenderDirectoryOptions {
  /** Principal ids trusted as relays without a registry entry (the API function's role). */
  relayIds?: readonly string[];
  /** How long a lookup (found or not) is reused. @default 60 s */
  cacheMs?: number;
  now?: () => number;
  /** Issue 16: the platforms registry in force (seed + operators' changes); absent: the seed. */
  platforms?: { registry(): Promise<Registry> };
}

/** The principal part of a `SenderId`: `AROA...:session` → `AROA...` (a role's sessions are one sender). */
export function principalOf(senderId: string): string {
  const i = senderId.indexOf(':');
  return i < 0 ? senderId : senderId.slice(0, i);
}

/**
 * Resolves `SenderId`s through the registry of sending principals, with a short cache so a
 * batch costs at most one read per sender and minute (a removal takes effect within `cacheMs`).
 */
export class SenderDirectory {
  private readonly cache = new Map<string, { at: number; sender: Promise<Sender> }>();
  private readonly relays: Set<string>;

  constructor(
    private readonly store: { get(senderId: string): Promise<SenderRecord | undefined> },
    private readonly opts: SenderDirectoryOptions = {},
  ) {
    this.relays = new Set((opts.relayIds ?? []).filter(Boolean).map(principalOf));
  }

  /** The sender of a message; throws (transient) when the registry cannot be read. */
  async resolve(senderId: string | undefined): Promise<Sender> {
    if (!senderId) return { kind: 'unknown', senderId: '(none)', why: 'the message carries no SenderId' };
    const id = principalOf(senderId);
    if (this.relays.has(id)) return { kind: 'relay', role: 'api', senderId: id };
    const now = (this.opts.now ?? Date.now)();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < (this.opts.cacheMs ?? 60_000)) return hit.sender;
    const registry = this.opts.platforms ? this.opts.platforms.registry() : Promise.resolve(defaultRegistry);
    const sender = Promise.all([this.store.get(id), registry]).then(([r, reg]) => senderOfRecord(id, r, reg));
    this.cache.set(id, { at: now, sender });
    // A failed read is not remembered: the message is retried and asks again.
    sender.catch(() => this.cache.delete(id));
    return sender;
  }
}

/** What a registry record allows. */
export function senderOfRecord(senderId: string, r: SenderRecord | undefined, registry: Registry = defaultRegistry): Sender {
  if (!r)
    return {
      kind: 'unknown',
      senderId,
      why: `the sending principal ${senderId} is not a registered sender of this stack (ngsp senders list)`,
    };
  if (r.role === 'ops') return { kind: 'relay', role: 'ops', senderId };
  if (r.role === 'lgsp' && r.platformId && registry.knowsPlatform(r.platformId))
    return { kind: 'platform', platformId: r.platformId, senderId };
  return { kind: 'unknown', senderId, why: `the sending principal ${senderId} is registered without a valid platform` };
}

function reportedPlatform(raw: unknown): string | undefined {
  const id = (raw as { reporter?: { platformId?: unknown } } | null)?.reporter?.platformId;
  return typeof id === 'string' ? id.slice(0, 64) : undefined;
}

const FOREIGN = 'a platform reports only as itself (rule 7)';

/** The named reason of rule 7. */
export function foreignPlatformError(reported: string, sender: string): FieldError {
  return { path: 'reporter.platformId', message: `is "${reported}" but the sender reports for ${sender}: ${FOREIGN}; not counted` };
}

/** Whether an item was rejected by rule 7 (it names another platform than its sender's). */
export function isForeign(it: BodyItem): boolean {
  return !it.ok && it.errors.some((e) => e.path === 'reporter.platformId' && e.message.includes(FOREIGN));
}

/**
 * Applies the sender rule to a parsed body: events of another platform than a platform sender's
 * become rejected items (path `reporter.platformId`); an unknown sender's message is rejected whole.
 */
export function judgeBySender(sender: Sender, parsed: ParsedBody): ParsedBody {
  if (sender.kind === 'relay') return parsed;
  if (sender.kind === 'unknown') {
    return {
      ...parsed,
      items: [],
      bodyErrors: [{ path: '(sender)', message: `${sender.why}; the message was not counted` }, ...parsed.bodyErrors],
    };
  }
  const items = parsed.items.map((it): BodyItem => {
    const reported = reportedPlatform(it.raw);
    if (reported === undefined || reported === sender.platformId) return it;
    const foreign = foreignPlatformError(reported, sender.platformId);
    return {
      index: it.index,
      raw: it.raw,
      ok: false,
      errors: it.ok ? [foreign] : [foreign, ...it.errors.filter((e) => e.path !== 'reporter.platformId')],
    };
  });
  return { ...parsed, items };
}

/** A rejected line as far as attribution goes (shared/ingest.ts RejectedLine has these fields). */
export interface AttributableLine {
  platformId?: string;
  reportedPlatformId?: string;
  senderId?: string;
  body: string;
}

/**
 * Attributes rejected lines to their sender: a platform sender's lines are its own whatever the
 * body says (`platformId` = the sender's, `reportedPlatformId` = what the body claimed); an
 * unknown sender's lines belong to no platform; a relay's keep the body's platform.
 */
export function attributeLines<L extends AttributableLine>(sender: Sender, lines: L[]): L[] {
  return lines.map((l) => {
    if (sender.kind === 'relay') return l;
    const { platformId: reported, ...rest } = l;
    if (sender.kind === 'unknown')
      return { ...rest, ...(reported ? { reportedPlatformId: reported } : {}), senderId: sender.senderId } as L;
    return {
      ...rest,
      platformId: sender.platformId,
      ...(reported && reported !== sender.platformId ? { reportedPlatformId: reported } : {}),
    } as L;
  });
}

/** The `rejected/platform=<...>/` folder of a line: a registered platform, else `unknown` (never a path from the body). */
export function rejectionFolder(line: { platformId?: string }, registry: Registry = defaultRegistry): string {
  return line.platformId && registry.knowsPlatform(line.platformId) ? line.platformId : UNKNOWN_PLATFORM;
}
