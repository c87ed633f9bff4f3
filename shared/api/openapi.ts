/**
 * The OpenAPI 3.1 document of the API (`GET /v1/openapi.json`). The event schemas are the
 * published JSON Schema the validator is built from (contract/event.schema.json), moved under
 * `components/schemas` with their `$ref`s rewritten — never a second hand-written copy.
 * Every operation carries `x-ngsp-roles`: the principals allowed (empty = anyone, no key).
 */
import { eventJsonSchema } from '#shared/contract/validate.ts';
import { FAILURE_COLUMNS, MEASURE_COLUMNS } from '#shared/stats/period.ts';
import {
  BREAKDOWN_BY,
  DEFAULT_BREAKDOWN_LIMIT,
  MAX_BREAKDOWN_LIMIT,
  MAX_DAYS_RANGE,
  MAX_REJECTIONS_PAGE,
  MAX_SYSTEMS_DAYS,
} from './params.ts';
import { ALERT_KINDS } from '#shared/alerts.ts';
import { ROUTES, type OperationId } from './routes.ts';

type Json = Record<string, unknown>;

/** `$defs` name of the event schema → component name. */
export const EVENT_SCHEMA_NAMES: Record<string, string> = {
  id: 'Id',
  code: 'Code',
  provinceCode: 'ProvinceCode',
  timestamp: 'Timestamp',
  party: 'Party',
  event: 'ExchangeEvent',
  envelope: 'EventEnvelope',
};

/** Deep copy with every `#/$defs/x` reference pointed at `#/components/schemas/<name of x>`. */
export function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
        const name = EVENT_SCHEMA_NAMES[v.slice('#/$defs/'.length)];
        if (!name) throw new Error(`event schema reference ${v} has no component name`);
        out[k] = `#/components/schemas/${name}`;
      } else out[k] = rewriteRefs(v);
    }
    return out;
  }
  return value;
}

/** The event schema's definitions as OpenAPI components. */
export function eventComponents(): Record<string, unknown> {
  const defs = eventJsonSchema.$defs as Record<string, unknown>;
  return Object.fromEntries(Object.entries(defs).map(([k, v]) => [EVENT_SCHEMA_NAMES[k] ?? k, rewriteRefs(v)]));
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ 'application/json': { schema } });
const errorResponse = (description: string): Json => ({ description, content: json(ref('Error')) });

const ERRORS: Record<string, Json> = {
  '400': errorResponse('A parameter or field is wrong; the message and `details[].path` name it'),
  '401': errorResponse('No API key, or an unknown or revoked one'),
  '403': errorResponse('The key is valid but its principal may not do this'),
  '405': errorResponse('The path exists but not with this method (see the Allow header)'),
  '429': {
    description: "Over the principal's request budget for the current window (see Retry-After)",
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds until the window resets' } },
    content: json(ref('Error')),
  },
};

const filterParams: Json[] = [
  { name: 'route', in: 'query', required: false, schema: { enum: ['NGSP', 'LGSP'] }, description: 'Only groups of this route' },
  { name: 'serviceCode', in: 'query', required: false, schema: ref('Id'), description: 'Only groups of this service' },
  {
    name: 'province',
    in: 'query',
    required: false,
    schema: ref('ProvinceCode'),
    description: 'Only groups whose consumer or provider province is this code',
  },
];
const dayParam = (name: string, description: string): Json => ({
  name,
  in: 'query',
  required: true,
  schema: { type: 'string', format: 'date' },
  description,
});
const dayRangeParams: Json[] = [
  dayParam('from', 'First day (YYYY-MM-DD, Asia/Ho_Chi_Minh), included'),
  dayParam('to', `Last day, included; at most ${MAX_DAYS_RANGE} days in all`),
];

/** Every operation of the route table (shared/api/routes.ts) but its method, path, id and roles. */
function operations(bodyLimitBytes: number): Record<OperationId, Json> {
  return {
    postEvents: {
      summary: "Post exchange events (an LGSP key, its own platform's events only)",
      description:
        `One event or an envelope {"events": [...]} of 1 to 500 events; at most ${bodyLimitBytes} bytes (larger: 413; more than 500 events: 400 naming \`events\`). ` +
        "If any event's reporter.platformId is not the key's platform, nothing is accepted (403) and those events are kept in the key platform's rejections (rule 7). Invalid events are kept in rejected/ " +
        '(source `api`) and listed in the answer; valid ones are queued for ingestion exactly like SQS messages.',
      requestBody: { required: true, content: json({ oneOf: [ref('ExchangeEvent'), ref('EventEnvelope')] }) },
      responses: {
        '202': {
          description: 'Accepted events are queued; rejected ones listed with their reasons',
          content: json(ref('PostEventsResult')),
        },
        ...ERRORS,
        '413': errorResponse(`Body larger than ${bodyLimitBytes} bytes`),
      },
    },
    getMinuteMetrics: {
      summary: 'Per-minute transactions over at most 24 hours',
      parameters: [
        {
          name: 'from',
          in: 'query',
          required: true,
          schema: ref('Timestamp'),
          description: 'RFC 3339 with offset; first minute starting at or after it',
        },
        {
          name: 'to',
          in: 'query',
          required: true,
          schema: ref('Timestamp'),
          description: 'RFC 3339 with offset, later than from, at most 24 h after it; excluded',
        },
        ...filterParams,
      ],
      responses: {
        '200': { description: 'One point for every minute in [from, to), zeros included', content: json(ref('Series')) },
        ...ERRORS,
      },
    },
    getDayMetrics: {
      summary: `Per-day transactions over at most ${MAX_DAYS_RANGE} days`,
      parameters: [...dayRangeParams, ...filterParams],
      responses: {
        '200': {
          description: 'One point for every day of [from, to], zeros included; today is counted from its minutes so far',
          content: json(ref('Series')),
        },
        ...ERRORS,
      },
    },
    getSummary: {
      summary: 'Figures over a range of days (from/to) or a year',
      description: 'Distinct systems and platforms are distinct over the whole range (a union, not a sum of days).',
      parameters: [
        { ...dayParam('from', 'First day, included (with to; not with year)'), required: false },
        { ...dayParam('to', `Last day, included; at most ${MAX_DAYS_RANGE} days in all`), required: false },
        {
          name: 'year',
          in: 'query',
          required: false,
          schema: { type: 'string', pattern: '^[0-9]{4}$' },
          description: 'A whole year instead of from/to',
        },
      ],
      responses: { '200': { description: 'The range summary', content: json(ref('Summary')) }, ...ERRORS },
    },
    getBreakdown: {
      summary: 'Transactions by service and by province pair over a range of days (an extension used by the dashboard)',
      description:
        `1.1: with by=system, the systems rows of the range (one per route, service, consumer and provider organisation/system, as in systems.jsonl); with by=org, those rows merged per (consumer organisation, provider organisation); at most ${MAX_SYSTEMS_DAYS} days, the largest \`limit\` rows. ` +
        'Every answer has failures by cause. An LGSP key may call it only with `by` (else 403) and gets only the rows whose transactions its platform reported (`reportingPlatforms` has it), whole; analyst and ops keys get every row.',
      parameters: [
        ...dayRangeParams,
        ...filterParams,
        {
          name: 'by',
          in: 'query',
          required: false,
          schema: { enum: [...BREAKDOWN_BY] },
          description:
            'system: rows per systems; org: rows per organisation pair (not with province). Absent: by service and province pair',
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: MAX_BREAKDOWN_LIMIT, default: DEFAULT_BREAKDOWN_LIMIT },
          description: 'With by: rows returned at most, largest first',
        },
      ],
      responses: {
        '200': {
          description: 'Services and province pairs, or (with by) systems or organisation rows, largest first',
          content: json({ oneOf: [ref('Breakdown'), ref('SystemsBreakdown')] }),
        },
        ...ERRORS,
      },
    },
    getRejections: {
      summary: "Rejected events received on a day (an LGSP sees only its own platform's; ops sees all)",
      parameters: [
        dayParam('date', 'Day the events were received (YYYY-MM-DD)'),
        {
          name: 'platformId',
          in: 'query',
          required: false,
          schema: { type: 'string', pattern: '^(NGSP|LGSP-[A-Z0-9]+|unknown)$' },
          description:
            "Only this platform's lines, read from its own folder rejected/platform=<id>/ (an LGSP key: its own platform only, else 403; `unknown`: messages of unregistered SQS senders, ops only)",
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: MAX_REJECTIONS_PAGE, default: MAX_REJECTIONS_PAGE },
        },
        { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'nextCursor of the previous page' },
      ],
      responses: {
        '200': { description: 'A page of rejected lines (CONTRACT.md section 2)', content: json(ref('RejectionsPage')) },
        ...ERRORS,
      },
    },
    getReports: {
      summary: "Monthly reports of a month (an LGSP sees its own platform's and the national one)",
      description:
        'Reports are written by the rollup once the last day of the month is final, and again when a late report changes one of its days (reports/month=YYYY-MM/<subject>.html and .pdf).',
      parameters: [
        {
          name: 'month',
          in: 'query',
          required: true,
          schema: { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' },
          description: 'The month, YYYY-MM (Asia/Ho_Chi_Minh)',
        },
      ],
      responses: { '200': { description: 'The reports of the month, national first', content: json(ref('ReportsPage')) }, ...ERRORS },
    },
    getAlerts: {
      summary: 'Exchange-health alerts overlapping a range (an LGSP key: those about its platform or its province)',
      description:
        'Alerts raised by the rollup from final minute figures (docs/operations.md "Exchange-health alerts"): a platform silent in its usual hours, ' +
        "a service's failure ratio or p95 duration far from its baseline, a province pair's traffic collapsed. Listed when they overlap [from, to) " +
        '(open alerts have endedAt null) and started at most 31 days before from, or are still open. Analyst and ops see all; an LGSP key the silence of its ' +
        'own platform and the alerts whose detail.provinces include its province (LGSP-<province code>).',
      parameters: [
        { name: 'from', in: 'query', required: true, schema: ref('Timestamp'), description: 'RFC 3339 with offset' },
        {
          name: 'to',
          in: 'query',
          required: true,
          schema: ref('Timestamp'),
          description: 'RFC 3339 with offset, later than from, at most 31 days after it; excluded',
        },
      ],
      responses: { '200': { description: 'Alerts, oldest first', content: json(ref('Alerts')) }, ...ERRORS },
    },
    getHealth: {
      summary: 'Liveness',
      responses: { '200': { description: 'The API answers', content: json(ref('Health')) }, '405': ERRORS['405'] },
    },
    getOpenApi: {
      summary: 'This document',
      responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) }, '405': ERRORS['405'] },
    },
    getDashboard: {
      summary: 'The dashboard page (it asks for an analyst or ops key)',
      responses: {
        '200': { description: 'HTML page, self-contained', content: { 'text/html': { schema: { type: 'string' } } } },
        '405': ERRORS['405'],
      },
    },
  };
}

/**
 * The OpenAPI document (3.1) of the route table: each route's operation with its id and its
 * roles (`x-ngsp-roles`; none: public, no key).
 * @param serverUrl where the API is mounted (e.g. `/prod` behind an API Gateway stage)
 * @param bodyLimitBytes the deployed POST /v1/events body limit (BODY_LIMIT_BYTES)
 */
export function openApiDocument(serverUrl: string, bodyLimitBytes: number): Json {
  const ops = operations(bodyLimitBytes);
  const paths = (): Json => {
    const out: Record<string, Record<string, Json>> = {};
    for (const r of ROUTES) {
      const access: Json = r.roles.length
        ? { security: [{ apiKey: [] }], 'x-ngsp-roles': [...r.roles] }
        : { security: [], 'x-ngsp-roles': [] };
      (out[r.path] ??= {})[r.method.toLowerCase()] = { operationId: r.operationId, ...ops[r.operationId], ...access };
    }
    return out;
  };
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'ngsp-stats API',
      version: '1.0.0',
      description:
        'Exchange events in, exact per-minute and daily statistics out (CONTRACT.md section 3). Times are Asia/Ho_Chi_Minh. ' +
        'Every principal has a request budget per window (429 with Retry-After when spent).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }],
    paths: paths(),
    components: {
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'A key of one principal: lgsp (bound to one platform), analyst or ops',
        },
      },
      schemas: {
        ...eventComponents(),
        FieldError: {
          type: 'object',
          required: ['path', 'message'],
          additionalProperties: false,
          properties: { path: { type: 'string' }, message: { type: 'string' } },
        },
        Error: {
          type: 'object',
          required: ['error'],
          additionalProperties: false,
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              additionalProperties: false,
              properties: {
                code: {
                  type: 'string',
                  examples: [
                    'VALIDATION',
                    'UNAUTHORIZED',
                    'FORBIDDEN',
                    'NOT_FOUND',
                    'METHOD_NOT_ALLOWED',
                    'PAYLOAD_TOO_LARGE',
                    'THROTTLED',
                  ],
                },
                message: { type: 'string' },
                details: { type: 'array', items: ref('FieldError') },
              },
            },
          },
        },
        PostEventsResult: {
          type: 'object',
          required: ['accepted', 'rejected'],
          additionalProperties: false,
          properties: {
            accepted: { type: 'integer', minimum: 0 },
            rejected: {
              type: 'array',
              items: {
                type: 'object',
                required: ['index', 'errors'],
                additionalProperties: false,
                properties: { index: { type: 'integer', minimum: 0 }, errors: { type: 'array', items: ref('FieldError') } },
              },
            },
          },
        },
        MetricPoint: {
          type: 'object',
          required: ['periodStart', 'transactions', 'succeeded', 'failed', 'durationMsP95'],
          additionalProperties: false,
          properties: {
            periodStart: { type: 'string', format: 'date-time' },
            transactions: { type: 'integer', minimum: 0 },
            succeeded: { type: 'integer', minimum: 0 },
            failed: { type: 'integer', minimum: 0 },
            durationMsP95: { type: ['number', 'null'] },
          },
        },
        Series: {
          type: 'object',
          required: ['granularity', 'from', 'to', 'points'],
          additionalProperties: false,
          properties: {
            granularity: { enum: ['minute', 'day'] },
            from: { type: 'string' },
            to: { type: 'string' },
            points: { type: 'array', items: ref('MetricPoint') },
          },
        },
        PeakMinute: {
          type: ['object', 'null'],
          required: ['periodStart', 'transactions'],
          additionalProperties: false,
          properties: { periodStart: { type: 'string', format: 'date-time' }, transactions: { type: 'integer' } },
        },
        Summary: {
          type: 'object',
          additionalProperties: false,
          required: [
            'from',
            'to',
            'timezone',
            'transactions',
            'succeeded',
            'failed',
            'ngspTransactions',
            'avgTransactionsPerMinute',
            'distinctSystems',
            'reportingPlatforms',
            'peakMinute',
          ],
          properties: {
            from: { type: 'string', format: 'date' },
            to: { type: 'string', format: 'date' },
            timezone: { const: 'Asia/Ho_Chi_Minh' },
            transactions: { type: 'integer', minimum: 0 },
            succeeded: { type: 'integer', minimum: 0 },
            failed: { type: 'integer', minimum: 0 },
            ngspTransactions: { type: 'integer', minimum: 0 },
            avgTransactionsPerMinute: {
              type: 'number',
              description: 'transactions / minutes of the range that have begun (a past range: days x 1440)',
            },
            distinctSystems: { type: 'integer', minimum: 0 },
            reportingPlatforms: { type: 'array', items: { type: 'string' } },
            peakMinute: ref('PeakMinute'),
          },
        },
        FailureCauses: {
          type: 'object',
          description: 'Failures by errorCategory (failedUnspecified: no category); they add up to failed',
          required: [...FAILURE_COLUMNS],
          additionalProperties: false,
          properties: Object.fromEntries(FAILURE_COLUMNS.map((c) => [c, { type: 'integer', minimum: 0 }])),
        },
        SystemsBreakdown: {
          type: 'object',
          required: ['from', 'to', 'by', 'transactions', 'succeeded', 'failed', 'failures', 'totalRows', 'limit', 'rows'],
          additionalProperties: false,
          properties: {
            from: { type: 'string', format: 'date' },
            to: { type: 'string', format: 'date' },
            by: { enum: [...BREAKDOWN_BY] },
            platformId: { type: 'string', description: "An LGSP key's platform: only rows it reported are counted" },
            transactions: { type: 'integer', minimum: 0 },
            succeeded: { type: 'integer', minimum: 0 },
            failed: { type: 'integer', minimum: 0 },
            failures: ref('FailureCauses'),
            totalRows: { type: 'integer', minimum: 0, description: 'Rows before the limit' },
            limit: { type: 'integer', minimum: 1 },
            rows: {
              type: 'array',
              items: {
                type: 'object',
                description:
                  'A systems row of systems.jsonl without periodStart/granularity (by=org: without route, serviceCode and the system codes)',
                required: ['consumerOrg', 'providerOrg', ...MEASURE_COLUMNS, ...FAILURE_COLUMNS, 'reportingPlatforms'],
                additionalProperties: false,
                properties: {
                  route: { enum: ['NGSP', 'LGSP'] },
                  serviceCode: { type: 'string' },
                  consumerOrg: { type: 'string' },
                  consumerSystem: { type: 'string' },
                  providerOrg: { type: 'string' },
                  providerSystem: { type: 'string' },
                  transactions: { type: 'integer', minimum: 0 },
                  succeeded: { type: 'integer', minimum: 0 },
                  failed: { type: 'integer', minimum: 0 },
                  pairedTransactions: { type: 'integer', minimum: 0 },
                  requestBytes: { type: 'integer', minimum: 0 },
                  responseBytes: { type: 'integer', minimum: 0 },
                  durationMsP50: { type: ['number', 'null'] },
                  durationMsP95: { type: ['number', 'null'] },
                  durationMsP99: { type: ['number', 'null'] },
                  durationMsMax: { type: ['number', 'null'] },
                  ...Object.fromEntries(FAILURE_COLUMNS.map((c) => [c, { type: 'integer', minimum: 0 }])),
                  reportingPlatforms: { type: 'array', items: { type: 'string' }, description: 'Sorted platforms that reported the row' },
                },
              },
            },
          },
        },
        Breakdown: {
          type: 'object',
          required: ['from', 'to', 'transactions', 'failures', 'services', 'provincePairs'],
          additionalProperties: false,
          properties: {
            from: { type: 'string', format: 'date' },
            to: { type: 'string', format: 'date' },
            transactions: { type: 'integer' },
            failures: ref('FailureCauses'),
            services: {
              type: 'array',
              items: {
                type: 'object',
                required: ['serviceCode', 'transactions', 'succeeded', 'failed'],
                additionalProperties: false,
                properties: {
                  serviceCode: { type: 'string' },
                  serviceName: {
                    type: 'object',
                    description: 'The service name from seeds/services.json, in Vietnamese and English; absent when the code has none',
                    required: ['vi', 'en'],
                    additionalProperties: false,
                    properties: { vi: { type: 'string' }, en: { type: 'string' } },
                  },
                  transactions: { type: 'integer' },
                  succeeded: { type: 'integer' },
                  failed: { type: 'integer' },
                },
              },
            },
            provincePairs: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: [
                  'consumerProvince',
                  'consumerProvinceName',
                  'providerProvince',
                  'providerProvinceName',
                  'transactions',
                  'succeeded',
                  'failed',
                ],
                properties: {
                  consumerProvince: { type: 'string', description: '"" when not reported' },
                  consumerProvinceName: { type: ['string', 'null'] },
                  providerProvince: { type: 'string' },
                  providerProvinceName: { type: ['string', 'null'] },
                  transactions: { type: 'integer' },
                  succeeded: { type: 'integer' },
                  failed: { type: 'integer' },
                },
              },
            },
          },
        },
        RejectedLine: {
          type: 'object',
          required: ['receivedAt', 'source', 'messageId', 'index', 'errors', 'body'],
          properties: {
            receivedAt: { type: 'string', format: 'date-time' },
            source: { enum: ['sqs', 'api'] },
            messageId: { type: 'string' },
            index: { type: ['integer', 'null'] },
            platformId: { type: 'string', description: "The sender's platform (rule 7); for an operator's relayed message, the event's" },
            reportedPlatformId: {
              type: 'string',
              description: "What the event's reporter.platformId said, when it is not the sender's platform",
            },
            senderId: { type: 'string', description: 'The SQS SenderId of a message from an unregistered sender' },
            errors: { type: 'array', items: ref('FieldError') },
            body: { type: 'string', description: 'The raw event, cut at 64 KiB' },
          },
        },
        RejectionsPage: {
          type: 'object',
          required: ['date', 'rejected', 'nextCursor'],
          additionalProperties: false,
          properties: {
            date: { type: 'string', format: 'date' },
            platformId: { type: 'string' },
            rejected: { type: 'array', items: ref('RejectedLine') },
            nextCursor: { type: ['string', 'null'] },
          },
        },
        ReportsPage: {
          type: 'object',
          required: ['month', 'reports'],
          additionalProperties: false,
          properties: {
            month: { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' },
            reports: {
              type: 'array',
              items: {
                type: 'object',
                required: ['subject', 'html', 'pdf'],
                additionalProperties: false,
                properties: {
                  subject: { type: 'string', description: '`national`, or the platform id (NGSP, LGSP-79, LGSP-BYT, ...)' },
                  html: { type: 'string', format: 'uri', description: 'Presigned GET URL of the HTML report (valid one hour)' },
                  pdf: { type: 'string', format: 'uri', description: 'Presigned GET URL of the PDF report (valid one hour)' },
                },
              },
            },
          },
        },
        Alerts: {
          type: 'object',
          required: ['alerts'],
          properties: {
            alerts: {
              type: 'array',
              items: {
                type: 'object',
                required: ['id', 'kind', 'subject', 'startedAt', 'endedAt', 'detail'],
                properties: {
                  id: { type: 'string' },
                  kind: { enum: [...ALERT_KINDS] },
                  subject: {
                    type: 'string',
                    description: 'A platform id, a service code, or a province pair such as 79>01 (- for not reported)',
                  },
                  startedAt: ref('Timestamp'),
                  endedAt: { oneOf: [ref('Timestamp'), { type: 'null' }] },
                  detail: {
                    type: 'object',
                    required: ['message', 'provinces'],
                    properties: { message: { type: 'string' }, provinces: { type: 'array', items: { type: 'string' } } },
                  },
                },
              },
            },
          },
        },
        Health: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
      },
    },
  };
}
