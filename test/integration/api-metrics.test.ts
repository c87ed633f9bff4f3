/**
 * Metrics served by the API equal the S3 rollups of the same periods. A generated stream (pairs,
 * late CONSUMER reports, duplicates, conflicts, invalid events) crossing an ICT midnight is
 * ingested through SQS, rolled with rollRange into S3 and the stats table; then every minute and
 * day point, with and without filters, is compared with the rollup files, and the summary's
 * distinct counts with the oracle's (computed from the raw stream).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_COLUMNS, type Row } from '#shared/stats/period.ts';
import type { SystemsRow } from '#shared/stats/systems.ts';
import { rollRange } from '#shared/rollup.ts';
import { keys } from '#shared/store/bucket.ts';
import { dayOf, minuteKeyOf, minuteKeysBetween } from '#shared/time.ts';
import { expectSystemsRowsMatch, parseJsonLines } from '../helpers/compare.ts';
import { toBodies } from '../helpers/messages.ts';
import { sendBodies, waitForEmptyQueue } from '../helpers/stack.ts';
import { exactQuantile, generateStream, oracleSummary, oracleSystemsRows, oracleTransactions, type OracleTx } from '../helpers/stream.ts';
import { call, startApiStack, type ApiStack } from './api-fixtures.ts';

interface Point {
  periodStart: string;
  transactions: number;
  succeeded: number;
  failed: number;
  durationMsP95: number | null;
}

const START = Date.parse('2021-03-10T15:00:00Z'); // 22:00 ICT
const SPAN = 4 * 3600_000; // to 02:00 ICT the next day
const ROLL_TO = START + SPAN + 10 * 60_000; // late provider reports land up to 3 minutes later

type Filter = { route?: string; serviceCode?: string; province?: string };
const FILTERS: Filter[] = [{}, { route: 'LGSP' }, { serviceCode: 'dkkd.tracuu' }, { province: '79' }, { route: 'NGSP', province: '01' }];

function rowMatches(r: Row, f: Filter): boolean {
  return (
    (f.route === undefined || r.route === f.route) &&
    (f.serviceCode === undefined || r.serviceCode === f.serviceCode) &&
    (f.province === undefined || r.consumerProvince === f.province || r.providerProvince === f.province)
  );
}

function sums(rows: Row[]): { transactions: number; succeeded: number; failed: number } {
  return rows.reduce(
    (a, r) => ({ transactions: a.transactions + r.transactions, succeeded: a.succeeded + r.succeeded, failed: a.failed + r.failed }),
    { transactions: 0, succeeded: 0, failed: 0 },
  );
}

/** Exact p95 of the oracle's transactions in a period (for the percentile tolerance check). */
function oracleP95(txs: Map<string, OracleTx>, inPeriod: (ms: number) => boolean, f: Filter): number | null {
  const durations: number[] = [];
  for (const tx of txs.values()) {
    const e = (tx.consumer ?? tx.provider)!;
    const at = Date.parse(e.requestAt);
    if (!inPeriod(at)) continue;
    const row = {
      route: e.route,
      serviceCode: e.serviceCode,
      consumerProvince: e.consumer.provinceCode ?? '',
      providerProvince: e.provider.provinceCode ?? '',
    } as Row;
    if (rowMatches(row, f)) durations.push(Date.parse(e.responseAt) - at);
  }
  return durations.length ? exactQuantile(durations, 0.95) : null;
}

describe('metrics API against the S3 rollups', () => {
  let t: ApiStack;
  let txs: Map<string, OracleTx>;

  beforeAll(async () => {
    t = await startApiStack(['LGSP-79']);
    const s = generateStream({ seed: 42, startMs: START, spanMs: SPAN, transactions: 700, duplicateShare: 0.1, invalidShare: 0.03 });
    txs = oracleTransactions(s.valid);
    const all = [...s.valid, ...s.duplicates, ...s.conflicts, ...s.invalid.map((i) => i.event)];
    await sendBodies(t.stack.clients.sqs, t.stack.resources.queueUrl, toBodies(all, 43));
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
    await rollRange(START, ROLL_TO, { ...t, concurrency: 8 });
  }, 300_000);
  afterAll(async () => {
    await t?.stop();
  });

  it.each(FILTERS)(
    'given minutes over the stream (filter %j), when GET /v1/metrics/minutes, then each point equals its S3 minute file',
    async (filter) => {
      // Prepare
      const from = START - 5 * 60_000;
      const to = ROLL_TO;
      // Act
      const r = await call(t.url, 'GET', '/v1/metrics/minutes', {
        key: t.keys.analyst,
        query: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...filter },
      });
      // Assess
      expect(r.status).toBe(200);
      const points: Point[] = r.json.points;
      const minutes = minuteKeysBetween(from, to);
      expect(points).toHaveLength(minutes.length);
      const files = await Promise.all(minutes.map((m) => t.bucket.get(keys.minute(m))));
      let nonZero = 0;
      for (const [i, m] of minutes.entries()) {
        const p = points[i]!;
        expect(p.periodStart).toBe(`${m}:00+07:00`);
        const text = files[i];
        const rows = text === undefined ? [] : parseJsonLines<Row>(text).filter((row) => rowMatches(row, filter));
        // Minutes before the rolled range have no file: the API answers zeros for them.
        expect({ ...sums(rows) }, m).toEqual({ transactions: p.transactions, succeeded: p.succeeded, failed: p.failed });
        const exact = oracleP95(txs, (ms) => minuteKeyOf(ms) === m, filter);
        if (exact === null) expect(p.durationMsP95, m).toBeNull();
        else expect(Math.abs(p.durationMsP95! - exact), `${m} p95 ${p.durationMsP95} vs ${exact}`).toBeLessThanOrEqual(exact * 0.01 + 1e-9);
        if (p.transactions) nonZero++;
      }
      expect(nonZero).toBeGreaterThan(filter.serviceCode || filter.province ? 20 : 100);
    },
  );

  it.each(FILTERS)(
    "given the stream's days and empty days around them (filter %j), when GET /v1/metrics/days, then each point equals its daily rollup",
    async (filter) => {
      const r = await call(t.url, 'GET', '/v1/metrics/days', {
        key: t.keys.ops,
        query: { from: '2021-03-08', to: '2021-03-13', ...filter },
      });
      expect(r.status).toBe(200);
      const points: Point[] = r.json.points;
      expect(points.map((p) => p.periodStart)).toEqual(['08', '09', '10', '11', '12', '13'].map((d) => `2021-03-${d}T00:00:00+07:00`));
      for (const p of points) {
        const day = p.periodStart.slice(0, 10);
        const text = await t.bucket.get(keys.dailyJsonl(day));
        const rows = text === undefined ? [] : parseJsonLines<Row>(text).filter((row) => rowMatches(row, filter));
        expect({ transactions: p.transactions, succeeded: p.succeeded, failed: p.failed }, day).toEqual(sums(rows));
        const exact = oracleP95(txs, (ms) => dayOf(ms) === day, filter);
        if (exact === null) expect(p.durationMsP95).toBeNull();
        else expect(Math.abs(p.durationMsP95! - exact)).toBeLessThanOrEqual(exact * 0.01 + 1e-9);
      }
      expect(points[2]!.transactions + points[3]!.transactions).toBeGreaterThan(0);
      expect([points[0], points[1], points[4], points[5]].every((p) => p!.transactions === 0 && p!.durationMsP95 === null)).toBe(true);
    },
  );

  it('given two days, when GET /v1/metrics/summary, then totals equal summary.json files and distinct counts are the union from the stream', async () => {
    // Prepare
    const days = ['2021-03-10', '2021-03-11'];
    const perDay = days.map((d) => oracleSummary(txs, d));
    const files = await Promise.all(
      days.map(
        async (d) =>
          JSON.parse((await t.bucket.get(keys.summary(d)))!) as {
            transactions: number;
            succeeded: number;
            failed: number;
            distinctSystems: number;
          },
      ),
    );
    const systems = new Set(perDay.flatMap((s) => s.systems));
    const platforms = [...new Set(perDay.flatMap((s) => s.reportingPlatforms))].sort();
    const peak = perDay.map((s) => s.peakMinute!).reduce((a, b) => (b.transactions > a.transactions ? b : a));
    // Act
    const r = await call(t.url, 'GET', '/v1/metrics/summary', { key: t.keys.analyst, query: { from: days[0]!, to: days[1]! } });
    // Assess
    expect(r.status).toBe(200);
    const n = files[0]!.transactions + files[1]!.transactions;
    expect(r.json).toMatchObject({
      from: days[0],
      to: days[1],
      transactions: n,
      succeeded: files[0]!.succeeded + files[1]!.succeeded,
      failed: files[0]!.failed + files[1]!.failed,
      avgTransactionsPerMinute: Math.round((n / 2880) * 1000) / 1000,
      distinctSystems: systems.size,
      reportingPlatforms: platforms,
      peakMinute: peak,
    });
    expect(n).toBe(perDay[0]!.transactions + perDay[1]!.transactions);
    // Distinct over the range, not a sum of the days' distinct counts.
    expect(files[0]!.distinctSystems + files[1]!.distinctSystems).toBeGreaterThan(r.json.distinctSystems);
  });

  it('given a year, when GET /v1/metrics/summary?year=, then it covers the whole year', async () => {
    const r = await call(t.url, 'GET', '/v1/metrics/summary', { key: t.keys.analyst, query: { year: '2021' } });
    expect(r.status).toBe(200);
    expect(r.json.from).toBe('2021-01-01');
    expect(r.json.to).toBe('2021-12-31');
    expect(r.json.transactions).toBe(txs.size);
    expect(r.json.avgTransactionsPerMinute).toBe(Math.round((txs.size / (365 * 1440)) * 1000) / 1000);
  });

  it('given the stream, when GET /v1/metrics/breakdown, then services and province pairs sum the daily rollup rows', async () => {
    const r = await call(t.url, 'GET', '/v1/metrics/breakdown', { key: t.keys.analyst, query: { from: '2021-03-10', to: '2021-03-11' } });
    expect(r.status).toBe(200);
    const rows = (
      await Promise.all(['2021-03-10', '2021-03-11'].map(async (d) => parseJsonLines<Row>(await t.bucket.get(keys.dailyJsonl(d)))))
    ).flat();
    const byService = new Map<string, number>();
    const byPair = new Map<string, number>();
    for (const row of rows) {
      byService.set(row.serviceCode, (byService.get(row.serviceCode) ?? 0) + row.transactions);
      const k = `${row.consumerProvince}>${row.providerProvince}`;
      byPair.set(k, (byPair.get(k) ?? 0) + row.transactions);
    }
    expect(r.json.transactions).toBe(txs.size);
    expect(new Map(r.json.services.map((s: { serviceCode: string; transactions: number }) => [s.serviceCode, s.transactions]))).toEqual(
      byService,
    );
    expect(
      new Map(
        r.json.provincePairs.map((p: { consumerProvince: string; providerProvince: string; transactions: number }) => [
          `${p.consumerProvince}>${p.providerProvince}`,
          p.transactions,
        ]),
      ),
    ).toEqual(byPair);
    const counts = r.json.services.map((s: { transactions: number }) => s.transactions);
    expect(counts).toEqual([...counts].sort((a: number, b: number) => b - a));
    expect(r.json.provincePairs.find((p: { consumerProvince: string }) => p.consumerProvince === '79')?.consumerProvinceName).toMatch(
      /Hồ Chí Minh/,
    );
  });
  // 1.1: the systems rollup through the API equals systems.jsonl (itself checked against the oracle here), for every caller.
  const systemsOf = async (day: string): Promise<SystemsRow[]> => parseJsonLines<SystemsRow>(await t.bucket.get(keys.systemsJsonl(day)));
  const strip = ({ periodStart: _p, granularity: _g, ...r }: SystemsRow) => r;

  it('given a day, when GET /v1/metrics/breakdown?by=system, then the rows are systems.jsonl (equal to the oracle), largest first, with the failures by cause', async () => {
    const day = '2021-03-10';
    const file = await systemsOf(day);
    expectSystemsRowsMatch(file, [...(oracleSystemsRows(txs).get(day)?.values() ?? [])], day);
    const r = await call(t.url, 'GET', '/v1/metrics/breakdown', {
      key: t.keys.analyst,
      query: { from: day, to: day, by: 'system', limit: '1000' },
    });
    expect(r.status).toBe(200);
    const rows: ReturnType<typeof strip>[] = r.json.rows;
    expect(r.json.totalRows).toBe(file.length);
    expect([...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      file.map(strip).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    expect(rows.map((x) => x.transactions)).toEqual(rows.map((x) => x.transactions).sort((a, b) => b - a));
    expect(r.json.transactions).toBe(file.reduce((n, x) => n + x.transactions, 0));
    expect(r.json.failures).toEqual(Object.fromEntries(FAILURE_COLUMNS.map((c) => [c, file.reduce((n, x) => n + x[c], 0)])));
    const top = await call(t.url, 'GET', '/v1/metrics/breakdown', {
      key: t.keys.analyst,
      query: { from: day, to: day, by: 'system', limit: '3' },
    });
    expect(top.json.rows).toEqual(rows.slice(0, 3));
  });

  it('given two days, when GET ?by=org, then each organisation pair sums the systems rows of both days; the default breakdown sums the failures of the daily rows', async () => {
    const days = ['2021-03-10', '2021-03-11'];
    const file = (await Promise.all(days.map(systemsOf))).flat();
    const expected = new Map<string, number[]>();
    for (const x of file) {
      const k = `${x.consumerOrg}>${x.providerOrg}`;
      const v = expected.get(k) ?? [0, 0, 0, ...FAILURE_COLUMNS.map(() => 0)];
      expected.set(k, [
        v[0]! + x.transactions,
        v[1]! + x.failed,
        v[2]! + x.pairedTransactions,
        ...FAILURE_COLUMNS.map((c, i) => v[3 + i]! + x[c]),
      ]);
    }
    const r = await call(t.url, 'GET', '/v1/metrics/breakdown', {
      key: t.keys.ops,
      query: { from: days[0]!, to: days[1]!, by: 'org', limit: '1000' },
    });
    expect(r.status).toBe(200);
    expect(
      new Map(
        r.json.rows.map((x: SystemsRow) => [
          `${x.consumerOrg}>${x.providerOrg}`,
          [x.transactions, x.failed, x.pairedTransactions, ...FAILURE_COLUMNS.map((c) => x[c])],
        ]),
      ),
    ).toEqual(expected);
    expect(Object.keys(r.json.rows[0]).sort()).not.toContain('consumerSystem');
    const dayRows = (await Promise.all(days.map(async (d) => parseJsonLines<Row>(await t.bucket.get(keys.dailyJsonl(d)))))).flat();
    const plain = await call(t.url, 'GET', '/v1/metrics/breakdown', { key: t.keys.analyst, query: { from: days[0]!, to: days[1]! } });
    expect(plain.json.failures).toEqual(Object.fromEntries(FAILURE_COLUMNS.map((c) => [c, dayRows.reduce((n, x) => n + (x[c] ?? 0), 0)])));
    expect(r.json.failures).toEqual(plain.json.failures);
  });

  it('given an LGSP key, when GET ?by=system, then it gets exactly the rows its platform reported, whole; without by, 403', async () => {
    const day = '2021-03-11';
    const mine = (await systemsOf(day)).filter((x) => x.reportingPlatforms.includes('LGSP-79'));
    expect(mine.length).toBeGreaterThan(0);
    const key = t.keys.lgsp['LGSP-79'];
    const r = await call(t.url, 'GET', '/v1/metrics/breakdown', { key, query: { from: day, to: day, by: 'system', limit: '1000' } });
    expect(r.status).toBe(200);
    expect(r.json.platformId).toBe('LGSP-79');
    expect(new Set(r.json.rows.map((x: SystemsRow) => JSON.stringify(x)))).toEqual(new Set(mine.map((x) => JSON.stringify(strip(x)))));
    expect((await call(t.url, 'GET', '/v1/metrics/breakdown', { key, query: { from: day, to: day } })).status).toBe(403);
    const bad = await call(t.url, 'GET', '/v1/metrics/breakdown', { key, query: { from: day, to: day, by: 'system', province: '79' } });
    expect([bad.status, bad.json.error.message]).toEqual([400, expect.stringContaining('province')]);
  });
});
