/**
 * Embedded protocol emulators: fauxqs 2.x for SQS (queues and messages in SQLite under
 * `.local/sqs/`, so nothing queued is lost on a stop or a kill) and for S3 (objects as plain files
 * under `.local/s3/<bucket>/<key>`), and dynalite (DynamoDB, on LevelDB, in a child process of its
 * own). Each listens on 127.0.0.1 only and accepts any credentials. Where `AWS_ENDPOINT_URL_SQS`,
 * `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL_S3` is set, that service is used instead.
 */
import { mkdirSync } from 'node:fs';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { PlainFileS3Persistence } from './s3-files.ts';
import { addSqsQueryProtocol } from './sqs-query.ts';

export interface Endpoints {
  sqs: string;
  dynamodb: string;
  s3: string;
}

export interface RunningEmulators {
  endpoints: Endpoints;
  /** Which services this process started (the others were given by environment). */
  started: (keyof Endpoints)[];
  /**
   * Gives the embedded SQS's queues the URL of the endpoint clients reach them through (a proxy
   * in front): SDKs send a queue's requests to its URL's host, so a URL with the emulator's own
   * port would bypass the proxy. Absent when SQS was given by environment.
   */
  rebaseSqs?: (publicUrl: string) => void;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** Directory for persistent data (queues, tables, objects); undefined = in memory. */
  dataDir?: string;
  ports?: Partial<Record<keyof Endpoints, number>>;
  /** Respect AWS_ENDPOINT_URL_* from the environment. @default true */
  useEnvironment?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The parts of fauxqs we assemble ourselves (its `startFauxqs` binds every interface). */
interface FauxqsParts {
  buildApp: typeof import('fauxqs').buildApp;
  SqsStore: new () => {
    host?: string;
    queues: Map<string, { name: string; url: string; persistence?: unknown }>;
    allQueues(): Iterable<{ name: string; url: string; persistence?: unknown }>;
    persistence?: unknown;
  };
  SnsStore: new () => { persistence?: unknown };
  S3Store: new () => { persistence?: unknown };
  PersistenceManager: new (
    dir: string,
  ) => { db: { exec(sql: string): void }; loadSqsAndSns(sqs: unknown, sns: unknown): void; close(): void };
}

/**
 * fauxqs' stores and SQLite persistence are not in its exports map; file URLs reach the same
 * modules. Loaded on demand, after the SQLite warning is quieted (fauxqs imports node:sqlite).
 */
async function fauxqsParts(): Promise<FauxqsParts> {
  quietSqliteWarning();
  const load = (path: string) =>
    import(new URL(`../node_modules/fauxqs/dist/${path}`, import.meta.url).href) as Promise<Record<string, unknown>>;
  const [{ buildApp }, sqs, sns, s3, persistence] = await Promise.all([
    import('fauxqs'),
    load('sqs/sqsStore.js'),
    load('sns/snsStore.js'),
    load('s3/s3Store.js'),
    load('persistence.js'),
  ]);
  return {
    buildApp,
    SqsStore: sqs.SqsStore,
    SnsStore: sns.SnsStore,
    S3Store: s3.S3Store,
    PersistenceManager: persistence.PersistenceManager,
  } as FauxqsParts;
}

/** node:sqlite (stable in Node 23.4+) warns once on 22 that it is experimental; nothing to act on. */
function quietSqliteWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    if (String(warning).includes('SQLite is an experimental feature')) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

/**
 * fauxqs' SQS on 127.0.0.1. With a data directory every queue and message is written through to
 * SQLite before the request is answered (WAL; `synchronous = NORMAL` keeps every commit across a
 * process kill, and only an OS crash could lose the last ones), and restored on the next start.
 * The store is told no host, so queue URLs carry the request's host
 * (`http://127.0.0.1:PORT/000000000000/name`): any SDK or CLI can resolve them, unlike the default
 * `sqs.REGION.localhost` names. It also answers the SQS query protocol (AWS CLI before 2.13).
 */
async function startSqs(
  port: number,
  dataDir: string | undefined,
): Promise<{ url: string; close: () => Promise<void>; rebase: (base: string) => void }> {
  const { buildApp, SqsStore, SnsStore, PersistenceManager } = await fauxqsParts();
  const sqsStore = new SqsStore();
  const snsStore = new SnsStore();
  sqsStore.host = '';
  let persistence: InstanceType<FauxqsParts['PersistenceManager']> | undefined;
  if (dataDir) {
    persistence = new PersistenceManager(dataDir);
    persistence.db.exec('PRAGMA synchronous = NORMAL');
    // Load first, then attach (as startFauxqs does), so restoring does not write everything again.
    persistence.loadSqsAndSns(sqsStore, snsStore);
    sqsStore.persistence = persistence;
    snsStore.persistence = persistence;
    for (const queue of sqsStore.allQueues()) queue.persistence = persistence;
  }
  const app = buildApp({ logger: false, stores: { sqsStore, snsStore } as never });
  addSqsQueryProtocol(app);
  app.addHook('onClose', () => persistence?.close());
  const url = (await app.listen({ port, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  // Restored queues carry the URL of the last run; the port may have changed.
  const rebase = (base: string): void => {
    for (const queue of [...sqsStore.allQueues()]) {
      sqsStore.queues.delete(queue.url);
      queue.url = `${base}/000000000000/${queue.name}`;
      sqsStore.queues.set(queue.url, queue);
    }
  };
  rebase(url);
  return { url, close: () => app.close(), rebase };
}

/** fauxqs' S3 on 127.0.0.1, objects as plain files under `dir` (in memory without one). */
async function startS3(port: number, dir: string | undefined): Promise<{ url: string; close: () => Promise<void> }> {
  const { buildApp, S3Store } = await fauxqsParts();
  const s3Store = new S3Store();
  if (dir) {
    const files = new PlainFileS3Persistence(dir);
    files.loadS3(s3Store as never);
    s3Store.persistence = files;
  }
  const app = buildApp({ logger: false, stores: { s3Store } as never });
  const url = (await app.listen({ port, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  return { url, close: () => app.close() };
}

/** Starts what is needed and returns the endpoints of all three services. */
export async function startEmulators(opts: EmulatorOptions = {}): Promise<RunningEmulators> {
  const env = opts.env ?? process.env;
  const useEnv = opts.useEnvironment ?? true;
  const stops: (() => Promise<void>)[] = [];
  const started: (keyof Endpoints)[] = [];
  const endpoints = {} as Endpoints;

  const given = (name: string): string | undefined => (useEnv ? env[`AWS_ENDPOINT_URL_${name}`] : undefined);

  let rebaseSqs: ((publicUrl: string) => void) | undefined;
  const sqsGiven = given('SQS');
  if (sqsGiven) endpoints.sqs = sqsGiven;
  else {
    const app = await startSqs(opts.ports?.sqs ?? 0, opts.dataDir ? join(opts.dataDir, 'sqs') : undefined);
    endpoints.sqs = app.url;
    rebaseSqs = app.rebase;
    stops.push(() => app.close());
    started.push('sqs');
  }

  const ddbGiven = given('DYNAMODB');
  if (ddbGiven) endpoints.dynamodb = ddbGiven;
  else {
    const path = opts.dataDir ? join(opts.dataDir, 'dynamodb') : undefined;
    if (path) mkdirSync(path, { recursive: true });
    const child = fork(fileURLToPath(new URL('./dynalite-process.mjs', import.meta.url)), [path ?? '', String(opts.ports?.dynamodb ?? 0)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: [],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { type: string; port?: number; message?: string }) =>
        m.type === 'listening' ? resolve(m.port!) : reject(new Error(`dynalite did not start: ${m.message}`)),
      );
      child.once('exit', (code) => reject(new Error(`dynalite exited (${code}) before listening`)));
    });
    endpoints.dynamodb = `http://127.0.0.1:${port}`;
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    );
    started.push('dynamodb');
  }

  const s3Given = given('S3');
  if (s3Given) endpoints.s3 = s3Given;
  else {
    const s3 = await startS3(opts.ports?.s3 ?? 0, opts.dataDir ? join(opts.dataDir, 's3') : undefined);
    endpoints.s3 = s3.url;
    stops.push(() => s3.close());
    started.push('s3');
  }

  return {
    endpoints,
    started,
    ...(rebaseSqs ? { rebaseSqs } : {}),
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}

/** Credentials for the local services (any would do: no emulator checks them). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/**
 * Environment for processes that talk to the emulators through the SDK's standard settings.
 * The emulators accept any credentials; these are the operator's, the ones `.local/stack.json`
 * names, whatever the shell has: the local SQS knows the sender by them (the API relays as it).
 */
export function emulatorEnv(endpoints: Endpoints, region: string): NodeJS.ProcessEnv {
  return {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
