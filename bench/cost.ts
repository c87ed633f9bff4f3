/**
 * Figure 6: AWS cost per million transactions at the 2021 national volume, from the request
 * budget measured in this run and the dated unit prices of shared/cost/ (the same arithmetic as
 * `ngsp cost`). Beside it: the same estimate from shared/cost/budget.ts as committed.
 */
import { BUDGET, BUDGET_SOURCE, type Budget } from '#shared/cost/budget.ts';
import { estimateMonthlyCost } from '#shared/cost/estimate.ts';
import { PRICES_AS_OF, PRICES_REGION } from '#shared/cost/prices.ts';
import type { IngestBenchResult } from './ingest.ts';

/** ~181 million transactions in 2021 (public NGSP figures, see DESIGN.md). */
export const TRANSACTIONS_2021 = 181_000_000;

export interface CostResult {
  transactionsPerDay: number;
  pricesAsOf: string;
  region: string;
  measured: { perMillion: number; monthly: number; byService: Record<string, number>; budget: MeasuredBudget };
  committed: { perMillion: number; monthly: number; source: string };
}

/** The budget fields this run measures. */
export interface MeasuredBudget {
  reportsPerTransaction: number;
  bytesPerReport: number;
  writeUnitsPerReport: number;
  readUnitsPerTransaction: number;
  bytesPerTransactionStored: number;
}

export function measuredBudget(ingest: IngestBenchResult): MeasuredBudget {
  const live = ingest.runs[0]!;
  return {
    reportsPerTransaction: Math.round((live.reports / Math.max(1, live.expectedTransactions)) * 100) / 100,
    bytesPerReport: ingest.avgEventBytes,
    writeUnitsPerReport: ingest.itemSizes.avgWruPerReport,
    readUnitsPerTransaction: ingest.itemSizes.avgQueryRruPerTransaction,
    bytesPerTransactionStored: ingest.itemSizes.avgStoredBytesPerTransaction,
  };
}

export function benchCost(ingest: IngestBenchResult): CostResult {
  const perDay = Math.round(TRANSACTIONS_2021 / 365);
  const m = measuredBudget(ingest);
  const budget = {
    ...BUDGET,
    reportsPerTransaction: m.reportsPerTransaction,
    bytesPerReport: m.bytesPerReport,
    dynamodb: {
      ...BUDGET.dynamodb,
      writeUnitsPerReport: m.writeUnitsPerReport,
      readUnitsPerTransaction: m.readUnitsPerTransaction,
      bytesPerTransactionStored: m.bytesPerTransactionStored,
    },
  } as unknown as Budget;
  const measured = estimateMonthlyCost(perDay, budget);
  const committed = estimateMonthlyCost(perDay);
  const perMillion = (total: number, tx: number): number => Math.round((total / (tx / 1e6)) * 1000) / 1000;
  return {
    transactionsPerDay: perDay,
    pricesAsOf: PRICES_AS_OF,
    region: PRICES_REGION,
    measured: {
      perMillion: perMillion(measured.total, measured.transactionsPerMonth),
      monthly: Math.round(measured.total * 100) / 100,
      byService: Object.fromEntries(measured.services.map((s) => [s.service, Math.round(s.total * 100) / 100])),
      budget: m,
    },
    committed: {
      perMillion: perMillion(committed.total, committed.transactionsPerMonth),
      monthly: Math.round(committed.total * 100) / 100,
      source: BUDGET_SOURCE,
    },
  };
}
