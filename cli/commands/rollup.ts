/**
 * `ngsp rollup --from X --to Y`: rolls every minute and day of a range now, from the event store
 * of the target (days `YYYY-MM-DD`, both included; or RFC 3339 instants, `[X, Y)`).
 */
import { rollRange, type DaySummary } from '#shared/rollup.ts';
import { keys } from '#shared/store/bucket.ts';
import { DAY_MS, dayStartMs, isDay, parseRfc3339, toIct } from '#shared/time.ts';
import { UserError } from '../errors.ts';
import { count, n, progressBar, type Io } from '../io.ts';
import { storesOf, type Target } from '../target.ts';

export interface RollupOptions {
  from: string;
  to: string;
  /** Minutes rolled at once. @default 8 */
  concurrency?: number;
}

export interface RollupResult {
  fromMs: number;
  toMs: number;
  minutes: number;
  days: string[];
  summaries: DaySummary[];
  seconds: number;
}

/** `[fromMs, toMs)` of the options: two days (inclusive) or two RFC 3339 instants. */
export function parseRange(from: string, to: string, flag = '--from/--to'): { fromMs: number; toMs: number; days: boolean } {
  if (isDay(from) && isDay(to)) {
    if (to < from) throw new UserError(`--to (${to}) must not be before --from (${from}).`);
    return { fromMs: dayStartMs(from), toMs: dayStartMs(to) + DAY_MS, days: true };
  }
  const a = parseRfc3339(from);
  const b = parseRfc3339(to);
  const bad = (v: string, name: string): UserError =>
    new UserError(
      `${name} must be a date written YYYY-MM-DD or an RFC 3339 instant with an offset (e.g. 2020-11-18T08:00:00+07:00), got "${v}".`,
    );
  if (a === undefined && !isDay(from)) throw bad(from, '--from');
  if (b === undefined && !isDay(to)) throw bad(to, '--to');
  if (a === undefined || b === undefined)
    throw new UserError(`${flag} must both be dates (YYYY-MM-DD) or both be RFC 3339 instants, got "${from}" and "${to}".`);
  if (b <= a) throw new UserError(`--to (${to}) must be after --from (${from}).`);
  return { fromMs: a, toMs: b, days: false };
}

export async function rollup(target: Target, opts: RollupOptions, io: Io): Promise<RollupResult> {
  const started = Date.now();
  const { fromMs, toMs } = parseRange(opts.from, opts.to);
  const concurrency = opts.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UserError(`--concurrency must be an integer from 1 to 64, got "${opts.concurrency}".`);
  const deps = { ...storesOf(target), concurrency };
  const { bucket } = deps;
  const bar = progressBar(io, 'rollup', 1, 'periods');
  let out: { minutes: number; days: string[] };
  try {
    out = await rollRange(fromMs, toMs, deps, (done, total) => {
      bar.setTotal(total);
      bar.update(done);
    });
  } finally {
    bar.stop();
  }
  const summaries: DaySummary[] = [];
  for (const day of out.days) {
    const text = await bucket.get(keys.summary(day));
    if (text) summaries.push(JSON.parse(text) as DaySummary);
  }
  const seconds = (Date.now() - started) / 1000;
  io.out(
    `rolled ${n(out.minutes)} minutes and ${count(out.days.length, 'day')} of [${toIct(fromMs)}, ${toIct(toMs)}) in ${seconds.toFixed(1)} s into s3://${target.bucket}/rollups/`,
  );
  for (const s of summaries) {
    io.out(
      `${s.date}: ${n(s.transactions)} transactions (${s.avgTransactionsPerMinute}/min, ${n(s.failed)} failed), ${s.distinctSystems} systems, ${s.reportingPlatforms.length} reporting platforms, ${n(s.conflicts)} conflicts, ${n(s.rejected)} rejected`,
    );
  }
  return { fromMs, toMs, minutes: out.minutes, days: out.days, summaries, seconds };
}
