/**
 * The minute journal: which transaction items a minute's roll must read. Ingest writes one entry
 * per message and minute (the keys of that message's reports of that minute) *before* it writes
 * the reports; the rollup reads a minute's entries and then the items by key.
 *
 * It replaces the per-report entry of the events table's minute index: one write per message
 * (≈ 100 reports) instead of one index write per report, which halves the write units of ingest
 * (docs/architecture.md "The minute journal"). Entries live in the stats table (`J#<minute>`,
 * sort key = the message), expire with the hot window, and may name keys whose item is elsewhere
 * or gone: readers check each item's own minute.
 */
import {
  BatchWriteItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';

const PREFIX = 'J#';
/** Below DynamoDB's 400 KB item limit with room for the keys' attribute overhead. */
const ENTRY_BYTES = 300_000;

export interface JournalOptions {
  tableName: string;
  /** Entries expire this long after they are written (0: never). */
  hotMs: number;
  now: () => number;
}

/** Splits a minute's keys into entries below the item limit (`entry`, `entry~1`, …). */
function chunks(keys: string[]): string[][] {
  const out: string[][] = [[]];
  let bytes = 0;
  for (const k of keys) {
    const size = Buffer.byteLength(k) + 3;
    if (bytes + size > ENTRY_BYTES && out.at(-1)!.length) {
      out.push([]);
      bytes = 0;
    }
    out.at(-1)!.push(k);
    bytes += size;
  }
  return out;
}

export class MinuteJournal {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly opts: JournalOptions,
  ) {}

  private ttl(): Record<string, AttributeValue> {
    return this.opts.hotMs > 0 ? { ttl: { N: String(Math.floor((this.opts.now() + this.opts.hotMs) / 1000)) } } : {};
  }

  /**
   * Records, for each minute, the keys one message's reports touch there (BatchWriteItem, 25
   * entries a request). The entry id makes it idempotent: a redelivered message writes the same
   * entries again.
   */
  async record(entry: string, byMinute: Map<string, Set<string>>): Promise<void> {
    const puts: WriteRequest[] = [];
    for (const [minute, keys] of byMinute) {
      chunks([...keys].sort()).forEach((part, i) => {
        if (!part.length) return;
        const sk = i === 0 ? entry : `${entry}~${i}`;
        puts.push({ PutRequest: { Item: { pk: { S: PREFIX + minute }, sk: { S: sk }, k: { SS: part }, ...this.ttl() } } });
      });
    }
    for (let i = 0; i < puts.length; i += 25) {
      let pending = puts.slice(i, i + 25);
      for (let attempt = 0; pending.length; attempt++) {
        if (attempt > 8) throw new Error(`BatchWriteItem left ${pending.length} journal entries unprocessed after ${attempt} attempts`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const out = await this.ddb.send(new BatchWriteItemCommand({ RequestItems: { [this.opts.tableName]: pending } }));
        pending = out.UnprocessedItems?.[this.opts.tableName] ?? [];
      }
    }
  }

  /**
   * Adds keys to an entry (a set union: idempotent, and safe when several writers add to it) —
   * for the rarer writes that learn an item's minute only from the item (a report whose
   * transaction lies in another minute, an item the rollup restores).
   */
  async add(minute: string, entry: string, keys: Iterable<string>): Promise<void> {
    const ks = [...new Set(keys)];
    if (!ks.length) return;
    const ttl = this.ttl().ttl;
    await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.opts.tableName,
        Key: { pk: { S: PREFIX + minute }, sk: { S: entry } },
        UpdateExpression: `ADD #k :k${ttl ? ' SET #ttl = :ttl' : ''}`,
        ExpressionAttributeNames: { '#k': 'k', ...(ttl ? { '#ttl': 'ttl' } : {}) },
        ExpressionAttributeValues: { ':k': { SS: ks }, ...(ttl ? { ':ttl': ttl } : {}) },
      }),
    );
  }

  /** Every key journaled for a minute, page by page (strongly consistent: an entry written before its reports is seen). */
  async *keysOf(minute: string): AsyncGenerator<string[]> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.opts.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: PREFIX + minute } },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      start = out.LastEvaluatedKey;
      const keys: string[] = [];
      for (const it of out.Items ?? []) keys.push(...(it.k?.SS ?? []));
      yield keys;
    } while (start);
  }
}
