/**
 * `GET /v1/rejections`: the rejected events of one day, in key order, paged so a response stays
 * far below Lambda's 6 MB limit (each line's body is already cut at 64 KiB). A platform's lines
 * are read from its own prefix `rejected/platform=<id>/date=YYYY-MM-DD/` only (CONTRACT.md 1.1):
 * nobody else's object is ever read for an LGSP. An operator without a platform reads every
 * folder a line can be in — each platform of the registry and `unknown` (shared/sender.ts never
 * writes another) — for that day (one LIST each), and the pre-1.1 `rejected/date=.../` layout.
 * (Not a delimiter listing of `rejected/`: s3rver cannot list common prefixes deeper than one level.)
 */
import { ValidationError } from '#shared/errors.ts';
import { pool } from '#shared/pool.ts';
import type { RejectedLine } from '#shared/ingest.ts';
import { defaultRegistry, type Registry } from '#shared/registry.ts';
import { UNKNOWN_PLATFORM } from '#shared/sender.ts';
import { keys, type RollupBucket } from '#shared/store/bucket.ts';

export interface RejectionsPage {
  date: string;
  /** The platform the lines were filtered to; absent when an operator asked for all of them. */
  platformId?: string;
  rejected: RejectedLine[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** A page stops growing past this many bytes of JSON (at least one line is always returned). */
export const PAGE_BYTES = 4 * 1024 * 1024;
const READ_CONCURRENCY = 16;

interface Cursor {
  k: string;
  i: number;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decodeCursor(text: string, prefixes: string[]): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof c.k === 'string' && prefixes.some((p) => c.k!.startsWith(p)) && Number.isInteger(c.i) && c.i! >= 0)
      return { k: c.k, i: c.i! };
  } catch {
    // fall through: any unreadable cursor is the client's mistake
  }
  throw new ValidationError('query parameter "cursor" is not a cursor of this day (use nextCursor from the previous page)', [
    { path: 'cursor', message: 'is not a cursor of this day' },
  ]);
}

export class RejectionReader {
  constructor(
    private readonly bucket: RollupBucket,
    private readonly registry: Pick<Registry, 'platformIds'> = defaultRegistry,
    /** Issue 16: the platforms registry of the running stack, so an added platform's folder is read too. */
    private readonly live?: { registry(): Promise<Pick<Registry, 'platformIds'>> },
  ) {}

  /** The prefixes a page reads: one platform's folder of the day, or (ops) every folder of it. */
  private async prefixes(date: string, platformId: string | undefined): Promise<string[]> {
    if (platformId !== undefined) return [keys.rejectedPrefix(platformId, date)];
    const registry = this.live ? await this.live.registry() : this.registry;
    const folders = [...registry.platformIds(), UNKNOWN_PLATFORM];
    return [keys.legacyRejectedPrefix(date), ...folders.map((p) => keys.rejectedPrefix(p, date))];
  }

  /**
   * One page of a day's rejected lines.
   * @param platformId only this platform's folder (an LGSP's own, or `unknown`); undefined = every folder (ops)
   */
  async page(date: string, opts: { platformId?: string; cursor?: string; limit: number }): Promise<RejectionsPage> {
    const prefixes = await this.prefixes(date, opts.platformId);
    const start = opts.cursor ? decodeCursor(opts.cursor, prefixes) : undefined;
    const all: string[] = [];
    await pool(prefixes, READ_CONCURRENCY, async (p) => void all.push(...(await this.bucket.list(p))));
    all.sort();
    const todo = start ? all.filter((k) => k >= start.k) : all;
    const out: RejectedLine[] = [];
    let bytes = 0;
    let next: Cursor | null = null;
    outer: for (let i = 0; i < todo.length; i += READ_CONCURRENCY) {
      const chunk = todo.slice(i, i + READ_CONCURRENCY);
      const texts = await Promise.all(chunk.map((k) => this.bucket.get(k)));
      for (const [j, key] of chunk.entries()) {
        const lines = (texts[j] ?? '').split('\n').filter((l) => l.trim() !== '');
        for (let n = start && key === start.k ? start.i : 0; n < lines.length; n++) {
          const line = JSON.parse(lines[n]!) as RejectedLine;
          const size = Buffer.byteLength(lines[n]!, 'utf8');
          if (out.length >= opts.limit || (out.length > 0 && bytes + size > PAGE_BYTES)) {
            next = { k: key, i: n };
            break outer;
          }
          out.push(line);
          bytes += size;
        }
      }
    }
    return {
      date,
      ...(opts.platformId ? { platformId: opts.platformId } : {}),
      rejected: out,
      nextCursor: next ? encodeCursor(next) : null,
    };
  }
}
