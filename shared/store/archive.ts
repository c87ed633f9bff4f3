/**
 * The raw archive in S3 (CONTRACT.md section 2, 1.1): `archive/date=YYYY-MM-DD/HHMM.jsonl.gz`,
 * one gzip JSON line per transaction of a final minute, sorted by transaction key so that
 * rolling a minute again writes the same bytes.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { fromArchiveLine, toArchiveLine, type ArchiveLine } from '#shared/archive.ts';
import type { TransactionState } from '#shared/report.ts';
import { keys, type RollupBucket } from '#shared/store/bucket.ts';

export class ArchiveStore {
  constructor(
    private readonly bucket: RollupBucket,
    private readonly cache?: Map<string, Promise<Map<string, TransactionState> | undefined>>,
  ) {}

  /**
   * The same archive, read at most once per minute by this instance (one rollup run: every final
   * roll reads the ten archives around its minute, so neighbours would be read ten times). Its
   * own writes update the cache; use a fresh one per run.
   */
  withRunCache(): ArchiveStore {
    return new ArchiveStore(this.bucket, new Map());
  }

  /** A minute's archived transactions by key, or undefined when the minute was never archived. */
  async read(minute: string): Promise<Map<string, TransactionState> | undefined> {
    if (!this.cache) return this.fetch(minute);
    let hit = this.cache.get(minute);
    if (!hit) {
      hit = this.fetch(minute);
      this.cache.set(minute, hit);
      hit.catch(() => this.cache?.delete(minute));
    }
    return hit;
  }

  private async fetch(minute: string): Promise<Map<string, TransactionState> | undefined> {
    const bytes = await this.bucket.getBytes(keys.archive(minute));
    if (bytes === undefined) return undefined;
    const out = new Map<string, TransactionState>();
    for (const text of gunzipSync(bytes).toString('utf8').split('\n')) {
      if (!text) continue;
      const tx = fromArchiveLine(JSON.parse(text) as ArchiveLine);
      out.set(tx.key, tx);
    }
    return out;
  }

  /** Writes (or rewrites) a minute's archive: one PUT. */
  async write(minute: string, txs: Iterable<TransactionState>): Promise<void> {
    const lines = [...txs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((tx) => JSON.stringify(toArchiveLine(tx)));
    const text = lines.join('\n') + (lines.length ? '\n' : '');
    // Level and header are fixed (Node writes no timestamp): the same lines give the same bytes.
    await this.bucket.put(keys.archive(minute), gzipSync(text, { level: 9 }));
    this.cache?.set(minute, Promise.resolve(new Map([...txs].map((tx) => [tx.key, tx]))));
  }
}
