/**
 * The HTTP API of CONTRACT.md section 3 against a real local stack (emulators, ingest and api
 * workers) over real HTTP: every route with every status code it can answer, the tenancy rules
 * (an LGSP posts and reads only its own platform's events), and a walk of the OpenAPI document
 * that calls every route and checks each answer against the documented schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { Validator } from '@seriousme/openapi-schema-validator';
import { eventJsonSchema } from '#shared/contract/validate.ts';
import { transactionKeyOf } from '#shared/report.ts';
import { dayOf } from '#shared/time.ts';
import { ROUTES } from '#shared/api/routes.ts';
import { waitForEmptyQueue } from '../helpers/stack.ts';
import { call, sampleEvent, startApiStack, type ApiStack } from './api-fixtures.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const METRICS_ROUTES = ['/v1/metrics/minutes', '/v1/metrics/days', '/v1/metrics/summary', '/v1/metrics/breakdown'];
const OK_QUERY: Record<string, Record<string, string>> = {
  '/v1/metrics/minutes': { from: '2021-03-10T08:00:00+07:00', to: '2021-03-10T09:00:00+07:00' },
  '/v1/metrics/days': { from: '2021-03-01', to: '2021-03-31' },
  '/v1/metrics/summary': { year: '2021' },
  '/v1/metrics/breakdown': { from: '2021-03-01', to: '2021-03-31' },
  '/v1/rejections': { date: '2021-03-10' },
};

describe('HTTP API routes and status codes', () => {
  let t: ApiStack;
  const now = Date.now();
  const today = dayOf(now);

  beforeAll(async () => {
    t = await startApiStack(['LGSP-79', 'LGSP-01']);
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('open routes', () => {
    it('given no key, when GET /v1/health, then 200 {"status":"ok"}', async () => {
      const r = await call(t.url, 'GET', '/v1/health');
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ status: 'ok' });
    });

    it('given no key, when GET /, then 200 and a self-contained HTML page that asks for a key', async () => {
      const r = await call(t.url, 'GET', '/');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
      expect(r.text).toContain('<form id="login"');
      expect(r.text).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
      expect(r.headers.get('content-security-policy')).toMatch(/script-src 'sha256-/);
    });

    it('given an unknown path, when requested, then 404 with the error body', async () => {
      const r = await call(t.url, 'GET', '/v2/metrics');
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe('NOT_FOUND');
    });

    it.each([
      ['GET', '/v1/events', 'POST'],
      ['DELETE', '/v1/events', 'POST'],
      ['POST', '/v1/metrics/minutes', 'GET'],
      ['PUT', '/v1/metrics/days', 'GET'],
      ['POST', '/v1/metrics/summary', 'GET'],
      ['POST', '/v1/rejections', 'GET'],
      ['POST', '/v1/health', 'GET'],
      ['DELETE', '/v1/openapi.json', 'GET'],
      ['POST', '/', 'GET'],
    ])('given %s on %s, when requested, then 405 with Allow: %s', async (method, path, allow) => {
      const r = await call(t.url, method, path, { key: t.keys.ops });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe(allow);
      expect(r.json.error).toEqual({ code: 'METHOD_NOT_ALLOWED', message: expect.stringContaining(allow) });
    });
  });

  describe('authentication and roles', () => {
    const protectedRoutes: [string, string][] = [
      ['POST', '/v1/events'],
      ...METRICS_ROUTES.map((p): [string, string] => ['GET', p]),
      ['GET', '/v1/rejections'],
    ];

    it.each(protectedRoutes)('given no key, when %s %s, then 401', async (method, path) => {
      const r = await call(t.url, method, path, { query: OK_QUERY[path], ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('UNAUTHORIZED');
    });

    it.each(protectedRoutes)('given an unknown or a revoked key, when %s %s, then 401', async (method, path) => {
      for (const key of ['ngsp_analyst_not-a-key', t.keys.revoked]) {
        const r = await call(t.url, method, path, { key, query: OK_QUERY[path], ...(method === 'POST' ? { body: '{}' } : {}) });
        expect(r.status, key).toBe(401);
        expect(r.json.error.code).toBe('UNAUTHORIZED');
        expect(r.text).not.toContain(key);
      }
    });

    it.each(METRICS_ROUTES)('given an LGSP key, when GET %s, then 403', async (path) => {
      const r = await call(t.url, 'GET', path, { key: t.keys.lgsp['LGSP-79'], query: OK_QUERY[path] });
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('FORBIDDEN');
    });

    it('given analyst and ops keys, when POST /v1/events, then 403 (only an LGSP posts)', async () => {
      for (const key of [t.keys.analyst, t.keys.ops]) {
        const r = await call(t.url, 'POST', '/v1/events', { key, body: JSON.stringify(sampleEvent('LGSP-79', 'x-1', now)) });
        expect(r.status).toBe(403);
      }
    });

    it('given an analyst key, when GET /v1/rejections, then 403', async () => {
      const r = await call(t.url, 'GET', '/v1/rejections', { key: t.keys.analyst, query: { date: today } });
      expect(r.status).toBe(403);
    });

    it.each(METRICS_ROUTES)('given analyst and ops keys, when GET %s with a good query, then 200', async (path) => {
      for (const key of [t.keys.analyst, t.keys.ops])
        expect((await call(t.url, 'GET', path, { key, query: OK_QUERY[path] })).status).toBe(200);
    });
  });

  describe('400 names the bad parameter', () => {
    const cases: [string, Record<string, string>, string][] = [
      ['/v1/metrics/minutes', { to: '2021-03-10T09:00:00+07:00' }, 'from'],
      ['/v1/metrics/minutes', { from: '2021-03-10 08:00', to: '2021-03-10T09:00:00+07:00' }, 'from'],
      ['/v1/metrics/minutes', { from: '2021-03-10T08:00:00', to: '2021-03-10T09:00:00+07:00' }, 'from'],
      ['/v1/metrics/minutes', { from: '2021-03-10T08:00:00+07:00' }, 'to'],
      ['/v1/metrics/minutes', { from: '2021-03-10T08:00:00+07:00', to: 'soon' }, 'to'],
      ['/v1/metrics/minutes', { from: '2021-03-10T08:00:00+07:00', to: '2021-03-10T08:00:00+07:00' }, 'to'],
      ['/v1/metrics/minutes', { from: '2021-03-10T08:00:00+07:00', to: '2021-03-11T08:00:01+07:00' }, 'to'],
      ['/v1/metrics/minutes', { ...OK_QUERY['/v1/metrics/minutes'], route: 'ngsp' }, 'route'],
      ['/v1/metrics/minutes', { ...OK_QUERY['/v1/metrics/minutes'], serviceCode: 'a b' }, 'serviceCode'],
      ['/v1/metrics/minutes', { ...OK_QUERY['/v1/metrics/minutes'], province: '7' }, 'province'],
      ['/v1/metrics/minutes', { ...OK_QUERY['/v1/metrics/minutes'], form: 'x' }, 'form'],
      ['/v1/metrics/days', { to: '2021-03-31' }, 'from'],
      ['/v1/metrics/days', { from: '2021-02-30', to: '2021-03-31' }, 'from'],
      ['/v1/metrics/days', { from: '2021-03-01', to: '2021/03/31' }, 'to'],
      ['/v1/metrics/days', { from: '2021-03-31', to: '2021-03-01' }, 'to'],
      ['/v1/metrics/days', { from: '2020-01-01', to: '2021-01-01' }, 'to'],
      ['/v1/metrics/days', { ...OK_QUERY['/v1/metrics/days'], province: 'HN' }, 'province'],
      ['/v1/metrics/summary', {}, 'from'],
      ['/v1/metrics/summary', { year: '21' }, 'year'],
      ['/v1/metrics/summary', { year: '2021', from: '2021-01-01' }, 'year'],
      ['/v1/metrics/summary', { from: '2021-01-01', to: '2022-01-02' }, 'to'],
      ['/v1/metrics/breakdown', { from: 'yesterday', to: '2021-03-31' }, 'from'],
      ['/v1/metrics/breakdown', { ...OK_QUERY['/v1/metrics/breakdown'], route: 'X' }, 'route'],
      ['/v1/rejections', {}, 'date'],
      ['/v1/rejections', { date: '10-03-2021' }, 'date'],
      ['/v1/rejections', { date: '2021-03-10', platformId: 'lgsp 79' }, 'platformId'],
      ['/v1/rejections', { date: '2021-03-10', limit: '0' }, 'limit'],
      ['/v1/rejections', { date: '2021-03-10', cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
    ];
    it.each(cases)('given GET %s with %j, then 400 naming "%s"', async (path, query, param) => {
      const r = await call(t.url, 'GET', path, { key: t.keys.ops, query });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('VALIDATION');
      expect(r.json.error.message).toContain(`"${param}"`);
      expect(r.json.error.details[0].path).toBe(param);
    });

    it('given a repeated parameter, when GET, then 400 naming it', async () => {
      const r = await call(t.url, 'GET', '/v1/metrics/days?from=2021-03-01&from=2021-03-02&to=2021-03-31', { key: t.keys.ops });
      expect(r.status).toBe(400);
      expect(r.json.error.details[0].path).toBe('from');
    });
  });

  describe('POST /v1/events', () => {
    it('given valid and invalid events of its own platform, when posted, then 202 lists the rejects, valid ones are ingested and rejects are kept', async () => {
      // Prepare
      const good = [
        sampleEvent('LGSP-79', 'post-ok-1', now - 60_000),
        sampleEvent('LGSP-79', 'post-ok-2', now - 30_000, { succeeded: false, errorCategory: 'TIMEOUT' }),
      ];
      const bad = { ...sampleEvent('LGSP-79', 'post-bad-1', now - 60_000), serviceCode: undefined, extra: true };
      // Act
      const r = await call(t.url, 'POST', '/v1/events', {
        key: t.keys.lgsp['LGSP-79'],
        body: JSON.stringify({ events: [good[0], bad, good[1]] }),
      });
      // Assess
      expect(r.status).toBe(202);
      expect(r.json.accepted).toBe(2);
      expect(r.json.rejected).toHaveLength(1);
      expect(r.json.rejected[0].index).toBe(1);
      expect(r.json.rejected[0].errors.map((e: { path: string }) => e.path).sort()).toEqual(['extra', 'serviceCode']);
      await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
      for (const e of good) expect((await t.events.getTransaction(transactionKeyOf(e)))?.consumer?.eventId, e.eventId).toBe(e.eventId);
      const mine = await call(t.url, 'GET', '/v1/rejections', { key: t.keys.lgsp['LGSP-79'], query: { date: today } });
      expect(mine.status).toBe(200);
      const line = mine.json.rejected.find((l: { body: string }) => JSON.parse(l.body).eventId === 'post-bad-1');
      expect(line).toMatchObject({ source: 'api', index: 1, platformId: 'LGSP-79' });
    });

    it('given a single event (not an envelope), when posted, then 202 with accepted 1', async () => {
      const r = await call(t.url, 'POST', '/v1/events', {
        key: t.keys.lgsp['LGSP-01'],
        body: JSON.stringify(sampleEvent('LGSP-01', 'single-1', now - 5000)),
      });
      expect(r.status).toBe(202);
      expect(r.json).toEqual({ accepted: 1, rejected: [] });
    });

    it('given one event of another platform among its own, when posted, then 403 and none of them is accepted', async () => {
      // Prepare
      const own = sampleEvent('LGSP-79', 'cross-own-1', now - 10_000);
      const other = sampleEvent('LGSP-01', 'cross-other-1', now - 10_000);
      const marker = sampleEvent('LGSP-79', 'cross-marker', now - 10_000);
      // Act
      const r = await call(t.url, 'POST', '/v1/events', { key: t.keys.lgsp['LGSP-79'], body: JSON.stringify({ events: [own, other] }) });
      const m = await call(t.url, 'POST', '/v1/events', { key: t.keys.lgsp['LGSP-79'], body: JSON.stringify(marker) });
      await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
      // Assess
      expect(r.status).toBe(403);
      expect(r.json.error.message).toContain('events[1].reporter.platformId');
      expect(m.status).toBe(202);
      expect(await t.events.getTransaction(transactionKeyOf(marker))).toBeDefined();
      expect(await t.events.getTransaction(transactionKeyOf(own))).toBeUndefined();
      expect(await t.events.getTransaction(transactionKeyOf(other))).toBeUndefined();
    });

    it('given a body that is not JSON, when posted, then 400 naming the body', async () => {
      const r = await call(t.url, 'POST', '/v1/events', { key: t.keys.lgsp['LGSP-79'], body: '{"events": [' });
      expect(r.status).toBe(400);
      expect(r.json.error.details[0].path).toBe('(body)');
    });

    it('given 501 events (under the byte limit), when posted, then 400 naming "events" and nothing accepted', async () => {
      const events = Array.from({ length: 501 }, (_, i) => sampleEvent('LGSP-79', `many-${i}`, now - 60_000));
      const body = JSON.stringify({ events });
      expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
      const r = await call(t.url, 'POST', '/v1/events', { key: t.keys.lgsp['LGSP-79'], body });
      expect(r.status).toBe(400);
      expect(r.json.error.details[0].path).toBe('events');
      expect(r.json.error.message).toContain('500');
    });

    it('given a body over 1 MiB, when posted, then 413', async () => {
      const body = JSON.stringify({ events: [{ ...sampleEvent('LGSP-79', 'big', now), serviceCode: 'x'.repeat(1024 * 1024) }] });
      const r = await call(t.url, 'POST', '/v1/events', { key: t.keys.lgsp['LGSP-79'], body });
      expect(r.status).toBe(413);
      expect(r.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('GET /v1/rejections', () => {
    it("given rejects of two platforms, when each LGSP reads, then it sees only its own lines; ops sees all; another platform's are 403", async () => {
      // Prepare: one invalid event from each platform
      for (const p of ['LGSP-79', 'LGSP-01']) {
        const bad = { ...sampleEvent(p, `rej-${p}`, now), route: 'ROAD' };
        expect((await call(t.url, 'POST', '/v1/events', { key: t.keys.lgsp[p], body: JSON.stringify(bad) })).status).toBe(202);
      }
      // Act
      const l79 = await call(t.url, 'GET', '/v1/rejections', { key: t.keys.lgsp['LGSP-79'], query: { date: today } });
      const l01 = await call(t.url, 'GET', '/v1/rejections', { key: t.keys.lgsp['LGSP-01'], query: { date: today } });
      const ops = await call(t.url, 'GET', '/v1/rejections', { key: t.keys.ops, query: { date: today } });
      const opsOne = await call(t.url, 'GET', '/v1/rejections', { key: t.keys.ops, query: { date: today, platformId: 'LGSP-01' } });
      const cross = await call(t.url, 'GET', '/v1/rejections', {
        key: t.keys.lgsp['LGSP-79'],
        query: { date: today, platformId: 'LGSP-01' },
      });
      // Assess
      expect(l79.status).toBe(200);
      expect(l79.json.rejected.length).toBeGreaterThan(0);
      expect(l79.json.rejected.every((l: { platformId: string }) => l.platformId === 'LGSP-79')).toBe(true);
      expect(l01.json.rejected.every((l: { platformId: string }) => l.platformId === 'LGSP-01')).toBe(true);
      expect(l01.json.rejected.some((l: { body: string }) => JSON.parse(l.body).eventId === 'rej-LGSP-01')).toBe(true);
      expect(ops.json.rejected).toHaveLength(l79.json.rejected.length + l01.json.rejected.length);
      expect(opsOne.json.rejected).toEqual(l01.json.rejected);
      expect(cross.status).toBe(403);
    });

    it('given more lines than the limit, when paging with nextCursor, then every line comes exactly once', async () => {
      const all = await call(t.url, 'GET', '/v1/rejections', { key: t.keys.ops, query: { date: today } });
      expect(all.json.rejected.length).toBeGreaterThanOrEqual(3);
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { json: { rejected: unknown[]; nextCursor: string | null } } = await call(t.url, 'GET', '/v1/rejections', {
          key: t.keys.ops,
          query: { date: today, limit: '1', ...(cursor ? { cursor } : {}) },
        });
        seen.push(...page.json.rejected);
        cursor = page.json.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.json.rejected);
    });

    it('given a day without rejects, when read, then 200 and an empty list', async () => {
      const r = await call(t.url, 'GET', '/v1/rejections', { key: t.keys.ops, query: { date: '2019-01-01' } });
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ date: '2019-01-01', rejected: [], nextCursor: null });
    });
  });

  describe('OpenAPI document', () => {
    it("given GET /v1/openapi.json, then it is a valid OpenAPI 3.1 document whose event schemas are the validator's", async () => {
      const r = await call(t.url, 'GET', '/v1/openapi.json');
      expect(r.status).toBe(200);
      const validator = new Validator();
      const result = await validator.validate(r.json);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');
      // The same schema the validator compiles, only moved: rewrite refs back and compare.
      const back = JSON.parse(
        JSON.stringify(r.json.components.schemas.ExchangeEvent).replace(/#\/components\/schemas\/(\w+)/g, (_m: string, n: string) => {
          const names: Record<string, string> = {
            Id: 'id',
            Code: 'code',
            ProvinceCode: 'provinceCode',
            Timestamp: 'timestamp',
            Party: 'party',
          };
          return `#/$defs/${names[n] ?? n}`;
        }),
      );
      expect(back).toEqual(eventJsonSchema.$defs.event);
    });

    it('given the document, when every operation is called as documented, then each answers with a documented status and a body that matches its schema', async () => {
      // Prepare
      const doc = (await call(t.url, 'GET', '/v1/openapi.json')).json;
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats(ajv);
      ajv.addSchema({ ...doc, $id: 'https://ngsp.local/openapi.json' });
      const keyFor = (role: string): string | undefined =>
        role === 'lgsp' ? t.keys.lgsp['LGSP-79'] : role === 'analyst' ? t.keys.analyst : role === 'ops' ? t.keys.ops : undefined;
      const sampleFor = (p: { name: string; schema: { format?: string; $ref?: string } }): string => {
        if (p.name === 'year') return '2021';
        if (p.name === 'date') return today;
        if (p.name === 'month') return '2021-03';
        if (p.schema.$ref?.endsWith('/Timestamp')) return p.name === 'from' ? '2021-03-10T08:00:00+07:00' : '2021-03-10T10:00:00+07:00';
        if (p.schema.format === 'date') return p.name === 'from' ? '2021-03-01' : '2021-03-31';
        throw new Error(`no sample for ${p.name}`);
      };
      let operations = 0;
      // Act + Assess
      for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
        for (const [method, op] of Object.entries(item)) {
          operations++;
          const roles: string[] = op['x-ngsp-roles'];
          const query: Record<string, string> = {};
          const params: { name: string; required: boolean; schema: { format?: string; $ref?: string } }[] = op.parameters ?? [];
          // summary: from/to are optional alternatives to year — the documented example uses year.
          for (const p of params) if (p.required || p.name === 'year') query[p.name] = sampleFor(p);
          const body = op.requestBody ? JSON.stringify(sampleEvent('LGSP-79', `walk-${operations}`, now - 1000)) : undefined;
          const label = `${method.toUpperCase()} ${path}`;
          const r = await call(t.url, method.toUpperCase(), path, { key: keyFor(roles[0] ?? ''), query, ...(body ? { body } : {}) });
          const documented = Object.keys(op.responses);
          expect(documented, label).toContain(String(r.status));
          expect(r.status, label).toBeLessThan(300);
          const pointer = `#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${r.status}/content/${Object.keys(op.responses[r.status].content)[0]!.replace(/\//g, '~1')}/schema`;
          const validate = ajv.compile({ $ref: `https://ngsp.local/openapi.json${pointer}` });
          const value = r.headers.get('content-type')?.startsWith('application/json') ? r.json : r.text;
          expect(validate(value), `${label}: ${ajv.errorsText(validate.errors)}`).toBe(true);
          if (roles.length) {
            const anon = await call(t.url, method.toUpperCase(), path, { query, ...(body ? { body } : {}) });
            expect(anon.status, `${label} without key`).toBe(401);
            expect(documented).toContain('401');
          }
          const wrong = await call(t.url, method === 'get' ? 'PATCH' : 'GET', path, { key: t.keys.ops });
          expect(wrong.status, `${label} wrong method`).toBe(405);
          expect(documented).toContain('405');
        }
      }
      // Every route of the route table is documented and was walked.
      expect(operations).toBe(ROUTES.length);
    });
  });
});
