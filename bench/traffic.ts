/**
 * Traffic for the benchmarks: the seed generator's 2021 profile (the national volume the targets
 * are about), so reports carry its real mix of pairs, late reports, duplicates, services,
 * provinces and systems. Helpers re-time a generated day into a live window and pack bodies.
 */
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { applyReport, toReport, type Report, type TransactionState } from '#shared/report.ts';
import { encodeTransactionItem } from '#shared/store/events.ts';
import { averageDailyTransactions, profile } from '#shared/traffic/profile.ts';
import { DayTraffic } from '#shared/traffic/generate.ts';
import { dayStartMs, DAY_MS, parseRfc3339, toIct } from '#shared/time.ts';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export const PROFILE = profile('2021');

/** About `transactions` transactions of the 2021 profile on `day` (its own minute curve). */
export function dayTraffic(day: string, transactions: number, seed = 7): { events: ExchangeEvent[]; transactions: number } {
  const scale = transactions / averageDailyTransactions(PROFILE);
  const t = new DayTraffic(PROFILE, day, { scale, seed });
  return { events: [...t.events()], transactions: t.transactions };
}

/**
 * Moves a generated day into `[endMs - spanMs, endMs)`, keeping its shape (order, pairs, late
 * reports, durations): every instant t of the day maps to `endMs - spanMs + (t - dayStart) * spanMs / DAY_MS`.
 * Ids get `idPrefix` so runs never collide.
 */
export function retime(events: ExchangeEvent[], day: string, endMs: number, spanMs: number, idPrefix: string): ExchangeEvent[] {
  const start = dayStartMs(day);
  const base = endMs - spanMs;
  return events.map((e) => {
    const req = parseRfc3339(e.requestAt)!;
    const res = parseRfc3339(e.responseAt)!;
    const at = base + Math.floor(((req - start) * spanMs) / DAY_MS);
    return {
      ...e,
      eventId: `${idPrefix}${e.eventId}`,
      ...(e.transactionId ? { transactionId: `${idPrefix}${e.transactionId}` } : {}),
      requestAt: toIct(at),
      responseAt: toIct(at + (res - req)),
    };
  });
}

/** Message bodies: envelopes of `size` events (`size` = 1: each event on its own). */
export function bodies(events: ExchangeEvent[], size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < events.length; i += size) {
    out.push(size === 1 ? JSON.stringify(events[i]) : JSON.stringify({ events: events.slice(i, i + size) }));
  }
  return out;
}

/** Reports, each once (duplicates dropped): what the store writes. */
export function distinctReports(events: ExchangeEvent[]): Report[] {
  const seen = new Set<string>();
  const out: Report[] = [];
  for (const e of events) {
    const id = `${e.reporter.platformId}#${e.eventId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(toReport(e));
  }
  return out;
}

/**
 * Events-table items in EventStore's format (encodeTransactionItem) for loading with
 * BatchWriteItem: the reports applied by the counting rules (the first report of a role stays),
 * each transaction in its bucket minute (rule 3: the CONSUMER's when there is one).
 */
export function transactionItems(reports: Report[], retime?: (ms: number) => number): Record<string, AttributeValue>[] {
  const byKey = new Map<string, TransactionState>();
  for (const r of reports) {
    const tx = byKey.get(r.transactionKey) ?? { key: r.transactionKey };
    applyReport(tx, retime ? { ...r, requestAtMs: retime(r.requestAtMs) } : r);
    byKey.set(r.transactionKey, tx);
  }
  return [...byKey.values()].map(encodeTransactionItem);
}
