/**
 * Poison and bad input (issue 8 §3). Hostile bodies go through the real ingest worker: each ends
 * in rejected/ with the field it breaks named (or, for what SQS itself cannot carry, is refused at
 * send time), the worker never dies, the DLQ stays empty. Then fast-check feeds random bodies and
 * random mutations of valid events, first straight through `ingestBatch` (the accounting adds
 * up: every event is stored, a duplicate, a conflict or rejected; nothing is retried), then
 * through the worker for a bounded time (every body is stored or rejected, the worker lives).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { parseBody, type ExchangeEvent } from '#shared/contract/validate.ts';
import { ingestBatch, type IngestDeps } from '#shared/ingest.ts';
import { transactionKeyOf } from '#shared/report.ts';
import { dayOf } from '#shared/time.ts';
import { rejectedLinesOf } from '../helpers/rollups.ts';
import { queueDepth, startTestStack, waitForEmptyQueue, type TestStack } from '../helpers/stack.ts';
import { FULL, IngestLog } from './support.ts';

const NOW = Date.now();
const valid = (id: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventId: id,
  reporter: { platformId: 'LGSP-79', role: 'CONSUMER' },
  route: 'NGSP',
  consumer: { orgCode: 'SOTP', systemCode: 'MOTCUA', provinceCode: '79' },
  provider: { orgCode: 'BTP', systemCode: 'HOTICH', provinceCode: '01' },
  serviceCode: 'hotich.khaisinh',
  requestAt: '2021-03-10T08:15:00.000+07:00',
  responseAt: '2021-03-10T08:15:00.250+07:00',
  succeeded: true,
  ...over,
});
const withParty = (id: string, side: 'consumer' | 'provider', over: Record<string, unknown>) =>
  valid(id, { [side]: { orgCode: 'SOTP', systemCode: 'MOTCUA', ...over } });

/** JSON with every non-ASCII character escaped (\uXXXX). */
const asciiJson = (v: unknown): string =>
  JSON.stringify(v).replace(/[\u0080-\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** [name, body, the path the rejection must name] */
const CASES: [string, string, string][] = [
  ['not JSON', 'this is not json', '(body)'],
  ['truncated JSON', JSON.stringify(valid('p-trunc')).slice(0, 40), '(body)'],
  ['a JSON array', '[1, 2, 3]', '(body)'],
  ['JSON null', 'null', '(body)'],
  ['a JSON string', '"hello"', '(body)'],
  ['a JSON number', '42', '(body)'],
  ['deeply nested JSON', '['.repeat(20_000) + ']'.repeat(20_000), '(body)'],
  ['an empty object', '{}', 'eventId'],
  ['wrong type: succeeded as a string', JSON.stringify(valid('p-type1', { succeeded: 'yes' })), 'succeeded'],
  ['wrong type: reporter as an array', JSON.stringify(valid('p-type2', { reporter: ['LGSP-79', 'CONSUMER'] })), 'reporter'],
  ['wrong type: requestBytes as a string', JSON.stringify(valid('p-type3', { requestBytes: '12' })), 'requestBytes'],
  ['missing serviceCode', JSON.stringify((({ serviceCode: _s, ...e }) => e)(valid('p-miss1'))), 'serviceCode'],
  ['missing reporter.role', JSON.stringify(valid('p-miss2', { reporter: { platformId: 'LGSP-79' } })), 'reporter.role'],
  ['unknown field', JSON.stringify(valid('p-unk1', { extra: 1 })), 'extra'],
  [
    'unknown nested field',
    JSON.stringify(valid('p-unk2', { reporter: { platformId: 'LGSP-79', role: 'CONSUMER', admin: true } })),
    'reporter.admin',
  ],
  ['a __proto__ field', `{"__proto__":{"polluted":true},${JSON.stringify(valid('p-proto')).slice(1)}`, '__proto__'],
  ['an envelope of 501 events', JSON.stringify({ events: Array.from({ length: 501 }, (_, i) => valid(`p-big-${i}`)) }), 'events'],
  ['an empty envelope', '{"events": []}', 'events'],
  ['an envelope with an unknown field', JSON.stringify({ events: [valid('p-env1')], more: 1 }), 'more'],
  ['eventId with #', JSON.stringify(valid('p#hash')), 'eventId'],
  ['eventId with /', JSON.stringify(valid('p/slash')), 'eventId'],
  ['eventId with a newline', JSON.stringify(valid('p\nnewline')), 'eventId'],
  ['transactionId with #', JSON.stringify(valid('p-tx', { transactionId: 'T#E#x' })), 'transactionId'],
  ['serviceCode with /', JSON.stringify(valid('p-svc', { serviceCode: 'rollups/../x' })), 'serviceCode'],
  ['orgCode with #', JSON.stringify(withParty('p-org', 'consumer', { orgCode: 'SO#TP' })), 'consumer.orgCode'],
  ['unicode serviceCode', JSON.stringify(valid('p-uni1', { serviceCode: 'dịch-vụ.công' })), 'serviceCode'],
  // Escaped: fauxqs refuses characters above U+FFFF in a body (real SQS accepts them); JSON.parse restores the emoji.
  ['emoji systemCode', asciiJson(withParty('p-uni2', 'provider', { systemCode: 'HO🦄TICH' })), 'provider.systemCode'],
  ['a field named ""', JSON.stringify(valid('p-empty', { '': 1 })), '""'],
  [
    'unicode platformId',
    JSON.stringify(valid('p-uni3', { reporter: { platformId: 'LGSP-七十九', role: 'CONSUMER' } })),
    'reporter.platformId',
  ],
  ['a lone surrogate', JSON.stringify(valid('p-surr', { serviceCode: 'a\uD800b' })), 'serviceCode'],
  ['eventId of 129 chars', JSON.stringify(valid('p'.repeat(129))), 'eventId'],
  ['a 200 KB serviceCode', JSON.stringify(valid('p-long', { serviceCode: 'x'.repeat(200_000) })), 'serviceCode'],
  ['negative requestBytes', JSON.stringify(valid('p-neg', { requestBytes: -1 })), 'requestBytes'],
  ['fractional responseBytes', JSON.stringify(valid('p-frac', { responseBytes: 1.5 })), 'responseBytes'],
  ['huge requestBytes (1e300)', JSON.stringify(valid('p-huge1', { requestBytes: 1e300 })), 'requestBytes'],
  ['requestBytes above 2^53', '{' + JSON.stringify(valid('p-huge2')).slice(1, -1) + ',"requestBytes":90071992547409930}', 'requestBytes'],
  ['httpStatus 1000000', JSON.stringify(valid('p-http', { httpStatus: 1_000_000 })), 'httpStatus'],
  ['a timestamp without offset', JSON.stringify(valid('p-tz', { requestAt: '2021-03-10T08:15:00' })), 'requestAt'],
  ['a date only', JSON.stringify(valid('p-date', { requestAt: '2021-03-10' })), 'requestAt'],
  ['an impossible date', JSON.stringify(valid('p-feb30', { requestAt: '2021-02-30T08:15:00+07:00' })), 'requestAt'],
  [
    'requestAt far in the future',
    JSON.stringify(valid('p-future', { requestAt: '2999-01-01T00:00:00+07:00', responseAt: '2999-01-01T00:00:01+07:00' })),
    'requestAt',
  ],
  ['responseAt before requestAt', JSON.stringify(valid('p-back', { responseAt: '2021-03-10T08:14:00+07:00' })), 'responseAt'],
  [
    'LGSP-77 after it merged (2025-07-01)',
    JSON.stringify(
      valid('p-77', {
        reporter: { platformId: 'LGSP-77', role: 'CONSUMER' },
        requestAt: '2025-08-01T08:00:00+07:00',
        responseAt: '2025-08-01T08:00:01+07:00',
        consumer: { orgCode: 'A', systemCode: 'B' },
        provider: { orgCode: 'C', systemCode: 'D' },
      }),
    ),
    'reporter.platformId',
  ],
  [
    'province 77 after it merged',
    JSON.stringify(withParty('p-prov', 'consumer', { provinceCode: '77' }))
      .replace('2021-03-10T08:15:00.000', '2025-08-01T08:00:00.000')
      .replace('2021-03-10T08:15:00.250', '2025-08-01T08:00:00.250'),
    'consumer.provinceCode',
  ],
  ['errorCategory on success', JSON.stringify(valid('p-cat', { errorCategory: 'TIMEOUT' })), 'errorCategory'],
];

describe('poison and bad input through the ingest worker', () => {
  let t: TestStack;
  const log = new IngestLog();
  let pid: number | undefined;
  const today = dayOf(NOW);

  beforeAll(async () => {
    t = await startTestStack({ functions: ['ingest'], onWorkerOutput: (fn, text) => log.feed(fn, text) });
    pid = t.stack.worker('ingest')?.pid;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('given each hostile body sent through SQS, then it ends in rejected/ naming the field, the worker never restarts and the DLQ stays empty', async () => {
    // Act
    const ids = new Map<string, [string, string]>();
    for (let i = 0; i < CASES.length; i += 10) {
      const batch = CASES.slice(i, i + 10);
      const out = await t.stack.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: t.stack.resources.queueUrl,
          Entries: batch.map(([, body], j) => ({ Id: String(j), MessageBody: body })),
        }),
      );
      expect(out.Failed ?? []).toEqual([]);
      for (const s of out.Successful ?? []) ids.set(s.MessageId!, [batch[Number(s.Id)]![0], batch[Number(s.Id)]![2]]);
    }
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);

    // Assess
    const lines = await rejectedLinesOf(t.bucket, today);
    for (const [messageId, [name, path]] of ids) {
      const mine = lines.filter((l) => l.messageId === messageId);
      expect(mine.length, name).toBeGreaterThanOrEqual(1);
      const errors = mine.flatMap((l) => l.errors);
      expect(
        errors.map((e) => e.path),
        name,
      ).toContain(path);
      expect(
        errors.every((e) => e.message.length > 0),
        name,
      ).toBe(true);
      for (const l of mine) expect(Buffer.byteLength(l.body, 'utf8'), name).toBeLessThanOrEqual(64 * 1024);
    }
    expect(
      lines.filter((l) => l.messageId.endsWith('-store')),
      'no store-level rejection',
    ).toEqual([]);
    expect(await queueDepth(t.stack.clients.sqs, t.stack.resources.dlqUrl)).toBe(0);
    expect(t.stack.worker('ingest')?.pid).toBe(pid);
    expect(log.crashes).toEqual([]);
  });

  it('given a body SQS cannot carry (a NUL character), when sent, then SQS refuses it or the ingest rejects it, never a crash', async () => {
    const body = JSON.stringify(valid('p-nul', { serviceCode: 'a\u0000b' }));
    const sent = await t.stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: t.stack.resources.queueUrl, MessageBody: body })).then(
      (out) => out.MessageId,
      (err: Error) => {
        expect(err.name).toMatch(/InvalidMessageContents|InvalidParameterValue|ValidationError/);
        return undefined;
      },
    );
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
    if (sent)
      expect(
        (await rejectedLinesOf(t.bucket, today)).filter((l) => l.messageId === sent).flatMap((l) => l.errors.map((e) => e.path)),
      ).toContain('serviceCode');
    expect(await queueDepth(t.stack.clients.sqs, t.stack.resources.dlqUrl)).toBe(0);
    expect(t.stack.worker('ingest')?.pid).toBe(pid);
  });

  // Random bodies: arbitrary text, arbitrary JSON, and valid events with one part broken.
  const base = valid('fz');
  const paths = [
    'eventId',
    'transactionId',
    'reporter',
    'reporter.platformId',
    'reporter.role',
    'route',
    'consumer',
    'consumer.orgCode',
    'consumer.provinceCode',
    'provider.systemCode',
    'serviceCode',
    'requestAt',
    'responseAt',
    'succeeded',
    'errorCategory',
    'httpStatus',
    'requestBytes',
    'responseBytes',
    'extra',
  ];
  const mutated = fc
    .record({
      id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/),
      tx: fc.option(fc.stringMatching(/^[a-z0-9]{1,4}$/), { nil: undefined }),
      role: fc.constantFrom('CONSUMER', 'PROVIDER'),
      path: fc.option(fc.constantFrom(...paths), { nil: undefined }),
      value: fc.oneof(fc.jsonValue(), fc.string(), fc.string({ unit: 'binary' }), fc.integer(), fc.double(), fc.constant(undefined)),
    })
    .map(({ id, tx, role, path, value }) => {
      const e = structuredClone(base) as Record<string, any>;
      e.eventId = `fz-${id}`;
      e.reporter.role = role;
      if (tx) e.transactionId = `fz-${tx}`;
      if (path) {
        const [a, b] = path.split('.') as [string, string | undefined];
        if (b && typeof e[a] === 'object' && e[a] !== null) e[a][b] = value;
        else e[a] = value;
      }
      return e;
    });
  const body = fc.oneof(
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 4, arbitrary: mutated.map((e) => JSON.stringify(e)) },
    { weight: 2, arbitrary: fc.array(mutated, { minLength: 0, maxLength: 8 }).map((events) => JSON.stringify({ events })) },
  );
  /** What the accounting must add up to: one line per unreadable body, one outcome per event otherwise. */
  const outcomes = (b: string): number => {
    const p = parseBody(b, Date.now());
    return p.bodyErrors.length ? 1 : p.items.length;
  };

  it('given random bodies and mutations of valid events, when fed to ingestBatch, then it never throws, retries nothing and every event is stored, a duplicate, a conflict or rejected', async () => {
    const deps: IngestDeps = { events: t.events, stats: t.stats, bucket: t.bucket, latenessMs: 5000, dirtyMarginMs: 2000, concurrency: 8 };
    let runs = 0;
    let events = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 10 }), async (bodies) => {
        runs++;
        const messages = bodies.map((b, i) => ({
          messageId: `fz-${runs}-${i}`,
          body: b,
          receivedAtMs: Date.now(),
          source: 'sqs' as const,
        }));
        const expected = bodies.reduce((n, b) => n + outcomes(b), 0);
        const r = await ingestBatch(messages, deps);
        events += expected;
        expect(r.failedMessageIds).toEqual([]);
        expect(r.stored + r.duplicates + r.conflicts + r.rejected).toBe(expected);
      }),
      { numRuns: FULL ? 2000 : 150, interruptAfterTimeLimit: FULL ? 120_000 : 15_000, seed: 20261127 },
    );
    expect(runs).toBeGreaterThan(10);
    console.log(`[poison] ingestBatch fuzz: ${runs} batches, ${events} outcomes accounted for`);
  }, 200_000);

  it('given random bodies sent through SQS for a bounded time, then the worker never dies, the DLQ stays empty and every body is stored or rejected', async () => {
    // Prepare: what SQS can carry (it refuses some control characters and lone surrogates).
    // What SQS can carry: no control characters but tab/newline/CR, no lone surrogates, and for
    // fauxqs nothing above U+FFFF (real SQS takes those).
    const sqsSafe = (b: string) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/.test(b) && b.length > 0;
    const bodies = fc.sample(body, { numRuns: FULL ? 3000 : 300, seed: 7 }).filter(sqsSafe);
    const deadline = Date.now() + (FULL ? 60_000 : 10_000);
    const sent: { id: string; body: string }[] = [];
    for (let i = 0; i < bodies.length && Date.now() < deadline; i += 10) {
      const batch = bodies.slice(i, i + 10);
      const out = await t.stack.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: t.stack.resources.queueUrl,
          Entries: batch.map((b, j) => ({ Id: String(j), MessageBody: b })),
        }),
      );
      for (const s of out.Successful ?? []) sent.push({ id: s.MessageId!, body: batch[Number(s.Id)]! });
    }

    // Act
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl, 120_000);

    // Assess: each body rejected (with a reason) or its valid events stored
    const lines = await rejectedLinesOf(t.bucket, today);
    const byMessage = new Map<string, number>();
    for (const l of lines) byMessage.set(l.messageId, (byMessage.get(l.messageId) ?? 0) + 1);
    let rejected = 0;
    let stored = 0;
    for (const { id, body: b } of sent) {
      const p = parseBody(b, Date.now());
      const bad = p.bodyErrors.length ? 1 : p.items.filter((it) => !it.ok).length;
      expect(byMessage.get(id) ?? 0, b.slice(0, 200)).toBe(bad);
      rejected += bad;
      for (const it of p.items) {
        if (!it.ok) continue;
        const tx = await t.events.getTransaction(transactionKeyOf(it.event as ExchangeEvent));
        expect(tx, JSON.stringify(it.event)).toBeDefined();
        stored++;
      }
    }
    expect(lines.every((l) => l.errors.length > 0 && l.errors.every((e) => e.path.length > 0 && e.message.length > 0))).toBe(true);
    expect(await queueDepth(t.stack.clients.sqs, t.stack.resources.dlqUrl)).toBe(0);
    expect(t.stack.worker('ingest')?.pid).toBe(pid);
    expect(log.crashes).toEqual([]);
    console.log(`[poison] worker fuzz: ${sent.length} bodies, ${rejected} rejected events, ${stored} valid events found in the store`);
  }, 200_000);
});
