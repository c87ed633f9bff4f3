/** Test helpers around the real local stack: unique names, sending, waiting for the queue. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { LocalStack, makeLocalClients, type LocalStackOptions } from '../../local/stack.ts';
import type { Clients } from '#shared/store/clients.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { PIPELINE } from '#infra/wiring.ts';
import { makeStores, type Stores } from '#shared/store/stores.ts';
import { queueDepth, sendBatch } from '#shared/store/queue.ts';

export { queueDepth };

export interface TestStack extends Stores {
  stack: LocalStack;
  dataDir: string;
  stop(): Promise<void>;
}

/** A local stack with unique resource names and a throwaway data directory. */
export async function startTestStack(opts: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ngsp-test-'));
  const stack = await LocalStack.start({
    prefix: `t${randomBytes(4).toString('hex')}`,
    dataDir,
    useEnvironment: false,
    visibilityTimeoutSeconds: 4,
    functions: ['ingest'],
    ...opts,
    workerEnv: { NGSP_POLL_WAIT_SECONDS: '1', ...opts.workerEnv },
  });
  const n = stack.resources.names;
  return {
    stack,
    dataDir,
    ...makeStores(
      stack.clients.ddb,
      stack.clients.s3,
      { eventsTable: n.tables.Events, statsTable: n.tables.Stats, bucket: n.bucket },
      PIPELINE,
    ),
    async stop() {
      await stack.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A store-only stack (no functions) whose stores use clients of their own, for a test to add middleware to (fault, size or read accounting). */
export interface StoresStack {
  t: TestStack;
  clients: Clients;
  stores: Stores;
  stop(): Promise<void>;
}

/** Stores of a running test stack over clients of their own (a test adds middleware to them: faults, sizes, read accounting). */
export function ownStores(t: TestStack): { clients: Clients; stores: Stores } {
  const clients = makeLocalClients(t.stack.emulators.endpoints, t.stack.region);
  const n = t.stack.resources.names;
  const stores = makeStores(
    clients.ddb,
    clients.s3,
    { eventsTable: n.tables.Events, statsTable: n.tables.Stats, bucket: n.bucket },
    PIPELINE,
  );
  return { clients, stores };
}

/** The DynamoDB a store-only stack runs on: the embedded dynalite, or the official DynamoDB Local (Java; closer to DynamoDB). */
export type StoreKind = 'dynalite' | 'dynamodb-local';
export const STORE_KINDS: readonly StoreKind[] = ['dynalite', 'dynamodb-local'];

export async function startStoresStack(kind: StoreKind = 'dynalite'): Promise<StoresStack> {
  const local = kind === 'dynamodb-local' ? await startDynamoDbLocal() : undefined;
  const t = await startTestStack({ functions: [], ...(local ? { endpoints: { dynamodb: local.endpoint } } : {}) });
  const { clients, stores } = ownStores(t);
  return {
    t,
    clients,
    stores,
    async stop() {
      clients.ddb.destroy();
      clients.s3.destroy();
      await t.stop();
      await local?.stop();
    },
  };
}

/** Sends message bodies with SendMessageBatch, 10 at a time, a few batches in flight. */
export async function sendBodies(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < bodies.length; i += 10) batches.push(bodies.slice(i, i + 10));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        await sendBatch(sqs, queueUrl, batch, { attempts: 1, backoffMs: 0 });
      }
    }),
  );
}

/** Waits until the queue is empty (visible and in flight) twice in a row. */
export async function waitForEmptyQueue(sqs: SQSClient, queueUrl: string, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let empties = 0;
  while (empties < 2) {
    if (Date.now() > end) throw new Error(`queue not empty after ${timeoutMs} ms (${await queueDepth(sqs, queueUrl)} left)`);
    empties = (await queueDepth(sqs, queueUrl)) === 0 ? empties + 1 : 0;
    await new Promise((r) => setTimeout(r, 250));
  }
}
