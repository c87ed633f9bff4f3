/**
 * Request budget per transaction: how many requests, bytes and milliseconds one transaction costs
 * each service, and the fixed monthly load. `ngsp cost` multiplies these by the prices.
 *
 * Fields marked "measured" come from `npm run bench` (bench/README.md, figures 2 and 6): exact
 * SDK request counts per operation in the worker processes, and write/read units from the sizes
 * of the items the ingest run stored (DynamoDB's size and rounding rules). The others are design
 * estimates, derived as their comments say. Re-run the bench and update both together.
 */

import { CUSTOM_METRICS } from '#shared/metric-names.ts';

export const BUDGET_SOURCE =
  'measured by npm run bench on 2026-11-27 (2021 profile: reports per transaction, bytes, DynamoDB write/read units, stored bytes) and 2026-12-02 (archive bytes; write/read units and stored bytes with the minute journal); other fields design estimates';

/**
 * Function memory and the hot window as the wiring table sets them (infra/wiring.ts); the domain
 * does not import the stack, so test/infra checks that these equal the wiring table.
 */
export const WIRED = { memoryMb: { ingest: 512, rollup: 1024, api: 1024 }, hotDays: 7 } as const;

export const BUDGET = {
  /** Measured: reports per transaction of the 2021 profile (1 + the share reported by both sides). */
  reportsPerTransaction: 1.64,
  /** Measured: serialized size of one 2021-profile report. */
  bytesPerReport: 541,
  /** Reports per SQS message (envelope) as LGSPs send them. */
  reportsPerMessage: 100,
  /** Share of reports posted through the HTTP API rather than SQS. */
  apiShare: 0.1,
  /** Reports per POST /v1/events request. */
  reportsPerApiRequest: 100,

  lambda: {
    ingest: { memoryMb: WIRED.memoryMb.ingest, messagesPerInvocation: 10, msPerInvocation: 60, msPerReport: 4 },
    rollup: { memoryMb: WIRED.memoryMb.rollup, invocationsPerMonth: 43_830, msPerInvocation: 600, msPerTransaction: 0.05 },
    api: { memoryMb: WIRED.memoryMb.api, msPerRequest: 40 },
  },
  sqs: {
    /** Send + receive per 64 KiB chunk, delete per 10 messages, plus the DLQ's share (negligible). */
    chunkBytes: 64 * 1024,
    /** Empty long polls of the event source mapping (about 5 pollers, 20 s waits) a month. */
    idleRequestsPerMonth: 660_000,
  },
  dynamodb: {
    /**
     * Measured: one UpdateItem per report (1,000 write requests per 1,000 reports, live traffic);
     * the item stays under 1 KB (~414 bytes with both reports), so 1 WRU, plus the report's share
     * of its message's minute-journal entry (one entry per message and minute, 1 KB units).
     */
    writeUnitsPerReport: 1.04,
    /** Dirty marks, conflicts and rejection counts (late reports only). */
    extraWriteUnitsPerReport: 0.05,
    /**
     * Measured: one roll's reads per transaction: the minute's journal entries (strongly consistent,
     * 4 KB units) and the item by BatchGetItem (eventually consistent, half a unit per 4 KB).
     */
    readUnitsPerTransaction: 0.513,
    /**
     * Rolls of each minute: the final one, two provisional ones (the schedule runs every minute and
     * the lateness window is 120 s) and ×1.3 re-rolls after late reports, as for the S3 PUTs.
     */
    rollsPerMinute: 3.3,
    /**
     * Stats items: a minute item (a few KB) a minute, its facets (issue 12: ~3 KB at the 2021
     * volume), plus the day items; today's fold is written about once an hour (the day's payload so
     * far: ≤ ~300 KB at the 2021 volume, 730 writes a month).
     */
    statsWriteUnitsPerMonth: 43_830 * 6 + 43_830 * 3 + 730 * 300,
    statsReadUnitsPerMonth: 1_500_000,
    /** Measured: item + its share of journal entries per transaction, with DynamoDB's 100 bytes per item each. */
    bytesPerTransactionStored: 676,
    /** The hot window: items live this long after their last report was received (then the archive has them). */
    hotDays: WIRED.hotDays,
  },
  s3: {
    /** Measured: 1 PUT per rolled minute, 3 per rolled day; ×1.3 for minutes rolled again after late reports (estimate). */
    putsPerMonth: (1_440 + 3) * 30.44 * 1.3,
    /** Rejected-event objects: per report (a small share of messages carries a rejection). */
    putsPerReport: 0.0005,
    getsPerMonth: 200_000,
    /** Rollup bytes per transaction (its share of minute and daily rows), stored for a year. */
    bytesPerTransaction: 160,
    monthsKept: 12,
    /** Raw archive: one PUT per final minute (×1.3 for minutes rolled again), like the minute files. */
    archivePutsPerMonth: 1_440 * 30.44 * 1.3,
    /** Each final roll reads its minute's archive and the ten within the pair window (±5 minutes). */
    archiveGetsPerMonth: 11 * 1_440 * 30.44 * 1.3,
    /** Measured (bench figure 2, 2026-12-02): gzip JSON-lines bytes per archived transaction; ×2 for margin on smaller minutes. */
    archiveBytesPerTransaction: 120,
    /** Months of archive the estimate carries (it is kept for good; storage grows by a month's share each month). */
    archiveMonthsKept: 12,
  },
  apiGateway: {
    /** Dashboard and metrics queries a month (analysts, ops, the dashboard's refresh). */
    fixedRequestsPerMonth: 300_000,
  },
  cloudwatch: {
    logBytesPerIngestInvocation: 400,
    logBytesPerApiRequest: 500,
    logBytesPerRollupRun: 1_500,
    /** Log retention, months (stored GB ≈ a month's ingest × this). */
    logMonthsKept: 1,
    /** One per (function, name) of shared/metric-names.ts; test/infra checks the stack shows each. */
    customMetrics: CUSTOM_METRICS.length,
    alarms: 12,
    dashboards: 1,
  },
} as const;

export type Budget = typeof BUDGET;
