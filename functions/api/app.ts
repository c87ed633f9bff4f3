/**
 * The API handler, built from its dependencies (tests pass their own; handler.ts the real ones).
 * One middy router for every route of CONTRACT.md section 3; each route parses its input, calls
 * shared/api and maps the result. One error mapper turns every failure into the contract's
 * `{"error": {"code", "message"}}` — never raw error text.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import httpRouterHandler, { type Route } from '@middy/http-router';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { clients } from '#shared/store/clients.ts';
import type { Principal, Role } from '#shared/auth/keys.ts';
import { KeyStore } from '#shared/store/api-keys.ts';
import {
  errorResponse,
  ForbiddenError,
  jsonResponse,
  MethodNotAllowedError,
  NotFoundError,
  UnauthorizedError,
  type HttpResponse,
} from '#shared/api/errors.ts';
import { AlertReader } from '#shared/api/alerts.ts';
import { postEvents, type PostEventsDeps } from '#shared/api/events.ts';
import { MetricsReader } from '#shared/api/metrics.ts';
import { openApiDocument } from '#shared/api/openapi.ts';
import {
  parseBreakdownQuery,
  parseDaysQuery,
  parseMinutesQuery,
  parseRejectionsQuery,
  parseReportsQuery,
  parseAlertsQuery,
  parseSummaryQuery,
  type Query,
} from '#shared/api/params.ts';
import { IngestQueue } from '#shared/store/queue.ts';
import { PlatformStore } from '#shared/store/platforms.ts';
import { LivePlatforms } from '#shared/platforms.ts';
import { RejectionReader } from '#shared/api/rejections.ts';
import { ReportReader } from '#shared/api/reports.ts';
import { methodsByPath, ROUTES, type OperationId } from '#shared/api/routes.ts';
import { Throttle } from '#shared/api/throttle.ts';
import { makeLogger, makeMetrics, METRICS } from '#shared/observability.ts';
import { RollupBucket } from '#shared/store/bucket.ts';
import { StatsStore } from '#shared/store/stats.ts';
import { AlertItems } from '#shared/store/alerts.ts';
import { ThrottleCounters } from '#shared/store/throttle.ts';
import type { ApiConfig } from './config.ts';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.gen.ts';

export const logger = makeLogger('api');
export const metrics = makeMetrics('api');
const M = METRICS.api;

export interface ApiDeps {
  keys: Pick<KeyStore, 'resolve'>;
  throttle: Pick<Throttle, 'take'>;
  metrics: MetricsReader;
  rejections: RejectionReader;
  /** *1.1* The monthly reports (presigned URLs). */
  reports: Pick<ReportReader, 'list'>;
  events: PostEventsDeps;
  alerts: AlertReader;
}

/** Real dependencies from configuration; SDK clients are made once per process. */
export function defaultDeps(config: ApiConfig): ApiDeps {
  const { ddb, s3, sqs } = clients();
  const stats = new StatsStore(ddb, config.STATS_TABLE_NAME);
  const bucket = new RollupBucket(s3, config.ROLLUP_BUCKET_NAME);
  // Issue 16: validation and the rejections listing use the platforms registry of the running stack (cached).
  const platforms = new LivePlatforms(new PlatformStore(ddb, config.KEYS_TABLE_NAME), { cacheMs: config.PLATFORMS_CACHE_SECONDS * 1000 });
  return {
    keys: new KeyStore(ddb, config.KEYS_TABLE_NAME),
    throttle: new Throttle(
      new ThrottleCounters(ddb, config.KEYS_TABLE_NAME, { limit: config.THROTTLE_LIMIT, windowSeconds: config.THROTTLE_WINDOW_SECONDS }),
    ),
    metrics: new MetricsReader(stats),
    rejections: new RejectionReader(bucket, undefined, platforms),
    reports: new ReportReader(bucket),
    alerts: new AlertReader(new AlertItems(ddb, config.STATS_TABLE_NAME)),
    events: {
      queue: new IngestQueue(sqs, config.INGEST_QUEUE_URL),
      bucket,
      stats,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      platforms,
    },
  };
}

type Event = APIGatewayProxyEvent;
type Result = APIGatewayProxyResult;

function header(event: Event, name: string): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name && v !== undefined) return v;
  return undefined;
}

function query(event: Event): Query {
  return (
    event.multiValueQueryStringParameters ??
    (event.queryStringParameters ? Object.fromEntries(Object.entries(event.queryStringParameters).map(([k, v]) => [k, [v]])) : null)
  );
}

function bodyText(event: Event): string {
  if (event.body === null || event.body === undefined) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** Where the API is mounted: the stage prefix API Gateway adds before the resource path. */
function mountPath(event: Event): string {
  const full = event.requestContext?.path ?? event.path;
  return full.endsWith(event.path) && full.length > event.path.length ? full.slice(0, full.length - event.path.length) : '/';
}

export function makeHandler(deps: ApiDeps) {
  /** 401 without a usable key, 403 for a role not allowed, 429 over the budget — in that order. */
  const authorize = async (event: Event, roles: readonly Role[]): Promise<Principal> => {
    const key = header(event, 'x-api-key');
    if (!key || key.length > 256) throw new UnauthorizedError();
    const principal = await deps.keys.resolve(key);
    if (!principal) throw new UnauthorizedError('the API key is unknown or revoked');
    // An lgsp key acts only as its platform: without one it may do nothing (issue 13).
    if (principal.role === 'lgsp' && !principal.platformId)
      throw new ForbiddenError('this lgsp key is not bound to a platform; ask an operator for a key of your platform');
    if (!roles.includes(principal.role))
      throw new ForbiddenError(`a key of role ${principal.role} may not use this route (allowed: ${roles.join(', ')})`);
    try {
      await deps.throttle.take(principal);
    } catch (err) {
      metrics.addMetric(M.RequestsThrottled, MetricUnit.Count, 1);
      throw err;
    }
    logger.appendKeys({
      keyId: principal.keyId,
      role: principal.role,
      ...(principal.platformId ? { platformId: principal.platformId } : {}),
    });
    return principal;
  };

  /** What each operation of the route table does; the route table (shared/api/routes.ts) says who may. */
  const operations: Record<OperationId, (event: Event, principal: Principal | undefined) => Promise<Result>> = {
    postEvents: async (event, p) => {
      const result = await postEvents(bodyText(event), { ...p!, platformId: p!.platformId! }, deps.events);
      metrics.addMetric(M.EventsAccepted, MetricUnit.Count, result.accepted);
      metrics.addMetric(M.EventsRejected, MetricUnit.Count, result.rejected.length);
      return jsonResponse(202, result);
    },
    getMinuteMetrics: async (event) => jsonResponse(200, await deps.metrics.minutes(parseMinutesQuery(query(event)))),
    getDayMetrics: async (event) => jsonResponse(200, await deps.metrics.days(parseDaysQuery(query(event)))),
    getSummary: async (event) => jsonResponse(200, await deps.metrics.summary(parseSummaryQuery(query(event)))),
    getBreakdown: async (event, p) => {
      const q = parseBreakdownQuery(query(event));
      // An LGSP sees only the systems rows its platform reported (1.1); the other breakdowns are national figures.
      if (q.by === undefined) {
        if (p!.role === 'lgsp') throw new ForbiddenError('an lgsp key may use this route only with by=system or by=org');
        return jsonResponse(200, await deps.metrics.breakdown(q));
      }
      return jsonResponse(200, await deps.metrics.systemsBreakdown({ ...q, by: q.by }, p!.role === 'lgsp' ? p!.platformId : undefined));
    },
    getRejections: async (event, p) => {
      const q = parseRejectionsQuery(query(event));
      let platformId = q.platformId;
      if (p!.role === 'lgsp') {
        if (platformId !== undefined && platformId !== p!.platformId)
          throw new ForbiddenError(`this key may read only the rejections of ${p!.platformId}`);
        platformId = p!.platformId;
      }
      return jsonResponse(
        200,
        await deps.rejections.page(q.date, {
          ...(platformId ? { platformId } : {}),
          limit: q.limit,
          ...(q.cursor ? { cursor: q.cursor } : {}),
        }),
      );
    },
    getReports: async (event, p) => jsonResponse(200, await deps.reports.list(parseReportsQuery(query(event)).month, p!)),
    getAlerts: async (event, p) => jsonResponse(200, await deps.alerts.list(parseAlertsQuery(query(event)), p!)),
    getHealth: async () => jsonResponse(200, { status: 'ok' }),
    getOpenApi: async (event) =>
      jsonResponse(200, openApiDocument(mountPath(event), deps.events.bodyLimitBytes), { 'cache-control': 'public, max-age=300' }),
    getDashboard: async (): Promise<HttpResponse> => ({
      statusCode: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': DASHBOARD_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
      },
      body: DASHBOARD_HTML,
    }),
  };

  const routes: Route<Event, Result>[] = ROUTES.map((r) => ({
    method: r.method,
    path: r.path,
    handler: async (event: Event) => operations[r.operationId](event, r.roles.length ? await authorize(event, r.roles) : undefined),
  }));
  const allowed = methodsByPath();

  const router = httpRouterHandler<Event, Result>({
    routes,
    notFoundResponse: ({ path }) => {
      const allow = allowed.get(path.length > 1 ? path.replace(/\/+$/, '') : path);
      throw allow ? new MethodNotAllowedError(allow) : new NotFoundError(`no route ${path.slice(0, 200)}`);
    },
  });

  const errors: MiddlewareObj<Event, Result> = {
    onError: async (request) => {
      const res = errorResponse(request.error);
      if (res.internal) logger.error('request failed', { error: request.error as Error, path: request.event.path });
      if (res.statusCode >= 500) metrics.addMetric(M.ApiErrors, MetricUnit.Count, 1);
      request.response = { statusCode: res.statusCode, headers: res.headers, body: res.body };
    },
  };

  const access: MiddlewareObj<Event, Result> = {
    before: async () => {
      // Also keeps every invocation's metrics flush non-empty.
      metrics.addMetric(M.Requests, MetricUnit.Count, 1);
    },
    after: async (request) => {
      logger.info('request', { method: request.event.httpMethod, path: request.event.path, status: request.response?.statusCode });
    },
    onError: async (request) => {
      logger.info('request', { method: request.event.httpMethod, path: request.event.path, status: request.response?.statusCode });
    },
  };

  return middy<Event, Result, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(access)
    .use(errors)
    .handler(router);
}
