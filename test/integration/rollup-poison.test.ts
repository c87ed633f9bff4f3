/**
 * Poison periods (issue 12 §4): a minute whose roll fails every time (here its archive object is
 * corrupt) holds the watermark for `POISON_ATTEMPTS` runs, then is quarantined: later minutes are
 * rolled and published, the watermark goes on, `ngsp quarantine list` shows it with its error, the
 * schedule leaves it alone until its back-off is over, and `ngsp quarantine retry` rolls it by
 * hand once the cause is fixed (its day is then marked to roll again).
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollupNumbers } from '#infra/wiring.ts';
import { RollupIncompleteError, runScheduled, type RollupDeps, type RunReport } from '#shared/rollup.ts';
import { keys } from '#shared/store/bucket.ts';
import { MINUTE_MS, minuteKeyOf, minuteStartMs } from '#shared/time.ts';
import { listQuarantine, retryQuarantine } from '../../cli/commands/quarantine.ts';
import { UserError } from '../../cli/errors.ts';
import type { Io } from '../../cli/io.ts';
import { closeTarget, localTarget, type Target } from '../../cli/target.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

const LATENESS_MS = 120_000;
const FROM = '2021-03-10T10:00';
const POISON = '2021-03-10T10:02';

function captureIo(): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), note: (l) => lines.push(l), progress: false };
}

describe('a poison minute', () => {
  let t: TestStack;
  let target: Target;
  beforeAll(async () => {
    t = await startTestStack({ functions: [] });
    target = localTarget(t.stack.stackJson({ analyst: '', ops: '', lgsp: {} }), 'test stack');
  });
  afterAll(async () => {
    if (target) closeTarget(target);
    await t?.stop();
  });

  const deps = (now: number): RollupDeps => ({
    ...t,
    ...rollupNumbers(),
    latenessMs: LATENESS_MS,
    concurrency: 4,
    maxMinutesPerRun: 6,
    initialLookbackMs: 0,
    indexLagMs: 0,
    now: () => now,
  });
  const run = (now: number): Promise<RunReport | RollupIncompleteError> =>
    runScheduled(deps(now)).catch((err: unknown) => {
      if (err instanceof RollupIncompleteError) return err;
      throw err;
    });

  it('given a minute that fails on every run, then it is quarantined, later minutes are rolled, the watermark moves on and ops see it', async () => {
    // Prepare: a corrupt archive object makes every final roll of the minute fail the same way.
    const { poisonAttempts, quarantineRetryMs } = rollupNumbers();
    await t.bucket.put(keys.archive(POISON), 'not gzip');
    await t.stats.setWatermark(FROM);
    const now = minuteStartMs(FROM) + 6 * MINUTE_MS + LATENESS_MS;

    // Act: the scheduled runs, as many as it takes to give up on the minute
    const outcomes: (RunReport | RollupIncompleteError)[] = [];
    for (let i = 0; i < poisonAttempts; i++) outcomes.push(await run(now + i * MINUTE_MS));
    const listed = captureIo();
    const held = await listQuarantine(target, {}, listed);

    // Assess: until then the minute holds the watermark; later minutes are published anyway
    for (const o of outcomes.slice(0, -1)) expect(o).toBeInstanceOf(RollupIncompleteError);
    expect((outcomes[0] as RollupIncompleteError).failedMinutes).toEqual([POISON]);
    for (const m of ['10:03', '10:04', '10:05']) expect(await t.bucket.get(keys.minute(`2021-03-10T${m}`)), m).toBe('');
    // ... then it is quarantined and the watermark goes on
    const last = outcomes.at(-1) as RunReport;
    expect(last).not.toBeInstanceOf(RollupIncompleteError);
    expect(last.quarantined).toBe(1);
    expect(await t.stats.watermark()).toBe(minuteKeyOf(minuteStartMs(FROM) + (6 + poisonAttempts - 1) * MINUTE_MS)); // every due minute is rolled
    expect(held).toEqual([expect.objectContaining({ kind: 'minute', period: POISON, attempts: poisonAttempts })]);
    expect(held[0]!.error).toMatch(/header|gzip|check/i);
    expect(held[0]!.retryAt - held[0]!.since).toBe(quarantineRetryMs);
    expect(listed.lines.join('\n')).toContain(POISON);

    // A run before the back-off is over leaves it alone; one after it tries again and backs off longer.
    const early = (await run(now + (poisonAttempts - 1) * MINUTE_MS)) as RunReport;
    expect(early.minutes).toBe(0);
    expect((await t.stats.quarantined())[0]!.attempts).toBe(poisonAttempts);
    const retried = (await run(held[0]!.retryAt)) as RunReport;
    const after = (await t.stats.quarantined())[0]!;
    expect(retried.quarantined).toBe(1);
    expect(after.attempts).toBe(poisonAttempts + 1);
    expect(after.retryAt - held[0]!.retryAt).toBe(2 * quarantineRetryMs);
  });

  it('given the cause fixed, when ops retry it by hand, then it rolls, leaves the quarantine and marks its day', async () => {
    // Prepare
    const io = captureIo();
    await expect(retryQuarantine(target, '2021-03-10T10:09', io)).rejects.toThrow(UserError);
    await t.bucket.put(keys.archive(POISON), gzipSync('')); // an archived minute with no transaction

    // Act
    const out = await retryQuarantine(target, POISON, io);

    // Assess
    expect(out).toEqual([{ period: POISON, rolled: true }]);
    expect(await t.stats.quarantined()).toEqual([]);
    expect(await t.bucket.get(keys.minute(POISON))).toBe('');
    expect((await t.stats.dirtyMarks()).map((m) => m.period)).toContain('2021-03-10');
    const listed = captureIo();
    await listQuarantine(target, {}, listed);
    expect(listed.lines).toEqual(['no quarantined minutes or days.']);
  });
});
