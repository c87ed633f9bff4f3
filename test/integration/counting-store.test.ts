/**
 * Property-based, against the real event store (dynalite over HTTP): any shuffle, duplication and
 * split into messages of the same reports leaves the same stored transactions — with writes
 * racing each other (concurrent batches).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ingestBatch, type IncomingMessage } from '#shared/ingest.ts';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { generateStream, oracleTransactions } from '../helpers/stream.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

const stream = generateStream({
  seed: 21,
  startMs: Date.parse('2022-01-01T00:00:00Z'),
  spanMs: 30 * 60_000,
  transactions: 60,
  conflictShare: 0,
});

function renamed(e: ExchangeEvent, run: number): ExchangeEvent {
  return { ...e, eventId: `r${run}-${e.eventId}`, ...(e.transactionId ? { transactionId: `r${run}-${e.transactionId}` } : {}) };
}

describe('stored transactions do not depend on delivery', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ functions: [] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('given any shuffle, duplication and split of the same reports, when ingested concurrently, then the store holds the oracle transactions', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(stream.valid, { minLength: stream.valid.length, maxLength: stream.valid.length }),
        fc.array(fc.nat({ max: stream.valid.length - 1 }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }),
        async (shuffled, dups, sizes) => {
          run += 1;
          const events = [...shuffled, ...dups.map((i) => stream.valid[i]!)].map((e) => renamed(e, run));
          const messages: IncomingMessage[] = [];
          for (let i = 0, k = 0; i < events.length; k++) {
            const n = sizes[k % sizes.length]!;
            const chunk = events.slice(i, i + n);
            messages.push({
              messageId: `m${run}-${k}`,
              body: n === 1 ? JSON.stringify(chunk[0]) : JSON.stringify({ events: chunk }),
              receivedAtMs: Date.now(),
              source: 'sqs',
            });
            i += n;
          }
          const deps = { events: t.events, stats: t.stats, bucket: t.bucket, latenessMs: 120_000, dirtyMarginMs: 30_000, concurrency: 16 };
          // Two concurrent "containers", as Lambda would run them.
          const half = Math.ceil(messages.length / 2);
          const results = await Promise.all([ingestBatch(messages.slice(0, half), deps), ingestBatch(messages.slice(half), deps)]);
          expect(results.flatMap((r) => r.failedMessageIds)).toEqual([]);
          expect(results.reduce((n, r) => n + r.conflicts, 0)).toBe(0);

          const expected = oracleTransactions(stream.valid.map((e) => renamed(e, run)));
          for (const [key, tx] of expected) {
            const got = await t.events.getTransaction(key);
            expect(got?.consumer?.eventId).toBe(tx.consumer?.eventId);
            expect(got?.provider?.eventId).toBe(tx.provider?.eventId);
            expect(got?.consumer?.requestAtMs).toBe(tx.consumer ? Date.parse(tx.consumer.requestAt) : undefined);
          }
        },
      ),
      { numRuns: 8 },
    );
  });
});
