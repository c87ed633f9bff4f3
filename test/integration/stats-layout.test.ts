/**
 * Issue 12 §6 (reads at 10×): where the stats store keeps a day's payload and systems, tested on
 * the emulator through a client that counts what each Query reads as DynamoDB charges it (whole
 * items, whatever the projection):
 * - a day item's payload lives apart (`DAYP#`), so a headline read of days (`/summary`, `/days`)
 *   reads items of about a KB, not the payload's parts; a day written in the former layout (payload
 *   in the day item and its parts) still reads, and loses its parts when it is written again;
 * - `/summary` reads a month's systems union instead of its days' lists, and only when the union
 *   was made from exactly the day items read — a stale union (a crash after the day item, or a
 *   read that missed the newest list) falls back to the lists, so the count stays exact;
 * - a value split into parts is rewritten under a new generation and the former parts deleted;
 * - filtered series read facets (shared/stats/facets.ts), and periods rolled before facets were
 *   kept read their payloads, with the same points.
 * Each runs on dynalite and on the official DynamoDB Local (conditional writes, `ALL_OLD`,
 * consistent reads as DynamoDB answers them).
 */
import { randomBytes } from 'node:crypto';
import { DeleteItemCommand, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsReader } from '#shared/api/metrics.ts';
import type { Clients } from '#shared/store/clients.ts';
import { DurationSketch } from '#shared/stats/sketch.ts';
import type { PeriodPayload } from '#shared/stats/period.ts';
import { itemSize } from '#shared/store/item-size.ts';
import type { Stores } from '#shared/store/stores.ts';
import { countQueryReads } from '../helpers/query-reads.ts';
import { STORE_KINDS, startStoresStack, type StoresStack, type TestStack } from '../helpers/stack.ts';

/** A payload of `systems` random system codes (incompressible: its gzip needs parts above 300 KB) and one group. */
function payloadOf(systems: string[], transactions = 1): PeriodPayload {
  const sketch = new DurationSketch();
  sketch.add(100);
  return {
    groups: [{ k: ['NGSP', 'hotich.khaisinh', '01', '79'], n: transactions, ok: transactions, pair: 0, qb: 0, sb: 0, s: sketch.toData() }],
    systems: [...systems].sort(),
    platforms: ['LGSP-01'],
  };
}

const randomSystems = (n: number): string[] => Array.from({ length: n }, () => `000.00.00.H57/${randomBytes(16).toString('hex')}`);
const totalsOf = (n: number) => ({ transactions: n, succeeded: n, durationMsP95: 100 });
/** A day item's summary as rollDay stores it (the fields `/summary` reads). */
const summaryOf = (date: string, n: number) => ({ date, ngspTransactions: n, reportingPlatforms: ['LGSP-01'], peakMinute: null });

describe.each(STORE_KINDS)('the stats store layout of days (%s)', (kind) => {
  let s: StoresStack;
  let t: TestStack;
  let clients: Clients;
  let stores: Stores;
  let reads: Map<string, number>;
  let raw: (pk: string) => Promise<Record<string, AttributeValue>[]>;
  const reader = (): MetricsReader => new MetricsReader(stores.stats, () => Date.parse('2022-01-15T12:00:00+07:00'));

  beforeAll(async () => {
    s = await startStoresStack(kind);
    ({ t, clients, stores } = s);
    const n = t.stack.resources.names;
    reads = countQueryReads(clients.ddb);
    raw = async (pk) =>
      (
        await clients.ddb.send(
          new QueryCommand({
            TableName: n.tables.Stats,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: pk } },
          }),
        )
      ).Items ?? [];
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
  });

  it('given a day with a payload in parts, then a headline read of its year reads only a small day item, and the payload reads whole', async () => {
    // Prepare: 20,000 random systems: ~500 KB of gzip, a head and a part
    const systems = randomSystems(20_000);
    await stores.stats.putDay('2021-03-10', totalsOf(5), payloadOf(systems, 5), summaryOf('2021-03-10', 1));

    // Act
    reads.clear();
    const heads = await stores.stats.daysOf('2021', undefined, undefined, { payload: false });
    const headBytes = reads.get('DAY') ?? 0;
    const [full] = await stores.stats.daysOf('2021');

    // Assess
    expect(heads.map((d) => [d.period, d.transactions])).toEqual([['2021-03-10', 5]]);
    expect(headBytes).toBeGreaterThan(0);
    expect(headBytes).toBeLessThan(2_000);
    const apart = await raw('DAYP#2021');
    expect(apart.length).toBeGreaterThanOrEqual(2); // head and parts of the payload
    expect(apart.reduce((n, it) => n + itemSize(it), 0)).toBeGreaterThan(300_000);
    expect(full!.payload().systems).toEqual([...systems].sort());
  });

  it('given a day item in the former layout (payload in the item and its parts), then it reads, and writing the day again removes its parts', async () => {
    // Prepare: the former layout, as the store wrote it: head with part 0, `MM-DD#1`, `MM-DD#2`
    const { gzipSync } = await import('node:zlib');
    const systems = randomSystems(20_000);
    const gz = gzipSync(JSON.stringify(payloadOf(systems, 3)));
    const PART = 300_000;
    const parts = Math.ceil(gz.length / PART);
    expect(parts).toBeGreaterThan(1);
    const table = t.stack.resources.names.tables.Stats;
    for (let i = parts - 1; i >= 0; i--) {
      const item: Record<string, AttributeValue> = {
        pk: { S: 'DAY#2021' },
        sk: { S: i ? `04-02#${i}` : '04-02' },
        z: { B: gz.subarray(i * PART, (i + 1) * PART) },
      };
      if (!i)
        Object.assign(item, {
          parts: { N: String(parts) },
          n: { N: '3' },
          ok: { N: '3' },
          summary: { S: JSON.stringify({ ...summaryOf('2021-04-02', 3), systems: systems.slice(0, 1000) }) },
        });
      await clients.ddb.send(new PutItemCommand({ TableName: table, Item: item }));
    }

    // Act: read it, then roll the day again
    const before = (await stores.stats.daysOf('2021', '04-02', '04-02'))[0]!;
    expect(before.payload().systems).toEqual([...systems].sort());
    expect((await reader().summary({ from: '2021-04-02', to: '2021-04-02' })).distinctSystems).toBe(1000); // the summary's list, then
    await stores.stats.putDay('2021-04-02', totalsOf(4), payloadOf(systems.slice(0, 10), 4), summaryOf('2021-04-02', 1));

    // Assess
    const left = (await raw('DAY#2021')).map((it) => it.sk!.S!).filter((sk) => sk.startsWith('04-02'));
    expect(left).toEqual(['04-02']);
    const after = (await stores.stats.daysOf('2021', '04-02', '04-02'))[0]!;
    expect([after.transactions, after.payload().systems.length]).toEqual([4, 10]);
  });

  it('given the days of a year, then the year summary counts distinct systems from month unions, and a stale union is not used', async () => {
    // Prepare: three days in May with overlapping lists (a shared system), one in June
    const may = [randomSystems(50), randomSystems(50), randomSystems(50)];
    const shared = '000.00.00.H01/SHARED';
    for (const [i, list] of may.entries()) {
      await stores.stats.putDay(`2021-05-0${i + 1}`, totalsOf(1), payloadOf([...list, shared]), summaryOf(`2021-05-0${i + 1}`, 1));
    }
    const june = randomSystems(20);
    await stores.stats.putDay('2021-06-01', totalsOf(1), payloadOf(june), summaryOf('2021-06-01', 1));
    const year = { from: '2021-05-01', to: '2021-06-30' };

    // Act 1: the union is current
    reads.clear();
    const first = await reader().summary(year);

    // Assess 1: 151 in May, 20 in June; read from the unions, not the day lists
    expect(first.distinctSystems).toBe(171);
    expect(reads.get('SYSM')).toBeGreaterThan(0);
    expect(reads.get('SYS') ?? 0).toBe(0);

    // Act 2: May 2 rolls again with one more system, but its month union is the one made before
    // (a crash between the day item and the union, or a union made from a read that missed the list)
    const staleUnion = (await raw('SYSM#2021')).find((it) => it.sk!.S === '05')!;
    await stores.stats.putDay('2021-05-02', totalsOf(2), payloadOf([...may[1]!, shared, '000.00.00.H02/NEW']), summaryOf('2021-05-02', 1));
    await clients.ddb.send(new PutItemCommand({ TableName: t.stack.resources.names.tables.Stats, Item: staleUnion }));
    reads.clear();
    const second = await reader().summary(year);

    // Assess 2: May is read from its days' lists (June's union still serves)
    expect(second.distinctSystems).toBe(172);
    expect(reads.get('SYS')).toBeGreaterThan(0);

    // Act 3: a range that cuts May reads the lists of its days only
    reads.clear();
    const cut = await reader().summary({ from: '2021-05-02', to: '2021-05-03' });
    expect(cut.distinctSystems).toBe(102);
  });

  it('given a value in parts written again, then the new parts are a new generation and the former ones are gone', async () => {
    // Prepare
    const first = randomSystems(20_000);
    const second = randomSystems(20_000);
    await stores.stats.putMinute('2021-07-01T10:00', totalsOf(1), payloadOf(first));

    // Act
    const partsBefore = (await raw('MIN#2021-07-01')).filter((it) => it.sk!.S!.includes('#')).map((it) => it.sk!.S!);
    await stores.stats.putMinute('2021-07-01T10:00', totalsOf(2), payloadOf(second));
    const after = await raw('MIN#2021-07-01');

    // Assess
    expect(partsBefore.length).toBeGreaterThanOrEqual(1);
    const partsAfter = after.filter((it) => it.sk!.S!.includes('#')).map((it) => it.sk!.S!);
    expect(partsAfter.length).toBe(partsBefore.length);
    expect(partsAfter.some((sk) => partsBefore.includes(sk))).toBe(false);
    const [m] = await stores.stats.minutesOf('2021-07-01');
    expect(m!.payload().systems).toEqual([...second].sort());
  });

  it('given periods rolled before facets were kept (no facet item), then filtered series read their payloads and give the same points', async () => {
    // Prepare: two days and their minutes, with facets
    const sketchOf = (ms: number) => {
      const s = new DurationSketch();
      s.add(ms);
      return s.toData();
    };
    const payload = (n: number): PeriodPayload => ({
      groups: [
        { k: ['NGSP', 'svc.a', '01', '79'], n, ok: n, pair: 0, qb: 0, sb: 0, s: sketchOf(40 * n) },
        { k: ['LGSP', 'svc.b', '48', '48'], n: 2, ok: 1, pair: 0, qb: 0, sb: 0, s: sketchOf(900) },
      ],
      systems: ['A/1'],
      platforms: ['LGSP-01'],
    });
    for (const [i, d] of ['2021-08-01', '2021-08-02'].entries()) {
      for (const hhmm of ['09:00', '09:01']) await stores.stats.putMinute(`${d}T${hhmm}`, totalsOf(3 + i), payload(1 + i));
      await stores.stats.putDay(d, totalsOf(6 + i), payload(2 + i), summaryOf(d, 1));
    }
    const api = reader();
    const ask = async () => ({
      days: await api.days({ from: '2021-08-01', to: '2021-08-02', filter: { province: '48' } }),
      minutes: await api.minutes({
        fromMs: Date.parse('2021-08-02T09:00:00+07:00'),
        toMs: Date.parse('2021-08-02T09:02:00+07:00'),
        filter: { route: 'NGSP' },
      }),
    });
    const withFacets = await ask();

    // Act: remove one day's and one minute's facets, as for periods rolled before them
    const table = t.stack.resources.names.tables.Stats;
    await clients.ddb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'DAYF#2021' }, sk: { S: '08-02' } } }));
    await clients.ddb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'MINF#2021-08-02' }, sk: { S: '09:01' } } }));
    reads.clear();
    const without = await ask();

    // Assess
    expect(without).toEqual(withFacets);
    expect(withFacets.days.points.map((p) => p.transactions)).toEqual([2, 2]);
    expect(withFacets.minutes.points.map((p) => p.transactions)).toEqual([2, 2]);
    expect(reads.get('DAYP')).toBeGreaterThan(0); // the day without facets read its payload
  });
});
