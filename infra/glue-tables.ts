/**
 * Glue tables over the rollup keys of CONTRACT.md section 2, for Athena with partition projection
 * on `date` (no crawler, no partition maintenance). Columns come from the row definition the
 * rollup writes (shared/stats/period.ts), so they cannot drift apart.
 *
 * Athena reads every object under a partition's folder. The contract puts rollup.jsonl,
 * rollup.csv, summary.json and (1.1) systems.jsonl and systems.csv in the same `rollups/daily/date=.../` folder, so each daily table
 * tolerates the other files (malformed lines become NULL rows) and is meant to be queried with a
 * filter on the file, e.g. `WHERE "$path" LIKE '%/rollup.jsonl'` (docs/operations.md).
 */
import type { CfnTable } from 'aws-cdk-lib/aws-glue';
import { DAY_ROW_COLUMNS, ROW_COLUMNS, type Row } from '#shared/stats/period.ts';
import { SYSTEMS_ROW_COLUMNS, type SystemsRow } from '#shared/stats/systems.ts';
import { PREFIXES } from '#shared/store/bucket.ts';

/** Hive type of each published row column. */
const ROW_TYPES = {
  periodStart: 'string',
  granularity: 'string',
  route: 'string',
  serviceCode: 'string',
  consumerProvince: 'string',
  providerProvince: 'string',
  transactions: 'bigint',
  succeeded: 'bigint',
  failed: 'bigint',
  pairedTransactions: 'bigint',
  requestBytes: 'bigint',
  responseBytes: 'bigint',
  durationMsP50: 'double',
  durationMsP95: 'double',
  durationMsP99: 'double',
  durationMsMax: 'double',
  failedAuth: 'bigint',
  failedThrottled: 'bigint',
  failedTarget: 'bigint',
  failedTimeout: 'bigint',
  failedValidation: 'bigint',
  failedOther: 'bigint',
  failedUnspecified: 'bigint',
} satisfies Record<keyof Row, string>;

/** *1.1* Hive type of each systems row column (shared/stats/systems.ts). */
const SYSTEMS_TYPES = {
  ...(Object.fromEntries(Object.entries(ROW_TYPES).filter(([c]) => c !== 'consumerProvince' && c !== 'providerProvince')) as Omit<
    typeof ROW_TYPES,
    'consumerProvince' | 'providerProvince'
  >),
  consumerOrg: 'string',
  consumerSystem: 'string',
  providerOrg: 'string',
  providerSystem: 'string',
  reportingPlatforms: 'array<string>',
} satisfies Record<keyof SystemsRow, string>;

/** Systems columns in SYSTEMS_ROW_COLUMNS order; in CSV every column is a string (`reportingPlatforms` space-separated). */
const systemsColumns = (allStrings = false): CfnTable.ColumnProperty[] =>
  SYSTEMS_ROW_COLUMNS.map((c) => ({ name: c.toLowerCase(), type: allStrings ? 'string' : SYSTEMS_TYPES[c] }));

/**
 * Partition projection of `date` (the ICT day of the `date=` folder), shared by every table.
 * - From 2000: old events are accepted (backfills of past years are a normal use), and a day
 *   outside the range is invisible to Athena, not an error. Queries that filter on `date` read
 *   only their days, so a wide range costs nothing.
 * - To `NOW+7HOURS`: Athena evaluates NOW in UTC, so a plain `NOW` would hide today's ICT date
 *   from 00:00 to 07:00 ICT (17:00–24:00 UTC of the day before).
 */
export const DATE_PROJECTION = {
  'projection.enabled': 'true',
  'projection.date.type': 'date',
  'projection.date.format': 'yyyy-MM-dd',
  'projection.date.range': '2000-01-01,NOW+7HOURS',
  'projection.date.interval': '1',
  'projection.date.interval.unit': 'DAYS',
} as const;

export interface RollupTable {
  name: string;
  description: string;
  /** Folder under the bucket that holds the `date=YYYY-MM-DD/` partitions. */
  prefix: string;
  /** The object each partition is meant to read (the others are tolerated). */
  file: string;
  format: 'json' | 'csv';
  columns: CfnTable.ColumnProperty[];
  serde: CfnTable.SerdeInfoProperty;
  parameters?: Record<string, string>;
}

const JSON_SERDE = (ignoreMalformed: boolean): CfnTable.SerdeInfoProperty => ({
  serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
  parameters: { 'case.insensitive': 'true', 'ignore.malformed.json': String(ignoreMalformed) },
});

// Athena lowercases column names; the JSON SerDe matches keys case-insensitively.
const rowColumns = (allStrings = false, columns = ROW_COLUMNS): CfnTable.ColumnProperty[] =>
  columns.map((c) => ({ name: c.toLowerCase(), type: allStrings ? 'string' : ROW_TYPES[c] }));

const PARTY = 'struct<orgcode:string,systemcode:string,provincecode:string>';
/** An archived report (shared/archive.ts ArchivedEvent): the exchange event, when it was received, what conflicted with it. */
const ARCHIVED_EVENT =
  `struct<eventid:string,transactionid:string,reporter:struct<platformid:string,role:string>,route:string,consumer:${PARTY},provider:${PARTY},` +
  'servicecode:string,requestat:string,responseat:string,succeeded:boolean,errorcategory:string,httpstatus:int,requestbytes:bigint,responsebytes:bigint,' +
  'receivedat:string,conflicts:array<string>>';

export const ROLLUP_TABLES: readonly RollupTable[] = [
  {
    name: 'minute_rollups',
    description: 'One row per group and minute (rollups/minute/date=YYYY-MM-DD/HHMM.jsonl)',
    prefix: PREFIXES.minute,
    file: 'HHMM.jsonl',
    format: 'json',
    columns: rowColumns(),
    serde: JSON_SERDE(false),
  },
  {
    name: 'daily_rollups',
    description: 'One row per group and day (rollups/daily/date=YYYY-MM-DD/rollup.jsonl); filter "$path" LIKE \'%/rollup.jsonl\'',
    prefix: PREFIXES.daily,
    file: 'rollup.jsonl',
    format: 'json',
    columns: rowColumns(false, DAY_ROW_COLUMNS),
    serde: JSON_SERDE(true),
  },
  {
    name: 'daily_rollups_csv',
    description: 'The daily rows as CSV (rollups/daily/date=YYYY-MM-DD/rollup.csv); filter "$path" LIKE \'%/rollup.csv\'',
    prefix: PREFIXES.daily,
    file: 'rollup.csv',
    format: 'csv',
    // By position: the CSV's columns in order, the failure causes appended (1.1).
    columns: rowColumns(true, DAY_ROW_COLUMNS),
    serde: {
      serializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
      parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\' },
    },
    parameters: { 'skip.header.line.count': '1' },
  },
  {
    name: 'daily_systems',
    description:
      'One row per route, service, consumer and provider system and day (rollups/daily/date=YYYY-MM-DD/systems.jsonl); filter "$path" LIKE \'%/systems.jsonl\'',
    prefix: PREFIXES.daily,
    file: 'systems.jsonl',
    format: 'json',
    columns: systemsColumns(),
    serde: JSON_SERDE(true),
  },
  {
    name: 'daily_systems_csv',
    description: 'The systems rows as CSV (rollups/daily/date=YYYY-MM-DD/systems.csv); filter "$path" LIKE \'%/systems.csv\'',
    prefix: PREFIXES.daily,
    file: 'systems.csv',
    format: 'csv',
    columns: systemsColumns(true),
    serde: {
      serializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
      parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\' },
    },
    parameters: { 'skip.header.line.count': '1' },
  },
  {
    name: 'daily_summaries',
    description: 'The day summary (rollups/daily/date=YYYY-MM-DD/summary.json); filter "$path" LIKE \'%/summary.json\'',
    prefix: PREFIXES.daily,
    file: 'summary.json',
    format: 'json',
    // `date` is the partition column; the other fields of summary.json (CONTRACT.md section 2).
    columns: [
      { name: 'timezone', type: 'string' },
      { name: 'transactions', type: 'bigint' },
      { name: 'succeeded', type: 'bigint' },
      { name: 'failed', type: 'bigint' },
      { name: 'ngsptransactions', type: 'bigint' },
      { name: 'avgtransactionsperminute', type: 'double' },
      { name: 'peakminute', type: 'struct<periodstart:string,transactions:bigint>' },
      { name: 'distinctsystems', type: 'bigint' },
      { name: 'systems', type: 'array<string>' },
      { name: 'reportingplatforms', type: 'array<string>' },
      { name: 'conflicts', type: 'bigint' },
      { name: 'rejected', type: 'bigint' },
      { name: 'durationmsp50', type: 'double' },
      { name: 'durationmsp95', type: 'double' },
      { name: 'durationmsp99', type: 'double' },
      { name: 'generatedat', type: 'string' },
    ],
    serde: JSON_SERDE(true),
  },
  {
    name: 'raw_archive',
    description:
      'Every counted report, one line per transaction (archive/date=YYYY-MM-DD/HHMM.jsonl.gz): drill from a daily row to its transactions',
    prefix: PREFIXES.archive,
    file: 'HHMM.jsonl.gz',
    format: 'json',
    columns: [
      { name: 'transactionkey', type: 'string' },
      { name: 'consumer', type: ARCHIVED_EVENT },
      { name: 'provider', type: ARCHIVED_EVENT },
    ],
    serde: JSON_SERDE(false),
  },
];
