/**
 * Table and index definitions, declared once: the CDK stack and the local stack both create
 * tables from these, so local and cloud cannot drift apart.
 */

export interface TableDef {
  /** Logical name: CDK construct id, and the local table name suffix. */
  id: 'Events' | 'Stats' | 'Keys';
  partitionKey: string;
  sortKey?: string;
  ttlAttribute?: string;
  indexes: { name: string; partitionKey: string; sortKey?: string; include: string[] }[];
}

/**
 * One item per transaction (pk), its CONSUMER (`c`) and PROVIDER (`p`) reports and its minute
 * (`m`). The index holds conflicts by day (`X#…`) and, until they expire, transactions written
 * before the minute journal (`b`: minute and shard); transactions are found through the journal.
 */
export const EVENTS_TABLE: TableDef = {
  id: 'Events',
  partitionKey: 'pk',
  ttlAttribute: 'ttl',
  indexes: [{ name: 'byBucket', partitionKey: 'b', include: ['c', 'p'] }],
};

/**
 * Minute and day stats items, dirty marks, the rollup watermark, rejection counts, and the minute
 * journal (`J#<minute>`), whose entries expire by TTL on `ttl` with the hot window.
 */
export const STATS_TABLE: TableDef = { id: 'Stats', partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl', indexes: [] };

/**
 * API keys, stored by the SHA-256 of the key: never the key itself (`H#`, `K#`); the registry of
 * sending principals (`S#`); per-tenant throttle counters (`RL#`), which expire by TTL on `ttl`.
 * `byKind` is a sparse index of the key records only (`kind = key`): `keys list` reads it instead
 * of scanning every throttle counter.
 */
export const KEYS_TABLE: TableDef = {
  id: 'Keys',
  partitionKey: 'pk',
  ttlAttribute: 'ttl',
  indexes: [{ name: 'byKind', partitionKey: 'kind', include: ['keyId', 'role', 'platformId', 'createdAt', 'revokedAt'] }],
};

export const TABLES = [EVENTS_TABLE, STATS_TABLE, KEYS_TABLE] as const;
