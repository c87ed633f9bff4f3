/**
 * Tenancy and auth (issue 8 §5): every route against every principal (no key, unknown key,
 * revoked key, LGSP-79, LGSP-01, analyst, ops), an LGSP acting as another (posting its events,
 * reading its rejections), keys never in the workers' output (captured at DEBUG while every
 * request is made) and never stored in clear (keys table and the data files on disk), and a key
 * file readable by others refused by the local stack's key loader. (`ngsp keys` is an operator
 * tool authorised by AWS credentials, not by API keys: no route creates or revokes keys, which the
 * table checks too.)
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { KeyStore } from '#shared/store/api-keys.ts';
import { dayOf } from '#shared/time.ts';
import { ensureLocalKeys, KeyFileError } from '../../local/keys.ts';
import { call, sampleEvent } from '../integration/api-fixtures.ts';
import { startTestStack, waitForEmptyQueue, type TestStack } from '../helpers/stack.ts';
import { IngestLog } from './support.ts';

type Who = 'none' | 'unknown' | 'revoked' | 'lgsp79' | 'lgsp01' | 'analyst' | 'ops';
const WHO: Who[] = ['none', 'unknown', 'revoked', 'lgsp79', 'lgsp01', 'analyst', 'ops'];

const now = Date.now();
const today = dayOf(now);
const event79 = JSON.stringify(sampleEvent('LGSP-79', `ten-${now}`, now - 60_000));

/** route → expected status for each principal. */
const TABLE: { method: string; path: string; query?: Record<string, string>; body?: string; expect: Record<Who, number> }[] = [
  {
    method: 'POST',
    path: '/v1/events',
    body: event79,
    expect: { none: 401, unknown: 401, revoked: 401, lgsp79: 202, lgsp01: 403, analyst: 403, ops: 403 },
  },
  {
    method: 'GET',
    path: '/v1/metrics/minutes',
    query: { from: '2021-03-10T08:00:00+07:00', to: '2021-03-10T09:00:00+07:00' },
    expect: { none: 401, unknown: 401, revoked: 401, lgsp79: 403, lgsp01: 403, analyst: 200, ops: 200 },
  },
  {
    method: 'GET',
    path: '/v1/metrics/days',
    query: { from: '2021-03-01', to: '2021-03-31' },
    expect: { none: 401, unknown: 401, revoked: 401, lgsp79: 403, lgsp01: 403, analyst: 200, ops: 200 },
  },
  {
    method: 'GET',
    path: '/v1/metrics/summary',
    query: { year: '2021' },
    expect: { none: 401, unknown: 401, revoked: 401, lgsp79: 403, lgsp01: 403, analyst: 200, ops: 200 },
  },
  {
    method: 'GET',
    path: '/v1/rejections',
    query: { date: today },
    expect: { none: 401, unknown: 401, revoked: 401, lgsp79: 200, lgsp01: 200, analyst: 403, ops: 200 },
  },
  // Rejections of another platform, or of all platforms: ops only.
  {
    method: 'GET',
    path: '/v1/rejections',
    query: { date: today, platformId: 'LGSP-79' },
    expect: { none: 401, unknown: 401, revoked: 401, lgsp79: 200, lgsp01: 403, analyst: 403, ops: 200 },
  },
  {
    method: 'GET',
    path: '/v1/health',
    expect: { none: 200, unknown: 200, revoked: 200, lgsp79: 200, lgsp01: 200, analyst: 200, ops: 200 },
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    expect: { none: 200, unknown: 200, revoked: 200, lgsp79: 200, lgsp01: 200, analyst: 200, ops: 200 },
  },
  // No route manages keys (that is `ngsp keys`, behind AWS credentials).
  {
    method: 'POST',
    path: '/v1/keys',
    body: '{"role":"ops"}',
    expect: { none: 404, unknown: 404, revoked: 404, lgsp79: 404, lgsp01: 404, analyst: 404, ops: 404 },
  },
];

describe('tenancy and auth on every route', () => {
  let t: TestStack;
  let url: string;
  const keys = {} as Record<Who, string | undefined>;
  const log = new IngestLog();

  beforeAll(async () => {
    t = await startTestStack({
      functions: ['ingest', 'api'],
      onWorkerOutput: (fn, text) => log.feed(fn, text),
      workerEnv: { POWERTOOLS_LOG_LEVEL: 'DEBUG' },
    });
    url = t.stack.apiUrl;
    const store = new KeyStore(t.stack.clients.ddb, t.stack.resources.names.tables.Keys);
    const revoked = await store.create('analyst');
    await store.revoke(revoked.record.keyId);
    Object.assign(keys, {
      none: undefined,
      unknown: 'ngsp_ops_this-key-was-never-issued-000000',
      revoked: revoked.key,
      lgsp79: (await store.create('lgsp', 'LGSP-79')).key,
      lgsp01: (await store.create('lgsp', 'LGSP-01')).key,
      analyst: (await store.create('analyst')).key,
      ops: (await store.create('ops')).key,
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  for (const row of TABLE) {
    it(`given each principal, when ${row.method} ${row.path}${row.query ? '?' + new URLSearchParams(row.query).toString() : ''}, then ${WHO.map((w) => `${w} ${row.expect[w]}`).join(', ')}`, async () => {
      for (const who of WHO) {
        const r = await call(url, row.method, row.path, {
          ...(keys[who] ? { key: keys[who] } : {}),
          ...(row.query ? { query: row.query } : {}),
          ...(row.body !== undefined ? { body: row.body } : {}),
        });
        expect(r.status, `${who} ${row.method} ${row.path}`).toBe(row.expect[who]);
        if (r.status >= 400) expect(r.json?.error?.code, who).toEqual(expect.any(String));
        for (const k of Object.values(keys)) if (k) expect(r.text, `${who}: a key in the answer`).not.toContain(k);
      }
    });
  }

  it('given LGSP-79 rejections, when LGSP-01 acts as LGSP-79, then it can neither post for it nor read its rejections', async () => {
    // Prepare: an invalid event of LGSP-79, kept in rejected/
    const bad = JSON.stringify(sampleEvent('LGSP-79', `ten-bad-${now}`, now - 60_000, { serviceCode: 'bad/code' }));
    const posted = await call(url, 'POST', '/v1/events', { key: keys.lgsp79, body: bad });
    expect(posted.status).toBe(202);
    expect(posted.json.rejected[0].errors[0].path).toBe('serviceCode');

    // Act
    const asOther = await call(url, 'POST', '/v1/events', {
      key: keys.lgsp01,
      body: JSON.stringify({ events: [JSON.parse(event79), sampleEvent('LGSP-01', `ten-01-${now}`, now - 60_000)] }),
    });
    const own01 = await call(url, 'GET', '/v1/rejections', { key: keys.lgsp01, query: { date: today } });
    const own79 = await call(url, 'GET', '/v1/rejections', { key: keys.lgsp79, query: { date: today } });
    const ops = await call(url, 'GET', '/v1/rejections', { key: keys.ops, query: { date: today } });

    // Assess
    expect(asOther.status).toBe(403);
    expect(asOther.json.error.message).toContain('nothing was accepted');
    expect(own01.json.rejected.map((l: { platformId?: string }) => l.platformId)).not.toContain('LGSP-79');
    expect(own79.json.rejected.length).toBeGreaterThanOrEqual(1);
    expect(own79.json.rejected.every((l: { platformId?: string }) => l.platformId === 'LGSP-79')).toBe(true);
    expect(ops.json.rejected.some((l: { platformId?: string }) => l.platformId === 'LGSP-79')).toBe(true);
  });

  it('given every request above made, then no key appears in the workers output and none is stored in clear', async () => {
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
    const all = Object.values(keys).filter((k): k is string => Boolean(k));
    // Assess: logs (captured at DEBUG)
    expect(log.text.length, 'worker output was captured').toBeGreaterThan(100);
    for (const k of all) expect(log.text.includes(k), 'key in the logs').toBe(false);
    // Assess: the keys table holds hashes only
    const page = await t.stack.clients.ddb.send(new ScanCommand({ TableName: t.stack.resources.names.tables.Keys }));
    const table = JSON.stringify(page.Items);
    expect(page.Items!.length).toBeGreaterThanOrEqual(all.length);
    for (const k of all) expect(table.includes(k), 'key in the keys table').toBe(false);
    // Assess: no data file on disk holds a key (LevelDB and s3rver files)
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(t.dataDir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const k of all) expect(bytes.includes(k), `key in ${f}`).toBe(false);
    }
  });
});

describe('the local key file', () => {
  it('given keys.json readable by group or others, when the local stack loads it, then it is refused; at 0600 it is accepted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ngsp-keys-'));
    const t = await startTestStack({ functions: [] });
    try {
      const store = new KeyStore(t.stack.clients.ddb, t.stack.resources.names.tables.Keys);
      const path = join(dir, 'keys.json');
      const first = await ensureLocalKeys(path, store);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      for (const mode of [0o644, 0o640, 0o604, 0o660]) {
        chmodSync(path, mode);
        await expect(ensureLocalKeys(path, store), mode.toString(8)).rejects.toThrow(KeyFileError);
      }
      chmodSync(path, 0o600);
      expect((await ensureLocalKeys(path, store)).ops).toBe(first.ops);
    } finally {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
