/**
 * In-memory stand-ins for the stores, behind the narrow interfaces the handlers take
 * (`makeHandler(deps)`): the unit lane drives the handlers' branches with them, no emulator.
 * Each fake records what it was asked and fails where a test tells it to.
 */
import type { Context, SQSEvent } from 'aws-lambda';
import type { IngestDeps } from '#shared/ingest.ts';
import type { Report } from '#shared/report.ts';
import type { RollupHandlerDeps } from '#functions/rollup/app.ts';
import type { Quarantined } from '#shared/store/stats.ts';
import type { DirtyMark } from '#shared/store/stats.ts';
import { minuteKeyOf } from '#shared/time.ts';
import type { Alert, AlertChange, AlertState, AlertStore, HourProfile, Notifier } from '#shared/alerts.ts';

/** An AWS SDK-shaped error (`name`, `$metadata`), as the stores would throw it. */
export function awsError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name} (fake)`), { name, $metadata: { httpStatusCode } });
}

/** The Lambda context the Powertools middlewares read. */
export const lambdaContext = {
  functionName: 'unit',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:ap-southeast-1:111111111111:function:unit',
  memoryLimitInMB: '128',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/unit',
  logStreamName: 's',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 300_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as unknown as Context;

/** An SQS event of message bodies (`m1`, `m2`, ...), all sent at `sentAtMs`. */
export function sqsEvent(bodies: string[], sentAtMs: number, senderId = 'AROAFAKE'): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m${i + 1}`,
      receiptHandle: `r${i + 1}`,
      body,
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:ap-southeast-1:111111111111:q',
      awsRegion: 'ap-southeast-1',
      messageAttributes: {},
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(sentAtMs),
        SenderId: senderId,
        ApproximateFirstReceiveTimestamp: String(sentAtMs),
      },
    })),
  };
}

/** The ingest's stores: reports kept by transaction key, puts and marks recorded; failures by rule. */
export class FakeIngestStores implements Pick<IngestDeps, 'events' | 'stats' | 'bucket'> {
  readonly reports = new Map<string, Report[]>();
  readonly objects = new Map<string, string>();
  readonly rejectedCounts = new Map<string, number>();
  readonly marked: string[] = [];
  /** Makes a write of this report fail with the returned error (every attempt). */
  failWrite: (r: Report) => Error | undefined = () => undefined;
  failMarks: Error | undefined;

  /** Journal entries by minute (shared/store/journal.ts), as ingest wrote them before the reports. */
  readonly journaled = new Map<string, Set<string>>();

  readonly events: IngestDeps['events'] = {
    journalReports: async (_entry, reports) => {
      for (const r of reports) {
        const m = minuteKeyOf(r.requestAtMs);
        this.journaled.set(m, (this.journaled.get(m) ?? new Set<string>()).add(r.transactionKey));
      }
    },
    journalKeys: async (minute: string, _entry: string, keys: Iterable<string>) => {
      for (const k of keys) this.journaled.set(minute, (this.journaled.get(minute) ?? new Set<string>()).add(k));
    },
    writeReport: async (r) => {
      const err = this.failWrite(r);
      if (err) throw err;
      const tx = this.reports.get(r.transactionKey) ?? [];
      const same = tx.find((x) => x.role === r.role);
      if (!same) this.reports.set(r.transactionKey, [...tx, r]);
      return {
        outcome: !same ? 'stored' : same.eventId === r.eventId && same.platformId === r.platformId ? 'duplicate' : 'conflict',
        minutes: [minuteKeyOf(r.requestAtMs)],
      };
    },
    writeConflict: async () => undefined,
  };

  readonly stats: IngestDeps['stats'] = {
    putRejectedCount: async (day, id, count) => {
      this.rejectedCounts.set(`${day}/${id}`, count);
    },
    markDirty: async (periods) => {
      if (this.failMarks) throw this.failMarks;
      this.marked.push(...periods);
      return [];
    },
  };

  readonly bucket: IngestDeps['bucket'] = {
    put: async (key, body) => {
      this.objects.set(key, typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    },
  };
}

/**
 * The rollup's stores with no transactions: what a scheduled run reads and writes (watermark,
 * dirty marks, minute items and files), with a failure for chosen S3 keys.
 */
export class FakeRollupStores {
  watermarkValue: string | undefined;
  readonly marks: DirtyMark[] = [];
  readonly objects = new Map<string, string>();
  readonly minuteItems: string[] = [];
  /** Makes a put of this key fail (every attempt). */
  failPut: (key: string) => Error | undefined = () => undefined;

  /** Failed rolls per period (the quarantine's counts) and the quarantined periods. */
  readonly failureCounts = new Map<string, number>();
  readonly quarantinedPeriods: Quarantined[] = [];
  leaseOwner: string | undefined;

  deps(o: { now: number; latenessMs?: number; maxMinutesPerRun?: number }): RollupHandlerDeps {
    const stats = {
      takeLease: async (owner: string) => {
        if (this.leaseOwner && this.leaseOwner !== owner) return false;
        this.leaseOwner = owner;
        return true;
      },
      renewLease: async (owner: string) => this.leaseOwner === owner,
      releaseLease: async (owner: string) => {
        if (this.leaseOwner === owner) this.leaseOwner = undefined;
      },
      recordFailure: async (period: string) => {
        const n = (this.failureCounts.get(period) ?? 0) + 1;
        this.failureCounts.set(period, n);
        return n;
      },
      failures: async () => new Map(this.failureCounts),
      clearFailure: async (period: string) => {
        this.failureCounts.delete(period);
      },
      quarantine: async (q: Quarantined) => {
        this.quarantinedPeriods.push(q);
      },
      quarantined: async () => [...this.quarantinedPeriods],
      release: async (period: string) => {
        this.quarantinedPeriods.splice(0, this.quarantinedPeriods.length, ...this.quarantinedPeriods.filter((q) => q.period !== period));
      },
      watermark: async () => this.watermarkValue,
      setWatermark: async (next: string) => {
        this.watermarkValue = next;
      },
      dirtyMarks: async () => [...this.marks],
      clearDirty: async (m: DirtyMark) => {
        this.marks.splice(this.marks.indexOf(m), 1);
      },
      markDirty: async (periods: Iterable<string>) => {
        const added = [...periods].map((p) => ({ period: p, kind: p.length === 10 ? 'day' : 'minute', at: o.now }) as DirtyMark);
        this.marks.push(...added);
        return added;
      },
      putMinute: async (minute: string) => {
        this.minuteItems.push(minute);
      },
      minutesOf: async () => [],
      rejectedOn: async () => 0,
      putDay: async () => undefined,
      deleteDaySoFar: async () => undefined,
      putMinuteSystems: async () => undefined,
      minuteSystemsOf: async () => new Map(),
      putDaySystemsRows: async () => undefined,
    };
    const archive = {
      withRunCache: () => archive,
      read: async () => undefined,
      write: async () => undefined,
    };
    const events = {
      forEachTransactionPage: async () => undefined,
      getTransactions: async () => new Map(),
      conflictsOn: async () => 0,
      restore: async () => true,
      writeConflict: async () => undefined,
    };
    const bucket = {
      put: async (key: string, body: string) => {
        const err = this.failPut(key);
        if (err) throw err;
        this.objects.set(key, body);
      },
      // The monthly reports' note and the daily files they read (shared/reports/generate.ts).
      get: async (key: string) => this.objects.get(key),
    };
    // The rollup takes the whole Stores; a run with no transactions uses only these members.
    return {
      events,
      stats,
      bucket,
      archive,
      pairWindowMs: 5 * 60_000,
      now: () => o.now,
      latenessMs: o.latenessMs ?? 120_000,
      indexLagMs: 10_000,
      concurrency: 2,
      maxMinutesPerRun: o.maxMinutesPerRun ?? 240,
      initialLookbackMs: 60 * 60_000,
      provisional: false,
      leaseMs: 330_000,
      poisonAttempts: 3,
      quarantineRetryMs: 15 * 60_000,
      budgetMarginMs: 30_000,
    } as unknown as RollupHandlerDeps;
  }
}

/**
 * The alerts' store in memory (shared/store/alerts.ts keeps the same things in the stats table),
 * counting its reads and writes; `failSaveState` makes the next state writes fail (a crash).
 */
export class FakeAlertStore implements AlertStore {
  state: AlertState | undefined;
  readonly profilesByHour = new Map<string, HourProfile>();
  readonly alerts = new Map<string, Alert>();
  reads = 0;
  writes = 0;
  failSaveState = 0;

  async loadState(): Promise<AlertState | undefined> {
    this.reads++;
    return this.state ? structuredClone(this.state) : undefined;
  }
  async saveState(state: AlertState): Promise<void> {
    if (this.failSaveState > 0) {
      this.failSaveState--;
      throw awsError('InternalServerError', 500);
    }
    this.writes++;
    this.state = structuredClone(state);
  }
  async putProfiles(profiles: HourProfile[]): Promise<void> {
    this.writes += profiles.length;
    for (const p of profiles) this.profilesByHour.set(p.hour, structuredClone(p));
  }
  async profiles(hours: string[]): Promise<HourProfile[]> {
    this.reads++;
    return hours.flatMap((h) => (this.profilesByHour.has(h) ? [structuredClone(this.profilesByHour.get(h)!)] : []));
  }
  async putAlerts(alerts: Alert[]): Promise<void> {
    this.writes += alerts.length;
    for (const a of alerts) this.alerts.set(a.id, structuredClone(a));
  }
  async alertsBetween(fromMs: number, toMs: number): Promise<Alert[]> {
    return [...this.alerts.values()]
      .filter((a) => Date.parse(a.startedAt) < toMs && (a.endedAt === null || Date.parse(a.endedAt) > fromMs))
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }
}

/** Records every notification; `fail` makes publishing throw (SNS down). */
export class FakeNotifier implements Notifier {
  readonly sent: { change: AlertChange; alert: Alert }[] = [];
  fail = false;
  async publish(alert: Alert, change: AlertChange): Promise<void> {
    if (this.fail) throw awsError('InternalErrorException', 500);
    this.sent.push({ change, alert });
  }
}
