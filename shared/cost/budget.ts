/**
 * Request budget per transaction: how many requests, bytes and milliseconds one transaction costs
 * each service, and the fixed monthly load. `ngsp cost` multiplies these by the prices.
 *
 * BENCHMARK ENGINEER: update these values from measurements (bench/ counts SDK requests per
 * service through the client hook of shared/aws.ts) and set BUDGET_SOURCE to the run they come
 * from. Until then they are design estimates, derived as the comments say.
 */
import { FUNCTIONS } from '#infra/wiring.ts';

export const BUDGET_SOURCE = 'design estimate (not yet measured by bench/)';

const memoryOf = (name: 'ingest' | 'rollup' | 'api'): number => FUNCTIONS.find((f) => f.name === name)?.memoryMb ?? 512;

export const BUDGET = {
  /** Reports per transaction: 1 + the share reported by both sides (2020 profile: 0.5). */
  reportsPerTransaction: 1.5,
  /** Serialized size of one report (seed traffic averages ~500 bytes). */
  bytesPerReport: 520,
  /** Reports per SQS message (envelope) as LGSPs send them. */
  reportsPerMessage: 100,
  /** Share of reports posted through the HTTP API rather than SQS. */
  apiShare: 0.1,
  /** Reports per POST /v1/events request. */
  reportsPerApiRequest: 100,

  lambda: {
    ingest: { memoryMb: memoryOf('ingest'), messagesPerInvocation: 10, msPerInvocation: 60, msPerReport: 4 },
    rollup: { memoryMb: memoryOf('rollup'), invocationsPerMonth: 43_830, msPerInvocation: 600, msPerTransaction: 0.05 },
    api: { memoryMb: memoryOf('api'), msPerRequest: 40 },
  },
  sqs: {
    /** Send + receive per 64 KiB chunk, delete per 10 messages, plus the DLQ's share (negligible). */
    chunkBytes: 64 * 1024,
    /** Empty long polls of the event source mapping (about 5 pollers, 20 s waits) a month. */
    idleRequestsPerMonth: 660_000,
  },
  dynamodb: {
    /** UpdateItem of the transaction item (1–2 KB) plus its minute-index copy. */
    writeUnitsPerReport: 3,
    /** Dirty marks, conflicts and rejection counts (late reports only). */
    extraWriteUnitsPerReport: 0.05,
    /** Rollup queries of the minute index: ~2 KB items, eventually consistent. */
    readUnitsPerTransaction: 0.25,
    /** Stats items: one minute item (a few KB) a minute, plus the day item and API reads. */
    statsWriteUnitsPerMonth: 43_830 * 6,
    statsReadUnitsPerMonth: 1_500_000,
    /** Item + index bytes per transaction kept for the retention period. */
    bytesPerTransactionStored: 2_300,
    retentionDays: Number(FUNCTIONS.find((f) => f.name === 'ingest')?.settings.RETENTION_DAYS ?? 400),
  },
  s3: {
    /** Minute files (1,440 a day) + daily files (3 a day), rewritten once more for late data. */
    putsPerMonth: (1_440 + 3) * 30.44 * 1.3,
    /** Rejected-event objects: per report (a small share of messages carries a rejection). */
    putsPerReport: 0.0005,
    getsPerMonth: 200_000,
    /** Rollup bytes per transaction (its share of minute and daily rows), stored for a year. */
    bytesPerTransaction: 160,
    monthsKept: 12,
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
    customMetrics: 12,
    alarms: 8,
    dashboards: 1,
  },
} as const;

export type Budget = typeof BUDGET;
