/**
 * The stats table: minute and day stats items (what the API reads), dirty marks, the rollup
 * watermark and rejection counts. The only code that knows this table's keys.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  paginateQuery,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { conditionHolds } from '#shared/store/conditional.ts';
import { facetsOf, type Facets } from '#shared/stats/facets.ts';
import type { PeriodPayload } from '#shared/stats/period.ts';
import type { SystemsPayload } from '#shared/stats/systems.ts';
import { shardOf } from '#shared/store/events.ts';

/** DynamoDB items stop at 400 KB: payloads are split into parts below that. */
const PART_BYTES = 300_000;
export const DIRTY_SHARDS = 4;
/**
 * Partitions of a day's rejection counts (`REJ#<day>#<shard>`, by message id): one item per
 * message with rejected lines; at the 10× peak, if every report came alone and was rejected,
 * ~1,100 writes a second, over one partition's 1,000 WCU/s; in 8 shards, ~140 each.
 */
export const REJECTION_SHARDS = 8;

/** Headline figures kept beside the payload so unfiltered reads need no decompression. */
export interface PeriodTotals {
  transactions: number;
  succeeded: number;
  durationMsP95: number | null;
}

/** A series point: a period's headline figures, and (minutes) the token of the minute item it was written with. */
export interface SeriesPoint extends PeriodTotals {
  token?: string;
}

/**
 * *1.1* Today (and yesterday until its day rolls) folded so far: the merged payload and systems
 * payload of the final minutes in `tokens` (`HH:mm` → the token of the minute item merged). A
 * reader uses it only while every one of those minutes still has that token in the day's series
 * item (a minute rolled again gets a new one), and reads the other minutes itself.
 */
export interface DaySoFar {
  tokens: Record<string, string>;
  payload: PeriodPayload;
  systems: SystemsPayload;
}

export interface StoredPeriod<S = undefined> extends PeriodTotals {
  /** `YYYY-MM-DDTHH:mm` for a minute, `YYYY-MM-DD` for a day. */
  period: string;
  payload(): PeriodPayload;
  summary: S;
  /** A day's: {@link systemsHashOf} its systems list (days rolled before the hash have none). */
  systemsHash?: string;
  /** A minute's: a new token each time the minute item is written (the same in its series point). */
  token?: string;
}

/** The distinct systems of a set of days: whole months from their month unions, the other days by day. */
export interface SystemsOfDays {
  /** The systems of the days that a current month union covers. */
  union: Set<string>;
  /** Those days (`YYYY-MM-DD`). */
  covered: Set<string>;
  /** The systems lists of the other days (`YYYY-MM-DD`), where the day has one. */
  perDay: Map<string, string[]>;
}

/** A short content hash of a day's systems list: what a month union is checked against. */
export function systemsHashOf(systems: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(systems)).digest('base64url').slice(0, 16);
}

/** A month's union of its days' systems lists (`SYSM#<year>`/`MM`), and the hash of each day's list it was made from. */
interface MonthSystems {
  days: Record<string, string>;
  systems: string[];
}

/**
 * The sort key of part `i` of a value split by {@link StatsStore.putBlob}. Parts written since the
 * generation tag carry it (`sk#<gen>.<i>`): a re-roll writes its parts beside the old ones, so a
 * reader of the old head still finds the old parts, never a mix. Older items: `sk#<i>`.
 */
const partSk = (sk: string, gen: string | undefined, i: number): string => (gen ? `${sk}#${gen}.${i}` : `${sk}#${i}`);

export interface ReadOptions {
  /** Read the compressed payload (group rows, sketches, sets) too. @default true */
  payload?: boolean;
}

const HEADLINE_PROJECTION = {
  ProjectionExpression: '#pk, #sk, #n, #ok, #p95, #parts, #summary, #pz, #sysh, #v',
  ExpressionAttributeNames: {
    '#pk': 'pk',
    '#sk': 'sk',
    '#n': 'n',
    '#ok': 'ok',
    '#p95': 'p95',
    '#parts': 'parts',
    '#summary': 'summary',
    '#pz': 'pz',
    '#sysh': 'sysh',
    '#v': 'v',
  },
};

/** Headline figures as item attributes. */
function totalsAttributes(totals: PeriodTotals): Record<string, AttributeValue> {
  return {
    n: { N: String(totals.transactions) },
    ok: { N: String(totals.succeeded) },
    ...(totals.durationMsP95 === null ? {} : { p95: { N: String(totals.durationMsP95) } }),
  };
}

/** The gzip bytes of a value {@link StatsStore.putBlob} wrote: its head's and its parts', joined. */
function joinParts(pk: string, head: Record<string, AttributeValue>, bySk: Map<string, Record<string, AttributeValue>>): Buffer {
  const sk = head.sk!.S!;
  if (!head.z?.B) throw new Error(`item ${pk}/${sk} was read without its value`);
  const chunks = [head.z.B];
  for (let i = 1; i < Number(head.parts?.N ?? 1); i++) {
    const part = bySk.get(partSk(sk, head.gen?.S, i))?.z?.B;
    if (!part) throw new Error(`item ${pk}/${sk} is missing part ${i}`);
    chunks.push(part);
  }
  return Buffer.concat(chunks);
}

const gunzipJson = <T>(gz: Buffer): T => JSON.parse(gunzipSync(gz).toString('utf8')) as T;

export interface DirtyMark {
  kind: 'minute' | 'day';
  /** The minute key or the day. */
  period: string;
  at: number;
  pk: string;
  sk: string;
}

/** A minute or day that failed to roll too often in a row: the watermark went on without it. */
export interface Quarantined {
  kind: 'minute' | 'day';
  /** `YYYY-MM-DDTHH:mm` or `YYYY-MM-DD`. */
  period: string;
  /** The last error, as text. */
  error: string;
  /** Failed rolls so far (scheduled and by hand). */
  attempts: number;
  /** When it was quarantined (epoch ms). */
  since: number;
  /** The schedule rolls it again from then on (epoch ms). */
  retryAt: number;
}

const periodSk = (period: string): string => `${period.length > 10 ? 'M' : 'D'}#${period}`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class StatsStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** Every item of `pk` (sort keys from..to and their parts, when given), all pages. */
  private async queryItems(
    pk: string,
    skFrom?: string,
    skTo?: string,
    projection: Partial<QueryCommandInput> = {},
  ): Promise<Record<string, AttributeValue>[]> {
    const range = skFrom !== undefined && skTo !== undefined;
    const input: QueryCommandInput = {
      TableName: this.table,
      KeyConditionExpression: range ? 'pk = :pk AND sk BETWEEN :a AND :b' : 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk }, ...(range ? { ':a': { S: skFrom }, ':b': { S: `${skTo}#~` } } : {}) },
      ...projection,
    };
    const items: Record<string, AttributeValue>[] = [];
    for await (const page of paginateQuery({ client: this.ddb }, input)) items.push(...(page.Items ?? []));
    return items;
  }

  /**
   * Period items of `pk` (sort keys from..to). A payload is in the head item and its parts, or —
   * for a day item marked `pz` — a value of its own in `apartPk` (same sort key), read only when
   * the payload is asked for: headline reads then read heads of about a KB.
   */
  private async queryPeriods<S>(
    pk: string,
    decodeSummary: (item: Record<string, AttributeValue>) => S,
    skFrom?: string,
    skTo?: string,
    withPayload = true,
    apartPk?: string,
  ): Promise<StoredPeriod<S>[]> {
    // Headline reads leave the compressed payload behind: a 366-day series is then a few KB, not MBs.
    const items = await this.queryItems(pk, skFrom, skTo, withPayload ? {} : HEADLINE_PROJECTION);
    const bySk = new Map(items.map((it) => [it.sk!.S!, it]));
    const apart = withPayload && apartPk && items.some((it) => it.pz?.S) ? await this.queryGz(apartPk, skFrom, skTo) : undefined;
    const result: StoredPeriod<S>[] = [];
    for (const it of items) {
      const sk = it.sk!.S!;
      if (sk.includes('#')) continue;
      result.push({
        period: sk,
        transactions: Number(it.n?.N ?? 0),
        succeeded: Number(it.ok?.N ?? 0),
        durationMsP95: it.p95?.N === undefined ? null : Number(it.p95.N),
        summary: decodeSummary(it),
        ...(it.sysh?.S ? { systemsHash: it.sysh.S } : {}),
        ...(it.v?.S ? { token: it.v.S } : {}),
        payload: () => {
          if (!it.pz?.S) return gunzipJson<PeriodPayload>(joinParts(pk, it, bySk));
          const gz = apart?.get(sk);
          if (!gz) throw new Error(`stats item ${pk}/${sk} was read without its payload (${apartPk})`);
          return gunzipJson<PeriodPayload>(gz);
        },
      });
    }
    return result;
  }

  /**
   * Stores a rolled minute (`YYYY-MM-DDTHH:mm`) under a new token (kept in the item and in its
   * series point), after its facets (`MINF#<day>`/`HH:mm`: what filtered minute series read).
   */
  async putMinute(minute: string, totals: PeriodTotals, payload: PeriodPayload): Promise<void> {
    const token = randomBytes(6).toString('base64url');
    await this.putBlob(`MINF#${minute.slice(0, 10)}`, minute.slice(11), facetsOf(payload));
    await this.putBlob(`MIN#${minute.slice(0, 10)}`, minute.slice(11), payload, { ...totalsAttributes(totals), v: { S: token } });
    await this.putSeriesPoint(`SER#${minute.slice(0, 10)}`, `m${minute.slice(11, 13)}${minute.slice(14, 16)}`, totals, token);
  }

  /**
   * The series item of a day (or year) keeps every period's headline figures as one attribute
   * (`mHHMM` / `dMMDD` → [transactions, succeeded, p95]): a 24 h or 366-day series is one or two
   * GetItems instead of a query over 1,440 items. Written after the period's own item, so a crash
   * in between leaves only the series stale until the period's dirty mark rolls it again.
   */
  private async putSeriesPoint(pk: string, attribute: string, totals: PeriodTotals, token?: string): Promise<void> {
    await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: pk }, sk: { S: 'series' } },
        UpdateExpression: 'SET #a = :v',
        ExpressionAttributeNames: { '#a': attribute },
        ExpressionAttributeValues: {
          ':v': {
            L: [
              { N: String(totals.transactions) },
              { N: String(totals.succeeded) },
              totals.durationMsP95 === null ? { NULL: true } : { N: String(totals.durationMsP95) },
              ...(token ? [{ S: token }] : []),
            ],
          },
        },
      }),
    );
  }

  private async getSeries(pk: string, prefix: string): Promise<Map<string, SeriesPoint> | undefined> {
    const out = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: pk }, sk: { S: 'series' } } }));
    if (!out.Item) return undefined;
    const points = new Map<string, SeriesPoint>();
    for (const [name, value] of Object.entries(out.Item)) {
      if (!name.startsWith(prefix) || !value.L) continue;
      const [n, ok, p95, token] = value.L;
      points.set(name.slice(1), {
        transactions: Number(n?.N ?? 0),
        succeeded: Number(ok?.N ?? 0),
        durationMsP95: p95?.N === undefined ? null : Number(p95.N),
        ...(token?.S ? { token: token.S } : {}),
      });
    }
    return points;
  }

  /** Headline figures of a day's rolled minutes (and their tokens) by `HHMM`, or undefined when the day has no series item. */
  async minuteSeries(day: string): Promise<Map<string, SeriesPoint> | undefined> {
    return this.getSeries(`SER#${day}`, 'm');
  }

  /** *1.1* The facets of a day's rolled minutes (optionally `HH:mm` from..to), by `HH:mm` (minutes rolled since facets were kept). */
  async minuteFacets(day: string, fromHhmm?: string, toHhmm?: string): Promise<Map<string, Facets>> {
    return this.queryBlobs<Facets>(`MINF#${day}`, fromHhmm, toHhmm);
  }

  /** *1.1* The facets of a year's rolled days `MM-DD` from..to, by `MM-DD` (days rolled since facets were kept). */
  async dayFacets(year: string, fromMmdd = '01-01', toMmdd = '12-31'): Promise<Map<string, Facets>> {
    return this.queryBlobs<Facets>(`DAYF#${year}`, fromMmdd, toMmdd);
  }

  /**
   * *1.1* Stores the fold so far of a day not rolled yet: its systems payload (`DSFS#<year>`/`MM-DD`)
   * and its payload (`DSF#<year>`/`MM-DD`), each with the tokens (parts as payloads). Two values,
   * so `/days` and `/summary` do not read the systems (at 10× two thirds of the bytes).
   */
  async putDaySoFar(day: string, value: DaySoFar): Promise<void> {
    await this.putBlob(`DSFS#${day.slice(0, 4)}`, day.slice(5), { tokens: value.tokens, systems: value.systems });
    await this.putBlob(`DSF#${day.slice(0, 4)}`, day.slice(5), { tokens: value.tokens, payload: value.payload });
  }

  /** *1.1* One part of a day's fold so far, with its tokens, if one was stored. */
  async daySoFarPart<P extends 'payload' | 'systems'>(
    day: string,
    part: P,
  ): Promise<(Pick<DaySoFar, 'tokens'> & Pick<DaySoFar, P>) | undefined> {
    const pk = `${part === 'payload' ? 'DSF' : 'DSFS'}#${day.slice(0, 4)}`;
    return (await this.queryBlobs<Pick<DaySoFar, 'tokens'> & Pick<DaySoFar, P>>(pk, day.slice(5), day.slice(5))).get(day.slice(5));
  }

  /** *1.1* Deletes a day's fold (its day is rolled: readers use the day item), parts first, then heads. */
  async deleteDaySoFar(day: string): Promise<void> {
    for (const pk of [`DSF#${day.slice(0, 4)}`, `DSFS#${day.slice(0, 4)}`]) {
      const head = (
        await this.ddb.send(
          new GetItemCommand({
            TableName: this.table,
            Key: { pk: { S: pk }, sk: { S: day.slice(5) } },
            ProjectionExpression: '#parts, #gen',
            ExpressionAttributeNames: { '#parts': 'parts', '#gen': 'gen' },
          }),
        )
      ).Item;
      if (!head) continue;
      await this.deleteStaleParts(pk, day.slice(5), head, undefined);
      await this.ddb.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: { S: pk }, sk: { S: day.slice(5) } } }));
    }
  }

  /** *1.1* The fold so far of a day, when both its parts were stored from the same minutes. */
  async daySoFar(day: string): Promise<DaySoFar | undefined> {
    const [payload, systems] = await Promise.all([this.daySoFarPart(day, 'payload'), this.daySoFarPart(day, 'systems')]);
    if (!payload || !systems || JSON.stringify(payload.tokens) !== JSON.stringify(systems.tokens)) return undefined;
    return { tokens: payload.tokens, payload: payload.payload, systems: systems.systems };
  }

  /** Headline figures of a year's rolled days by `MMDD`, or undefined when the year has no series item. */
  async daySeries(year: string): Promise<Map<string, PeriodTotals> | undefined> {
    return this.getSeries(`SER#${year}`, 'd');
  }

  /**
   * Rolled minutes of a day, optionally only `HH:mm` from..to (inclusive). With `payload: false`
   * only the headline figures are read (calling `payload()` then throws).
   */
  async minutesOf(day: string, fromHhmm?: string, toHhmm?: string, opts: ReadOptions = {}): Promise<StoredPeriod[]> {
    const periods = await this.queryPeriods(`MIN#${day}`, () => undefined, fromHhmm, toHhmm, opts.payload ?? true);
    return periods.map((p) => ({ ...p, period: `${day}T${p.period}` }));
  }

  /**
   * Stores a rolled day: its systems list (`SYS#<year>`), its payload (`DAYP#<year>`, parts of
   * its own), then the day item (`DAY#<year>`/`MM-DD`: headline figures, the summary without its
   * systems list, the list's hash, `pz` — the payload is apart), the year's series point and the
   * month's systems union. At 10× a day's payload is ~9 MB: kept in the day item's partition, every
   * headline read of `/summary` and `/days` read and paid for it. A day item written before keeps
   * its payload in its own parts: they are deleted when the day is written again.
   */
  async putDay<S>(day: string, totals: PeriodTotals, payload: PeriodPayload, summary: S): Promise<void> {
    const [year, mmdd] = [day.slice(0, 4), day.slice(5)];
    await this.putDaySystems(day, payload.systems);
    await this.putBlob(`DAYP#${year}`, mmdd, payload);
    await this.putBlob(`DAYF#${year}`, mmdd, facetsOf(payload));
    const out = await this.ddb.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: { S: `DAY#${year}` },
          sk: { S: mmdd },
          ...totalsAttributes(totals),
          summary: { S: JSON.stringify(summary) },
          pz: { S: 'DAYP' },
          sysh: { S: systemsHashOf(payload.systems) },
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    await this.deleteStaleParts(`DAY#${year}`, mmdd, out.Attributes, undefined);
    await this.putSeriesPoint(`SER#${year}`, `d${mmdd.slice(0, 2)}${mmdd.slice(3, 5)}`, totals);
    await this.putMonthSystems(year, mmdd.slice(0, 2));
  }

  /**
   * A day's distinct systems, kept apart from its day item (`SYS#<year>`/`MM-DD`, gzip JSON,
   * split into parts like payloads): with 10,000 systems of real-length codes the list alone is
   * about 350 KB, and beside the payload it pushed the day item over DynamoDB's 400 KB.
   * Written before the day item, so a reader never sees a day item whose systems are not there.
   */
  async putDaySystems(day: string, systems: string[]): Promise<void> {
    await this.putBlob(`SYS#${day.slice(0, 4)}`, day.slice(5), systems, { count: { N: String(systems.length) } });
  }

  /**
   * *1.1* The union of a month's day systems lists (`SYSM#<year>`/`MM`), with the hash of each
   * list it took in: `/summary?year=` reads 12 unions instead of 366 lists (at 10×, ~14,000
   * systems a day: ~35 MB). Made from the lists by a consistent read after each day item, so a
   * re-rolled day replaces its list rather than adding to it.
   */
  async putMonthSystems(year: string, month: string): Promise<void> {
    const lists = await this.queryBlobs<string[]>(`SYS#${year}`, `${month}-01`, `${month}-31`, true);
    const union = new Set<string>();
    const days: Record<string, string> = {};
    for (const [mmdd, systems] of lists) {
      days[mmdd] = systemsHashOf(systems);
      for (const s of systems) union.add(s);
    }
    await this.putBlob(`SYSM#${year}`, month, { days, systems: [...union].sort() } satisfies MonthSystems);
  }

  /**
   * *1.1* The distinct systems of a year's days (`MM-DD` → the {@link StoredPeriod.systemsHash} of
   * the day item read): a month's union stands for its days only when it was made from exactly
   * those days' lists (same days, same hashes) — a month cut by the range, a day rolled again
   * after its union, or a day rolled before the hash, reads its days' own lists instead.
   */
  async systemsOfDays(year: string, days: ReadonlyMap<string, string | undefined>): Promise<SystemsOfDays> {
    const months = new Map<string, [string, string | undefined][]>();
    for (const [mmdd, hash] of [...days].sort(([a], [b]) => (a < b ? -1 : 1))) {
      months.set(mmdd.slice(0, 2), [...(months.get(mmdd.slice(0, 2)) ?? []), [mmdd, hash]]);
    }
    const out: SystemsOfDays = { union: new Set(), covered: new Set(), perDay: new Map() };
    if (!months.size) return out;
    const names = [...months.keys()];
    const unions = await this.queryBlobs<MonthSystems>(`SYSM#${year}`, names[0], names.at(-1));
    await Promise.all(
      [...months].map(async ([month, wanted]) => {
        const u = unions.get(month);
        if (u && Object.keys(u.days).length === wanted.length && wanted.every(([mmdd, h]) => h !== undefined && u.days[mmdd] === h)) {
          for (const s of u.systems) out.union.add(s);
          for (const [mmdd] of wanted) out.covered.add(`${year}-${mmdd}`);
          return;
        }
        const lists = await this.queryBlobs<string[]>(`SYS#${year}`, wanted[0]![0], wanted.at(-1)![0]);
        for (const [mmdd] of wanted) {
          const list = lists.get(mmdd);
          if (list) out.perDay.set(`${year}-${mmdd}`, list);
        }
      }),
    );
    return out;
  }

  /**
   * *1.1* A minute's systems payload (`SMIN#<day>`/`HH:mm`, gzip JSON split into parts like
   * payloads): what the day roll merges into systems.jsonl without reading the raw archive.
   * Kept apart from the minute item, so the API's minute reads do not carry it. Written for
   * every rolled minute (an emptied minute overwrites what it had).
   */
  async putMinuteSystems(minute: string, payload: SystemsPayload): Promise<void> {
    await this.putBlob(`SMIN#${minute.slice(0, 10)}`, minute.slice(11), payload);
  }

  /**
   * *1.1* The systems payloads of a day's rolled minutes (optionally `HH:mm` from..to), by minute
   * key (`YYYY-MM-DDTHH:mm`), each decoded when called: at 10× a minute's systems payload is
   * megabytes of objects, so a merge decodes one at a time (and reads a day an hour at a time).
   */
  async minuteSystemsOf(day: string, fromHhmm?: string, toHhmm?: string): Promise<Map<string, () => SystemsPayload>> {
    const out = new Map<string, () => SystemsPayload>();
    for (const [sk, gz] of await this.queryGz(`SMIN#${day}`, fromHhmm, toHhmm))
      out.set(`${day}T${sk}`, () => gunzipJson<SystemsPayload>(gz));
    return out;
  }

  /** *1.1* A rolled day's systems payload (`SDAY#<year>`/`MM-DD`): what the API's systems breakdown reads. */
  async putDaySystemsRows(day: string, payload: SystemsPayload): Promise<void> {
    await this.putBlob(`SDAY#${day.slice(0, 4)}`, day.slice(5), payload);
  }

  /** *1.1* The systems payloads of a year's rolled days `MM-DD` from..to (inclusive), by day. */
  async daySystemsRows(year: string, fromMmdd = '01-01', toMmdd = '12-31'): Promise<Map<string, SystemsPayload>> {
    const out = new Map<string, SystemsPayload>();
    for (const [sk, v] of await this.queryBlobs<SystemsPayload>(`SDAY#${year}`, fromMmdd, toMmdd)) out.set(`${year}-${sk}`, v);
    return out;
  }

  /**
   * A JSON value as gzip parts under 400 KB: the head item (`sk`, with `head`'s attributes) and,
   * when it needs more, parts `sk#<gen>.<i>` of a new generation, written first — a reader never
   * sees a head whose parts are not written yet, nor the new parts under an old head. The former
   * value's parts are deleted after the head.
   */
  private async putBlob(pk: string, sk: string, value: unknown, head: Record<string, AttributeValue> = {}): Promise<void> {
    const gz = gzipSync(JSON.stringify(value));
    const parts = Math.max(1, Math.ceil(gz.length / PART_BYTES));
    const gen = parts > 1 ? randomBytes(4).toString('hex') : undefined;
    const body = (i: number): AttributeValue => ({ B: gz.subarray(i * PART_BYTES, (i + 1) * PART_BYTES) });
    for (let i = parts - 1; i >= 1; i--) {
      await this.ddb.send(
        new PutItemCommand({ TableName: this.table, Item: { pk: { S: pk }, sk: { S: partSk(sk, gen, i) }, z: body(i) } }),
      );
    }
    const out = await this.ddb.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { pk: { S: pk }, sk: { S: sk }, z: body(0), parts: { N: String(parts) }, ...(gen ? { gen: { S: gen } } : {}), ...head },
        ReturnValues: 'ALL_OLD',
      }),
    );
    await this.deleteStaleParts(pk, sk, out.Attributes, gen);
  }

  /** Deletes the parts of a head's former value (`old`, as the head's overwrite returned it) unless they are the new value's. */
  private async deleteStaleParts(
    pk: string,
    sk: string,
    old: Record<string, AttributeValue> | undefined,
    gen: string | undefined,
  ): Promise<void> {
    const oldParts = Number(old?.parts?.N ?? 1);
    if (oldParts <= 1 || (gen !== undefined && old?.gen?.S === gen)) return;
    const stale: WriteRequest[] = [];
    for (let i = 1; i < oldParts; i++) stale.push({ DeleteRequest: { Key: { pk: { S: pk }, sk: { S: partSk(sk, old?.gen?.S, i) } } } });
    for (let i = 0; i < stale.length; i += 25) await this.batchWrite(stale.slice(i, i + 25));
  }

  /** The gzip bytes of the values {@link putBlob} wrote under `pk` (optionally sort keys from..to), by sort key. */
  private async queryGz(pk: string, skFrom?: string, skTo?: string, consistent = false): Promise<Map<string, Buffer>> {
    const items = await this.queryItems(pk, skFrom, skTo, consistent ? { ConsistentRead: true } : {});
    const bySk = new Map(items.map((it) => [it.sk!.S!, it]));
    const out = new Map<string, Buffer>();
    for (const it of items) if (!it.sk!.S!.includes('#')) out.set(it.sk!.S!, joinParts(pk, it, bySk));
    return out;
  }

  /** The values {@link putBlob} wrote under `pk` (optionally sort keys from..to), by sort key. */
  private async queryBlobs<T>(pk: string, skFrom?: string, skTo?: string, consistent = false): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    for (const [sk, gz] of await this.queryGz(pk, skFrom, skTo, consistent)) out.set(sk, gunzipJson<T>(gz));
    return out;
  }

  /** Rolled days of a year, optionally only `MM-DD` from..to (inclusive); `payload: false` as for minutes. */
  async daysOf<S>(year: string, fromMmdd?: string, toMmdd?: string, opts: ReadOptions = {}): Promise<StoredPeriod<S>[]> {
    const periods = await this.queryPeriods(
      `DAY#${year}`,
      (it) => JSON.parse(it.summary?.S ?? 'null') as S,
      fromMmdd,
      toMmdd,
      opts.payload ?? true,
      `DAYP#${year}`,
    );
    return periods.map((p) => ({ ...p, period: `${year}-${p.period}` }));
  }

  /** Marks minutes (`YYYY-MM-DDTHH:mm`) and days (`YYYY-MM-DD`) for rolling again. */
  async markDirty(periods: Iterable<string>, now: number = Date.now()): Promise<DirtyMark[]> {
    const marks: DirtyMark[] = [...new Set(periods)].map((p) => ({
      kind: p.length > 10 ? 'minute' : 'day',
      period: p,
      at: now,
      pk: `DIRTY#${shardOf(p, DIRTY_SHARDS)}`,
      sk: `${p.length > 10 ? 'M' : 'D'}#${p}`,
    }));
    const requests: WriteRequest[] = marks.map((m) => ({
      PutRequest: { Item: { pk: { S: m.pk }, sk: { S: m.sk }, at: { N: String(m.at) } } },
    }));
    for (let i = 0; i < requests.length; i += 25) await this.batchWrite(requests.slice(i, i + 25));
    return marks;
  }

  /** BatchWriteItem with the retry of `UnprocessedItems` that the API requires. */
  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt > 8) throw new Error(`BatchWriteItem left ${pending.length} items unprocessed after ${attempt} attempts`);
      if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
      const out = await this.ddb.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }));
      pending = out.UnprocessedItems?.[this.table] ?? [];
    }
  }

  /** Dirty marks, oldest periods first within each shard, at most `limit`. */
  async dirtyMarks(limit = 1000): Promise<DirtyMark[]> {
    const marks: DirtyMark[] = [];
    for (let s = 0; s < DIRTY_SHARDS && marks.length < limit; s++) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await this.ddb.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: `DIRTY#${s}` } },
            ExclusiveStartKey: start,
            Limit: limit - marks.length,
          }),
        );
        for (const it of out.Items ?? []) {
          const sk = it.sk!.S!;
          marks.push({ kind: sk.startsWith('M#') ? 'minute' : 'day', period: sk.slice(2), at: Number(it.at!.N), pk: it.pk!.S!, sk });
        }
        start = marks.length < limit ? out.LastEvaluatedKey : undefined;
      } while (start);
    }
    return marks;
  }

  /** Clears a mark unless it was set again after it was read (then the period rolls once more). */
  async clearDirty(mark: DirtyMark): Promise<void> {
    await conditionHolds(
      this.ddb.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: mark.pk }, sk: { S: mark.sk } },
          ConditionExpression: '#at = :at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':at': { N: String(mark.at) } },
        }),
      ),
    );
  }

  /** The first minute (`YYYY-MM-DDTHH:mm`) the scheduled rollup has not rolled yet. */
  async watermark(): Promise<string | undefined> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: 'CTRL' }, sk: { S: 'watermark' } }, ConsistentRead: true }),
    );
    return out.Item?.next?.S;
  }

  async setWatermark(next: string): Promise<void> {
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { pk: { S: 'CTRL' }, sk: { S: 'watermark' }, next: { S: next }, at: { N: String(Date.now()) } },
      }),
    );
  }

  /**
   * Takes the rollup lease (`CTRL`/`lease`) for `owner` until `until` (epoch ms), by a conditional
   * write: free, expired (its `until` is not after `now`) or already this owner's. False when
   * another runner holds it. This, not reserved concurrency, keeps one scheduled rollup at a time.
   */
  async takeLease(owner: string, now: number, until: number): Promise<boolean> {
    return conditionHolds(
      this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: { S: 'CTRL' }, sk: { S: 'lease' }, owner: { S: owner }, until: { N: String(until) }, at: { N: String(now) } },
          ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now OR #owner = :owner',
          ExpressionAttributeNames: { '#until': 'until', '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': { N: String(now) }, ':owner': { S: owner } },
        }),
      ),
    );
  }

  /** Extends the lease `owner` holds to `until`; false when it is no longer this owner's (it expired and was taken). */
  async renewLease(owner: string, until: number): Promise<boolean> {
    return conditionHolds(
      this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: 'CTRL' }, sk: { S: 'lease' } },
          UpdateExpression: 'SET #until = :until',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#until': 'until', '#owner': 'owner' },
          ExpressionAttributeValues: { ':until': { N: String(until) }, ':owner': { S: owner } },
        }),
      ),
    );
  }

  /** Gives the lease back (only if `owner` still holds it), so the next tick need not wait for its expiry. */
  async releaseLease(owner: string): Promise<void> {
    await conditionHolds(
      this.ddb.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: 'CTRL' }, sk: { S: 'lease' } },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      ),
    );
  }

  /** Who holds the lease and until when (ops, tests). */
  async lease(): Promise<{ owner: string; until: number } | undefined> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: 'CTRL' }, sk: { S: 'lease' } }, ConsistentRead: true }),
    );
    return out.Item ? { owner: out.Item.owner!.S!, until: Number(out.Item.until!.N) } : undefined;
  }

  /**
   * Counts one more failed roll of a period (`FAIL`/`M#<minute>` or `D#<day>`) with its error;
   * returns how many times it has failed since its last success. Failures are rare: one partition.
   */
  async recordFailure(period: string, error: string, now: number): Promise<number> {
    const out = await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: 'FAIL' }, sk: { S: periodSk(period) } },
        UpdateExpression: 'ADD #n :one SET #error = :error, #at = :at',
        ExpressionAttributeNames: { '#n': 'n', '#error': 'error', '#at': 'at' },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':error': { S: error.slice(0, 1000) }, ':at': { N: String(now) } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.n?.N ?? 1);
  }

  /** Periods that failed since their last success, with their failure counts. */
  async failures(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const it of await this.queryAll('FAIL')) out.set(it.sk!.S!.slice(2), Number(it.n?.N ?? 0));
    return out;
  }

  /** Forgets a period's failures (it rolled). */
  async clearFailure(period: string): Promise<void> {
    await this.ddb.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: { S: 'FAIL' }, sk: { S: periodSk(period) } } }));
  }

  /** Puts (or updates) a period in quarantine (`QUAR`/`M#<minute>` or `D#<day>`). */
  async quarantine(q: Quarantined): Promise<void> {
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: { S: 'QUAR' },
          sk: { S: periodSk(q.period) },
          error: { S: q.error.slice(0, 1000) },
          attempts: { N: String(q.attempts) },
          since: { N: String(q.since) },
          retryAt: { N: String(q.retryAt) },
        },
      }),
    );
  }

  /** Every quarantined period, minutes before days, oldest first. */
  async quarantined(): Promise<Quarantined[]> {
    return (await this.queryAll('QUAR')).map((it) => ({
      kind: it.sk!.S!.startsWith('M#') ? 'minute' : 'day',
      period: it.sk!.S!.slice(2),
      error: it.error?.S ?? '',
      attempts: Number(it.attempts?.N ?? 0),
      since: Number(it.since?.N ?? 0),
      retryAt: Number(it.retryAt?.N ?? 0),
    }));
  }

  /** Takes a period out of quarantine (it rolled). */
  async release(period: string): Promise<void> {
    await this.ddb.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: { S: 'QUAR' }, sk: { S: periodSk(period) } } }));
  }

  private async queryAll(pk: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    const input = {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
      ConsistentRead: true,
    };
    for await (const page of paginateQuery({ client: this.ddb }, input)) items.push(...(page.Items ?? []));
    return items;
  }

  /** Records how many events one message (or request) had rejected, on the day it was received. */
  async putRejectedCount(day: string, id: string, count: number): Promise<void> {
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { pk: { S: `REJ#${day}#${shardOf(id, REJECTION_SHARDS)}` }, sk: { S: id }, n: { N: String(count) } },
      }),
    );
  }

  /**
   * Rejected events received on a day: the sum of the day's shards, and of its unsharded
   * partition (`REJ#<day>`, counts kept before the shards).
   */
  async rejectedOn(day: string): Promise<number> {
    const partitions = [`REJ#${day}`, ...Array.from({ length: REJECTION_SHARDS }, (_, s) => `REJ#${day}#${s}`)];
    const totals = await Promise.all(
      partitions.map(async (pk) => {
        let total = 0;
        for (const it of await this.queryAll(pk)) total += Number(it.n?.N ?? 0);
        return total;
      }),
    );
    return totals.reduce((a, b) => a + b, 0);
  }
}
