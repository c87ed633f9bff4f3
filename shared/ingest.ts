/**
 * The ingest step, independent of Lambda: validate each message, keep what is invalid in
 * `rejected/` with its reasons, store valid reports idempotently, mark late minutes dirty, and
 * report which messages must be delivered again (transient failures only).
 */
import { createHash } from 'node:crypto';
import { parseBody, type BodyItem } from '#shared/contract/validate.ts';
import { isPermanentWriteError, isTransient, retryTransient, type FieldError } from '#shared/errors.ts';
import type { LivePlatforms } from '#shared/platforms.ts';
import { pool } from '#shared/pool.ts';
import type { Registry } from '#shared/registry.ts';
import { toReport, type Report } from '#shared/report.ts';
import type { EventStore } from '#shared/store/events.ts';
import type { StatsStore } from '#shared/store/stats.ts';
import { keys, type RollupBucket } from '#shared/store/bucket.ts';
// Issue 13 (sender identity, rule 7): the rule lives in shared/sender.ts; the hooks below call it.
import { attributeLines, judgeBySender, rejectionFolder, type Sender, type SenderDirectory } from '#shared/sender.ts';
import { dayOf, dayStartMs, DAY_MS, MINUTE_MS, minuteKeyOf, minuteStartMs, toIct } from '#shared/time.ts';

/** One received message: from SQS, or one HTTP request. */
export interface IncomingMessage {
  messageId: string;
  body: string;
  /** When the message was first received (SQS SentTimestamp): stable across redeliveries. */
  receivedAtMs: number;
  source: 'sqs' | 'api';
  /** Issue 13: who sent it (SQS `SenderId`: the sending principal's unique id). */
  senderId?: string;
}

/** What the ingest needs of each store: narrow, so a test can stand in for it with a few lines. */
export interface IngestDeps {
  events: Pick<EventStore, 'journalReports' | 'journalKeys' | 'writeReport' | 'writeConflict'>;
  stats: Pick<StatsStore, 'putRejectedCount' | 'markDirty'>;
  bucket: Pick<RollupBucket, 'put'>;
  /** The rollup's lateness window: a minute is rolled this long after it ends. */
  latenessMs: number;
  /** Slack for clock skew and index propagation when deciding a minute may be rolled already. */
  dirtyMarginMs: number;
  /** Store writes in flight at once. */
  concurrency: number;
  now?: () => number;
  /**
   * Issue 13: the registry of sending principals. Absent only for in-process callers (tests,
   * bench) that vouch for their messages; the Lambda handler always passes it.
   */
  senders?: Pick<SenderDirectory, 'resolve'>;
  /**
   * Issue 16: the platforms registry of the running stack (seed + `ngsp platforms add|retire`),
   * cached for a minute. Absent: the seed (seeds/platforms.json) alone.
   */
  platforms?: Pick<LivePlatforms, 'registry'>;
  log?: {
    warn: (msg: string, extra?: Record<string, unknown>) => void;
    error?: (msg: string, extra?: Record<string, unknown>) => void;
  };
}

export interface RejectedLine {
  receivedAt: string;
  source: 'sqs' | 'api';
  messageId: string;
  index: number | null;
  platformId?: string;
  /** Issue 13: the body's `reporter.platformId` when it is not the sender's. */
  reportedPlatformId?: string;
  /** Issue 13: the SenderId of a message from an unregistered sender. */
  senderId?: string;
  errors: FieldError[];
  body: string;
}

export interface IngestResult {
  /** Messages to deliver again: a transient failure hit one of their writes. */
  failedMessageIds: string[];
  stored: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
  /** Store writes that failed for a reason other than the report (access, configuration, unknown): retried, alarmed. */
  storeErrors: number;
}

const BODY_LIMIT = 64 * 1024;

/** Cuts text to at most 64 KiB of UTF-8 without splitting a character. */
export function cutBody(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= BODY_LIMIT) return text;
  let cut = Buffer.from(text, 'utf8').subarray(0, BODY_LIMIT).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return cut;
}

function readablePlatform(raw: unknown): string | undefined {
  const id = (raw as { reporter?: { platformId?: unknown } } | null)?.reporter?.platformId;
  return typeof id === 'string' && id.length <= 64 ? id : undefined;
}

/** The rejected lines of one message (empty when every event is valid). */
export function rejectedLines(msg: IncomingMessage, items: BodyItem[], bodyErrors: FieldError[]): RejectedLine[] {
  const receivedAt = toIct(msg.receivedAtMs);
  const base = { receivedAt, source: msg.source, messageId: msg.messageId };
  if (bodyErrors.length) {
    let platformId: string | undefined;
    try {
      platformId = readablePlatform(JSON.parse(msg.body));
    } catch {
      platformId = undefined;
    }
    return [{ ...base, index: null, ...(platformId ? { platformId } : {}), errors: bodyErrors, body: cutBody(msg.body) }];
  }
  return items
    .filter((it): it is BodyItem & { ok: false } => !it.ok)
    .map((it) => {
      const platformId = readablePlatform(it.raw);
      return { ...base, index: it.index, ...(platformId ? { platformId } : {}), errors: it.errors, body: cutBody(JSON.stringify(it.raw)) };
    });
}

/** Writes a message's rejected lines to `rejected/platform=.../` and counts them on their day (idempotent keys). */
export async function keepRejected(
  lines: RejectedLine[],
  msg: IncomingMessage,
  deps: Pick<IngestDeps, 'bucket' | 'stats'>,
  registry?: Registry,
): Promise<string> {
  const day = dayOf(msg.receivedAtMs);
  const id = `${msg.source}-${msg.messageId}`;
  // Issue 13: one file per sender platform folder (a relay's message may carry several platforms).
  const byFolder = new Map<string, RejectedLine[]>();
  for (const l of lines) byFolder.set(rejectionFolder(l, registry), [...(byFolder.get(rejectionFolder(l, registry)) ?? []), l]);
  for (const [folder, own] of byFolder)
    await deps.bucket.put(keys.rejected(folder, day, id), own.map((l) => JSON.stringify(l)).join('\n') + '\n');
  await deps.stats.putRejectedCount(day, id, lines.length);
  return day;
}

/**
 * A batch's journal entry id: a digest of its messages' ids, so the same batch delivered again
 * writes the same entries (same content), and a different batch never overwrites another's.
 */
function batchEntry(messages: IncomingMessage[]): string {
  const ids = [...new Set(messages.map((m) => `${m.source}-${m.messageId}`))].sort();
  return createHash('sha256').update(ids.join('\n')).digest('base64url').slice(0, 22);
}

/** Processes a batch of messages. Never throws for bad input; throws nothing at all. */
export async function ingestBatch(messages: IncomingMessage[], deps: IngestDeps): Promise<IngestResult> {
  const now = deps.now ?? Date.now;
  const failed = new Set<string>();
  const result: IngestResult = { failedMessageIds: [], stored: 0, duplicates: 0, conflicts: 0, rejected: 0, storeErrors: 0 };
  const work: { msg: IncomingMessage; report: Report; index: number; raw: unknown }[] = [];
  /** Periods to mark dirty, each with the messages that need the mark before they are acknowledged. */
  const touched = new Map<string, Set<string>>();
  const touch = (period: string, messageId: string): void => {
    const ids = touched.get(period) ?? new Set<string>();
    ids.add(messageId);
    touched.set(period, ids);
  };
  const lateMinute = (minute: string): boolean => minuteStartMs(minute) + MINUTE_MS + deps.latenessMs - deps.dirtyMarginMs <= now();
  const lateDay = (day: string): boolean => dayStartMs(day) + DAY_MS + deps.latenessMs - deps.dirtyMarginMs <= now();

  /** The registry a message of this batch was judged by (the cache gives every message the same one). */
  let batchRegistry: Registry | undefined;
  await pool(messages, deps.concurrency, async (msg) => {
    // Issue 13 hook: the sender, from SenderId (never the body); a registry read that fails retries the message.
    let sender: Sender;
    let registry: Registry | undefined;
    try {
      sender = deps.senders ? await deps.senders.resolve(msg.senderId) : { kind: 'relay', role: 'in-process' };
      // Issue 16: the registry in force (a read that fails retries the message, as the sender's does).
      registry = deps.platforms ? await deps.platforms.registry() : undefined;
      batchRegistry = registry;
    } catch (err) {
      deps.log?.warn('could not resolve the sender or the platforms registry; message will be retried', {
        messageId: msg.messageId,
        error: String(err),
      });
      failed.add(msg.messageId);
      return;
    }
    // The future limit is judged against the receipt time, so every delivery gives the same verdict.
    const { items, bodyErrors } = judgeBySender(sender, parseBody(msg.body, msg.receivedAtMs, registry));
    const lines = attributeLines(sender, rejectedLines(msg, items, bodyErrors));
    for (const it of items) if (it.ok) work.push({ msg, report: toReport(it.event, msg.receivedAtMs), index: it.index, raw: it.raw });
    if (!lines.length) return;
    try {
      const day = await retryTransient(() => keepRejected(lines, msg, deps, registry));
      result.rejected += lines.length;
      if (lateDay(day)) touch(day, msg.messageId);
    } catch (err) {
      deps.log?.warn('could not keep rejected events; message will be retried', { messageId: msg.messageId, error: String(err) });
      failed.add(msg.messageId);
    }
  });

  // The minute journal first, one entry per minute for the whole batch: every item written below
  // is then read by its minute's roll. If it cannot be written, nothing is, and the messages return.
  const entry = batchEntry(work.map((w) => w.msg));
  if (work.length) {
    try {
      await retryTransient(() =>
        deps.events.journalReports(
          entry,
          work.map((w) => w.report),
        ),
      );
    } catch (err) {
      deps.log?.warn('could not journal the reports; their messages will be retried', { error: String(err) });
      for (const w of work) failed.add(w.msg.messageId);
      work.length = 0;
    }
  }

  const permanent: { msg: IncomingMessage; line: RejectedLine }[] = [];
  /** Minutes other than a report's own where its transaction lies (journaled too), with the messages that need it. */
  const elsewhere = new Map<string, { keys: Set<string>; messageIds: Set<string> }>();
  await pool(work, deps.concurrency, async ({ msg, report, index, raw }) => {
    try {
      const out = await retryTransient(() => deps.events.writeReport(report));
      const own = minuteKeyOf(report.requestAtMs);
      for (const m of out.minutes) {
        if (m === own) continue;
        const there = elsewhere.get(m) ?? { keys: new Set<string>(), messageIds: new Set<string>() };
        there.keys.add(report.transactionKey);
        there.messageIds.add(msg.messageId);
        elsewhere.set(m, there);
      }
      if (out.outcome === 'conflict') {
        await retryTransient(() => deps.events.writeConflict(report));
        result.conflicts += 1;
        const day = dayOf(report.requestAtMs);
        if (lateDay(day)) touch(day, msg.messageId);
      } else if (out.outcome === 'duplicate') result.duplicates += 1;
      else result.stored += 1;
      for (const m of out.minutes) if (lateMinute(m)) touch(m, msg.messageId);
    } catch (err) {
      if (!isPermanentWriteError(err)) {
        // Transient, or a fault of the deployment (access, keys, table): deliver again, never reject.
        failed.add(msg.messageId);
        if (!isTransient(err)) {
          result.storeErrors += 1;
          (deps.log?.error ?? deps.log?.warn)?.('store write failed for a reason other than the event; message will be delivered again', {
            messageId: msg.messageId,
            error: (err as Error).name ?? String(err),
            message: (err as Error).message,
          });
        }
        return;
      }
      // A write the store refuses for this report for good (ValidationException): keep it, never loop.
      permanent.push({
        msg,
        line: {
          receivedAt: toIct(msg.receivedAtMs),
          source: msg.source,
          messageId: msg.messageId,
          index,
          platformId: report.platformId,
          errors: [{ path: '(event)', message: `could not be stored: ${(err as Error).name ?? 'Error'}` }],
          body: cutBody(JSON.stringify(raw)),
        },
      });
    }
  });

  for (const [m, there] of elsewhere) {
    try {
      await retryTransient(() => deps.events.journalKeys(m, `${entry}+`, there.keys));
    } catch (err) {
      deps.log?.warn('could not journal transactions of another minute; their messages will be retried', { minute: m, error: String(err) });
      for (const id of there.messageIds) failed.add(id);
    }
  }

  const byMessage = new Map<IncomingMessage, RejectedLine[]>();
  for (const p of permanent) byMessage.set(p.msg, [...(byMessage.get(p.msg) ?? []), p.line]);
  for (const [msg, lines] of byMessage) {
    try {
      await retryTransient(() => keepRejected(lines, { ...msg, messageId: `${msg.messageId}-store` }, deps, batchRegistry));
      result.rejected += lines.length;
    } catch {
      failed.add(msg.messageId);
    }
  }

  if (touched.size) {
    try {
      await retryTransient(() => deps.stats.markDirty(touched.keys(), now()));
    } catch (err) {
      deps.log?.warn('could not mark periods dirty; their messages will be retried', { error: String(err) });
      for (const ids of touched.values()) for (const id of ids) failed.add(id);
    }
  }
  result.failedMessageIds = [...failed];
  return result;
}
