/**
 * The stores of the pipeline built from resource names and the pipeline's numbers, in one place:
 * the functions, the CLI, the local stack, the benchmarks and the tests all build them here.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { ArchiveStore } from '#shared/store/archive.ts';
import { RollupBucket } from '#shared/store/bucket.ts';
import { EventStore } from '#shared/store/events.ts';
import { StatsStore } from '#shared/store/stats.ts';
import { MINUTE_MS } from '#shared/time.ts';

/** Settings ingest and rollup must agree on (their one home is the wiring table's PIPELINE_SETTINGS). */
export interface PipelineNumbers {
  /** Partitions of the minute index. */
  shards: number;
  /** The hot store's window in days (0 = items never expire). */
  hotDays: number;
  /** How far apart (requestAt) the two reports of one transaction may be and still pair after expiry. */
  pairWindowMinutes: number;
}

export interface ResourceNames {
  eventsTable: string;
  statsTable: string;
  bucket: string;
}

export interface Stores {
  events: EventStore;
  stats: StatsStore;
  bucket: RollupBucket;
  /** The raw archive: written by every final roll, merged into every roll (rule 8). */
  archive: ArchiveStore;
  /** How far apart the two reports of one transaction may be (requestAt) and still be paired after expiry. */
  pairWindowMs: number;
}

/** Every store over the given tables and bucket, with the windows the rollup merges by. */
export function makeStores(ddb: DynamoDBClient, s3: S3Client, names: ResourceNames, p: PipelineNumbers, now?: () => number): Stores {
  const bucket = new RollupBucket(s3, names.bucket);
  return {
    events: new EventStore(ddb, {
      tableName: names.eventsTable,
      journalTableName: names.statsTable,
      shards: p.shards,
      hotDays: p.hotDays,
      ...(now ? { now } : {}),
    }),
    stats: new StatsStore(ddb, names.statsTable),
    bucket,
    archive: new ArchiveStore(bucket),
    pairWindowMs: p.pairWindowMinutes * MINUTE_MS,
  };
}
