/**
 * `ngsp report --month YYYY-MM [--platform ID] [--fetch] [--out DIR]`: builds the month's
 * monthly reports now from the published daily rollups (the national one and one per platform
 * that reported in the month, or only `--platform`), writes them to the bucket
 * (`reports/month=YYYY-MM/<subject>.html|.pdf`) and prints where they are; `--fetch` takes the
 * reports already in the bucket instead of building them; `--out DIR` also copies them into DIR.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultRegistry } from '#shared/registry.ts';
import { readMonth, subjectsOf, writeReport } from '#shared/reports/generate.ts';
import { NATIONAL, isMonth } from '#shared/reports/monthly.ts';
import { keys, RollupBucket } from '#shared/store/bucket.ts';
import { UserError } from '../errors.ts';
import { count, n, progressBar, type Io } from '../io.ts';
import type { Target } from '../target.ts';

export interface ReportOptions {
  month: string;
  /** A platform id (NGSP, LGSP-79, ...) or `national`; default: every subject of the month. */
  platform?: string;
  /** Take the reports in the bucket instead of building them. */
  fetch?: boolean;
  /** Also copy the files into this folder (`<subject>.html`, `<subject>.pdf`). */
  out?: string;
}

export interface ReportFiles {
  subject: string;
  html: string;
  pdf: string;
  /** Copies under --out. */
  files?: string[];
  transactions?: number;
}

export async function report(target: Target, opts: ReportOptions, io: Io): Promise<{ month: string; reports: ReportFiles[] }> {
  if (!isMonth(opts.month)) throw new UserError(`--month must be a month written YYYY-MM, got "${opts.month}".`);
  const platform = opts.platform;
  if (platform !== undefined && platform !== NATIONAL && !defaultRegistry.knowsPlatform(platform))
    throw new UserError(`--platform ${platform} is not a platform of the registry (seeds/platforms.json), nor "national".`);
  const bucket = new RollupBucket(target.clients.s3, target.bucket);
  const uri = (key: string): string => `s3://${target.bucket}/${key}`;
  const month = opts.month;
  let reports: ReportFiles[];
  if (opts.fetch) {
    const present = new Set(await bucket.list(keys.reportsPrefix(month)));
    const subjects = [...present].map((k) => keys.reportOf(k)?.subject).filter((s): s is string => !!s && (!platform || s === platform));
    reports = [...new Set(subjects)]
      .filter((s) => present.has(keys.report(month, s, 'html')) && present.has(keys.report(month, s, 'pdf')))
      .sort()
      .map((s) => ({ subject: s, html: keys.report(month, s, 'html'), pdf: keys.report(month, s, 'pdf') }));
    if (!reports.length)
      throw new UserError(
        `no report for ${month}${platform ? ` and ${platform}` : ''} in s3://${target.bucket}/: run "ngsp report --month ${month}" (without --fetch) to build it.`,
      );
  } else {
    const data = await readMonth(bucket, month);
    if (!data.days.length)
      throw new UserError(
        `no daily rollup for any day of ${month} in s3://${target.bucket}/: roll the days first (ngsp rollup --from ${month}-01 --to ...).`,
      );
    const subjects = platform ? [platform] : subjectsOf(data);
    const bar = progressBar(io, 'report', subjects.length, 'reports');
    reports = [];
    try {
      for (const s of subjects) {
        const w = await writeReport(data, s, { bucket });
        reports.push({ subject: s, html: w.html, pdf: w.pdf, transactions: w.figures.totals.transactions });
        bar.update(reports.length);
      }
    } finally {
      bar.stop();
    }
    io.out(`built ${count(reports.length, 'report')} of ${month} from ${count(data.days.length, 'published day')}:`);
  }
  if (opts.out) {
    const dir = resolve(opts.out);
    mkdirSync(dir, { recursive: true });
    for (const r of reports) {
      r.files = [];
      for (const key of [r.html, r.pdf]) {
        const bytes = await bucket.getBytes(key);
        if (!bytes) throw new UserError(`${uri(key)} disappeared while it was being copied; run the command again.`);
        const file = join(dir, key.slice(keys.reportsPrefix(month).length));
        writeFileSync(file, bytes);
        r.files.push(file);
      }
    }
  }
  for (const r of reports) {
    const figures = r.transactions === undefined ? '' : ` (${n(r.transactions)} transactions)`;
    io.out(`${r.subject}${figures}: ${uri(r.html)} ${uri(r.pdf)}${r.files ? ` → ${r.files.join(' ')}` : ''}`);
  }
  return { month, reports };
}
