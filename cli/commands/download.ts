/**
 * `ngsp download --from D --to D [--granularity day|minute] [--format csv|jsonl] --out DIR`:
 * copies rollups into DIR with the bucket's partitioned layout (`rollups/daily/date=.../...`).
 * The bucket holds minute files as JSON lines only: for `--granularity minute --format csv` each
 * is converted to CSV here, with the same columns and writer as the daily rollup.csv.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { toCsv } from '#shared/rollup.ts';
import type { Row } from '#shared/stats/period.ts';
import { keys, RollupBucket } from '#shared/store/bucket.ts';
import { daysBetween, isDay } from '#shared/time.ts';
import { pool } from '#shared/pool.ts';
import { UserError } from '../errors.ts';
import { count, progressBar, type Io } from '../io.ts';
import type { Target } from '../target.ts';

export interface DownloadOptions {
  from: string;
  to: string;
  granularity?: 'day' | 'minute';
  format?: 'csv' | 'jsonl';
  out: string;
}

export interface DownloadResult {
  /** Files written, relative to `out` (same as their S3 keys, `.csv` for converted minutes). */
  files: string[];
  /** Days with no rollup in the bucket. */
  missingDays: string[];
}

export async function download(target: Target, opts: DownloadOptions, io: Io): Promise<DownloadResult> {
  for (const [flag, v] of [
    ['--from', opts.from],
    ['--to', opts.to],
  ] as const) {
    if (!isDay(v)) throw new UserError(`${flag} must be a date written YYYY-MM-DD, got "${v}".`);
  }
  if (opts.to < opts.from) throw new UserError(`--to (${opts.to}) must not be before --from (${opts.from}).`);
  const granularity = opts.granularity ?? 'day';
  const format = opts.format ?? 'jsonl';
  if (granularity !== 'day' && granularity !== 'minute') throw new UserError(`--granularity must be day or minute, got "${granularity}".`);
  if (format !== 'csv' && format !== 'jsonl') throw new UserError(`--format must be csv or jsonl, got "${format}".`);
  if (!opts.out) throw new UserError('--out DIR is required: the folder to write the rollups into.');
  const days = daysBetween(opts.from, opts.to);
  if (days.length > 366) throw new UserError(`the range has ${days.length} days; download at most 366 at once.`);
  const bucket = new RollupBucket(target.clients.s3, target.bucket);

  // Which objects to fetch, and where each goes.
  const jobs: { key: string; file: string; convert: boolean }[] = [];
  const missingDays: string[] = [];
  for (const day of days) {
    if (granularity === 'day') {
      const wanted = format === 'csv' ? [keys.dailyCsv(day), keys.summary(day)] : [keys.dailyJsonl(day), keys.summary(day)];
      const present = new Set(await bucket.list(keys.dailyPrefix(day)));
      if (!present.size) missingDays.push(day);
      for (const key of wanted) if (present.has(key)) jobs.push({ key, file: key, convert: false });
    } else {
      const minuteKeys = (await bucket.list(keys.minutePrefix(day))).filter((k) => k.endsWith('.jsonl')).sort();
      if (!minuteKeys.length) missingDays.push(day);
      for (const key of minuteKeys)
        jobs.push({ key, file: format === 'csv' ? key.replace(/\.jsonl$/, '.csv') : key, convert: format === 'csv' });
    }
  }
  const bar = progressBar(io, 'download', jobs.length, 'files');
  let done = 0;
  try {
    await pool(jobs, 8, async (job) => {
      const text = await bucket.get(job.key);
      if (text === undefined) return;
      const body = job.convert
        ? toCsv(
            text
              .split('\n')
              .filter((l) => l.trim())
              .map((l) => JSON.parse(l) as Row),
          )
        : text;
      const path = join(opts.out, job.file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, body);
      bar.update(++done);
    });
  } finally {
    bar.stop();
  }
  if (missingDays.length && jobs.length) {
    // One note for all of them, as ranges (a month with a few rolled days is not 25 lines).
    const ranges = dayRanges(missingDays);
    const shown = ranges
      .slice(0, 4)
      .map(([a, b]) => (a === b ? a : `${a} to ${b}`))
      .join(', ');
    io.note(
      `no ${granularity === 'day' ? 'daily' : 'minute'} rollup for ${count(missingDays.length, 'day')} of ${days.length}: ${shown}${ranges.length > 4 ? `, and ${count(ranges.length - 4, 'more range')}` : ''} (roll them with: ngsp rollup --from ${ranges[0]![0]} --to ${ranges.at(-1)![1]})`,
    );
  }
  if (!jobs.length)
    throw new UserError(
      `no rollups between ${opts.from} and ${opts.to} in s3://${target.bucket}/rollups/: roll the days first (ngsp rollup --from ${opts.from} --to ${opts.to}).`,
    );
  io.out(
    `downloaded ${count(jobs.length, 'file')} for ${count(days.length - missingDays.length, 'day')} into ${join(opts.out, 'rollups')}/${granularity === 'minute' && format === 'csv' ? ' (minute JSON lines converted to CSV)' : ''}`,
  );
  return { files: jobs.map((j) => j.file), missingDays };
}

/** Consecutive days folded into [first, last] ranges (days sorted, YYYY-MM-DD). */
function dayRanges(days: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const day of days) {
    const last = out.at(-1);
    if (last && Date.parse(`${day}T00:00:00Z`) - Date.parse(`${last[1]}T00:00:00Z`) === 86_400_000) last[1] = day;
    else out.push([day, day]);
  }
  return out;
}
