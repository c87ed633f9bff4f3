/**
 * Embedded protocol emulators: fauxqs (SQS), dynalite (DynamoDB, on LevelDB, in a child process of
 * its own) and s3rver (S3, files on disk). Each listens on 127.0.0.1 only. Where `AWS_ENDPOINT_URL_SQS`,
 * `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL_S3` is set, that service is used instead.
 */
import { mkdirSync } from 'node:fs';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { buildApp } from 'fauxqs';
import S3rver from 's3rver';
import { patchS3rver } from './s3rver-patches.ts';

export interface Endpoints {
  sqs: string;
  dynamodb: string;
  s3: string;
}

export interface RunningEmulators {
  endpoints: Endpoints;
  /** Which services this process started (the others were given by environment). */
  started: (keyof Endpoints)[];
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** Directory for persistent data (dynalite's LevelDB, s3rver's files); undefined = in memory / temp. */
  dataDir?: string;
  ports?: Partial<Record<keyof Endpoints, number>>;
  /** Respect AWS_ENDPOINT_URL_* from the environment. @default true */
  useEnvironment?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * fauxqs, bound to 127.0.0.1 (its own `startFauxqs` binds every interface). Its store is told no
 * host, so queue URLs carry the request's host (`http://127.0.0.1:PORT/000000000000/name`): any
 * SDK or CLI can resolve them, unlike the default `sqs.REGION.localhost` names.
 */
async function startSqs(port: number): Promise<{ url: string; close: () => Promise<void> }> {
  // SqsStore is not in the package's exports map; a file URL reaches the same module.
  const storeUrl = new URL('../node_modules/fauxqs/dist/sqs/sqsStore.js', import.meta.url).href;
  const { SqsStore } = (await import(storeUrl)) as { SqsStore: new () => { host?: string } };
  const sqsStore = new SqsStore();
  sqsStore.host = '';
  const app = buildApp({ logger: false, stores: { sqsStore } as never });
  const address = await app.listen({ port, host: '127.0.0.1' });
  return { url: address.replace('localhost', '127.0.0.1'), close: () => app.close() };
}

/** Starts what is needed and returns the endpoints of all three services. */
export async function startEmulators(opts: EmulatorOptions = {}): Promise<RunningEmulators> {
  const env = opts.env ?? process.env;
  const useEnv = opts.useEnvironment ?? true;
  const stops: (() => Promise<void>)[] = [];
  const started: (keyof Endpoints)[] = [];
  const endpoints = {} as Endpoints;

  const given = (name: string): string | undefined => (useEnv ? env[`AWS_ENDPOINT_URL_${name}`] : undefined);

  const sqsGiven = given('SQS');
  if (sqsGiven) endpoints.sqs = sqsGiven;
  else {
    const app = await startSqs(opts.ports?.sqs ?? 0);
    endpoints.sqs = app.url;
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
    const directory = opts.dataDir ? join(opts.dataDir, 's3') : join(process.env.TMPDIR ?? '/tmp', `ngsp-s3-${process.pid}-${Date.now()}`);
    mkdirSync(directory, { recursive: true });
    patchS3rver();
    const s3 = new S3rver({ port: opts.ports?.s3 ?? 0, address: '127.0.0.1', silent: process.env.NGSP_S3RVER_LOG !== '1', directory, allowMismatchedSignatures: true, resetOnClose: !opts.dataDir });
    const addr = (await s3.run()) as { port: number };
    endpoints.s3 = `http://127.0.0.1:${addr.port}`;
    stops.push(() => s3.close());
    started.push('s3');
  }

  return {
    endpoints,
    started,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}

/**
 * Environment for processes that talk to the emulators through the SDK's standard settings.
 * s3rver accepts only the S3RVER credentials; fauxqs and dynalite accept any.
 */
export function emulatorEnv(endpoints: Endpoints, region: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
