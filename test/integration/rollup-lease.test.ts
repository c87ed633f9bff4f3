/**
 * One scheduled rollup at a time without reserved concurrency (issue 12 §8): the lease item in
 * the stats table. Two runners racing: one rolls, the other returns at once; a runner killed
 * while holding the lease: the next takes over once the lease has expired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollupNumbers } from '#infra/wiring.ts';
import { runScheduled, type RollupDeps } from '#shared/rollup.ts';
import { MINUTE_MS, minuteKeyOf, minuteStartMs } from '#shared/time.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

const LEASE_MS = rollupNumbers().leaseMs;
const LATENESS_MS = 120_000;

describe('the rollup lease', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ functions: [] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** A runner whose clock is `clock()`; minutes from `from` are due up to 6 minutes on. */
  const runner = (id: string, clock: () => number): RollupDeps => ({
    ...t,
    runnerId: id,
    latenessMs: LATENESS_MS,
    concurrency: 4,
    maxMinutesPerRun: 6,
    initialLookbackMs: 0,
    indexLagMs: 0,
    ...rollupNumbers(),
    now: clock,
  });

  it('given two runners started together, then exactly one rolls and the other returns without work', async () => {
    // Prepare
    const from = '2021-03-10T08:00';
    await t.stats.setWatermark(from);
    const now = minuteStartMs(from) + 6 * MINUTE_MS + LATENESS_MS;

    // Act
    const [a, b] = await Promise.all([runScheduled(runner('a', () => now)), runScheduled(runner('b', () => now))]);

    // Assess
    const rolled = [a, b].filter((r) => !r.leaseBusy);
    expect(rolled).toHaveLength(1);
    expect(rolled[0]!.minutes).toBe(6);
    expect([a, b].filter((r) => r.leaseBusy)).toEqual([expect.objectContaining({ minutes: 0, days: [] })]);
    expect(await t.stats.watermark()).toBe(minuteKeyOf(minuteStartMs(from) + 6 * MINUTE_MS));
    expect(await t.stats.lease()).toBeUndefined(); // released at the end
  });

  it('given a runner killed while holding the lease, then the next run does nothing until the lease expires, then takes over', async () => {
    // Prepare: "dead" took the lease and never released it (its process was killed).
    const from = '2021-03-10T09:00';
    await t.stats.setWatermark(from);
    const killedAt = minuteStartMs(from) + 6 * MINUTE_MS + LATENESS_MS;
    expect(await t.stats.takeLease('dead', killedAt, killedAt + LEASE_MS)).toBe(true);

    // Act
    const early = await runScheduled(runner('next', () => killedAt + LEASE_MS / 2));
    const afterExpiry = await runScheduled(runner('next', () => killedAt + LEASE_MS));

    // Assess
    expect(early.leaseBusy).toBe(true);
    expect(afterExpiry.leaseBusy).toBeUndefined();
    expect(afterExpiry.minutes).toBe(6);
    expect(await t.stats.watermark()).toBe(minuteKeyOf(minuteStartMs(from) + 6 * MINUTE_MS));
    // The dead runner's lease is gone with it: it can no longer renew (its checkpoints would stop it).
    expect(await t.stats.renewLease('dead', killedAt + 2 * LEASE_MS)).toBe(false);
  });
});
