/**
 * Given 2,000 reports sent through SQS (singles and envelopes, 20 % duplicates, pairs in either
 * order, 5 % invalid), when the ingest worker has drained the queue, then the store holds exactly
 * the expected transactions, every invalid event is in rejected/ with its reason, and both queues
 * are empty.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { decodeTransactionItem } from '#shared/store/events.ts';
import { dayOf } from '#shared/time.ts';
import type { TransactionState } from '#shared/report.ts';
import { generateStream, oracleTransactions } from '../helpers/stream.ts';
import { toBodies } from '../helpers/messages.ts';
import { queueDepth, sendBodies, startTestStack, waitForEmptyQueue, type TestStack } from '../helpers/stack.ts';

async function scanTransactions(t: TestStack): Promise<Map<string, TransactionState>> {
  const out = new Map<string, TransactionState>();
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await t.stack.clients.ddb.send(
      new ScanCommand({ TableName: t.stack.resources.names.tables.Events, ExclusiveStartKey: start }),
    );
    for (const raw of page.Items ?? []) {
      const tx = decodeTransactionItem(raw);
      if (tx) out.set(tx.key, tx);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

describe('ingest through SQS into the event store', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('given a mixed stream with duplicates and invalid events, when drained, then the store equals the oracle and rejects are kept', async () => {
    // Prepare
    const s = generateStream({
      seed: 7,
      startMs: Date.parse('2021-03-10T16:30:00Z'),
      spanMs: 3 * 3600_000,
      transactions: 1100,
      duplicateShare: 0.2,
      invalidShare: 0.05,
    });
    const all = [...s.valid, ...s.duplicates, ...s.conflicts, ...s.invalid.map((i) => i.event)];
    expect(all.length).toBeGreaterThanOrEqual(2000);
    const bodies = toBodies(all, 11);

    // Act
    await sendBodies(t.stack.clients.sqs, t.stack.resources.queueUrl, bodies);
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);

    // Assess: transactions
    const expected = oracleTransactions(s.valid);
    const stored = await scanTransactions(t);
    expect(stored.size).toBe(expected.size);
    for (const [key, tx] of expected) {
      const got = stored.get(key);
      expect(got, key).toBeDefined();
      // A conflicting copy (same facts, eventId + "-again") may have arrived first: then it is the one kept.
      expect([tx.consumer?.eventId, tx.consumer && `${tx.consumer.eventId}-again`]).toContain(got!.consumer?.eventId);
      expect([tx.provider?.eventId, tx.provider && `${tx.provider.eventId}-again`]).toContain(got!.provider?.eventId);
      if (tx.consumer) expect(got!.consumer!.requestAtMs).toBe(Date.parse(tx.consumer.requestAt));
    }

    // Assess: every invalid event in rejected/ with the field named
    const day = dayOf(Date.now());
    // Sent with the operator's credentials (a relay): each line is in its event's platform folder.
    const keys = (await t.bucket.list('rejected/')).filter((k) => k.includes(`/date=${day}/`));
    const lines = (await Promise.all(keys.map((k) => t.bucket.get(k))))
      .flatMap((text) => text!.trim().split('\n'))
      .map(
        (l) =>
          JSON.parse(l) as {
            body: string;
            source: string;
            errors: { path: string; message: string }[];
            messageId: string;
            index: number | null;
          },
      );
    expect(lines).toHaveLength(s.invalid.length);
    const byEventId = new Map(lines.map((l) => [(JSON.parse(l.body) as { eventId: string }).eventId, l]));
    for (const bad of s.invalid) {
      const line = byEventId.get((bad.event as { eventId: string }).eventId);
      expect(line, JSON.stringify(bad)).toBeDefined();
      expect(line!.source).toBe('sqs');
      expect(line!.errors.map((e) => e.path)).toContain(bad.path);
      expect(line!.errors.every((e) => e.message.length > 0)).toBe(true);
    }
    expect(await t.stats.rejectedOn(day)).toBe(s.invalid.length);

    // Assess: each conflicting copy counted once, on the day of its requestAt
    const conflictDays = new Map<string, number>();
    for (const c of s.conflicts)
      conflictDays.set(dayOf(Date.parse(c.requestAt)), (conflictDays.get(dayOf(Date.parse(c.requestAt))) ?? 0) + 1);
    expect(s.conflicts.length).toBeGreaterThan(0);
    for (const [d, n] of conflictDays) expect(await t.events.conflictsOn(d)).toBe(n);

    // Assess: a day's rejection counts and conflicts are spread over shards (issue 12: one partition
    // each would cross 1,000 WCU/s at 10×), and counts kept before the shards still add up.
    const names = t.stack.resources.names.tables;
    const scanKeys = async (table: string, attr: string, prefix: string): Promise<string[]> => {
      const out: string[] = [];
      let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
      do {
        const page = await t.stack.clients.ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        for (const it of page.Items ?? []) if (it[attr]?.S?.startsWith(prefix)) out.push(it[attr].S);
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    };
    const rejKeys = new Set(await scanKeys(names.Stats, 'pk', `REJ#${day}`));
    expect([...rejKeys].every((k) => /#\d+$/.test(k))).toBe(true);
    expect(rejKeys.size).toBeGreaterThan(1);
    const [conflictDay, conflictCount] = [...conflictDays][0]!;
    const xKeys = new Set(await scanKeys(names.Events, 'b', `X#${conflictDay}`));
    expect([...xKeys].every((k) => /^X#[\d-]+#\d+$/.test(k))).toBe(true);
    await t.stack.clients.ddb.send(
      new PutItemCommand({ TableName: names.Stats, Item: { pk: { S: `REJ#${day}` }, sk: { S: 'before-shards' }, n: { N: '3' } } }),
    );
    await t.stack.clients.ddb.send(
      new PutItemCommand({ TableName: names.Events, Item: { pk: { S: 'X#P0#before-shards' }, b: { S: `X#${conflictDay}` } } }),
    );
    expect(await t.stats.rejectedOn(day)).toBe(s.invalid.length + 3);
    expect(await t.events.conflictsOn(conflictDay)).toBe(conflictCount + 1);

    // Assess: queues empty
    expect(await queueDepth(t.stack.clients.sqs, t.stack.resources.queueUrl)).toBe(0);
    expect(await queueDepth(t.stack.clients.sqs, t.stack.resources.dlqUrl)).toBe(0);
  });
});
