/**
 * The ingest handler's branches over in-memory stores (test/helpers/fakes.ts): which messages
 * SQS is asked to deliver again, what is kept as rejected, and when late minutes are marked.
 */
import { describe, expect, it } from 'vitest';
import { makeHandler } from '#functions/ingest/app.ts';
import type { IngestDeps } from '#shared/ingest.ts';
import { minuteKeyOf } from '#shared/time.ts';
import { awsError, FakeIngestStores, lambdaContext, sqsEvent } from '../helpers/fakes.ts';
import { sampleEvent } from '../helpers/sample-event.ts';

const NOW = Date.parse('2021-06-01T10:00:00+07:00');
const MINUTE = 60_000;

function handlerOver(stores: FakeIngestStores, extra: Partial<IngestDeps> = {}) {
  const deps: IngestDeps = { ...stores, latenessMs: 120_000, dirtyMarginMs: 30_000, concurrency: 4, now: () => NOW, ...extra };
  const handler = makeHandler(deps);
  return async (bodies: string[]) => (await handler(sqsEvent(bodies, NOW), lambdaContext)).batchItemFailures.map((f) => f.itemIdentifier);
}

const body = (eventId: string, atMs = NOW - MINUTE) => JSON.stringify(sampleEvent('LGSP-79', eventId, atMs));

describe('ingest handler over fakes', () => {
  it('given a write that keeps failing with throttling, when the batch is handled, then only that message is delivered again', async () => {
    const stores = new FakeIngestStores();
    stores.failWrite = (r) => (r.eventId === 'e2' ? awsError('ThrottlingException') : undefined);

    const retried = await handlerOver(stores)([body('e1'), body('e2'), body('e3')]);

    expect(retried).toEqual(['m2']);
    expect([...stores.reports.keys()].sort()).toEqual(['E#LGSP-79#e1', 'E#LGSP-79#e3']);
  });

  it('given a write refused for the deployment (AccessDenied), then the message is delivered again and nothing is rejected', async () => {
    const stores = new FakeIngestStores();
    stores.failWrite = () => awsError('AccessDeniedException');

    expect(await handlerOver(stores)([body('e1')])).toEqual(['m1']);
    expect(stores.objects.size).toBe(0);
  });

  it('given a report the store refuses for good (ValidationException), then it is kept as rejected and the message acknowledged', async () => {
    const stores = new FakeIngestStores();
    stores.failWrite = () => awsError('ValidationException');

    expect(await handlerOver(stores)([body('e1')])).toEqual([]);
    const [key, text] = [...stores.objects][0]!;
    expect(key).toBe('rejected/platform=LGSP-79/date=2021-06-01/sqs-m1-store.jsonl');
    expect(JSON.parse(text.trim()).errors[0].path).toBe('(event)');
  });

  it('given an invalid event beside a valid one, then the invalid one is kept in rejected/ with its reason and counted, the message acknowledged', async () => {
    const stores = new FakeIngestStores();
    const invalid = { ...sampleEvent('LGSP-79', 'bad', NOW - MINUTE), serviceCode: '' };

    const retried = await handlerOver(stores)([JSON.stringify({ events: [sampleEvent('LGSP-79', 'good', NOW - MINUTE), invalid] })]);

    expect(retried).toEqual([]);
    expect(stores.reports.has('E#LGSP-79#good')).toBe(true);
    const lines = stores.objects
      .get('rejected/platform=LGSP-79/date=2021-06-01/sqs-m1.jsonl')!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      index: 1,
      messageId: 'm1',
      errors: expect.arrayContaining([expect.objectContaining({ path: 'serviceCode' })]),
    });
    expect(stores.rejectedCounts.get('2021-06-01/sqs-m1')).toBe(1);
  });

  it("given a platform sender, when its message reports as another platform, then that event is rejected into the sender's folder", async () => {
    const stores = new FakeIngestStores();
    const senders = { resolve: async () => ({ kind: 'platform', platformId: 'LGSP-01', senderId: 'AROAFAKE' }) as const };

    expect(await handlerOver(stores, { senders })([body('e1')])).toEqual([]);
    expect(stores.reports.size).toBe(0);
    expect([...stores.objects.keys()]).toEqual(['rejected/platform=LGSP-01/date=2021-06-01/sqs-m1.jsonl']);
  });

  it('given a late report, when the dirty mark cannot be written, then its message is delivered again and an on-time message is not', async () => {
    const stores = new FakeIngestStores();
    stores.failMarks = awsError('ThrottlingException');
    const late = NOW - 10 * MINUTE;

    const retried = await handlerOver(stores)([body('late', late), body('fresh', NOW - 30_000)]);

    expect(retried).toEqual(['m1']);
    expect(stores.reports.size).toBe(2);
  });

  it('given a late report, when it is stored, then its minute is marked dirty before the message is acknowledged', async () => {
    const stores = new FakeIngestStores();
    const late = NOW - 10 * MINUTE;

    expect(await handlerOver(stores)([body('late', late), body('fresh', NOW - 30_000)])).toEqual([]);
    expect(stores.marked).toEqual([minuteKeyOf(late)]);
  });
});
