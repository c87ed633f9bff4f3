/**
 * Sending identities of the local stack (CONTRACT.md section 4, 1.1): the SQS sender proxy in
 * front of the emulator, the operator's credentials (an `ops` sender, good for every local
 * service), and one credential per platform — created on first start, kept in
 * `.local/senders.json` (mode 0600) and registered in the registry of sending principals exactly
 * as an operator registers an LGSP's IAM principal in AWS (`ngsp senders add`).
 */
import { LOCAL_CREDENTIALS } from './emulators.ts';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '#shared/store/clients.ts';
import { defaultRegistry } from '#shared/registry.ts';
import { SenderStore } from '#shared/store/senders.ts';
import type { LocalCredentials } from '#shared/stack-file.ts';
import type { RunningEmulators } from './emulators.ts';
import { KeyFileError } from './keys.ts';
import { localSenderId, startSqsSenderProxy, type SqsSenderProxy } from './sqs-proxy.ts';

export type { LocalCredentials };

/**
 * The operator's credentials: those the local stack's own processes (the workers, the API relay)
 * sign with — one home, local/emulators.ts. The emulators accept any.
 */
export const OPERATOR_CREDENTIALS: LocalCredentials = { ...LOCAL_CREDENTIALS };

/** A new local credential, shaped like an IAM access key. */
export function newLocalCredentials(): LocalCredentials {
  return {
    accessKeyId: `AKIALOCAL${randomBytes(6).toString('hex').toUpperCase().slice(0, 11)}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

/**
 * Puts the sender proxy in front of the SQS endpoint (emulator or given): the returned emulators
 * answer SQS on the proxy's URL, on `port` (the emulator then takes any free port).
 */
export async function withSenderProxy(
  emulators: RunningEmulators,
  port?: number,
): Promise<{ emulators: RunningEmulators; proxy: SqsSenderProxy }> {
  const proxy = await startSqsSenderProxy({ upstream: emulators.endpoints.sqs, ...(port !== undefined ? { port } : {}) });
  proxy.addCredential(OPERATOR_CREDENTIALS.accessKeyId, OPERATOR_CREDENTIALS.secretAccessKey);
  // Restored queues must be addressed through the proxy, or their messages would bypass it.
  emulators.rebaseSqs?.(proxy.url);
  return {
    proxy,
    emulators: {
      ...emulators,
      endpoints: { ...emulators.endpoints, sqs: proxy.url },
      async stop() {
        await proxy.close().catch(() => undefined);
        await emulators.stop();
      },
    },
  };
}

/** Registers the operator's principal as an `ops` sender (a relay: it may send any platform's reports). */
export async function registerOperator(ddb: DynamoDBClient, keysTable: string): Promise<string> {
  const senderId = localSenderId(OPERATOR_CREDENTIALS.accessKeyId);
  await new SenderStore(ddb, keysTable).put({
    senderId,
    role: 'ops',
    note: 'local operator (credentials in .local/stack.json)',
    createdAt: '1970-01-01T00:00:00.000Z',
  });
  return senderId;
}

/** Gives a platform a local sending credential: the proxy learns its secret, the registry its platform. */
export async function registerPlatformSender(
  ddb: DynamoDBClient,
  keysTable: string,
  proxy: SqsSenderProxy,
  platformId: string,
  creds: LocalCredentials = newLocalCredentials(),
): Promise<LocalCredentials & { senderId: string }> {
  proxy.addCredential(creds.accessKeyId, creds.secretAccessKey);
  const senderId = localSenderId(creds.accessKeyId);
  await new SenderStore(ddb, keysTable).put({ senderId, role: 'lgsp', platformId, note: `local credential ${creds.accessKeyId}` });
  return { ...creds, senderId };
}

/**
 * Loads `senders.json` or creates it: one credential for every platform of the registry (retired
 * ones too: they can still report past exchanges, as the demo's 2020 traffic does).
 */
export async function ensureLocalSenders(
  path: string,
  ddb: DynamoDBClient,
  keysTable: string,
  proxy: SqsSenderProxy,
): Promise<Record<string, LocalCredentials>> {
  let file: Record<string, LocalCredentials>;
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) throw new KeyFileError(`${path} can be read by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
    file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, LocalCredentials>;
  } else {
    file = Object.fromEntries(defaultRegistry.platformIds().map((p) => [p, newLocalCredentials()]));
    writeFileSync(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  for (const [platformId, creds] of Object.entries(file)) await registerPlatformSender(ddb, keysTable, proxy, platformId, creds);
  return file;
}
