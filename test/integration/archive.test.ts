/**
 * Rules 6 and 8 end to end on the embedded stack (the scenario is in test/helpers/archive-scenario.ts;
 * test/integration/archive-dynamodb-local.test.ts runs it against the official DynamoDB Local).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_SCHEDULE, runArchiveScenario } from '../helpers/archive-scenario.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

describe('exact for years: archive ∪ hot store (embedded emulator)', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ functions: ['ingest', 'rollup'], workerEnv: FAST_SCHEDULE });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('given three days rolled and every hot item expired, when late, resent, conflicting and new reports arrive, then every file equals the oracle, and a re-roll from the archive alone is byte-identical', async () => {
    const figures = await runArchiveScenario(t, Number(process.env.SEED ?? 500));
    console.log('archive scenario (embedded):', JSON.stringify(figures));
    expect(figures.late).toBeGreaterThan(20);
    expect(figures.transactions).toBeGreaterThan(300);
  }, 600_000);
});
