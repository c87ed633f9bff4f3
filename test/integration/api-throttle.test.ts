/**
 * Per-tenant throttling: a fixed-window budget per LGSP platform (shared by all its keys) and per
 * analyst/ops key, kept in the keys table with a conditional ADD — the same code path locally
 * and in AWS. Over the budget → 429 with Retry-After; other tenants are not affected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore } from '#shared/store/api-keys.ts';
import { dayOf } from '#shared/time.ts';
import { call, sampleEvent, startApiStack, type ApiStack } from './api-fixtures.ts';

const LIMIT = 3;

describe('per-tenant throttling', () => {
  let t: ApiStack;
  let secondKey79: string;
  const today = dayOf(Date.now());

  beforeAll(async () => {
    // A day-long window: the test cannot straddle a window boundary (except at 07:00 ICT, for a second).
    t = await startApiStack(['LGSP-79', 'LGSP-01'], { THROTTLE_LIMIT: String(LIMIT), THROTTLE_WINDOW_SECONDS: '86400' }, ['api']);
    secondKey79 = (await new KeyStore(t.stack.clients.ddb, t.stack.resources.names.tables.Keys).create('lgsp', 'LGSP-79')).key;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("given two keys of one platform, when together they go over the platform's budget, then 429 with Retry-After — and another platform is not affected", async () => {
    // Act: three requests spend LGSP-79's budget, whichever of its keys sends them
    const statuses: number[] = [];
    for (const key of [t.keys.lgsp['LGSP-79']!, secondKey79, t.keys.lgsp['LGSP-79']!]) {
      statuses.push((await call(t.url, 'GET', '/v1/rejections', { key, query: { date: today } })).status);
    }
    const over = await call(t.url, 'POST', '/v1/events', {
      key: secondKey79,
      body: JSON.stringify(sampleEvent('LGSP-79', 'thr-1', Date.now())),
    });
    const other = await call(t.url, 'POST', '/v1/events', {
      key: t.keys.lgsp['LGSP-01'],
      body: JSON.stringify(sampleEvent('LGSP-01', 'thr-2', Date.now())),
    });
    // Assess
    expect(statuses).toEqual([200, 200, 200]);
    expect(over.status).toBe(429);
    expect(over.json.error.code).toBe('THROTTLED');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(other.status).toBe(202);
  });

  it('given an analyst over its budget, when it asks again, then 429; the ops key still has its own budget', async () => {
    const q = { year: '2021' };
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++)
      statuses.push((await call(t.url, 'GET', '/v1/metrics/summary', { key: t.keys.analyst, query: q })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await call(t.url, 'GET', '/v1/metrics/summary', { key: t.keys.ops, query: q })).status).toBe(200);
  });

  it('given throttled tenants, when anyone reads the open routes, then they are never throttled', async () => {
    for (let i = 0; i < LIMIT + 2; i++) expect((await call(t.url, 'GET', '/v1/health', { key: t.keys.analyst })).status).toBe(200);
  });
});
