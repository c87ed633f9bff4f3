/**
 * Traffic for the benchmarks: the seed generator's 2021 profile (the national volume the targets
 * are about), so reports carry its real mix of pairs, late reports, duplicates, services,
 * provinces and systems. Helpers re-time a generated day into a live window and pack bodies.
 */
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { toReport, type Report } from '#shared/report.ts';
import { averageDailyTransactions, profile } from '#shared/traffic/profile.ts';
import { DayTraffic } from '#shared/traffic/generate.ts';
import { dayStartMs, DAY_MS, minuteKeyOf, parseRfc3339, toIct } from '#shared/time.ts';
import { marshall } from '@aws-sdk/util-dynamodb';
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

type Slot = Record<string, string | number | boolean>;

/** The stored slot of a report, as EventStore writes it (mirrors its `toSlot`). */
function slotOf(r: Report): Slot {
  return {
    e: r.eventId,
    pl: r.platformId,
    t: r.requestAtMs,
    d: r.durationMs,
    rt: r.route,
    sv: r.serviceCode,
    cs: r.consumerSystem,
    cp: r.consumerProvince,
    ps: r.providerSystem,
    pp: r.providerProvince,
    ok: r.succeeded,
    qb: r.requestBytes,
    sb: r.responseBytes,
  };
}

/**
 * Events-table items in EventStore's format (`pk`, `c`/`p` slots, `m`: the minute) for
 * loading with BatchWriteItem; `minuteOf` chooses each transaction's bucket minute from the
 * effective report's time (rule 3: the CONSUMER's when there is one).
 */
export function transactionItems(reports: Report[], retime?: (ms: number) => number): Record<string, AttributeValue>[] {
  const byKey = new Map<string, { c?: Slot; p?: Slot }>();
  for (const r of reports) {
    const tx = byKey.get(r.transactionKey) ?? {};
    const slot = slotOf(retime ? { ...r, requestAtMs: retime(r.requestAtMs) } : r);
    if (r.role === 'CONSUMER') tx.c ??= slot;
    else tx.p ??= slot;
    byKey.set(r.transactionKey, tx);
  }
  const items: Record<string, AttributeValue>[] = [];
  for (const [pk, tx] of byKey) {
    const minute = minuteKeyOf(Number((tx.c ?? tx.p)!.t));
    items.push(marshall({ pk, ...tx, m: minute }));
  }
  return items;
}
