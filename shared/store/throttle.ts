/**
 * Per-tenant throttle counters in the keys table, the same on DynamoDB, DynamoDB Local and
 * dynalite: a fixed-window counter item per (subject, window) (`RL#<subject>#<window start>`),
 * incremented with a conditional `ADD`; the request that would go over the limit fails the
 * condition. See docs/architecture.md, "API and tenancy".
 */
import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Principal } from '#shared/auth/keys.ts';

export interface ThrottleOptions {
  /** Requests allowed per subject and window. */
  limit: number;
  windowSeconds: number;
  now?: () => number;
}

/**
 * The budget a principal draws from: an LGSP's platform (all its keys share one budget, so one
 * platform cannot starve the others), or the key of an analyst or operator.
 */
export function throttleSubject(p: Principal): string {
  return p.role === 'lgsp' && p.platformId ? `P#${p.platformId}` : `K#${p.keyId}`;
}

export class ThrottleCounters {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    private readonly opts: ThrottleOptions,
  ) {}

  /**
   * Counts one request against the subject's current window.
   * @returns undefined when the request is within the budget, else the seconds until the window resets
   */
  async take(subject: string): Promise<number | undefined> {
    const nowSec = Math.floor((this.opts.now ?? Date.now)() / 1000);
    const windowStart = nowSec - (nowSec % this.opts.windowSeconds);
    const windowEnd = windowStart + this.opts.windowSeconds;
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: `RL#${subject}#${windowStart}` } },
          UpdateExpression: 'ADD #n :one SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
          ExpressionAttributeNames: { '#n': 'n', '#ttl': 'ttl' },
          // Expired counters are removed by TTL on `ttl` where the table has it enabled.
          ExpressionAttributeValues: {
            ':one': { N: '1' },
            ':limit': { N: String(this.opts.limit) },
            ':ttl': { N: String(windowEnd + 3600) },
          },
        }),
      );
      return undefined;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === 'ConditionalCheckFailedException')
        return Math.max(1, windowEnd - nowSec);
      throw err;
    }
  }
}
