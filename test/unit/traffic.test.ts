/**
 * Seed traffic: deterministic, valid v1 events, expected figures equal to a brute-force count of
 * the events (the independent oracle of test/helpers/stream.ts), and the public figures of each
 * profile. Also the envelope packer's limits and the cost estimate's proportionality.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { validateEvent } from '#shared/contract/validate.ts';
import { estimateMonthlyCost } from '#shared/cost/estimate.ts';
import { Packer, SQS_LIMITS, API_LIMITS } from '#shared/envelope.ts';
import { DayTraffic, consecutiveDays, targetTransactions } from '#shared/traffic/generate.ts';
import { averageDailyTransactions, profile } from '#shared/traffic/profile.ts';
import { systemsOn } from '#shared/traffic/systems.ts';
import { oracleSummary, oracleTransactions } from '../helpers/stream.ts';

function generate(id: '2019' | '2020' | '2021', day: string, scale = 1, seed?: number): { events: ExchangeEvent[]; traffic: DayTraffic } {
  const traffic = new DayTraffic(profile(id), day, { scale, ...(seed === undefined ? {} : { seed }) });
  return { events: [...traffic.events()], traffic };
}

/** A day generated once per file (read only): the 2019 and 2020 demo days serve several tests. */
const generated = new Map<string, ReturnType<typeof generate>>();
function generateOnce(id: '2019' | '2020' | '2021', day: string, scale = 1): ReturnType<typeof generate> {
  const key = `${id}|${day}|${scale}`;
  if (!generated.has(key)) generated.set(key, generate(id, day, scale));
  return generated.get(key)!;
}

const hash = (events: ExchangeEvent[]): string => createHash('sha256').update(JSON.stringify(events)).digest('hex');
const minuteOfDay = (e: ExchangeEvent): number => Number(e.requestAt.slice(11, 13)) * 60 + Number(e.requestAt.slice(14, 16));

describe('seed traffic generator', () => {
  it('given the same profile, seed, day and scale, when generated twice, then the events are identical; another seed differs', () => {
    const a = generate('2019', '2019-06-12', 0.2);
    const b = generate('2019', '2019-06-12', 0.2);
    const c = generate('2019', '2019-06-12', 0.2, 7);
    expect(hash(a.events)).toBe(hash(b.events));
    expect(hash(c.events)).not.toBe(hash(a.events));
    expect(new Set(c.events.map((e) => e.eventId)).has(a.events[0]!.eventId)).toBe(false);
  });

  it.each([
    ['2019', '2019-06-12', 1],
    ['2020', '2020-11-21', 0.3],
    ['2021', '2021-06-16', 0.02],
    ['2020', '2025-08-06', 0.05],
  ] as const)(
    'given profile %s on %s (scale %s), when generated, then every event is a valid v1 event and the expected figures equal a brute-force count',
    (id, day, scale) => {
      const { events, traffic } = generateOnce(id, day, scale);
      const now = Date.now();
      // Every event checked, the faults gathered: one expect per event cost seconds of the unit lane.
      const faults = events.flatMap((e) => {
        const check = validateEvent(e, now);
        const found: string[] = check.ok ? [] : [`${e.eventId}: ${JSON.stringify(check.errors)}`];
        if (e.succeeded && e.errorCategory !== undefined) found.push(`${e.eventId}: succeeded with errorCategory ${e.errorCategory}`);
        if (!e.succeeded && e.errorCategory === undefined) found.push(`${e.eventId}: failed without errorCategory`);
        return found;
      });
      expect(faults).toEqual([]);
      expect(events.length).toBeGreaterThan(0);
      // Duplicates are exact resends: one report per (platform, eventId).
      const unique = [...new Map(events.map((e) => [`${e.reporter.platformId}#${e.eventId}`, e])).values()];
      const x = traffic.expected;
      expect(unique).toHaveLength(x.reports);
      expect(events).toHaveLength(x.events);
      const oracle = oracleSummary(oracleTransactions(unique), day);
      expect(x.transactions).toBe(oracle.transactions);
      expect(x.succeeded).toBe(oracle.succeeded);
      expect(x.failed).toBe(oracle.failed);
      expect(x.ngspTransactions).toBe(oracle.ngspTransactions);
      expect(x.avgTransactionsPerMinute).toBe(oracle.avgTransactionsPerMinute);
      expect(x.peakMinute).toEqual(oracle.peakMinute);
      expect(x.systems).toEqual(oracle.systems);
      expect(x.distinctSystems).toBe(oracle.distinctSystems);
      expect(x.reportingPlatforms).toEqual(oracle.reportingPlatforms);
    },
  );

  it('given the 2020 profile, when its demo weekday is generated, then it matches the public figures: ~24,700 a day within 10 %, ~17-18 a minute, 212 connected systems, 81 reporting platforms', () => {
    const p = profile('2020');
    const { traffic } = generateOnce('2020', p.demoDay);
    const x = traffic.expected;
    const perDay = p.annualTransactions / 365;
    expect(Math.abs(x.transactions - perDay) / perDay).toBeLessThan(0.1);
    expect(Math.abs(x.avgTransactionsPerMinute - perDay / 1440) / (perDay / 1440)).toBeLessThan(0.1);
    expect(x.distinctSystems).toBe(p.connectedSystems);
    expect(x.reportingPlatforms).toHaveLength(81);
    expect(x.failed / x.transactions).toBeGreaterThan(0.02);
    expect(x.failed / x.transactions).toBeLessThan(0.05);
    expect(x.pairedTransactions / x.transactions).toBeCloseTo(p.pairedShare, 1);
    expect(x.duplicates).toBeGreaterThan(0);
    expect(x.lateReports).toBeGreaterThan(0);
  });

  it('given each profile, when its year is summed day by day, then the total is the public annual figure within 2 %', () => {
    for (const id of ['2019', '2020', '2021'] as const) {
      const p = profile(id);
      const days = consecutiveDays(`${p.year}-01-01`, p.year === 2020 ? 366 : 365);
      const total = days.reduce((sum, d) => sum + targetTransactions(p, d), 0);
      expect(Math.abs(total - p.annualTransactions) / p.annualTransactions, id).toBeLessThan(0.02);
      expect(averageDailyTransactions(p)).toBeGreaterThan(0);
    }
  });

  it('given the 2019 profile, when a day is generated, then 51 systems take part and about 27 % of ministries and provinces report (plus NGSP)', () => {
    const p = profile('2019');
    const { traffic } = generateOnce('2019', p.demoDay);
    expect(traffic.expected.distinctSystems).toBe(51);
    const set = systemsOn(p, p.demoDay, p.seed);
    expect(set.lgspPlatforms.length / set.units).toBeGreaterThan(0.25);
    expect(set.lgspPlatforms.length / set.units).toBeLessThan(0.3);
    expect(traffic.expected.reportingPlatforms).toContain('NGSP');
    expect(traffic.expected.reportingPlatforms.length).toBeLessThanOrEqual(set.lgspPlatforms.length + 1);
  });

  it('given the 2021 profile, when its systems are built, then there are 350 and the day plans ~500,000 transactions', () => {
    const p = profile('2021');
    expect(systemsOn(p, p.demoDay, p.seed).systems).toHaveLength(350);
    expect(new Set(systemsOn(p, p.demoDay, p.seed).systems.map((s) => s.id)).size).toBe(350);
    const n = targetTransactions(p, p.demoDay);
    expect(n).toBeGreaterThan(450_000);
    expect(n).toBeLessThan(600_000);
  });

  it('given a weekday and a Sunday, when generated, then office hours are busier than the night, lunch dips, and the Sunday is lower', () => {
    const wed = generateOnce('2020', '2020-11-18').traffic.expected;
    const sun = generate('2020', '2020-11-22', 1).traffic.expected;
    expect(sun.transactions).toBeLessThan(wed.transactions * 0.9);
    const rate = (from: number, to: number): number => {
      let sum = 0;
      for (const [m, c] of wed.perMinute) {
        const mm = Number(m.slice(11, 13)) * 60 + Number(m.slice(14, 16));
        if (mm >= from && mm < to) sum += c;
      }
      return sum / (to - from);
    };
    expect(rate(9 * 60, 11 * 60)).toBeGreaterThan(2 * rate(22 * 60, 24 * 60));
    expect(rate(12 * 60, 13 * 60)).toBeLessThan(0.7 * rate(9 * 60, 11 * 60));
    expect(minuteOfDay({ requestAt: '2020-11-18T09:30:00.000+07:00' } as ExchangeEvent)).toBe(570);
  });
});

describe('envelope packer', () => {
  it('given any sequence of events, when packed for SQS or the API, then every event comes out once, in order, within every limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 0, maxLength: 3000 }), { maxLength: 1500 }),
        fc.constantFrom(SQS_LIMITS, API_LIMITS, { ...SQS_LIMITS, maxEventsPerEnvelope: 100 }),
        (texts, limits) => {
          const events = texts.map((t, i) => JSON.stringify({ i, t }));
          const packer = new Packer(limits);
          const batches = [...events.flatMap((e) => packer.add(e)), ...packer.flush()];
          const out: string[] = [];
          for (const b of batches) {
            expect(b.bodies.length).toBeLessThanOrEqual(limits.maxMessagesPerBatch);
            expect(b.bodies.reduce((s, x) => s + Buffer.byteLength(x), 0)).toBeLessThanOrEqual(limits.maxBatchBytes);
            b.bodies.forEach((body, k) => {
              expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limits.maxMessageBytes);
              const parsed = JSON.parse(body) as { events: unknown[] };
              expect(parsed.events.length).toBeGreaterThan(0);
              expect(parsed.events.length).toBeLessThanOrEqual(limits.maxEventsPerEnvelope);
              expect(parsed.events.length).toBe(b.counts[k]);
              out.push(...parsed.events.map((e) => JSON.stringify(e)));
            });
          }
          expect(out).toEqual(events);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('cost estimate', () => {
  it('given a daily volume, when estimated, then every service costs something and the traffic part is proportional to the volume', () => {
    const a = estimateMonthlyCost(24_700);
    const b = estimateMonthlyCost(49_400);
    expect(a.services.map((s) => s.service)).toEqual(['Lambda', 'SQS', 'DynamoDB', 'S3', 'API Gateway', 'CloudWatch']);
    for (const s of a.services) expect(s.total, s.service).toBeGreaterThan(0);
    expect(b.variable).toBeCloseTo(2 * a.variable, 6);
    for (const [i, s] of a.services.entries()) expect(b.services[i]!.variable).toBeCloseTo(2 * s.variable, 6);
    expect(b.total - b.variable).toBeCloseTo(a.total - a.variable, 6);
  });
});
