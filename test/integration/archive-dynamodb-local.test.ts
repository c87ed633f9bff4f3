/**
 * The "exact for years" scenario against the official DynamoDB Local (Java): the code must hold
 * on a store that behaves like DynamoDB, not only on the embedded emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_SCHEDULE, runArchiveScenario } from '../helpers/archive-scenario.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../helpers/dynamodb-local.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

describe('exact for years: archive ∪ hot store (official DynamoDB Local)', () => {
  let ddb: DynamoDbLocal;
  let t: TestStack;
  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
    t = await startTestStack({ functions: ['ingest', 'rollup'], workerEnv: FAST_SCHEDULE, endpoints: { dynamodb: ddb.endpoint } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await ddb?.stop();
  });

  it('given three days rolled and every hot item expired, when late, resent, conflicting and new reports arrive, then every file equals the oracle, and a re-roll from the archive alone is byte-identical', async () => {
    const figures = await runArchiveScenario(t, 700);
    console.log('archive scenario (DynamoDB Local):', JSON.stringify(figures));
    expect(figures.late).toBeGreaterThan(20);
  }, 600_000);
});
