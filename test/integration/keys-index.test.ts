/**
 * `keys list` reads only key records (issue 12 §5): the sparse `byKind` index of the keys table,
 * never a scan over the per-tenant throttle counters that share the table; key records written
 * before the index are put into it once by `keys list --reindex`.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '#shared/auth/keys.ts';
import { KeyStore } from '#shared/store/api-keys.ts';
import { ThrottleCounters } from '#shared/store/throttle.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

describe('keys list', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ functions: [] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('given keys and many throttle counters, then list reads the key index only; a record from before the index joins it on reindex', async () => {
    // Prepare
    const ddb = t.stack.clients.ddb;
    const table = t.stack.resources.names.tables.Keys;
    const keys = new KeyStore(ddb, table);
    const a = await keys.create('analyst');
    const b = await keys.create('lgsp', 'LGSP-79');
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const throttle = new ThrottleCounters(ddb, table, { limit: 600, windowSeconds: 60, now: () => clock });
    for (let i = 0; i < 40; i++, clock += 60_000) await throttle.take('P#LGSP-79');
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: `H#${hashKey('legacy')}` },
          keyId: { S: 'k_legacy000000' },
          role: { S: 'ops' },
          createdAt: { S: '2025-01-01T00:00:00.000Z' },
        },
      }),
    );
    const commands: string[] = [];
    ddb.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(
          `${context.commandName}${(args.input as { IndexName?: string }).IndexName ? `:${(args.input as { IndexName?: string }).IndexName}` : ''}`,
        );
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );

    // Act
    const listed = await keys.list();
    const readBy = [...new Set(commands)];
    const tagged = await keys.reindex();
    const after = await keys.list();

    // Assess
    expect(listed.map((r) => r.keyId).sort()).toEqual([a.record.keyId, b.record.keyId].sort());
    expect(readBy).toEqual(['QueryCommand:byKind']);
    expect(tagged).toBe(1);
    expect(after.map((r) => r.keyId)).toContain('k_legacy000000');
    expect(after).toHaveLength(3);
  });
});
