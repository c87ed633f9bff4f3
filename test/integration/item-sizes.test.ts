/**
 * Item sizes (issue 12 §2): the worst-case day — 12,000 distinct systems with real-length codes
 * (`000.00.00.H57/...`) — rolled through a client that refuses items over 400 KB by DynamoDB's
 * size rules (dynalite does not). The day item used to carry the systems list beside its payload
 * and failed with a ValidationException; summary.json (the contract) keeps the whole list, and
 * the API's summary still counts every system.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE } from '#infra/wiring.ts';
import { MetricsReader } from '#shared/api/metrics.ts';
import type { Clients } from '#shared/store/clients.ts';
import { rollDay, type DaySummary } from '#shared/rollup.ts';
import { DurationSketch } from '#shared/stats/sketch.ts';
import { keys } from '#shared/store/bucket.ts';
import { MAX_ITEM_BYTES, itemSize } from '#shared/store/item-size.ts';
import { makeStores, type Stores } from '#shared/store/stores.ts';
import { makeLocalClients } from '../../local/stack.ts';
import { enforceItemSizes, type SizeLog } from '../helpers/item-size.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

const DAY = '2021-06-15';
const SYSTEMS = 12_000;

/** A real-length system code: a ministry/province agency code and a system name (about 40 characters). */
const systemCode = (i: number): string =>
  `${String(i % 1000).padStart(3, '0')}.${String((i >> 3) % 100).padStart(2, '0')}.${String((i >> 5) % 100).padStart(2, '0')}.H${String(i % 97).padStart(2, '0')}/HTTT-QLVB-DHTN-${String(i).padStart(6, '0')}`;

describe('the worst-case day item', () => {
  let t: TestStack;
  let clients: Clients;
  let stores: Stores;
  let sizes: SizeLog;
  beforeAll(async () => {
    t = await startTestStack({ functions: [] });
    clients = makeLocalClients(t.stack.emulators.endpoints, t.stack.region);
    sizes = enforceItemSizes(clients.ddb);
    const n = t.stack.resources.names;
    stores = makeStores(clients.ddb, clients.s3, { eventsTable: n.tables.Events, statsTable: n.tables.Stats, bucket: n.bucket }, PIPELINE);
  });
  afterAll(async () => {
    clients?.ddb.destroy();
    clients?.s3.destroy();
    await t?.stop();
  });

  it('given the size rules, then a string, a number, a list and binary count as DynamoDB counts them', () => {
    expect(itemSize({ pk: { S: 'MIN#2021' }, n: { N: '12345' } })).toBe(2 + 8 + 1 + 4);
    expect(itemSize({ z: { B: new Uint8Array(10) }, l: { L: [{ N: '1' }, { NULL: true }] } })).toBe(1 + 10 + 1 + 3 + (1 + 2) + (1 + 1));
  });

  it(`given a day of ${SYSTEMS.toLocaleString('en')} distinct systems with real-length codes, then it rolls with no item over 400 KB and every system is counted`, async () => {
    // Prepare: four minutes of 3,000 systems each, stored as the minute rolls store them
    const all = Array.from({ length: SYSTEMS }, (_, i) => systemCode(i)).sort();
    expect(all[0]!.length).toBeGreaterThanOrEqual(35);
    for (let q = 0; q < 4; q++) {
      const systems = all.filter((_, i) => i % 4 === q);
      const sketch = new DurationSketch();
      sketch.add(120);
      const group = {
        k: ['NGSP', 'hotich.khaisinh', '01', '79'] as [string, string, string, string],
        n: 1,
        ok: 1,
        pair: 1,
        qb: 0,
        sb: 0,
        s: sketch.toData(),
      };
      await stores.stats.putMinute(
        `${DAY}T10:0${q}`,
        { transactions: 1, succeeded: 1, durationMsP95: 120 },
        { groups: [group], systems, platforms: ['LGSP-01', 'NGSP'] },
      );
    }

    // Act
    const summary = await rollDay(DAY, { ...stores, now: () => Date.parse(`${DAY}T23:00:00+07:00`) });
    const api = await new MetricsReader(stores.stats, () => Date.parse('2021-12-31T12:00:00+07:00')).summary({
      from: '2021-01-01',
      to: '2021-12-31',
    });

    // Assess
    expect(summary.distinctSystems).toBe(SYSTEMS);
    const file = JSON.parse((await stores.bucket.get(keys.summary(DAY)))!) as DaySummary;
    expect(file.systems).toEqual(all); // the contract's file keeps the whole list
    expect(api.distinctSystems).toBe(SYSTEMS);
    for (const [prefix, size] of sizes.largest) expect(size, prefix).toBeLessThanOrEqual(MAX_ITEM_BYTES);
    console.log(`largest items written (bytes): ${JSON.stringify(Object.fromEntries(sizes.largest))}`);
  }, 60_000);
});
