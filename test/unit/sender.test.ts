/**
 * The sender rule (CONTRACT.md rule 7) with fake senders: no emulator reports a real SenderId, so
 * the registry lookup, the verdicts and the ingest's use of `SenderId` are checked here with fakes
 * behind the narrow seams (`Pick<SenderDirectory, 'resolve'>`, the stores' methods).
 */
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '#functions/ingest/app.ts';
import { parseBody } from '#shared/contract/validate.ts';
import { ingestBatch, type IncomingMessage, type IngestDeps } from '#shared/ingest.ts';
import type { Report } from '#shared/report.ts';
import { judgeBySender, principalOf, SenderDirectory, type Sender } from '#shared/sender.ts';
import type { RollupBucket } from '#shared/store/bucket.ts';
import type { EventStore } from '#shared/store/events.ts';
import type { SenderRecord } from '#shared/store/senders.ts';
import type { StatsStore } from '#shared/store/stats.ts';

const NOW = Date.parse('2021-03-10T08:00:00+07:00');

function event(platformId: string, eventId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId,
    reporter: { platformId, role: 'CONSUMER' },
    route: 'NGSP',
    consumer: { orgCode: 'SOTP', systemCode: 'MOTCUA', provinceCode: '79' },
    provider: { orgCode: 'BTP', systemCode: 'HOTICH', provinceCode: '01' },
    serviceCode: 'hotich.khaisinh',
    requestAt: '2021-03-10T07:59:00+07:00',
    responseAt: '2021-03-10T07:59:00.250+07:00',
    succeeded: true,
    ...extra,
  };
}

/** A registry that counts its reads and can be made to fail. */
function fakeRegistry(records: SenderRecord[]) {
  const byId = new Map(records.map((r) => [r.senderId, r]));
  const reg = {
    reads: 0,
    failNext: false,
    async get(id: string): Promise<SenderRecord | undefined> {
      reg.reads++;
      if (reg.failNext) {
        reg.failNext = false;
        throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      }
      return byId.get(id);
    },
    remove(id: string): void {
      byId.delete(id);
    },
  };
  return reg;
}

const A = 'AIDAAAAAAAAAAAAAAAAAA';
const OPS = 'AROAOPSOPSOPSOPSOPS';
const NOPLATFORM = 'AIDANOPLATFORMXXXXXX';
const REGISTRY: SenderRecord[] = [
  { senderId: A, role: 'lgsp', platformId: 'LGSP-79', createdAt: '' },
  { senderId: OPS, role: 'ops', createdAt: '' },
  { senderId: NOPLATFORM, role: 'lgsp', createdAt: '' },
];

describe('given the registry of sending principals', () => {
  it('when SenderIds are resolved, then an LGSP sender is its platform, ops a relay, a role session its role, anything else unknown', async () => {
    const dir = new SenderDirectory(fakeRegistry(REGISTRY), { relayIds: ['AROAAPIROLEXXXXXXXX'] });
    expect(await dir.resolve(A)).toEqual({ kind: 'platform', platformId: 'LGSP-79', senderId: A });
    expect(await dir.resolve(`${OPS}:redrive-session`)).toEqual({ kind: 'relay', role: 'ops', senderId: OPS });
    expect(await dir.resolve('AROAAPIROLEXXXXXXXX:ngsp-api')).toMatchObject({ kind: 'relay', role: 'api' });
    expect(await dir.resolve('AIDAUNKNOWNXXXXXXXXX')).toMatchObject({ kind: 'unknown' });
    expect(await dir.resolve(NOPLATFORM)).toMatchObject({ kind: 'unknown', why: expect.stringContaining('without a valid platform') });
    expect(await dir.resolve('000000000000')).toMatchObject({ kind: 'unknown' });
    expect(await dir.resolve(undefined)).toMatchObject({ kind: 'unknown' });
    expect(principalOf('AROAX:y:z')).toBe('AROAX');
  });

  it('when a sender is looked up again within the cache time, then the registry is read once; after a removal and the cache time, it is unknown', async () => {
    let now = NOW;
    const reg = fakeRegistry(REGISTRY);
    const dir = new SenderDirectory(reg, { cacheMs: 60_000, now: () => now });
    await Promise.all([dir.resolve(A), dir.resolve(A), dir.resolve(A)]);
    expect(reg.reads).toBe(1);
    reg.remove(A);
    now += 30_000;
    expect(await dir.resolve(A)).toMatchObject({ kind: 'platform' });
    now += 31_000;
    expect(await dir.resolve(A)).toMatchObject({ kind: 'unknown' });
  });

  it('when the registry read fails, then resolve rejects and the failure is not remembered', async () => {
    const reg = fakeRegistry(REGISTRY);
    const dir = new SenderDirectory(reg);
    reg.failNext = true;
    await expect(dir.resolve(A)).rejects.toThrow('throttled');
    expect(await dir.resolve(A)).toMatchObject({ kind: 'platform' });
  });
});

describe('given a parsed body', () => {
  const body = JSON.stringify({
    events: [event('LGSP-79', 'own'), event('LGSP-01', 'other'), event('LGSP-01', 'other-bad', { serviceCode: 'bad/code' })],
  });

  it.each<[string, Sender, boolean[], string[][]]>([
    [
      'a platform sender',
      { kind: 'platform', platformId: 'LGSP-79' },
      [true, false, false],
      [[], ['reporter.platformId'], ['reporter.platformId', 'serviceCode']],
    ],
    ['a relay', { kind: 'relay', role: 'ops' }, [true, true, false], [[], [], ['serviceCode']]],
  ])('when judged for %s, then only its own platform passes', (_n, sender, oks, paths) => {
    const judged = judgeBySender(sender, parseBody(body, NOW));
    expect(judged.items.map((it) => it.ok)).toEqual(oks);
    expect(judged.items.map((it) => (it.ok ? [] : it.errors.map((e) => e.path)))).toEqual(paths);
  });

  it('when judged for an unknown sender, then the whole message is rejected naming the sender', () => {
    const judged = judgeBySender(
      { kind: 'unknown', senderId: 'AIDAX', why: 'the sending principal AIDAX is not a registered sender' },
      parseBody(body, NOW),
    );
    expect(judged.items).toEqual([]);
    expect(judged.bodyErrors[0]).toMatchObject({ path: '(sender)', message: expect.stringContaining('AIDAX') });
  });
});

/** Stores that record what the ingest wrote. */
function fakeDeps(senders: IngestDeps['senders']) {
  const written: Report[] = [];
  const objects = new Map<string, string>();
  const deps: IngestDeps = {
    events: {
      journalReports: async () => undefined,
      writeReport: async (r: Report) => (written.push(r), { outcome: 'stored', minutes: [] }),
      writeConflict: async () => undefined,
    } as unknown as EventStore,
    stats: { putRejectedCount: async () => undefined, markDirty: async () => undefined } as unknown as StatsStore,
    bucket: { put: async (k: string, b: string) => void objects.set(k, b) } as unknown as RollupBucket,
    latenessMs: 120_000,
    dirtyMarginMs: 30_000,
    concurrency: 4,
    now: () => NOW,
    ...(senders ? { senders } : {}),
  };
  return { deps, written, objects };
}

const msg = (messageId: string, body: unknown, senderId?: string): IncomingMessage => ({
  messageId,
  body: JSON.stringify(body),
  receivedAtMs: NOW,
  source: 'sqs',
  ...(senderId ? { senderId } : {}),
});

describe('given the ingest with a fake sender directory', () => {
  const dir = new SenderDirectory(fakeRegistry(REGISTRY));

  it("when LGSP-79 sends its own and another platform's events, then only its own is stored and the other is in its rejections", async () => {
    const { deps, written, objects } = fakeDeps(dir);
    const r = await ingestBatch([msg('m1', { events: [event('LGSP-79', 'e1'), event('LGSP-01', 'e2')] }, A)], deps);
    expect(r).toMatchObject({ stored: 1, rejected: 1, failedMessageIds: [] });
    expect(written.map((w) => [w.platformId, w.eventId])).toEqual([['LGSP-79', 'e1']]);
    expect([...objects.keys()]).toEqual(['rejected/platform=LGSP-79/date=2021-03-10/sqs-m1.jsonl']);
    const line = JSON.parse(objects.get('rejected/platform=LGSP-79/date=2021-03-10/sqs-m1.jsonl')!.trim());
    expect(line).toMatchObject({
      platformId: 'LGSP-79',
      reportedPlatformId: 'LGSP-01',
      index: 1,
      errors: [{ path: 'reporter.platformId' }],
    });
  });

  it('when an unregistered principal sends a valid event, then nothing is stored and the message is in rejected/platform=unknown/ with its SenderId', async () => {
    const { deps, written, objects } = fakeDeps(dir);
    const r = await ingestBatch([msg('m2', event('LGSP-79', 'e3'), 'AIDAUNREGISTEREDXXXX')], deps);
    expect(r).toMatchObject({ stored: 0, rejected: 1 });
    expect(written).toEqual([]);
    const [key] = [...objects.keys()];
    expect(key).toBe('rejected/platform=unknown/date=2021-03-10/sqs-m2.jsonl');
    expect(JSON.parse(objects.get(key!)!.trim())).toMatchObject({
      senderId: 'AIDAUNREGISTEREDXXXX',
      reportedPlatformId: 'LGSP-79',
      errors: [{ path: '(sender)' }],
    });
    expect(JSON.parse(objects.get(key!)!.trim()).platformId).toBeUndefined();
  });

  it("when an operator relays events of two platforms, then both are stored; its invalid ones go to their platforms' folders", async () => {
    const { deps, written, objects } = fakeDeps(dir);
    await ingestBatch(
      [msg('m3', { events: [event('LGSP-79', 'e4'), event('LGSP-01', 'e5'), event('LGSP-01', 'e6', { serviceCode: 'x/y' })] }, `${OPS}:s`)],
      deps,
    );
    expect(written.map((w) => w.platformId).sort()).toEqual(['LGSP-01', 'LGSP-79']);
    expect([...objects.keys()]).toEqual(['rejected/platform=LGSP-01/date=2021-03-10/sqs-m3.jsonl']);
  });

  it('when the registry cannot be read, then the message is handed back for redelivery and nothing is written', async () => {
    const reg = fakeRegistry(REGISTRY);
    reg.failNext = true;
    const { deps, written, objects } = fakeDeps(new SenderDirectory(reg));
    const r = await ingestBatch([msg('m4', event('LGSP-79', 'e7'), A)], deps);
    expect(r.failedMessageIds).toEqual(['m4']);
    expect(written).toEqual([]);
    expect(objects.size).toBe(0);
  });

  it('when the Lambda handler gets an SQS record, then the sender is its attributes.SenderId, not the body', async () => {
    const seen: (string | undefined)[] = [];
    const { deps, written } = fakeDeps({ resolve: async (id) => (seen.push(id), { kind: 'platform', platformId: 'LGSP-01' }) });
    const record = (id: string, body: unknown, senderId: string) => ({
      messageId: id,
      receiptHandle: id,
      body: JSON.stringify(body),
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:x:1:q',
      awsRegion: 'x',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(NOW),
        SenderId: senderId,
        ApproximateFirstReceiveTimestamp: String(NOW),
      },
    });
    const out = await makeHandler(deps)(
      { Records: [record('r1', event('LGSP-79', 'e8'), 'AIDAFAKESENDER01XXXX')] } as SQSEvent,
      {} as never,
    );
    expect(seen).toEqual(['AIDAFAKESENDER01XXXX']);
    expect(written).toEqual([]);
    expect(out).toEqual({ batchItemFailures: [] });
  });
});
