/**
 * Seed-shaped traffic (shared/traffic/generate.ts) turned into the final minute payloads the
 * rollup would write, through the counting rules (applyReport, PeriodStats), with outages
 * injected on the way: what the alert tests replay.
 */
import { applyReport, bucketMinute, toReport, type Report, type TransactionState } from '#shared/report.ts';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { PeriodStats, type PeriodPayload } from '#shared/stats/period.ts';
import { DayTraffic } from '#shared/traffic/generate.ts';
import { profile, type ProfileId } from '#shared/traffic/profile.ts';
import { MINUTE_MS, dayStartMs, minuteKeyOf } from '#shared/time.ts';

/** Changes a report (or drops it: undefined) before it is counted. */
export type Injection = (r: Report) => Report | undefined;

/** Every minute of the days (empty ones too), in order, with its payload. */
export function seedMinutes(profileId: ProfileId, days: string[], inject: Injection = (r) => r, scale = 1): Map<string, PeriodPayload> {
  const txs = new Map<string, TransactionState>();
  for (const day of days) {
    const traffic = new DayTraffic(profile(profileId), day, { scale });
    for (const event of traffic.events() as Iterable<ExchangeEvent>) {
      const r = inject(toReport(event));
      if (!r) continue;
      let tx = txs.get(r.transactionKey);
      if (!tx) {
        tx = { key: r.transactionKey };
        txs.set(r.transactionKey, tx);
      }
      applyReport(tx, r);
    }
  }
  const stats = new Map<string, PeriodStats>();
  for (const tx of txs.values()) {
    const m = bucketMinute(tx);
    let s = stats.get(m);
    if (!s) {
      s = new PeriodStats();
      stats.set(m, s);
    }
    s.addTransaction(tx);
  }
  const out = new Map<string, PeriodPayload>();
  const empty = new PeriodStats().toPayload();
  for (const day of days)
    for (let t = dayStartMs(day); t < dayStartMs(day) + 1440 * MINUTE_MS; t += MINUTE_MS) {
      const m = minuteKeyOf(t);
      out.set(m, stats.get(m)?.toPayload() ?? empty);
    }
  return out;
}
