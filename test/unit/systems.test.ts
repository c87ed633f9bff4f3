/**
 * The systems rollup (CONTRACT.md 1.1 systems.jsonl/.csv) against the brute-force oracle of
 * test/helpers/stream.ts: reports arrive in any order and batches (pairs, duplicates, conflicts,
 * late CONSUMER reports that move a transaction to another minute); after each batch the touched
 * minutes are rolled again, their systems payloads overwriting the same keys (through JSON, as
 * the stats items keep them); the day merged from them equals the oracle, in JSON lines and CSV,
 * agrees with the day rows, and an LGSP's selection is exactly the rows it reported.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { applyReport, bucketMinute, toReport, type TransactionState } from '#shared/report.ts';
import { PeriodStats } from '#shared/stats/period.ts';
import { SYSTEMS_ROW_COLUMNS, SystemsStats, type SystemsFilter, type SystemsPayload, type SystemsRow } from '#shared/stats/systems.ts';
import { toJsonLines, toSystemsCsv } from '#shared/rollup.ts';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { expectSystemsRowsMatch, parseJsonLines } from '../helpers/compare.ts';
import { dayOfMs, generateStream, oracleSystemsRows, oracleTransactions } from '../helpers/stream.ts';

const stream = generateStream({
  seed: 16,
  // 23:50 ICT: the stream crosses the ICT midnight, so a late report can move a transaction to the next day.
  startMs: Date.parse('2021-06-01T16:50:00Z'),
  spanMs: 20 * 60_000,
  transactions: 160,
  pairShare: 0.6,
  crossMinuteShare: 0.5,
  duplicateShare: 0.3,
  conflictShare: 0.05,
  invalidShare: 0,
});
const arrivals: ExchangeEvent[] = [...stream.valid, ...stream.duplicates, ...stream.conflicts];
// A conflicting copy carries the same facts and platform as its original: whichever arrives first, the rows are the same.
const oracle = oracleSystemsRows(oracleTransactions(stream.valid));
const DAYS = [...oracle.keys()].sort();

/** Rolls as the pipeline does: after each batch, every minute a transaction is or was in is rolled again (overwriting). */
function rollInBatches(order: ExchangeEvent[], cuts: number[]): Map<string, SystemsPayload> {
  const txs = new Map<string, TransactionState>();
  const items = new Map<string, SystemsPayload>();
  const touched = new Set<string>();
  let i = 0;
  for (const cut of [...cuts, order.length]) {
    for (; i < Math.min(cut, order.length); i++) {
      const r = toReport(order[i]!);
      const tx = txs.get(r.transactionKey) ?? { key: r.transactionKey };
      if (tx.consumer || tx.provider) touched.add(bucketMinute(tx)); // where it was: a late CONSUMER report may move it
      applyReport(tx, r);
      txs.set(r.transactionKey, tx);
      touched.add(bucketMinute(tx));
    }
    const byMinute = new Map([...touched].map((m) => [m, new SystemsStats()]));
    for (const tx of txs.values()) byMinute.get(bucketMinute(tx))?.addTransaction(tx);
    for (const [minute, s] of byMinute) items.set(minute, JSON.parse(JSON.stringify(s.toPayload())) as SystemsPayload);
    touched.clear();
  }
  return items;
}

/** The day as rollDay makes it from its minutes' items; with a filter, as the API selects from the stored day payload. */
function dayRows(items: Map<string, SystemsPayload>, day: string, filter?: SystemsFilter): SystemsRow[] {
  const s = new SystemsStats();
  for (const [m, p] of items) if (m.startsWith(day)) s.merge(p);
  if (!filter) return s.rows(`${day}T00:00:00+07:00`, 'day');
  const selected = new SystemsStats();
  selected.merge(JSON.parse(JSON.stringify(s.toPayload())) as SystemsPayload, filter);
  return selected.rows(`${day}T00:00:00+07:00`, 'day');
}

describe('systems rollup', () => {
  it('given the reports in any order and batches, when the touched minutes are rolled again after each batch, then each day merged from its minutes equals the oracle', () => {
    expect(DAYS).toHaveLength(2);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(arrivals, { minLength: arrivals.length, maxLength: arrivals.length }),
        fc.uniqueArray(fc.nat({ max: arrivals.length }), { maxLength: 6 }).map((xs) => xs.sort((a, b) => a - b)),
        (order, cuts) => {
          const items = rollInBatches(order, cuts);
          for (const day of DAYS) expectSystemsRowsMatch(dayRows(items, day), [...oracle.get(day)!.values()], day);
        },
      ),
      { numRuns: 10 },
    );
  });

  it('given a day, then systems.jsonl and systems.csv hold the same rows in SYSTEMS_ROW_COLUMNS order, causes add up to failed, and the measures sum to the day rows', () => {
    const items = rollInBatches(arrivals, []);
    const txs = new Map<string, TransactionState>();
    for (const e of arrivals) {
      const r = toReport(e);
      const tx = txs.get(r.transactionKey) ?? { key: r.transactionKey };
      applyReport(tx, r);
      txs.set(r.transactionKey, tx);
    }
    for (const day of DAYS) {
      const rows = dayRows(items, day);
      const fromJson = parseJsonLines<SystemsRow>(toJsonLines(rows));
      expect(fromJson).toEqual(rows);
      expect(Object.keys(fromJson[0]!)).toEqual(SYSTEMS_ROW_COLUMNS);
      const csv = parse(toSystemsCsv(rows), { columns: true }) as Record<string, string>[];
      expect(Object.keys(csv[0]!)).toEqual(SYSTEMS_ROW_COLUMNS);
      expect(
        csv.map((c) => {
          const back: Record<string, unknown> = {};
          for (const col of SYSTEMS_ROW_COLUMNS) {
            const v = c[col]!;
            const j = (rows[0] as unknown as Record<string, unknown>)[col];
            back[col] =
              col === 'reportingPlatforms' ? v.split(' ') : typeof j === 'number' || j === null ? (v === '' ? null : Number(v)) : v;
          }
          return back;
        }),
      ).toEqual(rows);
      for (const r of rows) {
        expect(
          r.failedAuth + r.failedThrottled + r.failedTarget + r.failedTimeout + r.failedValidation + r.failedOther + r.failedUnspecified,
        ).toBe(r.failed);
      }
      // The day rows (by province pair) count the same transactions: totals by route and service agree.
      const period = new PeriodStats();
      for (const tx of txs.values()) if (dayOfMs(effectiveAt(tx)) === day) period.addTransaction(tx);
      const sum = (xs: { route: string; serviceCode: string; transactions: number; failed: number; requestBytes: number }[]) => {
        const m = new Map<string, number[]>();
        for (const x of xs) {
          const k = `${x.route}|${x.serviceCode}`;
          const v = m.get(k) ?? [0, 0, 0];
          m.set(k, [v[0]! + x.transactions, v[1]! + x.failed, v[2]! + x.requestBytes]);
        }
        return m;
      };
      expect(sum(rows)).toEqual(sum(period.rows('', 'day')));
    }
  });

  it("given a platform, then its selection of a day is exactly the day rows it reported a transaction of, with the whole rows' figures", () => {
    const items = rollInBatches(arrivals, [arrivals.length >> 1]);
    for (const day of DAYS) {
      const all = dayRows(items, day);
      for (const platformId of ['LGSP-79', 'LGSP-BYT', 'NGSP', 'LGSP-XX']) {
        const mine = dayRows(items, day, { platformId });
        expect(mine).toEqual(all.filter((r) => r.reportingPlatforms.includes(platformId)));
        const expected = [...oracle.get(day)!.values()].filter((o) => o.reportingPlatforms.has(platformId));
        expectSystemsRowsMatch(mine, expected, `${day} ${platformId}`);
      }
    }
  });
});

function effectiveAt(tx: TransactionState): number {
  return (tx.consumer ?? tx.provider)!.requestAtMs;
}
