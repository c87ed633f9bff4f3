/**
 * A monthly AWS cost estimate per service from a daily transaction volume: the budget of
 * requests per transaction (budget.ts) times the unit prices (prices.ts). Pure arithmetic.
 */
import { BUDGET, type Budget } from './budget.ts';
import { PRICES, type Prices } from './prices.ts';

export const DAYS_PER_MONTH = 365.25 / 12;

export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  /** USD a month. */
  cost: number;
  /** True when the line does not grow with traffic. */
  fixed: boolean;
}

export interface ServiceCost {
  service: 'Lambda' | 'SQS' | 'DynamoDB' | 'S3' | 'API Gateway' | 'CloudWatch';
  lines: CostLine[];
  /** USD a month: all lines, and the part that grows with traffic. */
  total: number;
  variable: number;
}

export interface CostEstimate {
  transactionsPerDay: number;
  transactionsPerMonth: number;
  services: ServiceCost[];
  total: number;
  variable: number;
}

const GB = 1024 ** 3;

export function estimateMonthlyCost(transactionsPerDay: number, budget: Budget = BUDGET, prices: Prices = PRICES): CostEstimate {
  const tx = transactionsPerDay * DAYS_PER_MONTH;
  const reports = tx * budget.reportsPerTransaction;
  const sqsReports = reports * (1 - budget.apiShare);
  const messages = reports / budget.reportsPerMessage;
  const apiRequests = (reports * budget.apiShare) / budget.reportsPerApiRequest;
  const line = (item: string, quantity: number, unit: string, unitPrice: number, fixed = false): CostLine => ({
    item,
    quantity,
    unit,
    unitPrice,
    cost: quantity * unitPrice,
    fixed,
  });

  const L = budget.lambda;
  const ingestInvocations = messages / L.ingest.messagesPerInvocation;
  const ingestGbS = ((ingestInvocations * L.ingest.msPerInvocation + reports * L.ingest.msPerReport) / 1000) * (L.ingest.memoryMb / 1024);
  const rollupFixedGbS = ((L.rollup.invocationsPerMonth * L.rollup.msPerInvocation) / 1000) * (L.rollup.memoryMb / 1024);
  const rollupGbS = ((tx * L.rollup.msPerTransaction) / 1000) * (L.rollup.memoryMb / 1024);
  const apiCalls = apiRequests + budget.apiGateway.fixedRequestsPerMonth;
  const apiGbS = ((apiRequests * L.api.msPerRequest) / 1000) * (L.api.memoryMb / 1024);
  const apiFixedGbS = ((budget.apiGateway.fixedRequestsPerMonth * L.api.msPerRequest) / 1000) * (L.api.memoryMb / 1024);

  const chunksPerMessage = Math.max(1, Math.ceil((budget.bytesPerReport * budget.reportsPerMessage) / budget.sqs.chunkBytes));
  const D = budget.dynamodb;
  const storedGb = (transactionsPerDay * D.hotDays * D.bytesPerTransactionStored) / GB;
  const S = budget.s3;
  const s3Gb = (tx * S.bytesPerTransaction * S.monthsKept) / GB;
  const archiveGb = (tx * S.archiveBytesPerTransaction * S.archiveMonthsKept) / GB;
  const C = budget.cloudwatch;
  const logGb =
    (ingestInvocations * C.logBytesPerIngestInvocation +
      apiCalls * C.logBytesPerApiRequest +
      L.rollup.invocationsPerMonth * C.logBytesPerRollupRun) /
    GB;
  const logFixedGb =
    (budget.apiGateway.fixedRequestsPerMonth * C.logBytesPerApiRequest + L.rollup.invocationsPerMonth * C.logBytesPerRollupRun) / GB;

  const services: Omit<ServiceCost, 'total' | 'variable'>[] = [
    {
      service: 'Lambda',
      lines: [
        line('ingest invocations', ingestInvocations, 'requests', prices.lambda.request),
        line('ingest compute', ingestGbS, 'GB-s', prices.lambda.gbSecondArm),
        line('rollup invocations (every minute)', L.rollup.invocationsPerMonth, 'requests', prices.lambda.request, true),
        line('rollup compute (schedule)', rollupFixedGbS, 'GB-s', prices.lambda.gbSecondArm, true),
        line('rollup compute (per transaction)', rollupGbS, 'GB-s', prices.lambda.gbSecondArm),
        line('api invocations (events)', apiRequests, 'requests', prices.lambda.request),
        line('api invocations (dashboard, metrics)', budget.apiGateway.fixedRequestsPerMonth, 'requests', prices.lambda.request, true),
        line('api compute (events)', apiGbS, 'GB-s', prices.lambda.gbSecondArm),
        line('api compute (dashboard, metrics)', apiFixedGbS, 'GB-s', prices.lambda.gbSecondArm, true),
      ],
    },
    {
      service: 'SQS',
      lines: [
        line('send + receive (per 64 KiB chunk)', messages * chunksPerMessage * 2, 'requests', prices.sqs.request),
        line('delete (batches of 10)', messages / 10, 'requests', prices.sqs.request),
        line('idle polling of the event source mapping', budget.sqs.idleRequestsPerMonth, 'requests', prices.sqs.request, true),
      ],
    },
    {
      service: 'DynamoDB',
      lines: [
        line(
          'report writes (item + minute journal)',
          reports * (D.writeUnitsPerReport + D.extraWriteUnitsPerReport),
          'WRU',
          prices.dynamodb.writeRequestUnit,
        ),
        line(
          `rollup reads (journal + items, ${D.rollsPerMinute} rolls a minute)`,
          tx * D.readUnitsPerTransaction * D.rollsPerMinute,
          'RRU',
          prices.dynamodb.readRequestUnit,
        ),
        line('stats items written', D.statsWriteUnitsPerMonth, 'WRU', prices.dynamodb.writeRequestUnit, true),
        line('stats items read (API, daily rollup)', D.statsReadUnitsPerMonth, 'RRU', prices.dynamodb.readRequestUnit, true),
        line(`hot store (${D.hotDays} days of transactions)`, storedGb, 'GB-month', prices.dynamodb.storageGbMonth),
      ],
    },
    {
      service: 'S3',
      lines: [
        line('rollup PUTs (minute and daily files)', S.putsPerMonth, 'requests', prices.s3.putRequest, true),
        line('rejected-event PUTs', sqsReports * S.putsPerReport, 'requests', prices.s3.putRequest),
        line('GETs (downloads, Athena)', S.getsPerMonth, 'requests', prices.s3.getRequest, true),
        line(`storage (${S.monthsKept} months of rollups)`, s3Gb, 'GB-month', prices.s3.storageGbMonth),
        line('raw archive PUTs (one per final minute)', S.archivePutsPerMonth, 'requests', prices.s3.putRequest, true),
        line('raw archive GETs (rollup merges)', S.archiveGetsPerMonth, 'requests', prices.s3.getRequest, true),
        line(`raw archive storage (${S.archiveMonthsKept} months)`, archiveGb, 'GB-month', prices.s3.storageGbMonth),
      ],
    },
    {
      service: 'API Gateway',
      lines: [
        line('POST /v1/events', apiRequests, 'requests', prices.apiGateway.restRequest),
        line('dashboard and metrics', budget.apiGateway.fixedRequestsPerMonth, 'requests', prices.apiGateway.restRequest, true),
      ],
    },
    {
      service: 'CloudWatch',
      lines: [
        line('log ingestion (traffic)', logGb - logFixedGb, 'GB', prices.cloudwatch.logIngestGb),
        line('log ingestion (schedule, dashboard)', logFixedGb, 'GB', prices.cloudwatch.logIngestGb, true),
        line('log storage (traffic)', (logGb - logFixedGb) * C.logMonthsKept, 'GB-month', prices.cloudwatch.logStorageGbMonth),
        line('log storage (schedule, dashboard)', logFixedGb * C.logMonthsKept, 'GB-month', prices.cloudwatch.logStorageGbMonth, true),
        line('custom metrics', C.customMetrics, 'metrics', prices.cloudwatch.metricMonth, true),
        line('alarms', C.alarms, 'alarms', prices.cloudwatch.alarmMonth, true),
        line('dashboards', C.dashboards, 'dashboards', prices.cloudwatch.dashboardMonth, true),
      ],
    },
  ];
  const withTotals = services.map((s) => ({
    ...s,
    total: s.lines.reduce((a, l) => a + l.cost, 0),
    variable: s.lines.filter((l) => !l.fixed).reduce((a, l) => a + l.cost, 0),
  }));
  return {
    transactionsPerDay,
    transactionsPerMonth: tx,
    services: withTotals,
    total: withTotals.reduce((a, s) => a + s.total, 0),
    variable: withTotals.reduce((a, s) => a + s.variable, 0),
  };
}
