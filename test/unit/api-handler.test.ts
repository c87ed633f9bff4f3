/**
 * The API handler's checks over fakes: 401 (no or unknown key) before 403 (role, unbound lgsp
 * key) before 429 (budget), each only when the earlier ones pass; and the route table drives
 * both the router (404/405) and the OpenAPI document.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler, type ApiDeps } from '#functions/api/app.ts';
import { openApiDocument } from '#shared/api/openapi.ts';
import { ROUTES } from '#shared/api/routes.ts';
import { Throttle } from '#shared/api/throttle.ts';
import { AlertReader } from '#shared/api/alerts.ts';
import type { Alert } from '#shared/alerts.ts';
import type { Principal } from '#shared/auth/keys.ts';
import { lambdaContext } from '../helpers/fakes.ts';

const PRINCIPALS: Record<string, Principal> = {
  'key-analyst': { keyId: 'k_analyst', role: 'analyst' },
  'key-lgsp': { keyId: 'k_lgsp', role: 'lgsp', platformId: 'LGSP-79' },
  'key-unbound': { keyId: 'k_unbound', role: 'lgsp' },
  'key-spent': { keyId: 'k_spent', role: 'analyst' },
};

function api() {
  const taken: string[] = [];
  const deps = {
    keys: { resolve: async (key: string) => PRINCIPALS[key] },
    // The budget of k_spent is spent: 42 s until its window resets.
    throttle: new Throttle({ take: async (subject) => (taken.push(subject), subject === 'K#k_spent' ? 42 : undefined) }),
    metrics: { summary: async (r: { from: string; to: string }) => ({ ...r, transactions: 7 }) },
    rejections: {},
    events: { bodyLimitBytes: 1024 * 1024 },
    alerts: new AlertReader({ alertsBetween: async () => ALERTS }),
  } as unknown as ApiDeps;
  const handler = makeHandler(deps);
  const call = async (method: string, path: string, key?: string, query: Record<string, string> = {}) => {
    const event = {
      httpMethod: method,
      path,
      resource: '/{proxy+}',
      body: null,
      isBase64Encoded: false,
      headers: key ? { 'x-api-key': key } : {},
      multiValueHeaders: {},
      queryStringParameters: query,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      requestContext: { path } as never,
    } as APIGatewayProxyEvent;
    const res = await handler(event, lambdaContext);
    return {
      status: res.statusCode,
      headers: res.headers ?? {},
      body: JSON.parse(res.body) as { error?: { code: string } } & Record<string, unknown>,
    };
  };
  return { call, taken };
}

const alert = (kind: Alert['kind'], subject: string, provinces: string[]): Alert => ({
  id: `${kind}-${subject}`,
  kind,
  subject,
  startedAt: '2021-06-01T09:00:00+07:00',
  endedAt: null,
  detail: { message: '', provinces },
});
const ALERTS: Alert[] = [
  alert('PLATFORM_SILENT', 'LGSP-79', ['79']),
  alert('PLATFORM_SILENT', 'LGSP-01', ['01']),
  alert('TRAFFIC_DROP', '01>79', ['01', '79']),
  alert('FAILURE_RATIO', 'dkkd.tracuu', ['01', '48']),
];

const SUMMARY = ['GET', '/v1/metrics/summary'] as const;
const DAY = { from: '2021-06-01', to: '2021-06-01' };

describe('API checks over fakes: 401 → 403 → 429', () => {
  it('given no key, or an unknown one, then 401 and no budget is drawn', async () => {
    const { call, taken } = api();
    expect((await call(...SUMMARY, undefined, DAY)).status).toBe(401);
    expect((await call(...SUMMARY, 'key-nobody', DAY)).body.error?.code).toBe('UNAUTHORIZED');
    expect(taken).toEqual([]);
  });

  it('given a key whose role may not use the route, then 403 and no budget is drawn', async () => {
    const { call, taken } = api();
    const res = await call(...SUMMARY, 'key-lgsp', DAY);
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('FORBIDDEN');
    expect(taken).toEqual([]);
  });

  it('given an lgsp key bound to no platform, then 403 even on a route lgsp keys may use', async () => {
    const { call } = api();
    expect((await call('GET', '/v1/rejections', 'key-unbound', { date: '2021-06-01' })).status).toBe(403);
  });

  it('given a key over its budget, then 429 with Retry-After', async () => {
    const { call, taken } = api();
    const res = await call(...SUMMARY, 'key-spent', DAY);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('42');
    expect(taken).toEqual(['K#k_spent']);
  });

  it('given a key of an allowed role within its budget, then the route answers', async () => {
    const { call, taken } = api();
    const res = await call(...SUMMARY, 'key-analyst', DAY);
    expect(res).toMatchObject({ status: 200, body: { from: '2021-06-01', to: '2021-06-01', transactions: 7 } });
    expect(taken).toEqual(['K#k_analyst']);
  });

  it('given a path of the table with another method, then 405 with Allow; an unknown path is 404', async () => {
    const { call } = api();
    const res = await call('DELETE', '/v1/events');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect((await call('GET', '/v1/nothing')).status).toBe(404);
  });
});

describe('GET /v1/alerts over fakes', () => {
  const RANGE = { from: '2021-06-01T00:00:00+07:00', to: '2021-06-02T00:00:00+07:00' };

  it('given an analyst key, then every alert; given an lgsp key, then the silence of its own platform and the alerts about its province', async () => {
    const { call } = api();
    const analyst = await call('GET', '/v1/alerts', 'key-analyst', RANGE);
    expect([analyst.status, (analyst.body.alerts as Alert[]).length]).toEqual([200, 4]);
    const lgsp = await call('GET', '/v1/alerts', 'key-lgsp', RANGE);
    expect((lgsp.body.alerts as Alert[]).map((a) => `${a.kind} ${a.subject}`)).toEqual(['PLATFORM_SILENT LGSP-79', 'TRAFFIC_DROP 01>79']);
  });

  it('given a bad range, then 400 naming the parameter; an unbound lgsp key, then 403', async () => {
    const { call } = api();
    const reversed = await call('GET', '/v1/alerts', 'key-analyst', { from: RANGE.to, to: RANGE.from });
    expect([reversed.status, reversed.body.error?.code]).toEqual([400, 'VALIDATION']);
    const long = await call('GET', '/v1/alerts', 'key-analyst', { from: RANGE.from, to: '2021-07-15T00:00:00+07:00' });
    expect(JSON.stringify(long.body)).toContain('"path":"to"');
    expect((await call('GET', '/v1/alerts', 'key-analyst', { from: RANGE.from })).status).toBe(400);
    expect((await call('GET', '/v1/alerts', 'key-unbound', RANGE)).status).toBe(403);
  });
});

describe('one route table for the router and the OpenAPI document', () => {
  it('then the document lists exactly the routes of the table, with their roles', () => {
    const doc = openApiDocument('/', 1024) as {
      paths: Record<string, Record<string, { operationId: string; 'x-ngsp-roles': string[]; security: unknown[] }>>;
    };
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId} [${op['x-ngsp-roles'].join(',')}]`),
    );
    expect(listed.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path} ${r.operationId} [${r.roles.join(',')}]`).sort());
    expect(doc.paths['/v1/health']!.get!.security).toEqual([]);
  });

  it('then the document states the body limit it is given', () => {
    expect(JSON.stringify(openApiDocument('/', 2048))).toContain('at most 2048 bytes');
  });
});
