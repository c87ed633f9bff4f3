/**
 * Load (issue 8 §4): for a bounded time the queue is fed at the highest rate the stack sustains —
 * four senders (SendMessageBatch, envelopes of up to 10 reports) that pause whenever the backlog
 * passes 300 messages, so arrivals follow what the two local pollers can drain — while
 * a pass-through proxy in front of SQS reads every message the worker receives and records its
 * age (now − SentTimestamp: fauxqs has no ApproximateAgeOfOldestMessage). Then: the throughput the
 * stack sustained, the oldest age a message reached, and — after it drains and is rolled — counts
 * equal to the oracle of exactly what was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { rollRange } from '#shared/rollup.ts';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { startFaultedStack, type FaultedStack } from '../helpers/faulted-stack.ts';
import { toBodies } from '../helpers/messages.ts';
import { daysOf, expectDaysMatch } from '../helpers/rollups.ts';
import { queueDepth, waitForEmptyQueue } from '../helpers/stack.ts';
import { generateStream } from '../helpers/stream.ts';
import { FULL } from './support.ts';

const SECONDS = FULL ? 60 : 12;
const START = Date.parse('2023-09-05T09:00:00+07:00');
const SPAN = 60 * 60_000;
/** Messages waiting in the queue above which the senders pause. */
const MAX_BACKLOG = 300;

describe('given the queue fed as fast as it will take for a bounded time', () => {
  let t: FaultedStack;
  const ages: { at: number; age: number }[] = [];
  let received = 0;

  beforeAll(async () => {
    t = await startFaultedStack({
      seed: 3,
      functions: ['ingest'],
      visibilityTimeoutSeconds: 30,
      observeSqs: (info, status, body) => {
        if (info.operation !== 'ReceiveMessage' || status !== 200) return;
        const now = Date.now();
        const out = JSON.parse(body.toString('utf8')) as { Messages?: { Attributes?: { SentTimestamp?: string } }[] };
        for (const m of out.Messages ?? []) {
          received++;
          ages.push({ at: now, age: now - Number(m.Attributes?.SentTimestamp ?? now) });
        }
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it(
    'given a bounded load run, then the oldest message age and throughput are reported and, once drained, the rollups equal the oracle',
    async () => {
      // Prepare: more reports than can be sent in the time; no invalid ones, 10 % duplicates.
      const s = generateStream({
        seed: 77,
        prefix: 'load',
        startMs: START,
        spanMs: SPAN,
        transactions: FULL ? 60_000 : 12_000,
        pairShare: 0.5,
        duplicateShare: 0.1,
        conflictShare: 0,
        invalidShare: 0,
      });
      const bodies = toBodies([...s.valid, ...s.duplicates], 9, 10);
      const sent: string[] = [];
      const depth: number[] = [];

      // Act: four senders until the time is up
      const t0 = Date.now();
      const end = t0 + SECONDS * 1000;
      let next = 0;
      let backlog = 0;
      const sampler = setInterval(
        () => void queueDepth(t.direct.sqs, t.stack.resources.queueUrl).then((d) => depth.push((backlog = d))),
        500,
      );
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (Date.now() < end && next < bodies.length) {
            if (backlog > MAX_BACKLOG) {
              await new Promise((r) => setTimeout(r, 100));
              continue;
            }
            const batch = bodies.slice(next, next + 10);
            next += 10;
            const out = await t.stack.clients.sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: t.stack.resources.queueUrl,
                Entries: batch.map((b, i) => ({ Id: String(i), MessageBody: b })),
              }),
            );
            expect(out.Failed ?? []).toEqual([]);
            sent.push(...batch);
          }
        }),
      );
      const sendSeconds = (Date.now() - t0) / 1000;
      await waitForEmptyQueue(t.direct.sqs, t.stack.resources.queueUrl, FULL ? 900_000 : 180_000);
      clearInterval(sampler);
      const drainSeconds = (Date.now() - t0) / 1000;

      // Assess: counts equal the oracle of what was sent
      const events = sent.flatMap((b) => {
        const v = JSON.parse(b) as ExchangeEvent | { events: ExchangeEvent[] };
        return 'events' in v ? v.events : [v];
      });
      await rollRange(START, START + SPAN + 5 * 60_000, { ...t, concurrency: 8 });
      const checked = await expectDaysMatch(t.bucket, daysOf(events), events, []);
      expect(checked.transactions).toBeGreaterThan(0);
      expect(received).toBeGreaterThanOrEqual(sent.length);
      expect(await queueDepth(t.direct.sqs, t.stack.resources.dlqUrl)).toBe(0);

      const maxAge = Math.max(...ages.map((a) => a.age));
      const p95 = [...ages.map((a) => a.age)].sort((a, b) => a - b)[Math.floor(0.95 * (ages.length - 1))]!;
      const figures = {
        seconds: SECONDS,
        messagesSent: sent.length,
        reportsSent: events.length,
        sendRate: Math.round(events.length / sendSeconds),
        ingestRate: Math.round(events.length / drainSeconds),
        drainSeconds: Number(drainSeconds.toFixed(1)),
        peakQueueDepth: Math.max(0, ...depth),
        oldestMessageAgeMs: maxAge,
        messageAgeP95Ms: p95,
        transactions: checked.transactions,
      };
      console.log(`[load] ${JSON.stringify(figures)}`);
      expect(maxAge).toBeGreaterThanOrEqual(0);
    },
    FULL ? 1_200_000 : 300_000,
  );
});
