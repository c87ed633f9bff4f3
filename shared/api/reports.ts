/**
 * `GET /v1/reports?month=YYYY-MM` (CONTRACT.md 1.1): the month's reports, each subject with a
 * presigned GET URL of its HTML and its PDF (in AWS: S3, valid `expiresInSeconds`; locally: the
 * local S3 endpoint). Analysts and operators see every subject; an LGSP its own platform's and the
 * national one. Only `reports/month=<month>/` is listed.
 */
import type { Principal } from '#shared/auth/keys.ts';
import { NATIONAL } from '#shared/reports/monthly.ts';
import { keys, type RollupBucket } from '#shared/store/bucket.ts';

export interface ReportLink {
  subject: string;
  html: string;
  pdf: string;
}

export interface ReportsPage {
  month: string;
  reports: ReportLink[];
}

/** How long a report URL stays valid. */
export const REPORT_URL_SECONDS = 3600;

export class ReportReader {
  constructor(
    private readonly bucket: Pick<RollupBucket, 'list' | 'presignGet'>,
    private readonly expiresInSeconds = REPORT_URL_SECONDS,
  ) {}

  async list(month: string, principal: Pick<Principal, 'role' | 'platformId'>): Promise<ReportsPage> {
    const found = new Map<string, Set<'html' | 'pdf'>>();
    for (const key of await this.bucket.list(keys.reportsPrefix(month))) {
      const r = keys.reportOf(key);
      if (r?.month === month) found.set(r.subject, (found.get(r.subject) ?? new Set()).add(r.ext));
    }
    const visible = (s: string): boolean => principal.role !== 'lgsp' || s === NATIONAL || s === principal.platformId;
    // National first, then platforms in order; a subject is listed once both files are there.
    const subjects = [...found.entries()]
      .filter(([s, exts]) => exts.size === 2 && visible(s))
      .map(([s]) => s)
      .sort((a, b) => (a === NATIONAL ? -1 : b === NATIONAL ? 1 : a < b ? -1 : 1));
    const reports = await Promise.all(
      subjects.map(async (subject) => ({
        subject,
        html: await this.bucket.presignGet(keys.report(month, subject, 'html'), this.expiresInSeconds),
        pdf: await this.bucket.presignGet(keys.report(month, subject, 'pdf'), this.expiresInSeconds),
      })),
    );
    return { month, reports };
  }
}
