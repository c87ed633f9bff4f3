/**
 * A test stack whose workers reach DynamoDB and S3 through fault-injecting proxies, while the
 * test itself reads the emulators directly (so its assertions never see an injected fault).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PIPELINE } from '#infra/wiring.ts';
import type { Clients } from '#shared/store/clients.ts';
import { makeStores } from '#shared/store/stores.ts';
import { startEmulators, type RunningEmulators } from '../../local/emulators.ts';
import { makeLocalClients, type LocalStackOptions } from '../../local/stack.ts';
import { FaultProxy, type FaultProxyOptions } from './fault-proxy.ts';
import { startTestStack, type TestStack } from './stack.ts';

export interface FaultedStack extends TestStack {
  ddbProxy: FaultProxy;
  s3Proxy: FaultProxy;
  /** Pass-through proxy in front of SQS when `observeSqs` was given. */
  sqsProxy?: FaultProxy;
  /** Clients straight to the emulators. */
  direct: Clients;
  emulators: RunningEmulators;
}

export interface FaultedStackOptions extends Partial<LocalStackOptions> {
  seed?: number;
  /** Sees every SQS answer the workers get (e.g. to measure the age of received messages). */
  observeSqs?: FaultProxyOptions['onResponse'];
  /** Sees every DynamoDB / S3 request before it is forwarded (e.g. to kill a worker at that point). */
  onDdbRequest?: FaultProxyOptions['onRequest'];
  onS3Request?: FaultProxyOptions['onRequest'];
}

export async function startFaultedStack(opts: FaultedStackOptions = {}): Promise<FaultedStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ngsp-rel-'));
  const emulators = await startEmulators({ dataDir, useEnvironment: false });
  const seed = opts.seed ?? 1;
  const ddbProxy = await FaultProxy.start({
    target: emulators.endpoints.dynamodb,
    service: 'dynamodb',
    seed,
    onRequest: opts.onDdbRequest,
  });
  const s3Proxy = await FaultProxy.start({ target: emulators.endpoints.s3, service: 's3', seed: seed + 1, onRequest: opts.onS3Request });
  const sqsProxy = opts.observeSqs
    ? await FaultProxy.start({ target: emulators.endpoints.sqs, service: 'sqs', seed: seed + 2, onResponse: opts.observeSqs })
    : undefined;
  const { seed: _s, observeSqs: _o, onDdbRequest: _d, onS3Request: _r, ...stackOpts } = opts;
  let t: TestStack;
  try {
    t = await startTestStack({
      ...stackOpts,
      dataDir,
      endpoints: { sqs: sqsProxy?.url ?? emulators.endpoints.sqs, dynamodb: ddbProxy.url, s3: s3Proxy.url },
    });
  } catch (err) {
    await Promise.all([ddbProxy.stop(), s3Proxy.stop(), sqsProxy?.stop()]);
    await emulators.stop();
    throw err;
  }
  const direct = makeLocalClients(emulators.endpoints, t.stack.region);
  const n = t.stack.resources.names;
  return {
    ...t,
    ddbProxy,
    s3Proxy,
    ...(sqsProxy ? { sqsProxy } : {}),
    direct,
    emulators,
    ...makeStores(direct.ddb, direct.s3, { eventsTable: n.tables.Events, statsTable: n.tables.Stats, bucket: n.bucket }, PIPELINE),
    async stop() {
      ddbProxy.set([]);
      s3Proxy.set([]);
      await t.stack.stop();
      direct.ddb.destroy();
      direct.s3.destroy();
      direct.sqs.destroy();
      await Promise.all([ddbProxy.stop(), s3Proxy.stop(), sqsProxy?.stop()]);
      await emulators.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
