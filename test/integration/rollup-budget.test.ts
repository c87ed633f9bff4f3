/**
 * The rollup's time budget (issue 12 §3): a catch-up run with more minutes than it can roll
 * before its timeout, through the real handler, whose stores stop answering at the timeout (the
 * function is killed). It checkpoints as it goes and stops starting work a margin before the
 * timeout, so each run leaves the watermark further on, and the day it crossed is rolled, not lost.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE, rollupNumbers } from '#infra/wiring.ts';
import type { Clients } from '#shared/store/clients.ts';
import { keys } from '#shared/store/bucket.ts';
import { makeStores } from '#shared/store/stores.ts';
import { MINUTE_MS, minuteStartMs } from '#shared/time.ts';
import { makeHandler, type RollupHandlerDeps } from '../../functions/rollup/app.ts';
import { makeLocalClients } from '../../local/stack.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

const LATENESS_MS = 120_000;
const FROM = '2021-03-10T23:52';
const BACKLOG = 3_000;
// Long enough for a first chunk of minutes on a loaded 2-core machine, far too short for the whole backlog.
const TIMEOUT_MS = 5_000;

/** Clients whose every request fails once `killedAt()` has passed: what a killed function's requests amount to. */
function killable(t: TestStack, killedAt: () => number): Clients {
  const c = makeLocalClients(t.stack.emulators.endpoints, t.stack.region);
  for (const client of [c.ddb, c.s3] as { middlewareStack: { add: (mw: unknown, opts: unknown) => void } }[]) {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        if (Date.now() >= killedAt()) throw new Error('killed: the function timed out');
        return next(args);
      },
      { step: 'initialize', name: 'killAtTimeout' },
    );
  }
  return c;
}

describe('a catch-up run longer than the function timeout', () => {
  let t: TestStack;
  let deadline = 0;
  let clients: Clients;
  beforeAll(async () => {
    t = await startTestStack({ functions: [] });
    clients = killable(t, () => deadline);
  });
  afterAll(async () => {
    clients?.ddb.destroy();
    clients?.s3.destroy();
    await t?.stop();
  });

  it('given a backlog of 3,000 minutes and a 5 s timeout, then every run saves progress before it is killed and the next goes on', async () => {
    // Prepare
    const n = t.stack.resources.names;
    const now = minuteStartMs(FROM) + BACKLOG * MINUTE_MS + LATENESS_MS;
    const deps: RollupHandlerDeps = {
      ...makeStores(clients.ddb, clients.s3, { eventsTable: n.tables.Events, statsTable: n.tables.Stats, bucket: n.bucket }, PIPELINE),
      ...rollupNumbers(),
      latenessMs: LATENESS_MS,
      concurrency: 8,
      maxMinutesPerRun: BACKLOG,
      initialLookbackMs: 0,
      indexLagMs: 0,
      provisional: false,
      budgetMarginMs: 1_500,
      now: () => now,
    };
    await t.stats.setWatermark(FROM);
    const handler = makeHandler(deps);
    const invoke = async (): Promise<string | undefined> => {
      deadline = Date.now() + TIMEOUT_MS;
      const context = {
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        functionName: 'rollup',
        awsRequestId: 'test',
      } as unknown as Context;
      await handler({}, context).catch(() => undefined); // killed or not, what counts is what it saved
      deadline = Number.POSITIVE_INFINITY;
      return t.stats.watermark();
    };

    // Act
    const first = await invoke();
    const second = await invoke();

    // Assess
    console.log(`watermark after run 1: ${first}, after run 2: ${second}`);
    expect(first! > FROM).toBe(true);
    expect(second! > first!).toBe(true);
    // The day the runs crossed (8 minutes in) is rolled, or marked for the next run: never skipped.
    expect(second! >= '2021-03-11T00:00').toBe(true);
    const summary = await t.bucket.get(keys.summary('2021-03-10'));
    const marked = (await t.stats.dirtyMarks()).some((m) => m.period === '2021-03-10');
    expect(summary !== undefined || marked).toBe(true);
    expect(await t.stats.lease()).toBeUndefined();
  }, 60_000);
});
