/**
 * The API keys in the keys table, by the SHA-256 of the key (`H#<hash>`: the principal) and by
 * id (`K#<keyId>`: the hash, to revoke and list). The keys themselves are never stored.
 */
import {
  GetItemCommand,
  PutItemCommand,
  paginateQuery,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { hashKey, newKey, type KeyRecord, type Principal, type Role } from '#shared/auth/keys.ts';
import { KEYS_TABLE } from '#shared/store/tables.ts';

/** The `kind` of key records: the sparse index `byKind` holds them and nothing else of the table. */
const KEY_KIND = 'key';

function recordOf(it: Record<string, AttributeValue>): KeyRecord {
  return {
    keyId: it.keyId!.S!,
    role: it.role!.S! as Role,
    createdAt: it.createdAt!.S!,
    ...(it.platformId?.S ? { platformId: it.platformId.S } : {}),
    ...(it.revokedAt?.S ? { revokedAt: it.revokedAt.S } : {}),
  };
}

export class KeyStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** Stores a key by its hash (and an id record to list and revoke it). Returns the key once. */
  async create(role: Role, platformId?: string, given?: { key: string; keyId: string }): Promise<{ key: string; record: KeyRecord }> {
    if (role === 'lgsp' && !platformId) throw new Error('an lgsp key needs a platform');
    const { key, keyId } = given ?? newKey(role);
    const record: KeyRecord = { keyId, role, ...(role === 'lgsp' ? { platformId } : {}), createdAt: new Date().toISOString() };
    const hash = hashKey(key);
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: { S: `H#${hash}` },
          kind: { S: KEY_KIND },
          keyId: { S: keyId },
          role: { S: role },
          ...(record.platformId ? { platformId: { S: record.platformId } } : {}),
          createdAt: { S: record.createdAt },
        },
      }),
    );
    await this.ddb.send(new PutItemCommand({ TableName: this.table, Item: { pk: { S: `K#${keyId}` }, hash: { S: hash } } }));
    return { key, record };
  }

  /** The principal of a key, or undefined for an unknown or revoked key. */
  async resolve(key: string): Promise<Principal | undefined> {
    const out = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: `H#${hashKey(key)}` } } }));
    const it = out.Item;
    if (!it || it.revokedAt) return undefined;
    return { keyId: it.keyId!.S!, role: it.role!.S! as Role, ...(it.platformId?.S ? { platformId: it.platformId.S } : {}) };
  }

  /** Revokes a key by id; false when there is no such key. */
  async revoke(keyId: string): Promise<boolean> {
    const ref = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: `K#${keyId}` } } }));
    const hash = ref.Item?.hash?.S;
    if (!hash) return false;
    await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: `H#${hash}` } },
        UpdateExpression: 'SET revokedAt = :t, kind = :k',
        ExpressionAttributeValues: { ':t': { S: new Date().toISOString() }, ':k': { S: KEY_KIND } },
      }),
    );
    return true;
  }

  /**
   * Every key's record (never the key), from the sparse `byKind` index: only key records, never
   * the throttle counters and senders that share the table.
   */
  async list(): Promise<KeyRecord[]> {
    const out: KeyRecord[] = [];
    const input = {
      TableName: this.table,
      IndexName: KEYS_TABLE.indexes[0]!.name,
      KeyConditionExpression: 'kind = :k',
      ExpressionAttributeValues: { ':k': { S: KEY_KIND } },
    };
    for await (const page of paginateQuery({ client: this.ddb }, input)) for (const it of page.Items ?? []) out.push(recordOf(it));
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId));
  }

  /**
   * Puts key records written before the `byKind` index (no `kind`) into it: one scan, once, by an
   * operator after upgrading (`ngsp keys list --reindex`). Returns how many it tagged.
   */
  async reindex(): Promise<number> {
    let tagged = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.ddb.send(
        new ScanCommand({
          TableName: this.table,
          ExclusiveStartKey: start,
          FilterExpression: 'begins_with(pk, :h) AND attribute_not_exists(kind)',
          ExpressionAttributeValues: { ':h': { S: 'H#' } },
        }),
      );
      for (const it of page.Items ?? []) {
        await this.ddb.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { pk: it.pk! },
            UpdateExpression: 'SET kind = :k',
            ExpressionAttributeValues: { ':k': { S: KEY_KIND } },
          }),
        );
        tagged++;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return tagged;
  }
}
