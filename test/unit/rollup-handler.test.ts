/**
 * The scheduled rollup's watermark over in-memory stores (test/helpers/fakes.ts): it moves over
 * the minutes whose lateness window has passed, at most a run's worth, and stops at a minute
 * that failed, which the next run rolls again.
 */
import { describe, expect, it } from 'vitest';
import { makeHandler } from '#functions/rollup/app.ts';
import { RollupIncompleteError } from '#shared/rollup.ts';
import { keys } from '#shared/store/bucket.ts';
import { minuteStartMs } from '#shared/time.ts';
import { awsError, FakeRollupStores, lambdaContext } from '../helpers/fakes.ts';

const NOW = minuteStartMs('2021-06-01T10:05') + 10_000;

describe('scheduled rollup watermark over fakes', () => {
  it('given a watermark, when a run starts, then every minute whose end plus the lateness window has passed is rolled and the watermark moves past them', async () => {
    const stores = new FakeRollupStores();
    stores.watermarkValue = '2021-06-01T10:00';

    const report = await makeHandler(stores.deps({ now: NOW }))({}, lambdaContext);

    // 10:02 ends at 10:03, + 120 s = 10:05 <= now; 10:03 is still inside the window.
    expect(report).toMatchObject({ minutes: 3, days: [], watermark: '2021-06-01T10:03' });
    expect(stores.watermarkValue).toBe('2021-06-01T10:03');
    expect([...stores.objects.keys()].sort()).toEqual(['2021-06-01T10:00', '2021-06-01T10:01', '2021-06-01T10:02'].map(keys.minute));
  });

  it('given more due minutes than a run may roll, then the watermark moves by that many and the next run goes on', async () => {
    const stores = new FakeRollupStores();
    stores.watermarkValue = '2021-06-01T09:00';
    const handler = makeHandler(stores.deps({ now: NOW, maxMinutesPerRun: 30 }));

    await handler({}, lambdaContext);
    expect(stores.watermarkValue).toBe('2021-06-01T09:30');
    await handler({}, lambdaContext);
    expect(stores.watermarkValue).toBe('2021-06-01T10:00');
  });

  it('given a minute whose file cannot be written, then the watermark stops at it, the run says so, and the next run rolls it', async () => {
    const stores = new FakeRollupStores();
    stores.watermarkValue = '2021-06-01T10:00';
    stores.failPut = (key) => (key === keys.minute('2021-06-01T10:01') ? awsError('AccessDenied', 403) : undefined);
    const handler = makeHandler(stores.deps({ now: NOW }));

    await expect(handler({}, lambdaContext)).rejects.toBeInstanceOf(RollupIncompleteError);
    expect(stores.watermarkValue).toBe('2021-06-01T10:01');
    // 10:02 was rolled anyway: one failed minute does not undo the others.
    expect(stores.objects.has(keys.minute('2021-06-01T10:02'))).toBe(true);

    stores.failPut = () => undefined;
    await handler({}, lambdaContext);
    expect(stores.watermarkValue).toBe('2021-06-01T10:03');
    expect(stores.objects.has(keys.minute('2021-06-01T10:01'))).toBe(true);
  });

  it('given no watermark yet, then the first run starts the initial lookback before now', async () => {
    const stores = new FakeRollupStores();

    await makeHandler(stores.deps({ now: NOW, maxMinutesPerRun: 1 }))({}, lambdaContext);

    // now − lateness (2 min) − lookback (60 min), floored to the minute: 09:03; one minute rolled.
    expect(stores.watermarkValue).toBe('2021-06-01T09:04');
  });
});
