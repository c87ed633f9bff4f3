/**
 * AWS unit prices used by `ngsp cost` — the ONE place they live. Region ap-southeast-1
 * (Singapore), on-demand, USD, no free tier, no savings plans or taxes.
 *
 * Recorded on PRICES_AS_OF from the public AWS pricing pages. They change: check them on
 * https://aws.amazon.com/pricing/ (or the Price List API) before using an estimate for a budget,
 * then update the values and the date together.
 */
export const PRICES_AS_OF = '2025-06-01';
export const PRICES_REGION = 'ap-southeast-1';
export const PRICES_CURRENCY = 'USD';

export const PRICES = {
  lambda: {
    /** Per request. */
    request: 0.2 / 1e6,
    /** Per GB-second, Arm64 (Graviton): the wiring pins ARM64. */
    gbSecondArm: 0.0000133334,
  },
  sqs: {
    /** Standard queue, per request (each 64 KiB chunk of a payload is billed as one request). */
    request: 0.4 / 1e6,
  },
  dynamodb: {
    /** On-demand, per write request unit (1 KB). */
    writeRequestUnit: 0.7125 / 1e6,
    /** On-demand, per read request unit (4 KB strongly consistent, or 2 eventually consistent reads). */
    readRequestUnit: 0.1425 / 1e6,
    /** Standard table class, per GB-month. */
    storageGbMonth: 0.285,
  },
  s3: {
    /** S3 Standard, per GB-month (first 50 TB). */
    storageGbMonth: 0.025,
    /** PUT, COPY, POST, LIST, per request. */
    putRequest: 0.005 / 1000,
    /** GET, SELECT and others, per request. */
    getRequest: 0.0004 / 1000,
  },
  apiGateway: {
    /** REST API (the stack uses API Gateway REST), per request (first 333 million a month). */
    restRequest: 4.25 / 1e6,
  },
  cloudwatch: {
    /** Logs ingested (standard class), per GB. */
    logIngestGb: 0.67,
    /** Logs stored (compressed), per GB-month. */
    logStorageGbMonth: 0.033,
    /** Custom metric, per metric-month (first 10,000). */
    metricMonth: 0.3,
    /** Standard-resolution alarm, per alarm-month. */
    alarmMonth: 0.1,
    /** Dashboard, per dashboard-month (beyond the 3 free). */
    dashboardMonth: 3,
  },
} as const;

export type Prices = typeof PRICES;
