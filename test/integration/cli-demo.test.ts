/**
 * The demo path: a 2020-profile day replayed through SQS into the local stack, drained, rolled
 * (all 1,440 minutes and the day) and summarised. The summary must equal the generator's expected
 * figures, match the profile's targets (9 million a year ⇒ ~24,700 a day, ~17–18 a minute, within
 * 10 %) and count the profile's 212 connected systems.
 *
 * By default the day is replayed at a quarter of its volume (about 6,600 transactions, 10,000
 * events) to stay near 90 s on a shared 2-core machine; the per-day and per-minute figures are
 * scaled back for the comparison with the targets. NGSP_FULL_DAY=1 replays the full day
 * (about 26,000 transactions, 40,000 events: 3–4 minutes on a loaded 2-core machine).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profile } from '#shared/traffic/profile.ts';
import type { Io } from '../../cli/io.ts';
import { join } from 'node:path';
import { closeTarget, localTarget, type Target } from '../../cli/target.ts';
import { ensureLocalSenders } from '../../local/senders.ts';
import { replayDemoDay } from '../../cli/commands/demo.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

const FULL = process.env.NGSP_FULL_DAY === '1';
const SCALE = FULL ? 1 : 0.25;

describe('demo: a 2020-profile day through the local stack', () => {
  let t: TestStack;
  let target: Target;
  beforeAll(async () => {
    t = await startTestStack({ functions: ['ingest'], visibilityTimeoutSeconds: 30 });
    // Every platform signs its SQS messages with its own credentials, as with npm start.
    const senders = await ensureLocalSenders(
      join(t.dataDir, 'senders.json'),
      t.stack.clients.ddb,
      t.stack.resources.names.tables.Keys,
      t.stack.sqsProxy,
    );
    target = localTarget(t.stack.stackJson({ analyst: '', ops: '', lgsp: {} }, senders), 'test stack');
  });
  afterAll(async () => {
    if (target) closeTarget(target);
    await t?.stop();
  });

  it(
    `given the 2020 profile's demo weekday (scale ${SCALE}), when replayed, drained and rolled, then the summary equals the expected figures and matches the public targets within 10 %`,
    async () => {
      // Prepare
      const p = profile('2020');
      const lines: string[] = [];
      const io: Io = { out: (l) => lines.push(l), note: (l) => lines.push(l), progress: false };

      // Act
      const r = await replayDemoDay(target, io, { scale: SCALE, force: true });

      // Assess: exact against the generator
      const x = r.expected!;
      const s = r.summary;
      expect(s.transactions).toBe(x.transactions);
      expect(s.succeeded).toBe(x.succeeded);
      expect(s.ngspTransactions).toBe(x.ngspTransactions);
      expect(s.peakMinute).toEqual(x.peakMinute);
      expect(s.systems).toEqual(x.systems);
      expect(s.reportingPlatforms).toEqual(x.reportingPlatforms);
      // Assess: the public figures (scaled back)
      const perDay = p.annualTransactions / 365;
      expect(Math.abs(s.transactions / SCALE - perDay) / perDay).toBeLessThan(0.1);
      expect(Math.abs(s.avgTransactionsPerMinute / SCALE - perDay / 1440) / (perDay / 1440)).toBeLessThan(0.1);
      expect(s.distinctSystems).toBe(p.connectedSystems);
      expect(await t.bucket.list(`rollups/minute/date=${r.day}/`)).toHaveLength(1440);
      console.log(
        `demo test (scale ${SCALE}): ${s.transactions} transactions; send ${r.sendSeconds.toFixed(1)} s, drain ${r.drainSeconds.toFixed(1)} s, rollup ${r.rollSeconds.toFixed(1)} s, ${Math.round(r.ingestRate)} events/s`,
      );
    },
    FULL ? 600_000 : 240_000,
  );
});
