/**
 * The wiring table: each function declared once — entry, trigger, the resources it binds and
 * its settings. The CDK stack (infra/stack.ts) and the local stack (local/) both read it, so
 * local and cloud cannot drift apart.
 */
import type { AlertSettings } from '#shared/alerts.ts';
import { PREFIXES } from '#shared/store/bucket.ts';

/** Resources a function can bind; each binding sets one environment variable and one grant. */
export type ResourceName = 'eventsTable' | 'statsTable' | 'keysTable' | 'bucket' | 'ingestQueue' | 'deadLetterQueue';

export type Access = 'read' | 'write' | 'readWrite' | 'send' | 'consume';

export interface Binding {
  resource: ResourceName;
  access: Access;
  /** For the bucket: the key prefixes the grant is limited to. */
  prefixes?: string[];
}

/** Environment variable that carries each bound resource's name or URL. */
export const RESOURCE_ENV: Record<ResourceName, string> = {
  eventsTable: 'EVENTS_TABLE_NAME',
  statsTable: 'STATS_TABLE_NAME',
  keysTable: 'KEYS_TABLE_NAME',
  bucket: 'ROLLUP_BUCKET_NAME',
  ingestQueue: 'INGEST_QUEUE_URL',
  deadLetterQueue: 'DEAD_LETTER_QUEUE_URL',
};

export type Trigger =
  | { kind: 'sqs'; queue: 'ingestQueue'; batchSize: number; maxBatchingWindowSeconds: number; maxConcurrency: number }
  | { kind: 'schedule'; everyMinutes: number }
  | { kind: 'http' };

export interface FunctionDecl {
  /** Also the folder under functions/. */
  name: 'ingest' | 'rollup' | 'api';
  description: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  /** Exported handler name in the entry file. */
  handler: 'handler';
  trigger: Trigger;
  binds: Binding[];
  timeoutSeconds: number;
  memoryMb: number;
  /** Settings (not resource names): passed as environment variables everywhere. */
  settings: Record<string, string>;
  /** Files (repository-relative) copied beside the bundle, read at run time from the bundle's folder. */
  bundleFiles?: string[];
}

/**
 * Settings the ingest and rollup functions must agree on: how many GSI partitions a minute is
 * spread over (4 × 1,000 WCU per minute key covers bursts of thousands of reports a second),
 * the lateness window after which a minute is rolled, the hot store's window (transaction items
 * expire this many days after their last report was received; the raw archive keeps them for
 * good — docs/architecture.md "Exact for years" says why 7), and how far apart the two reports of
 * one transaction may be and still pair once the first has expired.
 */
export const PIPELINE_SETTINGS = { GSI_SHARDS: '4', LATENESS_SECONDS: '120', HOT_DAYS: '7', PAIR_WINDOW_MINUTES: '5' } as const;

/** PIPELINE_SETTINGS as numbers, for code that builds the stores outside a function (CLI, local stack, tests). */
export const PIPELINE = {
  shards: Number(PIPELINE_SETTINGS.GSI_SHARDS),
  hotDays: Number(PIPELINE_SETTINGS.HOT_DAYS),
  pairWindowMinutes: Number(PIPELINE_SETTINGS.PAIR_WINDOW_MINUTES),
} as const;

/** Ingest queue settings: the DLQ takes a message after this many receives. */
export const MAX_RECEIVE_COUNT = 5;

/**
 * Exchange-health alerts (shared/alerts.ts, docs/operations.md "Exchange-health alerts"): the
 * rollup's thresholds. ALERT_TOPIC_ARN: the stack sets the alarm topic's ARN; empty (the local
 * stack) means each change is logged instead of published.
 */
export const ALERT_SETTINGS = {
  ALERTS_ENABLED: 'true',
  ALERT_TOPIC_ARN: '',
  // A platform usually active in this hour with no report for 30 minutes in a row.
  ALERT_SILENT_MINUTES: '30',
  // Baseline: the same hour on the 7 days before; judged only with at least 5 of them.
  ALERT_BASELINE_DAYS: '7',
  ALERT_USUAL_DAYS: '5',
  // A platform is usually active in an hour when it reported in 20 of its minutes on 5 of the 7 days.
  ALERT_ACTIVE_MINUTES: '20',
  // A service (or province pair) with fewer transactions in the hour (usually) is not judged.
  ALERT_MIN_VOLUME: '50',
  // Failure ratio at least baseline + 10 points and at least twice the baseline.
  ALERT_FAILURE_DELTA_PCT: '10',
  ALERT_FAILURE_FACTOR_PCT: '200',
  // p95 at least twice the baseline's median and at least 500 ms above it.
  ALERT_P95_FACTOR_PCT: '200',
  ALERT_P95_MIN_DELTA_MS: '500',
  // ...in an hour of at least 200 transactions: a p95 of fewer swings with a handful of 30 s timeouts.
  ALERT_P95_MIN_VOLUME: '200',
  // A province pair with under 20 % of its usual hourly transactions.
  ALERT_DROP_PCT: '20',
} as const;

export const FUNCTIONS: readonly FunctionDecl[] = [
  {
    name: 'ingest',
    description: 'Validates exchange events from the ingest queue, stores reports idempotently, keeps rejects in rejected/',
    entry: 'functions/ingest/handler.ts',
    handler: 'handler',
    trigger: { kind: 'sqs', queue: 'ingestQueue', batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 50 },
    binds: [
      { resource: 'eventsTable', access: 'readWrite' },
      // The minute journal, dirty marks and rejection counts.
      { resource: 'statsTable', access: 'write' },
      { resource: 'bucket', access: 'write', prefixes: [PREFIXES.rejected] },
      // Reads the registry of sending principals (SenderId → platform, rule 7) and the platforms
      // registry operators change with ngsp platforms add|retire (item P#platforms, issue 16).
      { resource: 'keysTable', access: 'read' },
    ],
    timeoutSeconds: 30,
    memoryMb: 512,
    // RELAY_SENDER_IDS: the stack sets the API function's role id (it relays key-checked events).
    settings: {
      ...PIPELINE_SETTINGS,
      DIRTY_MARGIN_SECONDS: '30',
      WRITE_CONCURRENCY: '32',
      RELAY_SENDER_IDS: '',
      SENDER_CACHE_SECONDS: '60',
      // A platforms add|retire reaches validation within this (each warm function reads the registry at most once per period).
      PLATFORMS_CACHE_SECONDS: '60',
    },
  },
  {
    name: 'rollup',
    description: 'Rolls due and dirty minutes and days from the event store into S3 rollups and stats items',
    entry: 'functions/rollup/handler.ts',
    handler: 'handler',
    trigger: { kind: 'schedule', everyMinutes: 1 },
    binds: [
      // Reads the minute journal (stats table) and items; writes conflicts found against archived reports.
      { resource: 'eventsTable', access: 'readWrite' },
      { resource: 'statsTable', access: 'readWrite' },
      // Writes rollups; reads and rewrites the raw archive (rule 8: re-rolls merge it); writes the monthly reports.
      { resource: 'bucket', access: 'readWrite', prefixes: [PREFIXES.rollups, PREFIXES.archive, PREFIXES.reports] },
    ],
    timeoutSeconds: 300,
    memoryMb: 1024,
    // No reserved concurrency (a new account's quota cannot spare it): one run at a time is kept by
    // a lease item in the stats table, taken with a conditional write and renewed every third of
    // LEASE_SECONDS while the run works; a killed run's lease is taken over once it lapses.
    settings: {
      ...PIPELINE_SETTINGS,
      ROLLUP_CONCURRENCY: '8',
      MAX_MINUTES_PER_RUN: '240',
      INITIAL_LOOKBACK_MINUTES: '60',
      PROVISIONAL_MINUTES: 'true',
      INDEX_LAG_SECONDS: '10',
      LEASE_SECONDS: '30',
      // A minute or day failing 3 runs in a row (not throttling) is quarantined, retried after 15 min, 30, 60... up to a day.
      POISON_ATTEMPTS: '3',
      QUARANTINE_RETRY_MINUTES: '15',
      // Time budget: a run checkpoints as it goes and starts no new work once its remaining time is below this margin.
      BUDGET_MARGIN_SECONDS: '30',
      ...ALERT_SETTINGS,
    },
    // The monthly report's PDF font (Vietnamese glyphs): shared/reports/pdf.ts looks beside the bundle first.
    bundleFiles: ['node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf', 'node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'],
  },
  {
    name: 'api',
    description:
      'HTTP API (CONTRACT.md section 3): POST /v1/events to the ingest queue, metrics from stats items, rejections, OpenAPI, dashboard',
    entry: 'functions/api/handler.ts',
    handler: 'handler',
    trigger: { kind: 'http' },
    binds: [
      // Reads minute/day stats items; writes the rejection counts of events it rejects.
      { resource: 'statsTable', access: 'readWrite' },
      // Resolves hashed keys; writes the per-tenant throttle counters; reads the platforms registry (issue 16).
      { resource: 'keysTable', access: 'readWrite' },
      // Reads rejected/ for GET /v1/rejections; writes the events POST /v1/events rejects.
      { resource: 'bucket', access: 'readWrite', prefixes: [PREFIXES.rejected] },
      // Lists and presigns the monthly reports for GET /v1/reports (read only, reports/ only).
      { resource: 'bucket', access: 'read', prefixes: [PREFIXES.reports] },
      { resource: 'ingestQueue', access: 'send' },
    ],
    // API Gateway's integration timeout is 29 s.
    timeoutSeconds: 29,
    memoryMb: 1024,
    settings: { BODY_LIMIT_BYTES: '1048576', THROTTLE_LIMIT: '600', THROTTLE_WINDOW_SECONDS: '60', PLATFORMS_CACHE_SECONDS: '60' },
  },
];

/** The scheduled rollup's numbers from its settings, for code that runs it outside the function (tests, bench, CLI). */
export function rollupNumbers(): { leaseMs: number; poisonAttempts: number; quarantineRetryMs: number } {
  const s = functionDecl('rollup').settings;
  return {
    leaseMs: Number(s.LEASE_SECONDS) * 1000,
    poisonAttempts: Number(s.POISON_ATTEMPTS),
    quarantineRetryMs: Number(s.QUARANTINE_RETRY_MINUTES) * 60_000,
  };
}

/** The alert thresholds of the rollup's settings, for code that runs the alerts outside the function (tests, bench). */
export function alertNumbers(): AlertSettings {
  const s = functionDecl('rollup').settings;
  return {
    silentMinutes: Number(s.ALERT_SILENT_MINUTES),
    baselineDays: Number(s.ALERT_BASELINE_DAYS),
    usualDays: Number(s.ALERT_USUAL_DAYS),
    activeMinutes: Number(s.ALERT_ACTIVE_MINUTES),
    minVolume: Number(s.ALERT_MIN_VOLUME),
    failureDeltaPct: Number(s.ALERT_FAILURE_DELTA_PCT),
    failureFactorPct: Number(s.ALERT_FAILURE_FACTOR_PCT),
    p95FactorPct: Number(s.ALERT_P95_FACTOR_PCT),
    p95MinDeltaMs: Number(s.ALERT_P95_MIN_DELTA_MS),
    p95MinVolume: Number(s.ALERT_P95_MIN_VOLUME),
    dropPct: Number(s.ALERT_DROP_PCT),
  };
}

/** Looks a function up by name. */
export function functionDecl(name: FunctionDecl['name']): FunctionDecl {
  const f = FUNCTIONS.find((d) => d.name === name);
  if (!f) throw new Error(`no function named ${name} in the wiring table`);
  return f;
}
