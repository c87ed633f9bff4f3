/**
 * An in-memory DynamoDB for the scale mode (`npm run scale`): the commands the stats and event
 * stores send, with DynamoDB's semantics where the scale figures depend on them, and its
 * accounting:
 * - items over 400 KB are refused (ValidationException), sizes by DynamoDB's rules
 *   (shared/store/item-size.ts);
 * - a Query page stops after 1 MB of items read (LastEvaluatedKey), Limit and Select COUNT work;
 * - write units (1 per KB, per item and per index entry) and read units (1 per 4 KB per page,
 *   half for eventually consistent reads) are counted per partition, and per partition and
 *   second of a virtual clock the driver sets (`at`), for the 1,000 WCU / 3,000 RCU limits.
 * Update expressions: only `SET #a = :v, ...` (what the scale run sends); conditions are ignored
 * (the scale run has one writer). Not a general emulator.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MAX_ITEM_BYTES, itemSize } from '#shared/store/item-size.ts';
import type { TableDef } from '#shared/store/tables.ts';

type Item = Record<string, AttributeValue>;
const PAGE_BYTES = 1024 * 1024;

interface Table {
  def: TableDef;
  items: Map<string, Item>;
  /** Index name → partition value → item keys. */
  indexes: Map<string, Map<string, Set<string>>>;
}

export interface PartitionLoad {
  /** Units over the whole run. */
  total: number;
  /** Highest units in one second of the virtual clock. */
  peakPerSecond: number;
}

export class MemoryDynamoDB {
  private readonly tables = new Map<string, Table>();
  /** The virtual second writes and reads are accounted to (set by the driver). */
  at = 0;
  readonly wcu = new Map<string, PartitionLoad>();
  readonly rcu = new Map<string, PartitionLoad>();
  private readonly perSecond = new Map<string, number>();
  /** Largest item written, by table and the part of its partition key before the first `#`. */
  readonly largest = new Map<string, number>();
  /** Most 1 MB pages one Query needed, by table/index and key prefix. */
  readonly pages = new Map<string, number>();
  /** Bytes and read units of the reads made since the last reset (one request's reads). */
  readBytes = 0;
  readUnits = 0;

  constructor(tables: { name: string; def: TableDef }[]) {
    for (const t of tables)
      this.tables.set(t.name, { def: t.def, items: new Map(), indexes: new Map(t.def.indexes.map((ix) => [ix.name, new Map()])) });
  }

  private table(name: string): Table {
    const t = this.tables.get(name);
    if (!t) throw Object.assign(new Error(`no table ${name}`), { name: 'ResourceNotFoundException' });
    return t;
  }

  private keyOf(t: Table, item: Item): string {
    return `${item[t.def.partitionKey]!.S}\u0000${t.def.sortKey ? (item[t.def.sortKey]?.S ?? '') : ''}`;
  }

  private account(map: Map<string, PartitionLoad>, kind: string, partition: string, units: number): void {
    const load = map.get(partition) ?? { total: 0, peakPerSecond: 0 };
    load.total += units;
    const k = `${kind}|${partition}|${this.at}`;
    const n = (this.perSecond.get(k) ?? 0) + units;
    this.perSecond.set(k, n);
    load.peakPerSecond = Math.max(load.peakPerSecond, n);
    map.set(partition, load);
  }

  /** Forgets per-second counts (bounded memory over a long run); totals and peaks stay. */
  forgetSeconds(): void {
    this.perSecond.clear();
  }

  private prefixOf(name: string, pk: string | undefined): string {
    return `${name.replace(/^.*-/, '')}:${(pk ?? '').split('#')[0]}`;
  }

  put(tableName: string, item: Item): void {
    const t = this.table(tableName);
    const size = itemSize(item);
    const prefix = this.prefixOf(tableName, item[t.def.partitionKey]?.S);
    this.largest.set(prefix, Math.max(this.largest.get(prefix) ?? 0, size));
    if (size > MAX_ITEM_BYTES) {
      throw Object.assign(new Error(`Item size has exceeded the maximum allowed size (${size} bytes)`), {
        name: 'ValidationException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const key = this.keyOf(t, item);
    this.remove(tableName, key);
    t.items.set(key, item);
    const pk = item[t.def.partitionKey]!.S!;
    this.account(this.wcu, 'w', `${tableName}:${pk}`, Math.max(1, Math.ceil(size / 1024)));
    for (const ix of t.def.indexes) {
      const v = item[ix.partitionKey]?.S;
      if (v === undefined) continue;
      const part = t.indexes.get(ix.name)!;
      if (!part.has(v)) part.set(v, new Set());
      part.get(v)!.add(key);
      const projected: Item = { [t.def.partitionKey]: item[t.def.partitionKey]!, [ix.partitionKey]: item[ix.partitionKey]! };
      for (const a of ix.include) if (item[a]) projected[a] = item[a]!;
      this.account(this.wcu, 'w', `${tableName}/${ix.name}:${v}`, Math.max(1, Math.ceil(itemSize(projected) / 1024)));
    }
  }

  private remove(tableName: string, key: string): void {
    const t = this.table(tableName);
    const old = t.items.get(key);
    if (!old) return;
    t.items.delete(key);
    for (const ix of t.def.indexes) {
      const v = old[ix.partitionKey]?.S;
      if (v !== undefined) t.indexes.get(ix.name)!.get(v)?.delete(key);
    }
  }

  /**
   * Copies the items of partition `pk` whose sort key starts with `skPrefix` under other keys
   * (`rename` of pk and sk), sharing their values: the driver's year of days from one day,
   * without the time or memory of writing each copy. Not accounted as writes.
   */
  copyPartition(tableName: string, pk: string, skPrefix: string, rename: (pk: string, sk: string) => [string, string]): number {
    const t = this.table(tableName);
    let n = 0;
    for (const it of [...t.items.values()]) {
      const sk = it[t.def.sortKey!]?.S ?? '';
      if (it[t.def.partitionKey]!.S !== pk || !sk.startsWith(skPrefix)) continue;
      const [pk2, sk2] = rename(pk, sk);
      const copy = { ...it, [t.def.partitionKey]: { S: pk2 }, [t.def.sortKey!]: { S: sk2 } };
      t.items.set(this.keyOf(t, copy), copy);
      n++;
    }
    return n;
  }

  /** Drops a partition's items (the driver frees rolled minutes). */
  dropWhere(tableName: string, test: (item: Item) => boolean): void {
    const t = this.table(tableName);
    for (const [k, it] of [...t.items]) if (test(it)) this.remove(tableName, k);
  }

  private read(partition: string, bytes: number, consistent: boolean): void {
    const units = Math.ceil(bytes / 4096) * (consistent ? 1 : 0.5);
    this.readBytes += bytes;
    this.readUnits += units;
    this.account(this.rcu, 'r', partition, units);
  }

  async send(command: { constructor: { name: string }; input: any }): Promise<any> {
    const name = command.constructor.name;
    const input = command.input;
    switch (name) {
      case 'PutItemCommand': {
        const t = this.table(input.TableName);
        const before = input.ReturnValues === 'ALL_OLD' ? t.items.get(this.keyOf(t, input.Item)) : undefined;
        this.put(input.TableName, input.Item);
        return before ? { Attributes: before } : {};
      }
      case 'GetItemCommand': {
        const t = this.table(input.TableName);
        const item = t.items.get(this.keyOf(t, input.Key));
        this.read(`${input.TableName}:${input.Key[t.def.partitionKey].S}`, item ? itemSize(item) : 1, Boolean(input.ConsistentRead));
        return item ? { Item: item } : {};
      }
      case 'DeleteItemCommand': {
        const t = this.table(input.TableName);
        this.remove(input.TableName, this.keyOf(t, input.Key));
        this.account(this.wcu, 'w', `${input.TableName}:${input.Key[t.def.partitionKey].S}`, 1);
        return {};
      }
      case 'UpdateItemCommand':
        return this.update(input);
      case 'BatchWriteItemCommand': {
        for (const [tableName, reqs] of Object.entries(input.RequestItems as Record<string, any[]>)) {
          for (const r of reqs) {
            if (r.PutRequest) this.put(tableName, r.PutRequest.Item);
            else this.remove(tableName, this.keyOf(this.table(tableName), r.DeleteRequest.Key));
          }
        }
        return { UnprocessedItems: {} };
      }
      case 'BatchGetItemCommand': {
        const Responses: Record<string, Item[]> = {};
        for (const [tableName, req] of Object.entries(input.RequestItems as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>)) {
          const t = this.table(tableName);
          Responses[tableName] = [];
          for (const k of req.Keys) {
            const it = t.items.get(this.keyOf(t, k));
            if (it) {
              Responses[tableName].push(it);
              this.read(`${tableName}:${k[t.def.partitionKey]!.S}`, itemSize(it), Boolean(req.ConsistentRead));
            }
          }
        }
        return { Responses, UnprocessedKeys: {} };
      }
      case 'QueryCommand':
        return this.query(input);
      default:
        throw new Error(`MemoryDynamoDB: ${name} is not supported`);
    }
  }

  private update(input: any): object {
    const t = this.table(input.TableName);
    const key = this.keyOf(t, input.Key);
    const item: Item = { ...(t.items.get(key) ?? input.Key) };
    const m = /^SET (.+)$/.exec(String(input.UpdateExpression).trim());
    if (!m) throw new Error(`MemoryDynamoDB: update expression not supported: ${input.UpdateExpression}`);
    for (const part of m[1]!.split(',')) {
      const [lhs, rhs] = part.split('=').map((x) => x.trim());
      const attr = lhs!.startsWith('#') ? input.ExpressionAttributeNames[lhs!] : lhs!;
      item[attr] = input.ExpressionAttributeValues[rhs!];
    }
    this.put(input.TableName, item);
    return {};
  }

  private query(input: any): object {
    const t = this.table(input.TableName);
    const expr = String(input.KeyConditionExpression);
    const values = input.ExpressionAttributeValues as Record<string, AttributeValue>;
    let keys: Iterable<string>;
    let partition: string;
    let range: [string, string] | undefined;
    if (input.IndexName) {
      const ix = t.def.indexes.find((i) => i.name === input.IndexName)!;
      const v = values[Object.keys(values)[0]!]!.S!;
      keys = [...(t.indexes.get(ix.name)!.get(v) ?? [])].sort();
      partition = `${input.TableName}/${ix.name}:${v}`;
    } else {
      const pk = values[':pk']!.S!;
      if (/BETWEEN/.test(expr)) range = [values[':a']!.S!, values[':b']!.S!];
      const prefix = `${pk}\u0000`;
      keys = [...t.items.keys()].filter((k) => k.startsWith(prefix)).sort();
      partition = `${input.TableName}:${pk}`;
    }
    const start = input.ExclusiveStartKey ? this.keyOf(t, input.ExclusiveStartKey) : undefined;
    const items: Item[] = [];
    let bytes = 0;
    let last: Item | undefined;
    let count = 0;
    for (const k of keys) {
      if (start !== undefined && k <= start) continue;
      const it = t.items.get(k)!;
      if (range) {
        const sk = it[t.def.sortKey!]!.S!;
        if (sk < range[0] || sk > range[1]) continue;
      }
      const size = itemSize(it);
      if (bytes + size > PAGE_BYTES && count > 0) {
        last = items.length ? items[items.length - 1] : it;
        break;
      }
      bytes += size;
      count++;
      items.push(it);
      if (input.Limit && count >= input.Limit) {
        last = it;
        break;
      }
    }
    this.read(partition, Math.max(1, bytes), Boolean(input.ConsistentRead));
    const pageKey = `${input.IndexName ? `${input.TableName}/${input.IndexName}` : input.TableName}:${partition.split(':')[1]!.split('#')[0]}`;
    if (!input.ExclusiveStartKey) this.pageCount.set(pageKey, 0);
    const pages = (this.pageCount.get(pageKey) ?? 0) + 1;
    this.pageCount.set(pageKey, pages);
    this.pages.set(pageKey, Math.max(this.pages.get(pageKey) ?? 0, pages));
    const LastEvaluatedKey = last ? this.keyItem(t, last) : undefined;
    if (input.Select === 'COUNT') return { Count: count, ...(LastEvaluatedKey ? { LastEvaluatedKey } : {}) };
    const projected = input.ProjectionExpression
      ? items.map((it) => this.project(it, input.ProjectionExpression, input.ExpressionAttributeNames ?? {}))
      : items;
    return { Items: projected, Count: count, ...(LastEvaluatedKey ? { LastEvaluatedKey } : {}) };
  }

  private readonly pageCount = new Map<string, number>();

  private keyItem(t: Table, it: Item): Item {
    const k: Item = { [t.def.partitionKey]: it[t.def.partitionKey]! };
    if (t.def.sortKey) k[t.def.sortKey] = it[t.def.sortKey]!;
    return k;
  }

  private project(it: Item, expr: string, names: Record<string, string>): Item {
    const out: Item = {};
    for (const raw of expr.split(',').map((x) => x.trim())) {
      const a = raw.startsWith('#') ? names[raw]! : raw;
      if (it[a]) out[a] = it[a]!;
    }
    return out;
  }
}

// The SDK's paginators (`paginateQuery`, used by the stores) accept only an instance of
// DynamoDBClient: the in-memory table is one by prototype, its own `send` answering every command.
Object.setPrototypeOf(MemoryDynamoDB.prototype, DynamoDBClient.prototype);

export { marshall };
