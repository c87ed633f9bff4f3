/**
 * The minute journal (shared/store/journal.ts), against the real event store over HTTP: every
 * stored transaction is read by exactly its minute's roll, a report is journaled before it is
 * written, items written before the journal (old minute index) are still read, and a write that
 * DynamoDB would refuse never happens without its entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteItemCommand,
  UpdateItemCommand,
  type BatchGetItemCommandInput,
  type BatchWriteItemCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ingestBatch, type IngestDeps, type IncomingMessage } from '#shared/ingest.ts';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { toReport, type TransactionState } from '#shared/report.ts';
import { minuteKeyOf } from '#shared/time.ts';
import type { EventStore } from '#shared/store/events.ts';
import { generateStream, oracleTransactions } from '../helpers/stream.ts';
import { scanAll } from '../helpers/expire.ts';
import { ownStores, startTestStack, type TestStack } from '../helpers/stack.ts';

const START = Date.parse('2023-04-05T01:00:00Z');
const stream = generateStream({ seed: 77, startMs: START, spanMs: 20 * 60_000, transactions: 150, conflictShare: 0 });

const sample = (over: Partial<ExchangeEvent> & { role: 'CONSUMER' | 'PROVIDER'; platformId: string }): ExchangeEvent => {
  const { role, platformId, ...rest } = over;
  const requestAt = rest.requestAt ?? '2023-04-05T08:15:50.000+07:00';
  const responseAt = new Date(Date.parse(requestAt) + 300).toISOString();
  return {
    schemaVersion: '1',
    eventId: 'e',
    transactionId: 'tx',
    reporter: { platformId, role },
    route: 'NGSP',
    consumer: { orgCode: 'SOTP-79', systemCode: 'HTTP-MOTCUA', provinceCode: '79' },
    provider: { orgCode: 'BTP', systemCode: 'CSDL-HOTICH', provinceCode: '01' },
    serviceCode: 'hotich.khaisinh.tracuu',
    succeeded: true,
    ...rest,
    requestAt,
    responseAt,
  } as ExchangeEvent;
};

const message = (id: string, events: ExchangeEvent[], receivedAtMs = START + 3_600_000): IncomingMessage => ({
  messageId: id,
  body: JSON.stringify({ events }),
  receivedAtMs,
  source: 'sqs',
});

/**
 * DynamoDB returns part of a batch as `UnprocessedKeys`/`UnprocessedItems` under load; the
 * emulators never do. This client sends only the first half of every batch of two or more and
 * hands the rest back as unprocessed, as the service would. Returns the count of keys it held back.
 */
function shortBatches(ddb: DynamoDBClient): { held: number } {
  const seen = { held: 0 };
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchGetItemCommand') {
        const input = args.input as BatchGetItemCommandInput;
        const [table, req] = Object.entries(input.RequestItems ?? {})[0]!;
        const all = req.Keys ?? [];
        if (all.length < 2) return next(args);
        const half = Math.ceil(all.length / 2);
        const out = await next({ ...args, input: { ...input, RequestItems: { [table]: { ...req, Keys: all.slice(0, half) } } } });
        seen.held += all.length - half;
        (out.output as { UnprocessedKeys?: unknown }).UnprocessedKeys = { [table]: { ...req, Keys: all.slice(half) } };
        return out;
      }
      if (context.commandName === 'BatchWriteItemCommand') {
        const input = args.input as BatchWriteItemCommandInput;
        const [table, writes] = Object.entries(input.RequestItems ?? {})[0]!;
        if (writes.length < 2) return next(args);
        const half = Math.ceil(writes.length / 2);
        const out = await next({ ...args, input: { ...input, RequestItems: { [table]: writes.slice(0, half) } } });
        seen.held += writes.length - half;
        (out.output as { UnprocessedItems?: unknown }).UnprocessedItems = { [table]: writes.slice(half) };
        return out;
      }
      return next(args);
    },
    { step: 'initialize', name: 'shortBatches' },
  );
  return seen;
}

async function minuteKeys(events: EventStore, minute: string): Promise<string[]> {
  const keys: string[] = [];
  await events.forEachTransactionPage(minute, (page: TransactionState[]) => keys.push(...page.map((tx) => tx.key)));
  return keys.sort();
}

describe('the minute journal', () => {
  let t: TestStack;
  let deps: IngestDeps;
  beforeAll(async () => {
    t = await startTestStack({ functions: [] });
    deps = { events: t.events, stats: t.stats, bucket: t.bucket, latenessMs: 120_000, dirtyMarginMs: 30_000, concurrency: 16 };
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('given a stream ingested in envelopes, then each minute reads exactly its transactions, once, and no transaction item is in the old minute index', async () => {
    const messages: IncomingMessage[] = [];
    for (let i = 0; i < stream.valid.length; i += 25) messages.push(message(`s-${i}`, stream.valid.slice(i, i + 25)));
    const result = await ingestBatch(messages, deps);
    expect(result.failedMessageIds).toEqual([]);

    const expected = new Map<string, string[]>();
    for (const [key, tx] of oracleTransactions(stream.valid)) {
      const minute = minuteKeyOf(Date.parse((tx.consumer ?? tx.provider)!.requestAt));
      expected.set(minute, [...(expected.get(minute) ?? []), key]);
    }
    expect(expected.size).toBeGreaterThan(10);
    for (const [minute, keys] of expected) expect(await minuteKeys(t.events, minute)).toEqual(keys.sort());

    const items = await scanAll(t.stack.clients.ddb, t.stack.resources.names.tables.Events);
    expect(items.filter((it) => it.pk?.S?.startsWith('T#') || it.pk?.S?.startsWith('E#')).length).toBe(
      oracleTransactions(stream.valid).size,
    );
    expect(items.filter((it) => it.b && !it.pk?.S?.startsWith('X#'))).toEqual([]);
  });

  it('given a store that answers every batch only in part (unprocessed keys and items), then every entry is written and every minute still reads all its transactions', async () => {
    const stream2 = generateStream({
      seed: 78,
      startMs: Date.parse('2023-05-06T01:00:00Z'),
      spanMs: 10 * 60_000,
      transactions: 120,
      conflictShare: 0,
    });
    const { clients, stores } = ownStores(t);
    const short = shortBatches(clients.ddb);
    // Many minutes per message: the journal's BatchWriteItem carries several entries.
    const messages = [
      message('short-a', stream2.valid.slice(0, 60), Date.parse('2023-05-06T02:00:00Z')),
      message('short-b', stream2.valid.slice(60), Date.parse('2023-05-06T02:00:00Z')),
    ];
    const result = await ingestBatch(messages, { ...deps, events: stores.events, stats: stores.stats, bucket: stores.bucket });
    expect(result.failedMessageIds).toEqual([]);

    const expected = new Map<string, string[]>();
    for (const [key, tx] of oracleTransactions(stream2.valid)) {
      const minute = minuteKeyOf(Date.parse((tx.consumer ?? tx.provider)!.requestAt));
      expected.set(minute, [...(expected.get(minute) ?? []), key]);
    }
    for (const [minute, keys] of expected) expect(await minuteKeys(stores.events, minute)).toEqual(keys.sort());
    expect(short.held).toBeGreaterThan(10);
    clients.ddb.destroy();
    clients.s3.destroy();
    clients.sqs.destroy();
  });

  it('given a late CONSUMER report that moves a transaction to the next minute, then only the new minute reads it, also after the journal entry of the old minute names it', async () => {
    const provider = sample({
      role: 'PROVIDER',
      platformId: 'LGSP-BTP',
      eventId: 'mv-p',
      transactionId: 'mv-1',
      requestAt: '2023-04-05T08:15:59.900+07:00',
    });
    const consumer = sample({
      role: 'CONSUMER',
      platformId: 'LGSP-79',
      eventId: 'mv-c',
      transactionId: 'mv-1',
      requestAt: '2023-04-05T08:16:00.100+07:00',
    });
    const key = toReport(provider).transactionKey;
    expect(await ingestBatch([message('mv-a', [provider])], deps)).toMatchObject({ failedMessageIds: [], stored: 1, rejected: 0 });
    expect(await minuteKeys(t.events, '2023-04-05T08:15')).toContain(key);
    expect((await ingestBatch([message('mv-b', [consumer])], deps)).failedMessageIds).toEqual([]);
    expect(await minuteKeys(t.events, '2023-04-05T08:15')).not.toContain(key);
    expect(await minuteKeys(t.events, '2023-04-05T08:16')).toContain(key);
  });

  it('given a batch of ten single-event messages, then it writes one journal request, and the same batch delivered again writes the same entries', async () => {
    const singles = Array.from({ length: 10 }, (_, i) =>
      sample({
        role: 'CONSUMER',
        platformId: 'LGSP-79',
        eventId: `one-${i}`,
        transactionId: `one-${i}`,
        requestAt: `2023-04-05T08:40:${String(10 + i)}.000+07:00`,
      }),
    );
    const batch = singles.map((e, i) => ({ ...message(`one-${i}`, [e]), body: JSON.stringify(e) }));
    let calls = 0;
    const events = Object.create(t.events) as EventStore;
    events.journalReports = async (entry, reports) => {
      calls++;
      return t.events.journalReports(entry, reports);
    };
    expect(await ingestBatch(batch, { ...deps, events })).toMatchObject({ failedMessageIds: [], stored: 10 });
    expect(calls).toBe(1);
    const entriesOf = async (): Promise<string[]> =>
      (await scanAll(t.stack.clients.ddb, t.stack.resources.names.tables.Stats))
        .filter((it) => it.pk?.S === 'J#2023-04-05T08:40')
        .map((it) => `${it.sk!.S}:${it.k!.SS!.length}`);
    const first = await entriesOf();
    expect(first).toHaveLength(1);
    expect(await ingestBatch(batch, { ...deps, events })).toMatchObject({ failedMessageIds: [], duplicates: 10 });
    expect(await entriesOf()).toEqual(first);
    expect((await minuteKeys(t.events, '2023-04-05T08:40')).length).toBe(10);
  });

  it('given the journal cannot be written, then no report of the message is stored and the message is delivered again', async () => {
    const e = sample({ role: 'CONSUMER', platformId: 'LGSP-79', eventId: 'jf-c', transactionId: 'jf-1' });
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ThrottlingException',
      $retryable: { throttling: true },
    });
    const events = Object.create(t.events) as EventStore;
    events.journalReports = async () => {
      throw throttled;
    };
    const result = await ingestBatch([message('jf-a', [e])], { ...deps, events });
    expect(result.rejected).toBe(0);
    expect(result.failedMessageIds).toEqual(['jf-a']);
    expect(result.stored).toBe(0);
    expect(await t.events.getTransaction(toReport(e).transactionKey)).toBeUndefined();
  });

  it('given an item written before the journal (old minute index, no entry), then its minute reads it, and once its other report arrives it has left the old index and is read once', async () => {
    const provider = sample({
      role: 'PROVIDER',
      platformId: 'LGSP-BTP',
      eventId: 'old-p',
      transactionId: 'old-1',
      requestAt: '2023-04-05T08:30:10.000+07:00',
    });
    const consumer = sample({
      role: 'CONSUMER',
      platformId: 'LGSP-79',
      eventId: 'old-c',
      transactionId: 'old-1',
      requestAt: '2023-04-05T08:30:09.000+07:00',
    });
    const key = toReport(provider).transactionKey;
    const minute = '2023-04-05T08:30';
    expect(await ingestBatch([message('old-a', [provider])], deps)).toMatchObject({ failedMessageIds: [], stored: 1, rejected: 0 });
    // As a 1.0 ingest left it: the minute index key on the item, and no journal entry.
    const names = t.stack.resources.names.tables;
    await t.stack.clients.ddb.send(
      new UpdateItemCommand({
        TableName: names.Events,
        Key: { pk: { S: key } },
        UpdateExpression: 'SET b = :b',
        ExpressionAttributeValues: { ':b': { S: `${minute}#${t.events.shards - 1}` } },
      }),
    );
    const entries = (await scanAll(t.stack.clients.ddb, names.Stats)).filter((it) => it.pk?.S === `J#${minute}`);
    expect(entries.length).toBe(1);
    for (const it of entries)
      await t.stack.clients.ddb.send(new DeleteItemCommand({ TableName: names.Stats, Key: { pk: it.pk!, sk: it.sk! } }));
    expect(await minuteKeys(t.events, minute)).toEqual([key]);

    expect((await ingestBatch([message('old-b', [consumer])], deps)).failedMessageIds).toEqual([]);
    const item = (await scanAll(t.stack.clients.ddb, names.Events)).find((it) => it.pk?.S === key)!;
    expect(item.b).toBeUndefined();
    expect(await minuteKeys(t.events, minute)).toEqual([key]);
    const tx = await t.events.getTransaction(key);
    expect([tx?.consumer?.eventId, tx?.provider?.eventId]).toEqual(['old-c', 'old-p']);
  });
});
