/**
 * Property-based tests of the counting rules (CONTRACT.md section 1) on the pure domain code:
 * any shuffle or duplication of the same reports gives the same transactions and the same rows;
 * days merged from minute sketches equal days computed directly.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyReport, bucketMinute, toReport, type TransactionState } from '#shared/report.ts';
import { PeriodStats } from '#shared/stats/period.ts';
import { DurationSketch } from '#shared/stats/sketch.ts';
import { validateEvent, type ExchangeEvent } from '#shared/contract/validate.ts';
import { generateStream, oracleRows, oracleTransactions, exactQuantile } from '../helpers/stream.ts';

function applyAll(events: ExchangeEvent[]): Map<string, TransactionState> {
  const txs = new Map<string, TransactionState>();
  for (const e of events) {
    const r = toReport(e);
    const tx = txs.get(r.transactionKey) ?? { key: r.transactionKey };
    applyReport(tx, r);
    txs.set(r.transactionKey, tx);
  }
  return txs;
}

function rowsByMinute(txs: Map<string, TransactionState>) {
  const minutes = new Map<string, PeriodStats>();
  for (const tx of txs.values()) {
    const m = bucketMinute(tx);
    const s = minutes.get(m) ?? new PeriodStats();
    s.addTransaction(tx);
    minutes.set(m, s);
  }
  return new Map([...minutes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([m, s]) => [m, s.rows(m, 'minute')]));
}

const stream = generateStream({
  seed: 3,
  startMs: Date.parse('2021-06-01T16:55:00Z'),
  spanMs: 20 * 60_000,
  transactions: 150,
  conflictShare: 0,
  invalidShare: 0,
});

describe('counting rules are independent of order, duplication and splitting', () => {
  it('given any shuffle with any duplicates of the same reports, then the transactions and rows are the same', () => {
    const reference = rowsByMinute(applyAll(stream.valid));
    fc.assert(
      fc.property(
        fc.shuffledSubarray(stream.valid, { minLength: stream.valid.length, maxLength: stream.valid.length }),
        fc.array(fc.nat({ max: stream.valid.length - 1 }), { maxLength: 80 }),
        (shuffled, dupIdx) => {
          const withDups = [...shuffled, ...dupIdx.map((i) => stream.valid[i]!)];
          expect(rowsByMinute(applyAll(withDups))).toEqual(reference);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('given a CONSUMER report after its PROVIDER report, then the transaction moves to the consumer minute', () => {
    const pair = stream.valid.filter(
      (e) => e.transactionId && stream.valid.filter((x) => x.transactionId === e.transactionId).length === 2,
    );
    const [c, p] = [
      pair.find((e) => e.reporter.role === 'CONSUMER')!,
      pair.find(
        (e) => e.reporter.role === 'PROVIDER' && e.transactionId === pair.find((x) => x.reporter.role === 'CONSUMER')!.transactionId,
      )!,
    ];
    const providerOnly = applyAll([p]);
    const both = applyAll([p, c]);
    expect(bucketMinute([...both.values()][0]!)).toBe(bucketMinute([...applyAll([c]).values()][0]!));
    expect([...providerOnly.values()][0]!.consumer).toBeUndefined();
  });

  it('given a second report for a taken role with another eventId, then it is a conflict and the first stays', () => {
    const e = stream.valid[0]!;
    const tx: TransactionState = { key: 'k' };
    expect(applyReport(tx, toReport(e))).toBe('stored');
    expect(applyReport(tx, toReport(e))).toBe('duplicate');
    expect(applyReport(tx, toReport({ ...e, eventId: 'other', succeeded: !e.succeeded }))).toBe('conflict');
    const slot = e.reporter.role === 'CONSUMER' ? tx.consumer : tx.provider;
    expect(slot!.eventId).toBe(e.eventId);
    expect(slot!.succeeded).toBe(e.succeeded);
  });

  it('given the generated stream, then rows equal the brute-force oracle', () => {
    const ours = rowsByMinute(applyAll(stream.valid));
    const oracle = oracleRows(oracleTransactions(stream.valid), 'minute');
    expect([...ours.keys()]).toEqual([...oracle.keys()].sort());
    for (const [minute, rows] of ours) {
      const expected = [...oracle.get(minute)!.values()];
      expect(rows.length).toBe(expected.length);
      for (const row of rows) {
        const o = expected.find(
          (x) =>
            x.route === row.route &&
            x.serviceCode === row.serviceCode &&
            x.consumerProvince === row.consumerProvince &&
            x.providerProvince === row.providerProvince,
        )!;
        expect(o).toBeDefined();
        expect([row.transactions, row.succeeded, row.failed, row.pairedTransactions, row.requestBytes, row.responseBytes]).toEqual([
          o.transactions,
          o.succeeded,
          o.failed,
          o.pairedTransactions,
          o.requestBytes,
          o.responseBytes,
        ]);
        expect(row.durationMsMax).toBe(Math.max(...o.durations));
        for (const [q, v] of [
          [0.5, row.durationMsP50],
          [0.95, row.durationMsP95],
          [0.99, row.durationMsP99],
        ] as const) {
          const exact = exactQuantile(o.durations, q);
          expect(Math.abs(v! - exact)).toBeLessThanOrEqual(exact * 0.01 + 1e-9);
        }
      }
    }
  });
});

describe('sketches merge exactly', () => {
  it('given any split of durations into parts, then merged percentiles equal one sketch of all, within 1 % of exact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 1, max: 8 }),
        (values, parts) => {
          const whole = new DurationSketch();
          const pieces = Array.from({ length: parts }, () => new DurationSketch());
          values.forEach((v, i) => {
            whole.add(v);
            pieces[i % parts]!.add(v);
          });
          const merged = new DurationSketch();
          for (const p of pieces) merged.merge(DurationSketch.fromData(JSON.parse(JSON.stringify(p.toData()))));
          for (const q of [0.5, 0.95, 0.99]) {
            expect(merged.quantile(q)).toBe(whole.quantile(q));
            const exact = exactQuantile(values, q);
            expect(Math.abs(merged.quantile(q)! - exact)).toBeLessThanOrEqual(exact * 0.01 + 1e-9);
          }
          expect(merged.max).toBe(Math.max(...values));
          expect(merged.count).toBe(values.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('given minute payloads merged into a day, then the day rows equal rows computed from all transactions', () => {
    const txs = applyAll(stream.valid);
    const direct = new PeriodStats();
    const merged = new PeriodStats();
    const minutes = new Map<string, PeriodStats>();
    for (const tx of txs.values()) {
      direct.addTransaction(tx);
      const m = bucketMinute(tx);
      const s = minutes.get(m) ?? new PeriodStats();
      s.addTransaction(tx);
      minutes.set(m, s);
    }
    for (const s of minutes.values()) merged.merge(JSON.parse(JSON.stringify(s.toPayload())));
    expect(merged.rows('d', 'day')).toEqual(direct.rows('d', 'day'));
    expect(merged.toPayload().systems).toEqual(direct.toPayload().systems);
  });
});

describe('generated events are valid', () => {
  it('given the stream generator, then every valid event passes the validator', () => {
    for (const e of stream.valid) expect(validateEvent(e, Date.parse('2026-01-01T00:00:00Z')).ok).toBe(true);
  });
});
