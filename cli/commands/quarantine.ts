/**
 * `ngsp quarantine list` | `ngsp quarantine retry [PERIOD]` (operators): minutes and days whose
 * roll failed in several scheduled runs in a row and that the watermark went on without
 * (docs/operations.md#rollup-quarantine). `retry` rolls them now, from the target's stores.
 */
import { retryQuarantined, type RetryOutcome } from '#shared/rollup.ts';
import type { Quarantined } from '#shared/store/stats.ts';
import { isDay, toIct } from '#shared/time.ts';
import { UserError } from '../errors.ts';
import { count, type Io } from '../io.ts';
import { storesOf, type Target } from '../target.ts';

const MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

export async function listQuarantine(target: Target, opts: { json?: boolean }, io: Io): Promise<Quarantined[]> {
  const held = await storesOf(target).stats.quarantined();
  if (opts.json) {
    io.out(
      JSON.stringify(
        held.map((q) => ({ ...q, since: toIct(q.since), retryAt: toIct(q.retryAt) })),
        null,
        2,
      ),
    );
    return held;
  }
  if (!held.length) {
    io.out('no quarantined minutes or days.');
    return held;
  }
  const rows = [
    ['PERIOD', 'KIND', 'ATTEMPTS', 'SINCE', 'NEXT RETRY', 'LAST ERROR'],
    ...held.map((q) => [q.period, q.kind, String(q.attempts), toIct(q.since), toIct(q.retryAt), q.error]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    io.out(
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  return held;
}

export async function retryQuarantine(target: Target, period: string | undefined, io: Io): Promise<RetryOutcome[]> {
  if (period !== undefined && !MINUTE.test(period) && !isDay(period))
    throw new UserError(`the period must be a minute YYYY-MM-DDTHH:mm or a day YYYY-MM-DD (Asia/Ho_Chi_Minh), got "${period}".`);
  const stores = storesOf(target);
  if (period !== undefined && !(await stores.stats.quarantined()).some((q) => q.period === period)) {
    throw new UserError(`${period} is not quarantined (ngsp quarantine list shows what is).`);
  }
  const out = await retryQuarantined(stores, period);
  for (const r of out)
    io.out(r.rolled ? `${r.period}: rolled, out of quarantine` : `${r.period}: failed again, still quarantined: ${r.error}`);
  const rolled = out.filter((r) => r.rolled).length;
  io.out(`${count(rolled, 'period')} rolled, ${count(out.length - rolled, 'period')} still quarantined.`);
  return out;
}
