/**
 * Failure causes (CONTRACT.md 1.1): day rows count failures by `errorCategory`, the columns add
 * up to `failed`, and a day merged from any split of its minutes' payloads (through JSON, as the
 * stats items keep them) has the same causes as the day counted at once.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FAILURE_COLUMNS, PeriodStats, type PeriodPayload, type Row } from '#shared/stats/period.ts';
import type { TransactionState } from '#shared/report.ts';
import { toCsv } from '#shared/rollup.ts';

const CATEGORIES = ['AUTH', 'THROTTLED', 'TARGET', 'TIMEOUT', 'VALIDATION', 'OTHER'] as const;

const transaction = fc.record({
  service: fc.constantFrom('a', 'b', 'c'),
  province: fc.constantFrom('01', '79', ''),
  ok: fc.boolean(),
  category: fc.option(fc.constantFrom(...CATEGORIES), { nil: undefined }),
  duration: fc.integer({ min: 0, max: 30_000 }),
  slot: fc.constantFrom('consumer', 'provider', 'both'),
});

let n = 0;
function toTx(t: { service: string; province: string; ok: boolean; category?: string; duration: number; slot: string }): TransactionState {
  const facts = {
    eventId: `e${++n}`,
    platformId: 'LGSP-01',
    requestAtMs: Date.parse('2024-05-06T03:00:00Z'),
    durationMs: t.duration,
    route: 'NGSP' as const,
    serviceCode: t.service,
    consumerSystem: 'X/A',
    consumerProvince: t.province,
    providerSystem: 'Y/B',
    providerProvince: '',
    succeeded: t.ok,
    requestBytes: 1,
    responseBytes: 2,
    ...(!t.ok && t.category ? { errorCategory: t.category } : {}),
  };
  return {
    key: `T#${n}`,
    ...(t.slot !== 'provider' ? { consumer: facts } : {}),
    ...(t.slot !== 'consumer' ? { provider: { ...facts, eventId: `p${n}` } } : {}),
  };
}

const causesOf = (r: Row): number[] => FAILURE_COLUMNS.map((c) => r[c] ?? -1);

describe('failure causes', () => {
  it('given any transactions, then each day row has every cause column, they add up to failed, and any split into minutes merges to the same rows', () => {
    fc.assert(
      fc.property(fc.array(transaction, { maxLength: 120 }), fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 120 }), (ts, cuts) => {
        const txs = ts.map(toTx);
        const whole = new PeriodStats();
        for (const tx of txs) whole.addTransaction(tx);
        const rows = whole.rows('2024-05-06T00:00:00+07:00', 'day');
        for (const r of rows) {
          expect(causesOf(r).every((x) => x >= 0)).toBe(true);
          expect(causesOf(r).reduce((a, b) => a + b, 0)).toBe(r.failed);
        }
        // Minutes: the same transactions in up to 6 parts, each kept as JSON and merged into a day.
        const parts = Array.from({ length: 6 }, () => new PeriodStats());
        for (const [i, tx] of txs.entries()) parts[cuts[i % cuts.length]!]!.addTransaction(tx);
        const merged = new PeriodStats();
        for (const p of parts) merged.merge(JSON.parse(JSON.stringify(p.toPayload())) as PeriodPayload);
        expect(merged.rows('2024-05-06T00:00:00+07:00', 'day')).toEqual(rows);
        // Minute rows carry no cause columns.
        for (const r of whole.rows('2024-05-06T10:00:00+07:00', 'minute'))
          expect(Object.keys(r).filter((k) => k.startsWith('failed') && k !== 'failed')).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('given a minute payload rolled before 1.1 (no causes), then its failures count as unspecified in the day', () => {
    const minute = new PeriodStats();
    minute.addTransaction(toTx({ service: 'a', province: '01', ok: false, category: 'TIMEOUT', duration: 5, slot: 'consumer' }));
    minute.addTransaction(toTx({ service: 'a', province: '01', ok: false, category: 'AUTH', duration: 5, slot: 'consumer' }));
    minute.addTransaction(toTx({ service: 'a', province: '01', ok: true, duration: 5, slot: 'consumer' }));
    const old = minute.toPayload();
    for (const g of old.groups) delete g.f;
    const day = new PeriodStats();
    day.merge(old);
    const [row] = day.rows('2024-05-06T00:00:00+07:00', 'day');
    expect(row).toMatchObject({ failed: 2, failedTimeout: 0, failedAuth: 0, failedUnspecified: 2 });
  });

  it('given day rows, then the CSV has the row columns and then the seven cause columns, and minute CSV has none', () => {
    const s = new PeriodStats();
    s.addTransaction(toTx({ service: 'a', province: '01', ok: false, category: 'THROTTLED', duration: 5, slot: 'both' }));
    const [dayHeader, dayLine] = toCsv(s.rows('2024-05-06T00:00:00+07:00', 'day'), 'day').split('\r\n');
    expect(dayHeader!.split(',').slice(-7)).toEqual([...FAILURE_COLUMNS]);
    expect(dayLine!.split(',').slice(-7)).toEqual(['0', '1', '0', '0', '0', '0', '0']);
    expect(toCsv([], 'day').split('\r\n')[0]).toContain('failedUnspecified');
    expect(toCsv(s.rows('2024-05-06T10:00:00+07:00', 'minute')).split('\r\n')[0]).not.toContain('failedAuth');
  });
});
