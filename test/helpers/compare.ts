import { expect } from 'vitest';
import type { Row } from '#shared/stats/period.ts';
import type { SystemsRow } from '#shared/stats/systems.ts';
import { exactQuantile, type OracleRow, type OracleSystemsRow } from './stream.ts';

const groupKey = (r: { route: string; serviceCode: string; consumerProvince: string; providerProvince: string }) =>
  [r.route, r.serviceCode, r.consumerProvince, r.providerProvince].join('|');

/** Asserts published rows equal the oracle's: counts exactly, percentiles within 1 % of exact. */
export function expectRowsMatch(rows: Row[], expected: OracleRow[] | undefined, label: string): void {
  const exp = new Map((expected ?? []).map((o) => [groupKey(o), o]));
  expect(rows.map(groupKey).sort(), label).toEqual([...exp.keys()].sort());
  for (const row of rows) {
    const o = exp.get(groupKey(row))!;
    expect(row.periodStart, label).toBe(o.periodStart);
    expect(row.granularity, label).toBe(o.granularity);
    expect(
      [row.transactions, row.succeeded, row.failed, row.pairedTransactions, row.requestBytes, row.responseBytes],
      `${label} ${groupKey(row)}`,
    ).toEqual([o.transactions, o.succeeded, o.failed, o.pairedTransactions, o.requestBytes, o.responseBytes]);
    expect(row.durationMsMax, label).toBe(Math.max(...o.durations));
    // Failure causes (1.1): on day rows, each column as the oracle counts it (absent = 0); none on minute rows.
    const causeColumns = [
      'failedAuth',
      'failedThrottled',
      'failedTarget',
      'failedTimeout',
      'failedValidation',
      'failedOther',
      'failedUnspecified',
    ] as const;
    if (row.granularity === 'day') {
      expect(Object.fromEntries(causeColumns.map((c) => [c, row[c]])), `${label} ${groupKey(row)} causes`).toEqual(
        Object.fromEntries(causeColumns.map((c) => [c, o.causes[c] ?? 0])),
      );
    } else {
      expect(
        causeColumns.filter((c) => c in row),
        label,
      ).toEqual([]);
    }
    for (const [q, v] of [
      [0.5, row.durationMsP50],
      [0.95, row.durationMsP95],
      [0.99, row.durationMsP99],
    ] as const) {
      const exact = exactQuantile(o.durations, q);
      expect(Math.abs(v! - exact), `${label} p${q * 100} ${v} vs ${exact}`).toBeLessThanOrEqual(exact * 0.01 + 1e-9);
    }
  }
}

const systemsKey = (r: Pick<SystemsRow, 'route' | 'serviceCode' | 'consumerOrg' | 'consumerSystem' | 'providerOrg' | 'providerSystem'>) =>
  [r.route, r.serviceCode, r.consumerOrg, r.consumerSystem, r.providerOrg, r.providerSystem].join('|');

const CAUSE_COLUMNS = [
  'failedAuth',
  'failedThrottled',
  'failedTarget',
  'failedTimeout',
  'failedValidation',
  'failedOther',
  'failedUnspecified',
] as const;

/** *1.1* Asserts systems rows equal the oracle's: counts, causes and platforms exactly, percentiles within 1 % of exact. */
export function expectSystemsRowsMatch(rows: SystemsRow[], expected: OracleSystemsRow[] | undefined, label: string): void {
  const exp = new Map((expected ?? []).map((o) => [systemsKey(o), o]));
  expect(rows.map(systemsKey).sort(), label).toEqual([...exp.keys()].sort());
  for (const row of rows) {
    const o = exp.get(systemsKey(row))!;
    const at = `${label} ${systemsKey(row)}`;
    expect([row.periodStart, row.granularity], at).toEqual([o.periodStart, 'day']);
    expect(
      [row.transactions, row.succeeded, row.failed, row.pairedTransactions, row.requestBytes, row.responseBytes, row.durationMsMax],
      at,
    ).toEqual([o.transactions, o.succeeded, o.failed, o.pairedTransactions, o.requestBytes, o.responseBytes, Math.max(...o.durations)]);
    expect(Object.fromEntries(CAUSE_COLUMNS.map((c) => [c, row[c]])), `${at} causes`).toEqual(
      Object.fromEntries(CAUSE_COLUMNS.map((c) => [c, o.causes[c] ?? 0])),
    );
    expect(row.reportingPlatforms, `${at} platforms`).toEqual([...o.reportingPlatforms].sort());
    for (const [q, v] of [
      [0.5, row.durationMsP50],
      [0.95, row.durationMsP95],
      [0.99, row.durationMsP99],
    ] as const) {
      const exact = exactQuantile(o.durations, q);
      expect(Math.abs(v! - exact), `${at} p${q * 100} ${v} vs ${exact}`).toBeLessThanOrEqual(exact * 0.01 + 1e-9);
    }
  }
}

export function parseJsonLines<T>(text: string | undefined): T[] {
  if (text === undefined) throw new Error('object missing');
  return text
    .split('\n')
    .filter((l) => l.length)
    .map((l) => JSON.parse(l) as T);
}
