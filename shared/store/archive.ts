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
  constructor(private readonly bucket: RollupBucket) {}

  /** A minute's archived transactions by key, or undefined when the minute was never archived. */
  async read(minute: string): Promise<Map<string, TransactionState> | undefined> {
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
  }
}
