/**
 * The rollup bucket: the only code that knows its keys (CONTRACT.md section 2).
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { splitMinuteKey } from '#shared/time.ts';

/** The bucket's top folders: IAM grants (infra/wiring.ts) and Glue tables (infra/glue-tables.ts) name them from here. */
export const PREFIXES = {
  minute: 'rollups/minute/',
  daily: 'rollups/daily/',
  rollups: 'rollups/',
  archive: 'archive/',
  rejected: 'rejected/',
  /** *1.1* Monthly reports (HTML and PDF) and the rollup's note of months whose reports are due. */
  reports: 'reports/',
} as const;

export const keys = {
  minute: (minuteKey: string): string => {
    const { day, hhmm } = splitMinuteKey(minuteKey);
    return `${keys.minutePrefix(day)}${hhmm}.jsonl`;
  },
  /** The folder of a day's minute files. */
  minutePrefix: (day: string): string => `${PREFIXES.minute}date=${day}/`,
  /** The folder of a day's daily files (rollup.jsonl, rollup.csv, summary.json, systems.jsonl, systems.csv). */
  dailyPrefix: (day: string): string => `${PREFIXES.daily}date=${day}/`,
  dailyJsonl: (day: string): string => `${keys.dailyPrefix(day)}rollup.jsonl`,
  dailyCsv: (day: string): string => `${keys.dailyPrefix(day)}rollup.csv`,
  summary: (day: string): string => `${keys.dailyPrefix(day)}summary.json`,
  /** *1.1* The day's systems rows (CONTRACT.md section 2), beside the daily rows. */
  systemsJsonl: (day: string): string => `${keys.dailyPrefix(day)}systems.jsonl`,
  systemsCsv: (day: string): string => `${keys.dailyPrefix(day)}systems.csv`,
  /** The raw archive (CONTRACT.md 1.1): one gzip JSON-lines object per final minute. */
  archive: (minuteKey: string): string => {
    const { day, hhmm } = splitMinuteKey(minuteKey);
    return `${PREFIXES.archive}date=${day}/${hhmm}.jsonl.gz`;
  },
  /** CONTRACT.md 1.1: by sender platform (or `unknown`), then date, so one platform's lines are read alone. */
  rejected: (platform: string, day: string, id: string): string => `${keys.rejectedPrefix(platform, day)}${id}.jsonl`,
  rejectedPrefix: (platform: string, day: string): string => `${PREFIXES.rejected}platform=${platform}/date=${day}/`,
  /** Under it, one `platform=<id>/` folder per sender platform (and `unknown`). */
  rejectedRoot: PREFIXES.rejected,
  /** The platform of a `platform=<id>/` folder name (or of a key under it). */
  rejectedPlatformOf: (key: string): string | undefined => /^rejected\/platform=([^/]+)\//.exec(key)?.[1],
  /** The layout before 1.1 (`rejected/date=.../`): still read by operators. */
  legacyRejectedPrefix: (day: string): string => `rejected/date=${day}/`,
  /** *1.1* The folder of a month's reports (`YYYY-MM`). */
  reportsPrefix: (month: string): string => `${PREFIXES.reports}month=${month}/`,
  /** *1.1* A monthly report: `subject` is a platform id or `national`; `ext` html or pdf. */
  report: (month: string, subject: string, ext: 'html' | 'pdf'): string => `${keys.reportsPrefix(month)}${subject}.${ext}`,
  /** The subject and kind of a report key, or undefined for any other key. */
  reportOf: (key: string): { month: string; subject: string; ext: 'html' | 'pdf' } | undefined => {
    const m = /^reports\/month=(\d{4}-\d{2})\/([A-Za-z0-9._-]+)\.(html|pdf)$/.exec(key);
    return m ? { month: m[1]!, subject: m[2]!, ext: m[3] as 'html' | 'pdf' } : undefined;
  },
  /** *1.1* The rollup's note of months whose reports are due (a month's last day final, or one of its days rolled again). */
  reportsDue: `${PREFIXES.reports}due.json`,
};

const CONTENT_TYPES: Record<string, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  json: 'application/json; charset=utf-8',
  gz: 'application/gzip',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

export class RollupBucket {
  constructor(
    private readonly s3: S3Client,
    readonly bucketName: string,
  ) {}

  async put(key: string, body: string | Uint8Array): Promise<void> {
    const ext = key.slice(key.lastIndexOf('.') + 1);
    // A Buffer with its length: the SDK treats an empty string body as a stream of unknown length.
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucketName,
        Key: key,
        Body: bytes,
        ContentLength: bytes.length,
        ContentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
      }),
    );
  }

  /** The object's text, or undefined when it does not exist. */
  async get(key: string): Promise<string | undefined> {
    const bytes = await this.getBytes(key);
    return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
  }

  /** The object's bytes, or undefined when it does not exist. */
  async getBytes(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucketName, Key: key }));
      return await out.Body!.transformToByteArray();
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }

  /** A presigned GET URL of the object (S3 or the local S3 endpoint the client points at), valid `expiresInSeconds`. */
  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucketName, Key: key }), { expiresIn: expiresInSeconds });
  }

  /** Every key under a prefix. */
  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucketName, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }
}
