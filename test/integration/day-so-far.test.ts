/**
 * Issue 12 §6: a day not rolled yet (today) is read through its fold (shared/day-so-far.ts) and
 * the minutes beyond it, not through all its minute items — with the same figures as the count
 * of every transaction (an independent oracle), before the fold, with it, after a minute of it
 * is rolled again (the fold no longer holds and is not used), and after the run folds it again.
 * On dynalite and on the official DynamoDB Local.
 */
import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsReader } from '#shared/api/metrics.ts';
import { foldDay } from '#shared/day-so-far.ts';
import { rollDay } from '#shared/rollup.ts';
import type { ReportFacts, TransactionState } from '#shared/report.ts';
import { PeriodStats } from '#shared/stats/period.ts';
import { SystemsStats } from '#shared/stats/systems.ts';
import type { Clients } from '#shared/store/clients.ts';
import type { Stores } from '#shared/store/stores.ts';
import { countQueryReads } from '../helpers/query-reads.ts';
import { STORE_KINDS, startStoresStack, type StoresStack, type TestStack } from '../helpers/stack.ts';

const DAY = '2026-03-02';
const NOW = Date.parse(`${DAY}T13:30:00+07:00`);
const MINUTES = Array.from({ length: 180 }, (_, i) => `${String(10 + Math.floor(i / 60))}:${String(i % 60).padStart(2, '0')}`);

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function transaction(minute: string, rnd: () => number): TransactionState {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const succeeded = rnd() > 0.1;
  const facts: ReportFacts = {
    eventId: randomUUID(),
    platformId: pick(['LGSP-01', 'LGSP-79', 'NGSP']),
    requestAtMs: Date.parse(`${DAY}T${minute}:00+07:00`) + Math.floor(rnd() * 60_000),
    durationMs: 1 + Math.floor(rnd() * 3000),
    route: pick(['NGSP', 'LGSP']),
    serviceCode: pick(['hotich.khaisinh', 'dancu.xacthuc', 'dat.thuadat']),
    consumerSystem: `000.00.${pick(['01', '79', '48'])}.H57/QLVB-${Math.floor(rnd() * 40)}`,
    consumerProvince: pick(['01', '79', '48']),
    providerSystem: `000.00.00.G12/CSDL-${Math.floor(rnd() * 20)}`,
    providerProvince: pick(['01', '79']),
    succeeded,
    requestBytes: 100,
    responseBytes: 1000,
    ...(succeeded ? {} : { errorCategory: 'TIMEOUT' }),
  };
  return { key: facts.eventId, consumer: facts };
}

describe.each(STORE_KINDS)('a day not rolled yet, through its fold (%s)', (kind) => {
  let s: StoresStack;
  let t: TestStack;
  let clients: Clients;
  let stores: Stores;
  let reads: Map<string, number>;
  const byMinute = new Map<string, TransactionState[]>();
  /** Minute item bytes the answers read with no fold. */
  let fullMinuteBytes = 0;
  const reader = (): MetricsReader => new MetricsReader(stores.stats, () => NOW);

  /** Stores a minute as rollMinute stores it: the systems item, then the minute item. */
  async function putMinute(hhmm: string): Promise<void> {
    const stats = new PeriodStats();
    const systems = new SystemsStats();
    for (const tx of byMinute.get(hhmm) ?? []) {
      stats.addTransaction(tx);
      systems.addTransaction(tx);
    }
    const totals = stats.totals();
    await stores.stats.putMinuteSystems(`${DAY}T${hhmm}`, systems.toPayload());
    await stores.stats.putMinute(
      `${DAY}T${hhmm}`,
      { transactions: totals.transactions, succeeded: totals.succeeded, durationMsP95: totals.sketch.quantile(0.95) },
      stats.toPayload(),
    );
  }

  /** What the API must answer, counted from every transaction. */
  function oracle(filter: { route?: string } = {}) {
    const all = new PeriodStats();
    const systems = new SystemsStats();
    for (const txs of byMinute.values())
      for (const tx of txs) {
        if (filter.route && tx.consumer!.route !== filter.route) continue;
        all.addTransaction(tx);
        systems.addTransaction(tx);
      }
    const totals = all.totals();
    return {
      transactions: totals.transactions,
      succeeded: totals.succeeded,
      p95: totals.sketch.quantile(0.95),
      systems: all.systems.size,
      platforms: [...all.platforms].sort(),
      systemsRows: systems.size,
    };
  }

  async function answers() {
    const api = reader();
    const [day] = (await api.days({ from: DAY, to: DAY, filter: {} })).points;
    const [ngsp] = (await api.days({ from: DAY, to: DAY, filter: { route: 'NGSP' } })).points;
    const summary = await api.summary({ from: DAY, to: DAY });
    const breakdown = await api.systemsBreakdown({ from: DAY, to: DAY, filter: {}, by: 'system', limit: 10 });
    return { day, ngsp, summary, breakdown };
  }

  function expectExact(a: Awaited<ReturnType<typeof answers>>): void {
    const all = oracle();
    const ngsp = oracle({ route: 'NGSP' });
    expect([a.day!.transactions, a.day!.succeeded, a.day!.durationMsP95]).toEqual([all.transactions, all.succeeded, all.p95]);
    expect([a.ngsp!.transactions, a.ngsp!.succeeded, a.ngsp!.durationMsP95]).toEqual([ngsp.transactions, ngsp.succeeded, ngsp.p95]);
    expect([a.summary.transactions, a.summary.ngspTransactions, a.summary.distinctSystems]).toEqual([
      all.transactions,
      ngsp.transactions,
      all.systems,
    ]);
    expect(a.summary.reportingPlatforms).toEqual(all.platforms);
    expect([a.breakdown.transactions, a.breakdown.totalRows]).toEqual([all.transactions, all.systemsRows]);
  }

  beforeAll(async () => {
    s = await startStoresStack(kind);
    ({ t, clients, stores } = s);
    reads = countQueryReads(clients.ddb);
    const rnd = random(12);
    for (const m of MINUTES)
      byMinute.set(
        m,
        Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => transaction(m, rnd)),
      );
    for (const m of MINUTES) await putMinute(m);
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
  });

  it('given no fold, then today is read from every minute and is exact', async () => {
    reads.clear();
    expectExact(await answers());
    fullMinuteBytes = reads.get('MIN') ?? 0;
    expect(fullMinuteBytes).toBeGreaterThan(0);
  });

  it('given a fold of the final minutes, then today reads the fold and only the minutes beyond it, with the same figures', async () => {
    // Act: the run folds the minutes before 12:30 (those after are not final yet)
    expect(await foldDay(DAY, stores.stats, '12:30')).toBe('rebuilt');
    expect(await foldDay(DAY, stores.stats, '12:31')).toBe('current'); // one new final minute: not worth a write
    reads.clear();
    const a = await answers();

    // Assess: 30 of the 180 minutes are beyond the fold: about a sixth of the minute items read
    expectExact(a);
    expect(reads.get('DSF')).toBeGreaterThan(0);
    expect(reads.get('MIN')).toBeGreaterThan(0);
    expect(reads.get('MIN')).toBeLessThan(fullMinuteBytes / 4);
    // A day point reads the fold's payload, not its systems (the breakdown reads those)
    reads.clear();
    await reader().days({ from: DAY, to: DAY, filter: {} });
    expect([reads.get('DSF') ?? 0, reads.get('DSFS') ?? 0].map((n) => n > 0)).toEqual([true, false]);
  });

  it('given a minute of the fold rolled again with another transaction, then the fold is not used, and the next run folds the day again', async () => {
    // Act 1: late data in 10:05
    byMinute.get('10:05')!.push(transaction('10:05', random(99)));
    await putMinute('10:05');

    // Assess 1: exact (the fold holds an old token for 10:05, so every minute is read)
    reads.clear();
    expectExact(await answers());

    // Act 2: the run's fold step
    expect(await foldDay(DAY, stores.stats, '12:30')).toBe('rebuilt');

    // Assess 2
    expectExact(await answers());
    expect(await foldDay(DAY, stores.stats, '12:30')).toBe('current');
  });

  it('given the fold after the last minutes are final, then it adds them to what it held', async () => {
    expect(await foldDay(DAY, stores.stats, '13:00', 30)).toBe('written');
    reads.clear();
    const [point] = (await reader().days({ from: DAY, to: DAY, filter: {} })).points;
    expect(point!.transactions).toBe(oracle().transactions);
    expect(reads.get('MIN') ?? 0).toBe(0); // nothing beyond the fold: no minute item read
  });

  it("given a rebuild cut short by the run's time budget, then the part it folded holds (exact answers) and the next run goes on from it", async () => {
    // Prepare: late data in 11:30, so the fold no longer holds and the next fold is a rebuild
    byMinute.get('11:30')!.push(transaction('11:30', random(7)));
    await putMinute('11:30');

    // Act 1: the budget runs out after 50 minutes
    let checks = 0;
    expect(await foldDay(DAY, stores.stats, '13:00', 30, () => ++checks > 50)).toBe('partial');

    // Assess 1
    expect(Object.keys((await stores.stats.daySoFar(DAY))!.tokens)).toHaveLength(50);
    expectExact(await answers());

    // Act 2: the next run
    expect(await foldDay(DAY, stores.stats, '13:00', 30)).toBe('written');

    // Assess 2: every minute before 13:00 (all 180 have transactions)
    expect(Object.keys((await stores.stats.daySoFar(DAY))!.tokens)).toHaveLength(180);
    expectExact(await answers());
  });

  it('given the day rolled, then both values of its fold are deleted and the day item serves its figures', async () => {
    // Prepare: the fold the tests above left
    expect(await stores.stats.daySoFar(DAY)).toBeDefined();
    const table = t.stack.resources.names.tables.Stats;
    const partition = async (pk: string) =>
      (
        await clients.ddb.send(
          new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } }),
        )
      ).Items ?? [];
    expect((await partition('DSF#2026')).length).toBeGreaterThan(0);

    // Act
    await rollDay(DAY, { ...stores, now: () => NOW + 86_400_000 });

    // Assess
    expect([...(await partition('DSF#2026')), ...(await partition('DSFS#2026'))]).toEqual([]);
    const [point] = (await new MetricsReader(stores.stats, () => NOW + 2 * 86_400_000).days({ from: DAY, to: DAY, filter: {} })).points;
    expect([point!.transactions, point!.durationMsP95]).toEqual([oracle().transactions, oracle().p95]);
  });
});
