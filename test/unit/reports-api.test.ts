/**
 * `GET /v1/reports` over fakes: the month's subjects with both files, national first, each with
 * presigned URLs; an LGSP key sees its own platform's and the national report only; a bad month
 * is a 400 naming `month`.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler, type ApiDeps } from '#functions/api/app.ts';
import { ReportReader } from '#shared/api/reports.ts';
import { Throttle } from '#shared/api/throttle.ts';
import type { Principal } from '#shared/auth/keys.ts';
import { keys } from '#shared/store/bucket.ts';
import { lambdaContext } from '../helpers/fakes.ts';

const PRINCIPALS: Record<string, Principal> = {
  'key-analyst': { keyId: 'k_analyst', role: 'analyst' },
  'key-ops': { keyId: 'k_ops', role: 'ops' },
  'key-79': { keyId: 'k_79', role: 'lgsp', platformId: 'LGSP-79' },
};

const MONTH = '2020-11';
const stored = [
  ...['national', 'NGSP', 'LGSP-79', 'LGSP-01'].flatMap((s) => [keys.report(MONTH, s, 'html'), keys.report(MONTH, s, 'pdf')]),
  // Half written (the rollup is between the two puts): not listed yet.
  keys.report(MONTH, 'LGSP-BYT', 'html'),
];

function call(key: string | undefined, query: Record<string, string>) {
  const listed: string[] = [];
  const bucket = {
    list: async (prefix: string) => (listed.push(prefix), stored.filter((k) => k.startsWith(prefix))),
    presignGet: async (k: string, s: number) => `https://signed.example/${k}?X-Amz-Expires=${s}`,
  };
  const deps = {
    keys: { resolve: async (k: string) => PRINCIPALS[k] },
    throttle: new Throttle({ take: async () => undefined }),
    reports: new ReportReader(bucket),
    events: { bodyLimitBytes: 1024 },
  } as unknown as ApiDeps;
  const event = {
    httpMethod: 'GET',
    path: '/v1/reports',
    resource: '/{proxy+}',
    body: null,
    isBase64Encoded: false,
    headers: key ? { 'x-api-key': key } : {},
    multiValueHeaders: {},
    queryStringParameters: query,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { path: '/v1/reports' } as never,
  } as APIGatewayProxyEvent;
  return makeHandler(deps)(event, lambdaContext).then((res) => ({ status: res.statusCode, body: JSON.parse(res.body), listed }));
}

describe('GET /v1/reports', () => {
  it('analysts and operators get every subject with both files, national first, as presigned URLs', async () => {
    for (const key of ['key-analyst', 'key-ops']) {
      const res = await call(key, { month: MONTH });
      expect(res.status).toBe(200);
      expect(res.listed).toEqual([keys.reportsPrefix(MONTH)]);
      expect(res.body.month).toBe(MONTH);
      expect(res.body.reports.map((r: { subject: string }) => r.subject)).toEqual(['national', 'LGSP-01', 'LGSP-79', 'NGSP']);
      expect(res.body.reports[0]).toEqual({
        subject: 'national',
        html: `https://signed.example/reports/month=2020-11/national.html?X-Amz-Expires=3600`,
        pdf: `https://signed.example/reports/month=2020-11/national.pdf?X-Amz-Expires=3600`,
      });
    }
  });

  it('an LGSP gets its own platform report and the national one', async () => {
    const res = await call('key-79', { month: MONTH });
    expect(res.status).toBe(200);
    expect(res.body.reports.map((r: { subject: string }) => r.subject)).toEqual(['national', 'LGSP-79']);
  });

  it('a month with no report is an empty list; a bad or missing month is 400 naming it; no key is 401', async () => {
    expect((await call('key-analyst', { month: '2019-01' })).body).toEqual({ month: '2019-01', reports: [] });
    for (const month of ['2020-13', '2020-1', '2020-11-01', 'nov']) {
      const res = await call('key-analyst', { month });
      expect(res.status, month).toBe(400);
      expect(res.body.error.details[0].path).toBe('month');
    }
    expect((await call('key-analyst', {})).body.error.details[0].path).toBe('month');
    expect((await call('key-analyst', { month: MONTH, platform: 'x' })).body.error.details[0].path).toBe('platform');
    expect((await call(undefined, { month: MONTH })).status).toBe(401);
  });
});
