/**
 * The exchange-health alerts' items in the stats table (shared/alerts.ts is the logic); the only
 * code that knows their keys:
 * - `ALERTS`/`state`: the alert state (last minute fed, the hour being accumulated, silence
 *   counters, open alerts, unsent notifications), gzip JSON; one GetItem and one or two PutItems a run.
 * - `AHP#<YYYY-MM-DD>`/`<HH>`: the profile of a finished hour (gzip JSON), what baselines are made
 *   of; expires by TTL after `profileDays`.
 * - `ALR#<YYYY-MM>`/`<startedAt>#<id>`: one alert, partitioned by the month it started in (a few
 *   per month, never hot); rewritten when it is cleared; expires by TTL after `alertDays`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  paginateQuery,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Alert, AlertState, AlertStore, HourProfile } from '#shared/alerts.ts';
import { DAY_MS, periodStartOf, parseRfc3339 } from '#shared/time.ts';

/** DynamoDB's item limit is 400 KB: the state must stay well below. */
export const MAX_STATE_BYTES = 350_000;
/** How far before `from` an alert may have started and still be listed (open alerts are listed whenever they started). */
export const ALERT_LOOKBACK_MS = 31 * DAY_MS;

const STATE_KEY = { pk: { S: 'ALERTS' }, sk: { S: 'state' } };
const profileKey = (hour: string): Record<string, AttributeValue> => ({
  pk: { S: `AHP#${hour.slice(0, 10)}` },
  sk: { S: hour.slice(11, 13) },
});

const zip = (value: unknown): Uint8Array => gzipSync(JSON.stringify(value));
const unzip = <T>(b: Uint8Array): T => JSON.parse(gunzipSync(b).toString('utf8')) as T;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The month partitions (`YYYY-MM`, ICT) that `[fromMs, toMs)` touches. */
function monthsBetween(fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  let y = Number(periodStartOf(fromMs).slice(0, 4));
  let m = Number(periodStartOf(fromMs).slice(5, 7));
  const last = periodStartOf(Math.max(fromMs, toMs - 1)).slice(0, 7);
  for (;;) {
    const month = `${y}-${String(m).padStart(2, '0')}`;
    out.push(month);
    if (month >= last) return out;
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
}

export class AlertItems implements AlertStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    private readonly opts: { profileDays: number; alertDays: number; now?: () => number } = { profileDays: 30, alertDays: 400 },
  ) {}

  private ttl(days: number, fromMs: number): AttributeValue {
    return { N: String(Math.floor((fromMs + days * DAY_MS) / 1000)) };
  }

  async loadState(): Promise<AlertState | undefined> {
    const out = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: STATE_KEY, ConsistentRead: true }));
    return out.Item?.z?.B ? unzip<AlertState>(out.Item.z.B) : undefined;
  }

  async saveState(state: AlertState): Promise<void> {
    const z = zip(state);
    if (z.length > MAX_STATE_BYTES) throw new Error(`alert state is ${z.length} bytes gzipped, over ${MAX_STATE_BYTES}`);
    await this.ddb.send(new PutItemCommand({ TableName: this.table, Item: { ...STATE_KEY, z: { B: z } } }));
  }

  async putProfiles(profiles: HourProfile[]): Promise<void> {
    for (const p of profiles) {
      const at = parseRfc3339(`${p.hour}:00:00+07:00`) ?? (this.opts.now ?? Date.now)();
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...profileKey(p.hour), z: { B: zip(p) }, ttl: this.ttl(this.opts.profileDays, at) },
        }),
      );
    }
  }

  async profiles(hours: string[]): Promise<HourProfile[]> {
    const out: HourProfile[] = [];
    for (let i = 0; i < hours.length; i += 100) {
      let pending: Record<string, AttributeValue>[] = hours.slice(i, i + 100).map(profileKey);
      for (let attempt = 0; pending.length; attempt++) {
        if (attempt > 8) throw new Error(`BatchGetItem left ${pending.length} profile keys unprocessed after ${attempt} attempts`);
        if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
        const res = await this.ddb.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending } } }));
        for (const it of res.Responses?.[this.table] ?? []) if (it.z?.B) out.push(unzip<HourProfile>(it.z.B));
        pending = (res.UnprocessedKeys?.[this.table]?.Keys as Record<string, AttributeValue>[] | undefined) ?? [];
      }
    }
    return out.sort((a, b) => a.hour.localeCompare(b.hour));
  }

  async putAlerts(alerts: Alert[]): Promise<void> {
    for (const a of alerts) {
      const started = parseRfc3339(a.startedAt) ?? 0;
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: `ALR#${a.startedAt.slice(0, 7)}` },
            sk: { S: `${a.startedAt}#${a.id}` },
            a: { S: JSON.stringify(a) },
            ttl: this.ttl(this.opts.alertDays, started),
          },
        }),
      );
    }
  }

  /**
   * Alerts overlapping `[fromMs, toMs)`: those that started in the month partitions from
   * `fromMs - ALERT_LOOKBACK_MS` to `toMs`, and the open ones (from the state, whenever they started).
   */
  async alertsBetween(fromMs: number, toMs: number): Promise<Alert[]> {
    const byId = new Map<string, Alert>();
    const keep = (a: Alert): void => {
      const had = byId.get(a.id);
      // The cleared copy wins: it is written before the state that drops the open one.
      if (!had || (had.endedAt === null && a.endedAt !== null)) byId.set(a.id, a);
    };
    for (const month of monthsBetween(fromMs - ALERT_LOOKBACK_MS, toMs)) {
      const input = {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `ALR#${month}` } },
      };
      for await (const page of paginateQuery({ client: this.ddb }, input))
        for (const it of page.Items ?? []) if (it.a?.S) keep(JSON.parse(it.a.S) as Alert);
    }
    for (const a of Object.values((await this.loadState())?.open ?? {})) keep(a);
    return [...byId.values()]
      .filter((a) => (parseRfc3339(a.startedAt) ?? 0) < toMs && (a.endedAt === null || (parseRfc3339(a.endedAt) ?? 0) > fromMs))
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.kind.localeCompare(b.kind) || a.subject.localeCompare(b.subject));
  }
}
