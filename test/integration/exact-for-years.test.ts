/**
 * "Exact for years", the points that are not the archive scenario: a backfill is never written
 * already expired; the future limit gives the same verdict on every delivery; a dirty mark
 * survives a roll that ran before the minute index caught up; a store that denies access leaves
 * messages on the queue instead of turning valid events into rejections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { ingestBatch, type IngestDeps } from '#shared/ingest.ts';
import { runScheduled, type RollupDeps } from '#shared/rollup.ts';
import { keys } from '#shared/store/bucket.ts';
import type { EventStore } from '#shared/store/events.ts';
import { DayTraffic } from '#shared/traffic/generate.ts';
import { profile } from '#shared/traffic/profile.ts';
import { DAY_MS, minuteKeyOf, toIct } from '#shared/time.ts';
import { PIPELINE, rollupNumbers } from '#infra/wiring.ts';
import { scanAll } from '../helpers/expire.ts';
import { startFaultedStack, type FaultedStack } from '../helpers/faulted-stack.ts';
import { toBodies } from '../helpers/messages.ts';
import { parseJsonLines } from '../helpers/compare.ts';
import { sendBodies, startTestStack, waitForEmptyQueue, queueDepth, type TestStack } from '../helpers/stack.ts';

function event(overrides: Partial<ExchangeEvent> & { eventId: string; requestAt: string }): ExchangeEvent {
  return {
    transactionId: `${overrides.eventId}-tx`,
    reporter: { platformId: 'LGSP-01', role: 'CONSUMER' },
    route: 'NGSP',
    consumer: { orgCode: 'SOTP', systemCode: 'MOTCUA', provinceCode: '01' },
    provider: { orgCode: 'BTP', systemCode: 'HOTICH' },
    serviceCode: 'hotich.khaisinh',
    responseAt: overrides.requestAt,
    succeeded: true,
    ...overrides,
  };
}

describe('exact for years: ingest and schedule edges', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ functions: ['ingest'] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('given a backfill of 2020 seed traffic, when ingested, then no stored item has a TTL already past: expiry counts from receipt', async () => {
    // Prepare: a slice of the 2020 profile's demo day (its events are six years old)
    const p = profile('2020');
    const all = [...new DayTraffic(p, p.demoDay, { seed: p.seed, scale: 0.05 }).events()];
    const slice = all.slice(0, 400);
    const sentAt = Date.now();
    // Act
    await sendBodies(t.stack.clients.sqs, t.stack.resources.queueUrl, toBodies(slice, 3, 25));
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
    // Assess: every transaction item expires a hot window after now, never before
    const items = (await scanAll(t.stack.clients.ddb, t.stack.resources.names.tables.Events)).map((raw) => unmarshall(raw));
    const transactions = items.filter((it) => /^[TE]#/.test(String(it.pk)) && String(it.m ?? '').startsWith('2020-'));
    expect(transactions.length).toBeGreaterThan(100);
    const floor = Math.floor((sentAt + PIPELINE.hotDays * DAY_MS) / 1000) - 5;
    const ceiling = Math.ceil((Date.now() + PIPELINE.hotDays * DAY_MS) / 1000) + 5;
    const expiredOnArrival = transactions.filter((it) => typeof it.ttl !== 'number' || it.ttl * 1000 <= Date.now());
    expect(expiredOnArrival).toEqual([]);
    for (const it of transactions) expect(it.ttl).toBeGreaterThanOrEqual(floor), expect(it.ttl).toBeLessThanOrEqual(ceiling);
  }, 180_000);

  it('given an envelope with an event 6 minutes ahead of its SentTimestamp, when it is delivered again 7 minutes later, then it is rejected on both deliveries and counted nowhere', async () => {
    // Prepare
    const sentMs = Date.parse('2026-11-30T10:00:00+07:00');
    const future = event({ eventId: 'fut-1', requestAt: toIct(sentMs + 6 * 60_000) });
    const fine = event({ eventId: 'fut-ok', requestAt: toIct(sentMs - 60_000) });
    const msg = {
      messageId: 'redelivered-future',
      body: JSON.stringify({ events: [future, fine] }),
      receivedAtMs: sentMs,
      source: 'sqs' as const,
    };
    const deps = (now: number): IngestDeps => ({ ...t, latenessMs: 120_000, dirtyMarginMs: 30_000, concurrency: 4, now: () => now });
    // Act: the first delivery, then the redelivery once the event's time has passed
    const first = await ingestBatch([msg], deps(sentMs + 1_000));
    const again = await ingestBatch([msg], deps(sentMs + 7 * 60_000));
    // Assess
    expect([first.rejected, again.rejected]).toEqual([1, 1]);
    expect([first.stored, again.stored, again.duplicates]).toEqual([1, 0, 1]);
    expect(await t.events.getTransaction('T#fut-1-tx')).toBeUndefined();
    const lines = parseJsonLines<{ index: number; errors: { path: string }[] }>(
      await t.bucket.get(keys.rejected('LGSP-01', '2026-11-30', 'sqs-redelivered-future')),
    );
    expect(lines).toEqual([expect.objectContaining({ index: 0, errors: [expect.objectContaining({ path: 'requestAt' })] })]);
    expect(await t.stats.rejectedOn('2026-11-30')).toBe(1);
  });

  it('given a dirty mark whose item the minute index does not show yet, when the schedule rolls, then the mark survives until a roll that started after the index caught up', async () => {
    // Prepare: an index that shows an item only 5 s after it was written (DynamoDB GSIs are eventually consistent)
    const lagMs = 5_000;
    const minute = '2019-03-05T10:00';
    const written = new Map<string, number>();
    let clock = Date.now();
    const laggy: EventStore = Object.create(t.events) as EventStore;
    laggy.writeReport = async (r) => {
      written.set(r.transactionKey, clock);
      return t.events.writeReport(r);
    };
    laggy.forEachTransactionPage = (m, onPage, pageSize) =>
      t.events.forEachTransactionPage(m, (page) => onPage(page.filter((tx) => (written.get(tx.key) ?? 0) + lagMs <= clock)), pageSize);
    const ingest: IngestDeps = { ...t, events: laggy, latenessMs: 120_000, dirtyMarginMs: 30_000, concurrency: 4, now: () => clock };
    const rollup: RollupDeps = {
      ...t,
      events: laggy,
      latenessMs: 120_000,
      concurrency: 4,
      maxMinutesPerRun: 5,
      initialLookbackMs: 0,
      indexLagMs: lagMs,
      ...rollupNumbers(),
      now: () => clock,
    };
    await t.stats.setWatermark(minuteKeyOf(clock - 180_000));
    // Only this test's mark: the backfill above left marks of its own (no rollup runs in this stack).
    for (const m of await t.stats.dirtyMarks()) await t.stats.clearDirty(m);
    const late = event({ eventId: 'lag-1', requestAt: `${minute}:30+07:00` });
    // Act: the report lands (marking its minute), a roll runs at once, another after the lag
    const out = await ingestBatch([{ messageId: 'lag', body: JSON.stringify(late), receivedAtMs: clock, source: 'sqs' }], ingest);
    expect(out.stored).toBe(1);
    clock += 1_000;
    await runScheduled(rollup);
    const marksAfterEarlyRoll = (await t.stats.dirtyMarks()).filter((m) => m.period === minute);
    clock += lagMs + 1_000;
    await runScheduled(rollup);
    // Assess
    expect(marksAfterEarlyRoll).toHaveLength(1);
    expect((await t.stats.dirtyMarks()).filter((m) => m.period === minute)).toEqual([]);
    const rows = parseJsonLines<{ transactions: number }>(await t.bucket.get(keys.minute(minute)));
    expect(rows.reduce((n, r) => n + r.transactions, 0)).toBe(1);
  });
});

describe('exact for years: a store that denies access', () => {
  let t: FaultedStack;
  const output: string[] = [];
  beforeAll(async () => {
    t = await startFaultedStack({ functions: ['ingest'], onWorkerOutput: (_fn, text) => output.push(text) });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('given DynamoDB answering AccessDenied to every report write, when a message arrives, then it is delivered again until the DLQ takes it, and no valid event is in rejected/', async () => {
    // Prepare: an IAM or KMS misconfiguration, as DynamoDB reports it
    t.ddbProxy.set([{ kind: 'denied', share: 1, when: 'before', operations: ['UpdateItem'] }]);
    const events = [0, 1, 2].map((i) => event({ eventId: `denied-${i}`, requestAt: toIct(Date.now() - 3_600_000) }));
    // Act
    await sendBodies(t.stack.clients.sqs, t.stack.resources.queueUrl, [JSON.stringify({ events })]);
    const deadline = Date.now() + 90_000;
    while ((await queueDepth(t.direct.sqs, t.stack.resources.dlqUrl)) < 1) {
      if (Date.now() > deadline) throw new Error('the message never reached the DLQ');
      await new Promise((r) => setTimeout(r, 500));
    }
    // Assess
    expect(await t.bucket.list('rejected/')).toEqual([]);
    expect(await queueDepth(t.direct.sqs, t.stack.resources.queueUrl)).toBe(0);
    expect(t.ddbProxy.stats.injected['denied:before']).toBeGreaterThanOrEqual(5);
    expect(output.join('')).toMatch(/store write failed for a reason other than the event/);
  }, 150_000);
});
