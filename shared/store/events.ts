/**
 * The event store: one item per transaction, reports written with idempotent conditional
 * updates (rules 1–4 of CONTRACT.md section 1). The only code that knows this table's keys.
 */
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { conditionHolds } from '#shared/store/conditional.ts';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { bucketMinute, type Report, type ReportFacts, type TransactionState } from '#shared/report.ts';
import { dayOf, minuteKeyOf } from '#shared/time.ts';
import { EVENTS_TABLE } from '#shared/store/tables.ts';
import { MinuteJournal } from '#shared/store/journal.ts';
import { fnv1a } from '#shared/hash.ts';
import { pool } from '#shared/pool.ts';

export interface EventStoreOptions {
  tableName: string;
  /** The table of the minute journal (the stats table: `shared/store/journal.ts`). */
  journalTableName: string;
  /**
   * Partitions per minute of the minute index that items written before the journal (1.0) carry
   * (`b`); read until they are rewritten or expire (the wiring table's GSI_SHARDS).
   */
  shards: number;
  /**
   * The hot window: a transaction item expires (TTL) this long after its last report was
   * *received* — never from the event's own time, so a backfill is not written already expired.
   * 0 keeps items forever. Older reports are merged from the raw archive by the rollup.
   * (The wiring table's HOT_DAYS.)
   */
  hotDays: number;
  now?: () => number;
}

/** What a report write did, and which minutes it touched (for dirty marks). */
export interface WriteResult {
  outcome: 'stored' | 'duplicate' | 'conflict';
  /** Minutes whose rollup may have changed: the transaction's minute(s), before and after. */
  minutes: string[];
}

interface StoredSlot {
  e: string;
  pl: string;
  t: number;
  d: number;
  rt: 'NGSP' | 'LGSP';
  sv: string;
  cs: string;
  cp: string;
  ps: string;
  pp: string;
  ok: boolean;
  qb: number;
  sb: number;
  /** transactionId, receivedAt, errorCategory, httpStatus: kept for the archive and rule 6. */
  tx?: string;
  rcv?: number;
  ec?: string;
  hs?: number;
  /** Reports (`platformId#eventId`) that conflicted with this one. */
  x?: string[];
}

function toSlot(r: ReportFacts): StoredSlot {
  return {
    e: r.eventId,
    pl: r.platformId,
    t: r.requestAtMs,
    d: r.durationMs,
    rt: r.route,
    sv: r.serviceCode,
    cs: r.consumerSystem,
    cp: r.consumerProvince,
    ps: r.providerSystem,
    pp: r.providerProvince,
    ok: r.succeeded,
    qb: r.requestBytes,
    sb: r.responseBytes,
    ...(r.transactionId !== undefined ? { tx: r.transactionId } : {}),
    ...(r.receivedAtMs !== undefined ? { rcv: r.receivedAtMs } : {}),
    ...(r.errorCategory !== undefined ? { ec: r.errorCategory } : {}),
    ...(r.httpStatus !== undefined ? { hs: r.httpStatus } : {}),
    ...(r.conflicts?.length ? { x: r.conflicts } : {}),
  };
}

function fromSlot(s: StoredSlot): ReportFacts {
  return {
    eventId: s.e,
    platformId: s.pl,
    requestAtMs: s.t,
    durationMs: s.d,
    route: s.rt,
    serviceCode: s.sv,
    consumerSystem: s.cs,
    consumerProvince: s.cp,
    providerSystem: s.ps,
    providerProvince: s.pp,
    succeeded: s.ok,
    requestBytes: s.qb,
    responseBytes: s.sb,
    ...(s.tx !== undefined ? { transactionId: s.tx } : {}),
    ...(s.rcv !== undefined ? { receivedAtMs: s.rcv } : {}),
    ...(s.ec !== undefined ? { errorCategory: s.ec } : {}),
    ...(s.hs !== undefined ? { httpStatus: s.hs } : {}),
    ...(s.x?.length ? { conflicts: s.x } : {}),
  };
}

/** A stable, fast shard choice for a key (FNV-1a). */
/**
 * Index partitions of a day's conflicts (`X#<day>#<shard>`): at 10× the 2021 volume a platform
 * sending every report again with other content would put ~1,100 writes a second on one partition
 * at the peak (over DynamoDB's 1,000 WCU/s); in 8 shards, ~140 each.
 */
export const CONFLICT_SHARDS = 8;

export function shardOf(key: string, shards: number): number {
  return fnv1a(key) % shards;
}

function minutesOfItem(item: Record<string, AttributeValue> | undefined): string[] {
  if (!item) return [];
  const minutes: string[] = [];
  for (const slot of ['c', 'p'] as const) {
    const t = item[slot]?.M?.t?.N;
    if (t !== undefined) minutes.push(minuteKeyOf(Number(t)));
  }
  return minutes;
}

export class EventStore {
  readonly shards: number;
  /** Which items each minute's roll reads (written by ingest before the reports). */
  readonly journal: MinuteJournal;
  private readonly table: string;
  private readonly hotMs: number;
  private readonly now: () => number;

  constructor(
    private readonly ddb: DynamoDBClient,
    opts: EventStoreOptions,
  ) {
    this.table = opts.tableName;
    this.shards = opts.shards;
    this.hotMs = opts.hotDays * 86_400_000;
    this.now = opts.now ?? Date.now;
    this.journal = new MinuteJournal(ddb, { tableName: opts.journalTableName, hotMs: this.hotMs, now: this.now });
  }

  /** Adds `ttl = now + the hot window` to an update (counted from receipt: never already expired). */
  private setExpiry(sets: string[], names: Record<string, string>, values: Record<string, unknown>): void {
    if (this.hotMs <= 0) return;
    names['#ttl'] = 'ttl';
    values[':ttl'] = Math.floor((this.now() + this.hotMs) / 1000);
    sets.push('#ttl = :ttl');
  }

  /**
   * Stores one report. A CONSUMER report sets the transaction's minute (rule 3); a PROVIDER
   * report sets it only when no CONSUMER report is there. The slot's condition makes resends
   * no-ops and detects conflicts; a report already in the other slot (same platform and eventId,
   * role flipped) is the same report (rule 6). Touched minutes include every report's minute, so
   * that a redelivery after a crash marks again whatever the first delivery may not have marked.
   * Every write moves the item's expiry to the hot window after *now*: never already expired.
   *
   * The report's minute must be journaled first ({@link journalReports}); an item written before
   * the journal leaves the old minute index (`REMOVE b`) and is found through the journal.
   */
  async writeReport(r: Report): Promise<WriteResult> {
    const pk = r.transactionKey;
    const minute = minuteKeyOf(r.requestAtMs);
    const slot = r.role === 'CONSUMER' ? 'c' : 'p';
    const other = slot === 'c' ? 'p' : 'c';
    const values: Record<string, unknown> = { ':r': toSlot(r), ':m': minute };
    const sets = [`${slot} = :r`];
    if (slot === 'c') sets.push('m = :m');
    else sets.push('m = if_not_exists(m, :m)');
    const names: Record<string, string> = { '#o': other, '#e': 'e', '#pl': 'pl' };
    values[':e'] = r.eventId;
    values[':pl'] = r.platformId;
    this.setExpiry(sets, names, values);
    try {
      const out = await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: pk } },
          UpdateExpression: `SET ${sets.join(', ')} REMOVE b`,
          ConditionExpression: `attribute_not_exists(${slot}) AND (attribute_not_exists(#o) OR #o.#e <> :e OR #o.#pl <> :pl)`,
          ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
          ExpressionAttributeNames: names,
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'stored', minutes: [...new Set([minute, ...minutesOfItem(out.Attributes)])] };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // Emulators may not return the item on a failed condition: read it (strongly consistent).
      const item = err.Item ?? (await this.getItem(pk));
      const isThis = (m: Record<string, AttributeValue> | undefined): boolean => m?.e?.S === r.eventId && m?.pl?.S === r.platformId;
      const same = isThis(item?.[slot]?.M) || isThis(item?.[other]?.M);
      return { outcome: same ? 'duplicate' : 'conflict', minutes: [...new Set([minute, ...minutesOfItem(item)])] };
    }
  }

  private async getItem(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: pk } }, ConsistentRead: true }));
    return out.Item;
  }

  /**
   * Keeps a conflicting report aside (idempotent: keyed by its platform and eventId), counted on
   * its day, and notes it on the report it lost to, so that the same report sent again under
   * another transactionId or role is known for what it is (rule 1) by the rollup — the note
   * travels into the archive with the transaction.
   */
  async writeConflict(r: Report): Promise<void> {
    const id = `${r.platformId}#${r.eventId}`;
    const item = {
      pk: `X#${id}`,
      // The day's index partition, in shards by the report's id: no one partition takes a day's conflicts.
      b: `X#${dayOf(r.requestAtMs)}#${shardOf(id, CONFLICT_SHARDS)}`,
      tx: r.transactionKey,
      role: r.role,
      r: toSlot(r),
    };
    await this.ddb.send(new PutItemCommand({ TableName: this.table, Item: marshall(item) }));
    // A failed condition: noted already, or the item is gone (expired) — the rollup notes it when it merges the archive.
    await conditionHolds(
      this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: r.transactionKey } },
          UpdateExpression: 'SET #s.#x = list_append(if_not_exists(#s.#x, :none), :id)',
          ConditionExpression: 'attribute_exists(#s) AND NOT contains(#s.#x, :one)',
          ExpressionAttributeNames: { '#s': r.role === 'CONSUMER' ? 'c' : 'p', '#x': 'x' },
          ExpressionAttributeValues: { ':none': { L: [] }, ':id': { L: [{ S: id }] }, ':one': { S: id } },
        }),
      ),
    );
  }

  /**
   * Journals the minute of each report before it is written (one entry per message and minute):
   * a crash after the entry and before the write leaves a key without its item, which readers
   * skip; never an item that no roll will read.
   */
  async journalReports(entry: string, reports: Iterable<Pick<Report, 'transactionKey' | 'requestAtMs'>>): Promise<void> {
    const byMinute = new Map<string, Set<string>>();
    for (const r of reports) {
      const m = minuteKeyOf(r.requestAtMs);
      const keys = byMinute.get(m) ?? new Set<string>();
      keys.add(r.transactionKey);
      byMinute.set(m, keys);
    }
    await this.journal.record(entry, byMinute);
  }

  /**
   * Journals keys in a minute other than their reports' own (a transaction that lies elsewhere):
   * a set union under `entry`, idempotent.
   */
  async journalKeys(minute: string, entry: string, keys: Iterable<string>): Promise<void> {
    await this.journal.add(minute, entry, keys);
  }

  /**
   * Every transaction whose minute is `minute`, page by page: the keys journaled for the minute,
   * read by BatchGetItem (eventually consistent, like the index it replaces; a mark younger than
   * the index lag keeps the minute dirty), and the items written before the journal that still
   * carry the old minute index. An item journaled here whose minute is now another is skipped.
   */
  async forEachTransactionPage(minute: string, onPage: (page: TransactionState[]) => void, pageSize?: number): Promise<void> {
    const seen = new Set<string>();
    const take = (raw: Record<string, AttributeValue>[]): TransactionState[] => {
      const page: TransactionState[] = [];
      for (const it of raw) {
        // The index projects the slots, not `m`: an old item's minute is its index key's (`b`, set with `m`).
        const m = it.m?.S ?? it.b?.S?.split('#')[0];
        if (m !== minute || seen.has(it.pk!.S!)) continue;
        const tx = decodeTransactionItem(it);
        if (!tx) continue;
        seen.add(tx.key);
        page.push(tx);
      }
      return page;
    };
    const keys = new Set<string>();
    for await (const page of this.journal.keysOf(minute)) for (const k of page) keys.add(k);
    const batches: string[][] = [];
    const all = [...keys];
    const size = Math.min(100, pageSize ?? 100);
    for (let i = 0; i < all.length; i += size) batches.push(all.slice(i, i + size));
    await pool(batches, 8, async (batch) => {
      const page = take(await this.batchGet(batch, false));
      if (page.length) onPage(page);
    });
    await Promise.all(
      Array.from({ length: this.shards }, async (_, s) => {
        for await (const items of this.queryBucket(`${minute}#${s}`, { pageSize })) {
          const page = take(items);
          if (page.length) onPage(page);
        }
      }),
    );
  }

  /** Pages of one GSI partition (`b`), following `LastEvaluatedKey` past the 1 MB page limit. */
  private async *queryBucket(
    b: string,
    opts: { pageSize?: number; count?: boolean },
  ): AsyncGenerator<Record<string, AttributeValue>[], number> {
    let count = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: EVENTS_TABLE.indexes[0]!.name,
          KeyConditionExpression: 'b = :b',
          ExpressionAttributeValues: { ':b': { S: b } },
          ExclusiveStartKey: start,
          ...(opts.pageSize ? { Limit: opts.pageSize } : {}),
          ...(opts.count ? { Select: 'COUNT' as const } : {}),
        }),
      );
      start = out.LastEvaluatedKey;
      count += out.Count ?? 0;
      yield out.Items ?? [];
    } while (start);
    return count;
  }

  /**
   * Conflicting reports counted on a day (by their requestAt): the sum of the day's shards, and of
   * its unsharded partition (`X#<day>`, conflicts kept before the shards).
   */
  async conflictsOn(day: string): Promise<number> {
    const partitions = [`X#${day}`, ...Array.from({ length: CONFLICT_SHARDS }, (_, s) => `X#${day}#${s}`)];
    const counts = await Promise.all(
      partitions.map(async (b) => {
        const pages = this.queryBucket(b, { count: true });
        for (;;) {
          const next = await pages.next();
          if (next.done) return next.value;
        }
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Stored transactions by key, wherever their minute is now (strongly consistent). Keys without
   * an item (expired, or never stored) are absent.
   */
  async getTransactions(keys: Iterable<string>): Promise<Map<string, TransactionState>> {
    const out = new Map<string, TransactionState>();
    for (const raw of await this.batchGet([...new Set(keys)], true)) {
      const tx = decodeTransactionItem(raw);
      if (tx) out.set(tx.key, tx);
    }
    return out;
  }

  /** Raw items by key: BatchGetItem, 100 keys a call, unprocessed keys retried with back-off. */
  private async batchGet(keys: string[], consistent: boolean): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Record<string, AttributeValue>[] = keys.slice(i, i + 100).map((k) => ({ pk: { S: k } }));
      for (let attempt = 0; pending.length; attempt++) {
        if (attempt > 8) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${attempt} attempts`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const res = await this.ddb.send(
          new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: consistent } } }),
        );
        out.push(...(res.Responses?.[this.table] ?? []));
        pending = (res.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, AttributeValue>[];
      }
    }
    return out;
  }

  /**
   * Puts a transaction item back in the state the counting rules resolved it to (archived reports
   * restored after expiry, a report that rule 6 ruled out removed), so that what ingest sees next
   * is right. Conditional on the item still being what the roll read (`seen`): a report written
   * meanwhile wins, and its write marks the minute for another roll. `next` undefined deletes it.
   * Returns whether the item was changed.
   */
  async restore(next: TransactionState | undefined, seen: TransactionState): Promise<boolean> {
    const names: Record<string, string> = { '#c': 'c', '#p': 'p', '#e': 'e', '#pl': 'pl' };
    const values: Record<string, unknown> = {};
    const cond: string[] = [];
    for (const [slot, alias] of [
      ['consumer', 'c'],
      ['provider', 'p'],
    ] as const) {
      const f = seen[slot];
      if (f) {
        cond.push(`#${alias}.#e = :${alias}e AND #${alias}.#pl = :${alias}pl`);
        values[`:${alias}e`] = f.eventId;
        values[`:${alias}pl`] = f.platformId;
      } else cond.push(`attribute_not_exists(#${alias})`);
    }
    const key = { pk: { S: seen.key } };
    try {
      if (!next) {
        await this.ddb.send(
          new DeleteItemCommand({
            TableName: this.table,
            Key: key,
            ConditionExpression: cond.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: marshall(values),
          }),
        );
        return true;
      }
      const sets: string[] = [];
      const removes: string[] = [];
      for (const [slot, alias] of [
        ['consumer', 'c'],
        ['provider', 'p'],
      ] as const) {
        const f = next[slot];
        if (f) {
          sets.push(`#${alias} = :${alias}`);
          values[`:${alias}`] = toSlot(f);
        } else removes.push(`#${alias}`);
      }
      const minute = bucketMinute(next);
      sets.push('m = :m');
      values[':m'] = minute;
      removes.push('b');
      this.setExpiry(sets, names, values);
      // Journaled first, like a report: the restored item is read by its minute's next roll.
      await this.journalKeys(minute, 'restored', [seen.key]);
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: cond.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** One stored transaction by key (tests and tools). */
  async getTransaction(key: string): Promise<TransactionState | undefined> {
    const item = await this.getItem(key);
    return item ? decodeTransactionItem(item) : undefined;
  }
}

/**
 * A transaction as the report writes leave its item (key, slots, minute; found through the minute
 * journal), for tools that load the store in bulk (the scale mode's in-memory store); no expiry.
 */
export function encodeTransactionItem(tx: TransactionState): Record<string, AttributeValue> {
  const minute = minuteKeyOf((tx.consumer ?? tx.provider)!.requestAtMs);
  return marshall(
    { pk: tx.key, ...(tx.consumer ? { c: toSlot(tx.consumer) } : {}), ...(tx.provider ? { p: toSlot(tx.provider) } : {}), m: minute },
    { removeUndefinedValues: true },
  );
}

/** Decodes a raw events-table item into a transaction, or undefined for a non-transaction item. */
export function decodeTransactionItem(raw: Record<string, AttributeValue>): TransactionState | undefined {
  const it = unmarshall(raw) as { pk: string; c?: StoredSlot; p?: StoredSlot };
  if (!it.pk.startsWith('T#') && !it.pk.startsWith('E#')) return undefined;
  return { key: it.pk, ...(it.c ? { consumer: fromSlot(it.c) } : {}), ...(it.p ? { provider: fromSlot(it.p) } : {}) };
}
