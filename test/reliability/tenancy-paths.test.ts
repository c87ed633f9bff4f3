/**
 * One identity per tenant on every path (issue 13, CONTRACT.md rule 7), against the local stack:
 * principals {LGSP-A, LGSP-B, analyst, ops, unknown, revoked, lgsp-without-platform} × {send as
 * self, send as other, read own rejections, read other's, metrics, keys}, over HTTPS (API keys)
 * and SQS (the sending principal, as the local SQS front reports it in SenderId). "Send as other"
 * is rejected into the *sender's* rejections and counted nowhere, on both paths. Hostile bodies
 * sent as one platform never show up in another platform's rejections.
 */
import { randomBytes } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '#shared/auth/keys.ts';
import { KeyStore } from '#shared/store/api-keys.ts';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { transactionKeyOf } from '#shared/report.ts';
import { SenderStore } from '#shared/store/senders.ts';
import { dayOf } from '#shared/time.ts';
import { newLocalCredentials, OPERATOR_CREDENTIALS, type LocalCredentials } from '../../local/senders.ts';
import { localSenderId, SENDER_ATTRIBUTE } from '../../local/sqs-proxy.ts';
import { call, sampleEvent } from '../integration/api-fixtures.ts';
import { rejectedLinesOf, type RejectedLineRead } from '../helpers/rollups.ts';
import { startTestStack, waitForEmptyQueue, type TestStack } from '../helpers/stack.ts';

type Who = 'lgspA' | 'lgspB' | 'analyst' | 'ops' | 'unknown' | 'revoked' | 'noPlatform';
const WHO: Who[] = ['lgspA', 'lgspB', 'analyst', 'ops', 'unknown', 'revoked', 'noPlatform'];
const A = 'LGSP-79';
const B = 'LGSP-01';
/** The platform each principal's "self" is (the non-LGSP principals claim A). */
const SELF: Record<Who, string> = { lgspA: A, lgspB: B, analyst: A, ops: A, unknown: A, revoked: A, noPlatform: A };
const OTHER: Record<Who, string> = { lgspA: B, lgspB: A, analyst: B, ops: B, unknown: B, revoked: B, noPlatform: B };

const now = Date.now();
const today = dayOf(now);
const run = randomBytes(3).toString('hex');

/** HTTPS: expected status per column and principal. */
const API: Record<string, Record<Who, number>> = {
  'send as self': { lgspA: 202, lgspB: 202, analyst: 403, ops: 403, unknown: 401, revoked: 401, noPlatform: 403 },
  'send as other': { lgspA: 403, lgspB: 403, analyst: 403, ops: 403, unknown: 401, revoked: 401, noPlatform: 403 },
  'read own rejections': { lgspA: 200, lgspB: 200, analyst: 403, ops: 200, unknown: 401, revoked: 401, noPlatform: 403 },
  "read other's rejections": { lgspA: 403, lgspB: 403, analyst: 403, ops: 200, unknown: 401, revoked: 401, noPlatform: 403 },
  metrics: { lgspA: 403, lgspB: 403, analyst: 200, ops: 200, unknown: 401, revoked: 401, noPlatform: 403 },
  // No route manages keys: that is `ngsp keys` / `ngsp senders`, behind AWS credentials.
  keys: { lgspA: 404, lgspB: 404, analyst: 404, ops: 404, unknown: 404, revoked: 404, noPlatform: 404 },
};

/** SQS: where each principal's message ends. `counted` = stored; else the rejected/ folder it is in. */
type Outcome = 'counted' | { rejectedIn: string };
const SQS: Record<'send as self' | 'send as other', Record<Who, Outcome>> = {
  'send as self': {
    lgspA: 'counted',
    lgspB: 'counted',
    ops: 'counted',
    analyst: { rejectedIn: 'unknown' },
    unknown: { rejectedIn: 'unknown' },
    revoked: { rejectedIn: 'unknown' },
    noPlatform: { rejectedIn: 'unknown' },
  },
  'send as other': {
    lgspA: { rejectedIn: A },
    lgspB: { rejectedIn: B },
    ops: 'counted',
    analyst: { rejectedIn: 'unknown' },
    unknown: { rejectedIn: 'unknown' },
    revoked: { rejectedIn: 'unknown' },
    noPlatform: { rejectedIn: 'unknown' },
  },
};

describe('tenancy over both paths: every principal × every action', () => {
  let t: TestStack;
  let url: string;
  const keys = {} as Record<Who, string>;
  const creds = {} as Record<Who, LocalCredentials>;
  const clients = new Map<Who, SQSClient>();
  const sqsEvents = new Map<string, { who: Who; column: 'send as self' | 'send as other'; event: ExchangeEvent }>();

  const sqsOf = (who: Who): SQSClient => {
    let c = clients.get(who);
    if (!c) {
      c = new SQSClient({ endpoint: t.stack.emulators.endpoints.sqs, region: t.stack.region, credentials: creds[who], maxAttempts: 2 });
      clients.set(who, c);
    }
    return c;
  };

  beforeAll(async () => {
    t = await startTestStack({ functions: ['ingest', 'api'] });
    url = t.stack.apiUrl;
    const ddb = t.stack.clients.ddb;
    const table = t.stack.resources.names.tables.Keys;
    const store = new KeyStore(ddb, table);
    const revoked = await store.create('lgsp', A);
    await store.revoke(revoked.record.keyId);
    // An lgsp key record without a platform (KeyStore refuses to make one: written as a bad migration would).
    const noPlatformKey = `ngsp_lgsp_${randomBytes(18).toString('base64url')}`;
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: `H#${hashKey(noPlatformKey)}` },
          keyId: { S: 'k_000000000000' },
          role: { S: 'lgsp' },
          createdAt: { S: new Date().toISOString() },
        },
      }),
    );
    Object.assign(keys, {
      lgspA: (await store.create('lgsp', A)).key,
      lgspB: (await store.create('lgsp', B)).key,
      analyst: (await store.create('analyst')).key,
      ops: (await store.create('ops')).key,
      unknown: 'ngsp_lgsp_this-key-was-never-issued-00000',
      revoked: revoked.key,
      noPlatform: noPlatformKey,
    });

    // SQS principals: each platform's registered credential, the operator, and principals the registry does not (or no longer) know.
    const senders = new SenderStore(ddb, table);
    creds.lgspA = await t.stack.addPlatformSender(A);
    creds.lgspB = await t.stack.addPlatformSender(B);
    creds.ops = { ...OPERATOR_CREDENTIALS };
    creds.analyst = newLocalCredentials();
    creds.unknown = newLocalCredentials();
    creds.revoked = await t.stack.addPlatformSender(A);
    await senders.remove(localSenderId(creds.revoked.accessKeyId));
    creds.noPlatform = newLocalCredentials();
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: `S#${localSenderId(creds.noPlatform.accessKeyId)}` },
          senderId: { S: localSenderId(creds.noPlatform.accessKeyId) },
          role: { S: 'lgsp' },
          createdAt: { S: '' },
        },
      }),
    );
  });
  afterAll(async () => {
    for (const c of clients.values()) c.destroy();
    await t?.stop();
  });

  const apiRequest = (who: Who, column: string): Parameters<typeof call>[3] & { method: string; path: string } => {
    const key = { key: keys[who] };
    switch (column) {
      case 'send as self':
        return {
          method: 'POST',
          path: '/v1/events',
          ...key,
          body: JSON.stringify(sampleEvent(SELF[who], `api-self-${who}-${run}`, now - 60_000)),
        };
      case 'send as other':
        return {
          method: 'POST',
          path: '/v1/events',
          ...key,
          body: JSON.stringify(sampleEvent(OTHER[who], `api-other-${who}-${run}`, now - 60_000)),
        };
      case 'read own rejections':
        return { method: 'GET', path: '/v1/rejections', ...key, query: { date: today } };
      case "read other's rejections":
        return { method: 'GET', path: '/v1/rejections', ...key, query: { date: today, platformId: OTHER[who] } };
      case 'metrics':
        return {
          method: 'GET',
          path: '/v1/metrics/minutes',
          ...key,
          query: { from: '2021-03-10T08:00:00+07:00', to: '2021-03-10T09:00:00+07:00' },
        };
      default:
        return { method: 'POST', path: '/v1/keys', ...key, body: '{"role":"ops"}' };
    }
  };

  for (const [column, expected] of Object.entries(API)) {
    it(`given each principal's API key, when it does "${column}" over HTTPS, then ${WHO.map((w) => `${w} ${expected[w]}`).join(', ')}`, async () => {
      for (const who of WHO) {
        const { method, path, ...opts } = apiRequest(who, column);
        const r = await call(url, method, path, opts);
        expect(r.status, `${who} ${column}`).toBe(expected[who]);
        if (r.status >= 400)
          expect(r.json?.error, `${who} ${column}: the contract's error body`).toMatchObject({
            code: expect.any(String),
            message: expect.any(String),
          });
        if (column.startsWith('read') && r.status === 200) {
          const want = column === 'read own rejections' ? (who === 'ops' ? undefined : SELF[who]) : OTHER[who];
          for (const l of r.json.rejected as RejectedLineRead[]) if (want) expect(l.platformId, `${who} ${column}`).toBe(want);
        }
      }
    });
  }

  it('given the HTTPS "send as other" above, then each LGSP\'s refused events are in its own rejections only and counted nowhere', async () => {
    for (const who of ['lgspA', 'lgspB'] as const) {
      const own = await call(url, 'GET', '/v1/rejections', { key: keys[who], query: { date: today } });
      const other = await call(url, 'GET', '/v1/rejections', { key: keys[who === 'lgspA' ? 'lgspB' : 'lgspA'], query: { date: today } });
      const mine = (own.json.rejected as RejectedLineRead[]).filter((l) => l.body.includes(`api-other-${who}-${run}`));
      expect(mine, who).toHaveLength(1);
      expect(mine[0]).toMatchObject({ platformId: SELF[who], reportedPlatformId: OTHER[who], errors: [{ path: 'reporter.platformId' }] });
      expect(
        (other.json.rejected as RejectedLineRead[]).some((l) => l.body.includes(`api-other-${who}-${run}`)),
        who,
      ).toBe(false);
      expect(await t.events.getTransaction(transactionKeyOf(sampleEvent(OTHER[who], `api-other-${who}-${run}`, now)))).toBeUndefined();
    }
  });

  it("given each principal's SQS identity, when it sends as itself and as another platform, then only its own platform (or an operator relay) is counted and the rest is in the sender's rejections", async () => {
    // Act: one message per principal and column, signed with that principal's credentials.
    for (const who of WHO) {
      for (const column of ['send as self', 'send as other'] as const) {
        const event = sampleEvent(
          column === 'send as self' ? SELF[who] : OTHER[who],
          `sqs-${column.replace(/ /g, '-')}-${who}-${run}`,
          now - 60_000,
        );
        const out = await sqsOf(who).send(
          new SendMessageCommand({ QueueUrl: t.stack.resources.queueUrl, MessageBody: JSON.stringify(event) }),
        );
        sqsEvents.set(out.MessageId!, { who, column, event });
      }
    }
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);

    // Assess: each cell's outcome, and never anything in another platform's folder
    const lines = await rejectedLinesOf(t.bucket, today);
    for (const [messageId, { who, column, event }] of sqsEvents) {
      const expected = SQS[column][who];
      const stored = await t.events.getTransaction(transactionKeyOf(event));
      const mine = lines.filter((l) => l.messageId === messageId);
      if (expected === 'counted') {
        expect(stored, `${who} ${column}: counted`).toBeDefined();
        expect(mine, `${who} ${column}`).toEqual([]);
      } else {
        expect(stored, `${who} ${column}: counted nowhere`).toBeUndefined();
        expect(
          mine.map((l) => l.folder),
          `${who} ${column}`,
        ).toEqual([expected.rejectedIn]);
        if (expected.rejectedIn === 'unknown') expect(mine[0]!.errors[0]!.path).toBe('(sender)');
        else
          expect(mine[0]).toMatchObject({
            platformId: expected.rejectedIn,
            reportedPlatformId: event.reporter.platformId,
            errors: [{ path: 'reporter.platformId' }],
          });
      }
    }
    // Through the API, each LGSP reads its own SQS rejection and not the other's.
    const seenByA = (await call(url, 'GET', '/v1/rejections', { key: keys.lgspA, query: { date: today } })).json
      .rejected as RejectedLineRead[];
    expect(seenByA.some((l) => l.body.includes(`sqs-send-as-other-lgspA-${run}`))).toBe(true);
    expect(seenByA.some((l) => l.body.includes(`-lgspB-${run}`))).toBe(false);
    const unknownSeenByOps = (await call(url, 'GET', '/v1/rejections', { key: keys.ops, query: { date: today, platformId: 'unknown' } }))
      .json.rejected as RejectedLineRead[];
    expect(unknownSeenByOps.some((l) => l.body.includes(`-unknown-${run}`))).toBe(true);
  });

  it('given LGSP-A, when it tries to forge its sender (the stamp attribute) or signs with a wrong secret, then the forgery is stripped and the bad signature refused', async () => {
    // Prepare: B's principal id, claimed by A in the attribute the local front uses to carry the sender.
    const forged = sampleEvent(B, `sqs-forged-${run}`, now - 60_000);
    const out = await sqsOf('lgspA').send(
      new SendMessageCommand({
        QueueUrl: t.stack.resources.queueUrl,
        MessageBody: JSON.stringify(forged),
        MessageAttributes: {
          [SENDER_ATTRIBUTE]: { DataType: 'String', StringValue: localSenderId(creds.lgspB.accessKeyId) },
          note: { DataType: 'String', StringValue: 'mine' },
        },
      }),
    );
    const wrongSecret = new SQSClient({
      endpoint: t.stack.emulators.endpoints.sqs,
      region: t.stack.region,
      credentials: { accessKeyId: creds.lgspB.accessKeyId, secretAccessKey: 'not-the-secret' },
      maxAttempts: 1,
    });
    try {
      await expect(
        wrongSecret.send(
          new SendMessageBatchCommand({
            QueueUrl: t.stack.resources.queueUrl,
            Entries: [{ Id: '0', MessageBody: JSON.stringify(sampleEvent(B, `sqs-wrong-secret-${run}`, now)) }],
          }),
        ),
      ).rejects.toThrow(/signature/i);
    } finally {
      wrongSecret.destroy();
    }
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
    const lines = (await rejectedLinesOf(t.bucket, today)).filter((l) => l.messageId === out.MessageId);
    expect(lines.map((l) => l.folder)).toEqual([A]);
    expect(await t.events.getTransaction(transactionKeyOf(forged))).toBeUndefined();
    expect(await t.events.getTransaction(transactionKeyOf(sampleEvent(B, `sqs-wrong-secret-${run}`, now)))).toBeUndefined();
  });

  it("given a message received through the local front, then SenderId is the signer's and the stamp is not among its message attributes", async () => {
    const q = t.stack.resources.dlqUrl; // no worker consumes it
    await sqsOf('lgspB').send(
      new SendMessageCommand({ QueueUrl: q, MessageBody: '{}', MessageAttributes: { note: { DataType: 'String', StringValue: 'x' } } }),
    );
    const got = await t.stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: q,
        MessageSystemAttributeNames: ['SenderId'],
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    expect(got.Messages?.[0]?.Attributes?.SenderId).toBe(localSenderId(creds.lgspB.accessKeyId));
    expect(Object.keys(got.Messages?.[0]?.MessageAttributes ?? {})).toEqual(['note']);
  });

  it("given hostile bodies (fuzz) sent as LGSP-A over SQS and HTTPS, then none of them appears in LGSP-B's rejections or is counted for B", async () => {
    // Prepare: mutations aimed at B — its platform id in every spelling, path tricks, junk, envelopes mixing both.
    const platformIds = fc.oneof(
      fc.constantFrom(B, `${B} `, `../${B}`, `platform=${B}`, 'unknown', `${B}/date=${today}`, 'LGSP-01\u0000', B.toLowerCase()),
      fc.string({ maxLength: 40 }),
    );
    const hostile = fc.oneof(
      platformIds.map((p) =>
        JSON.stringify({ ...sampleEvent(A, `fz-${run}`, now - 60_000), reporter: { platformId: p, role: 'CONSUMER' } }),
      ),
      fc.array(platformIds, { minLength: 1, maxLength: 5 }).map((ps) =>
        JSON.stringify({
          events: ps.map((p, i) => ({
            ...sampleEvent(A, `fz-${run}-${i}`, now - 60_000),
            reporter: { platformId: p, role: 'PROVIDER' },
          })),
        }),
      ),
      fc.string({ maxLength: 200 }).map((s) => `{"reporter":{"platformId":"${B}"},"x":${JSON.stringify(s)}`),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    );
    const bodies = [
      // Always among them: valid events of B, alone and mixed with A's.
      JSON.stringify(sampleEvent(B, `fz-${run}-b`, now - 60_000)),
      JSON.stringify({ events: [sampleEvent(A, `fz-${run}-a`, now - 60_000), sampleEvent(B, `fz-${run}-ab`, now - 60_000)] }),
      ...fc.sample(hostile, { numRuns: 60, seed: 13 }),
    ].filter((b) => b.length > 0);
    const marker = (b: string): string => b;

    // Act
    const sent = new Set<string>();
    for (let i = 0; i < bodies.length; i += 10) {
      const out = await sqsOf('lgspA').send(
        new SendMessageBatchCommand({
          QueueUrl: t.stack.resources.queueUrl,
          Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: b })),
        }),
      );
      for (const ok of out.Successful ?? []) sent.add(ok.MessageId!);
    }
    const apiStatuses = new Set<number>();
    for (const b of bodies) apiStatuses.add((await call(url, 'POST', '/v1/events', { key: keys.lgspA, body: b })).status);
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);

    // Assess
    expect(sent.size).toBeGreaterThan(40);
    expect(
      [...apiStatuses].every((s) => [202, 400, 403].includes(s)),
      [...apiStatuses].join(),
    ).toBe(true);
    const lines = await rejectedLinesOf(t.bucket, today);
    const fromA = lines.filter((l) => sent.has(l.messageId));
    expect(fromA.length).toBeGreaterThan(0);
    expect(
      fromA.every((l) => l.folder === A && l.platformId === A),
      JSON.stringify(fromA.find((l) => l.folder !== A)),
    ).toBe(true);
    const seenByB = (await call(url, 'GET', '/v1/rejections', { key: keys.lgspB, query: { date: today } })).json
      .rejected as RejectedLineRead[];
    expect(
      seenByB.some((l) => l.body.includes(`fz-${run}`) || bodies.some((b) => l.body === marker(b))),
      "a hostile body of A in B's view",
    ).toBe(false);
    expect(lines.filter((l) => l.folder === B).some((l) => l.body.includes(`fz-${run}`))).toBe(false);
    // No event of these bodies is counted for B (every (platformId, eventId) they claim for B).
    const claimsForB = bodies.flatMap((b) => {
      try {
        const v = JSON.parse(b) as { events?: unknown[] };
        return (Array.isArray(v?.events) ? v.events : [v]).filter(
          (e): e is ExchangeEvent => (e as ExchangeEvent)?.reporter?.platformId === B && typeof (e as ExchangeEvent).eventId === 'string',
        );
      } catch {
        return [];
      }
    });
    expect(claimsForB.length, 'the fuzz aims at B').toBeGreaterThan(0);
    for (const e of claimsForB) expect(await t.events.getTransaction(transactionKeyOf(e)), e.eventId).toBeUndefined();
  });
});
