/**
 * Freshness: with the default 120 s lateness window, a minute that has just ended shows up in the
 * stats the API reads within a scheduled run (provisional), while its S3 file is written only
 * once the minute is final.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/store/bucket.ts';
import { MINUTE_MS, minuteKeyOf, toIct } from '#shared/time.ts';
import { sendBodies, startTestStack, waitForEmptyQueue, type TestStack } from '../helpers/stack.ts';

describe('provisional minutes', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ functions: ['ingest', 'rollup'], workerEnv: { NGSP_SCHEDULE_SECONDS: '2' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('given a report from the minute that just ended, when the schedule runs, then its stats item counts it before its S3 file exists', async () => {
    // Prepare: a report in the previous minute (ended, but inside the 120 s window)
    const minuteStart = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
    const at = minuteStart + 30_000;
    const minute = minuteKeyOf(at);
    const event = {
      eventId: `fresh-${Date.now()}`,
      reporter: { platformId: 'LGSP-79', role: 'CONSUMER' },
      route: 'NGSP',
      consumer: { orgCode: 'SOTP', systemCode: 'MOTCUA', provinceCode: '79' },
      provider: { orgCode: 'BTP', systemCode: 'HOTICH' },
      serviceCode: 'hotich.khaisinh',
      requestAt: toIct(at),
      responseAt: toIct(at + 120),
      succeeded: true,
    };

    // Act
    await sendBodies(t.stack.clients.sqs, t.stack.resources.queueUrl, [JSON.stringify(event)]);
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
    let seen = 0;
    for (const end = Date.now() + 20_000; Date.now() < end && !seen; ) {
      const items = await t.stats.minutesOf(minute.slice(0, 10), minute.slice(11), minute.slice(11), { payload: false });
      seen = items[0]?.transactions ?? 0;
      if (!seen) await new Promise((r) => setTimeout(r, 500));
    }

    // Assess
    expect(seen).toBe(1);
    // Final only after end + 120 s: unless this test ran slowly, the file is not there yet.
    if (Date.now() < minuteStart + MINUTE_MS + 110_000) expect(await t.bucket.get(keys.minute(minute))).toBeUndefined();
  }, 60_000);
});
