/**
 * Crashes (issue 8 §2 and issue 2 "a worker killed with SIGKILL mid-batch and restarted: store
 * contents are exactly the same as without the kill").
 *
 * The same stream is ingested twice: by a stack left alone, and by a stack whose workers are
 * SIGKILLed at chosen points, found by watching their requests through a (fault-free) proxy:
 * the ingest worker in the middle of its store writes (several times) and right before a dirty
 * mark is written (the mark request is cut off, so the store write landed and the mark did not);
 * the rollup worker in the middle of its S3 uploads. The supervisor restarts each worker, SQS
 * delivers the unacknowledged messages again.
 * Then: the killed stack's event table is item for item the same as the other's, and its minute
 * files, day files and summaries equal the oracle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dayOf } from '#shared/time.ts';
import type { RequestInfo } from '../helpers/fault-proxy.ts';
import { startFaultedStack, type FaultedStack } from '../helpers/faulted-stack.ts';
import { toBodies } from '../helpers/messages.ts';
import { allEvents, daysOf, expectDaysMatch, waitForSettled } from '../helpers/rollups.ts';
import { queueDepth, sendBodies, startTestStack, waitForEmptyQueue, type TestStack } from '../helpers/stack.ts';
import { generateStream } from '../helpers/stream.ts';
import { FULL } from './support.ts';

/**
 * Every item of a table, keyed by pk, without what depends on when it was stored: the TTL (now +
 * the hot window) and each report's receipt time (the SQS SentTimestamp of its message).
 */
async function snapshot(ddb: DynamoDBClient, table: string): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const raw of page.Items ?? []) {
      const { ttl: _ttl, ...item } = unmarshall(raw);
      for (const slot of ['c', 'p', 'r']) if (item[slot]) delete (item[slot] as { rcv?: number }).rcv;
      out.set(String(item.pk), item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

const DAY = '2022-05-18';
// No conflicting copies: which of two conflicting reports arrives first is up to SQS' random
// order, so with them two clean runs could differ too.
const stream = generateStream({
  seed: 4242,
  prefix: 'crash',
  startMs: Date.parse(`${DAY}T23:00:00+07:00`),
  spanMs: 55 * 60_000,
  transactions: FULL ? 3000 : 300,
  pairShare: 0.6,
  crossMinuteShare: 0.4,
  duplicateShare: 0.2,
  conflictShare: 0,
  invalidShare: 0.05,
});
const bodies = toBodies(allEvents(stream), 3, 10);

describe('given workers SIGKILLed at chosen points', () => {
  let clean: TestStack;
  let killed: FaultedStack;
  const kills: string[] = [];
  let updates = 0;
  let marks = 0;
  let uploads = 0;
  // Ingest: mid-batch store writes (UpdateItem numbers); the mark right after the writes (BatchWriteItem numbers).
  const killAtUpdate = new Set(FULL ? [80, 700, 1500, 2600, 4000] : [60, 250, 450]);
  const killAtMark = new Set(FULL ? [5, 40, 90] : [4, 12]);
  const killAtUpload = new Set(FULL ? [15, 120, 400] : [20, 70]);

  function kill(fn: 'ingest' | 'rollup', why: string): void {
    const child = killed.stack.worker(fn);
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      kills.push(`${fn}@${why}`);
    }
  }

  beforeAll(async () => {
    clean = await startTestStack({ functions: ['ingest'] });
    killed = await startFaultedStack({
      seed: 7,
      functions: ['ingest', 'rollup'],
      workerEnv: {
        NGSP_SCHEDULE_SECONDS: '2',
        LATENESS_SECONDS: '5',
        DIRTY_MARGIN_SECONDS: '2',
        INITIAL_LOOKBACK_MINUTES: '1',
        INDEX_LAG_SECONDS: '1',
      },
      onDdbRequest: (info: RequestInfo) => {
        if (info.operation === 'UpdateItem' && killAtUpdate.has(++updates)) kill('ingest', `store write ${updates}`);
        if (info.operation === 'BatchWriteItem' && killAtMark.has(++marks)) {
          kill('ingest', `before dirty mark ${marks}`);
          return 'drop';
        }
      },
      onS3Request: (info: RequestInfo) => {
        if (info.method === 'PUT' && info.path.includes('/rollups/') && killAtUpload.has(++uploads)) kill('rollup', `upload ${uploads}`);
      },
    });
  }, 120_000);
  afterAll(async () => {
    await clean?.stop();
    await killed?.stop();
  });

  it(
    'given the same stream ingested by a clean stack and by a stack whose ingest worker is killed mid-batch, then both event stores hold exactly the same items',
    async () => {
      // Act
      const t0 = Date.now();
      await Promise.all([
        sendBodies(clean.stack.clients.sqs, clean.stack.resources.queueUrl, bodies),
        sendBodies(killed.stack.clients.sqs, killed.stack.resources.queueUrl, bodies),
      ]);
      await waitForEmptyQueue(clean.stack.clients.sqs, clean.stack.resources.queueUrl, 120_000);
      await waitForSettled(killed.direct.sqs, killed.stack.resources.queueUrl, killed.stats, FULL ? 900_000 : 180_000);
      await killed.stack.waitForWorker('ingest');

      // Assess: the kills happened, at each kind of point
      // (A numbered write can come from a worker killed a moment before, then no one is killed: hence - 1.)
      expect(kills.filter((k) => k.startsWith('ingest@store')).length).toBeGreaterThanOrEqual(killAtUpdate.size - 1);
      expect(kills.filter((k) => k.startsWith('ingest@before dirty mark')).length).toBeGreaterThanOrEqual(1);
      // Assess: item for item the same store
      const a = await snapshot(clean.stack.clients.ddb, clean.stack.resources.names.tables.Events);
      const b = await snapshot(killed.direct.ddb, killed.stack.resources.names.tables.Events);
      expect(b.size).toBe(a.size);
      expect(b.size).toBeGreaterThan(stream.valid.length / 2);
      for (const [pk, item] of a) expect(b.get(pk), pk).toEqual(item);
      // Assess: every rejected event counted once, on both
      const today = dayOf(Date.now());
      expect(await killed.stats.rejectedOn(today)).toBe(stream.invalid.length);
      expect(await clean.stats.rejectedOn(today)).toBe(stream.invalid.length);
      expect(await queueDepth(killed.direct.sqs, killed.stack.resources.dlqUrl)).toBe(0);
      console.log(
        `[crash] ${bodies.length} messages, ${allEvents(stream).length} reports, ${a.size} items; kills: ${kills.join(', ')}; settled in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    },
    FULL ? 1_000_000 : 240_000,
  );

  it('given the rollup worker killed during its uploads as well, when the schedule has caught up, then every rollup equals the oracle', async () => {
    // Act: nothing more; the schedule rolled (and was killed) during the first test.
    await waitForSettled(killed.direct.sqs, killed.stack.resources.queueUrl, killed.stats, 120_000);

    // Assess
    expect(kills.filter((k) => k.startsWith('rollup@')).length, `kills: ${kills.join(', ')}`).toBeGreaterThanOrEqual(1);
    const checked = await expectDaysMatch(killed.bucket, daysOf(stream.valid), stream.valid, []);
    expect(checked.transactions).toBeGreaterThan(0);
    console.log(
      `[crash] rollups equal the oracle: ${checked.transactions} transactions, ${checked.minutes} minute files, over ${daysOf(stream.valid).join(', ')}`,
    );
  }, 180_000);
});
