/**
 * The whole pipeline on this machine: emulators, resources, and one worker process per function
 * of the wiring table, each restarted if it dies (as Lambda would start a new container).
 * Used by `npm start` and by the integration tests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, RESOURCE_ENV, type FunctionDecl, type ResourceName } from '#infra/wiring.ts';
import { closeClients, makeClients, type Clients } from '#shared/store/clients.ts';
import { bootstrap, stackNames, type StackResources } from './bootstrap.ts';
import { emulatorEnv, startEmulators, type Endpoints, type RunningEmulators } from './emulators.ts';
// Issue 13: who sent each SQS message (a proxy in front of any emulator) and the local principals.
import { OPERATOR_CREDENTIALS, registerOperator, registerPlatformSender, withSenderProxy } from './senders.ts';
import type { SqsSenderProxy } from './sqs-proxy.ts';
import type { LocalCredentials, StackJson } from '#shared/stack-file.ts';

export type { StackJson };

export interface LocalStackOptions {
  /** Persistent data directory (`.local/` for npm start); undefined = throwaway. */
  dataDir?: string;
  /** Resource name prefix. @default 'ngsp' */
  prefix?: string;
  region?: string;
  ports?: Partial<Record<keyof Endpoints, number>>;
  /** Port of the local API. @default 0 (any free port) */
  apiPort?: number;
  /** Functions to run as workers. @default every function of the wiring table */
  functions?: FunctionDecl['name'][];
  /** Ingest queue visibility timeout; defaults to 6x the ingest timeout, as in AWS. */
  visibilityTimeoutSeconds?: number;
  /** Extra environment for every worker (settings overrides, e.g. LATENESS_SECONDS). */
  workerEnv?: Record<string, string>;
  /** Respect AWS_ENDPOINT_URL_* from the environment. @default true */
  useEnvironment?: boolean;
  /** Print worker output. @default false */
  verbose?: boolean;
  /**
   * Services to use instead of starting an emulator (like AWS_ENDPOINT_URL_*, without touching
   * the environment): e.g. a fault-injecting proxy in front of an emulator started elsewhere.
   */
  endpoints?: Partial<Endpoints>;
  /** Receives every worker's stdout and stderr (tests that check what is logged). */
  onWorkerOutput?: (fn: FunctionDecl['name'], text: string) => void;
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export class LocalStack {
  private readonly workers = new Map<FunctionDecl['name'], ChildProcess>();
  private readonly everReady = new Set<FunctionDecl['name']>();
  private stopping = false;
  readonly env: NodeJS.ProcessEnv;
  readonly clients: Clients;
  apiUrl = '';

  private constructor(
    readonly opts: LocalStackOptions,
    readonly emulators: RunningEmulators,
    readonly resources: StackResources,
    readonly region: string,
    /** The SQS front that stamps each message's sender (local/sqs-proxy.ts). */
    readonly sqsProxy: SqsSenderProxy,
  ) {
    this.env = emulatorEnv(emulators.endpoints, region);
    this.clients = makeLocalClients(emulators.endpoints, region);
  }

  static async start(opts: LocalStackOptions = {}): Promise<LocalStack> {
    const region = opts.region ?? 'ap-southeast-1';
    const given = opts.endpoints ?? {};
    const raw = await startEmulators({
      dataDir: opts.dataDir,
      // The sender proxy takes the SQS port; the emulator behind it any free one.
      ports: { ...opts.ports, sqs: 0 },
      ...(opts.endpoints
        ? {
            useEnvironment: true,
            env: {
              ...(given.sqs ? { AWS_ENDPOINT_URL_SQS: given.sqs } : {}),
              ...(given.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: given.dynamodb } : {}),
              ...(given.s3 ? { AWS_ENDPOINT_URL_S3: given.s3 } : {}),
            },
          }
        : { useEnvironment: opts.useEnvironment }),
    });
    const { emulators, proxy } = await withSenderProxy(raw, opts.ports?.sqs).catch(async (err: unknown) => {
      await raw.stop();
      throw err;
    });
    try {
      const clients = makeLocalClients(emulators.endpoints, region);
      const resources = await bootstrap(clients, stackNames(opts.prefix ?? 'ngsp'), {
        visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds,
      });
      await registerOperator(clients.ddb, resources.names.tables.Keys);
      const stack = new LocalStack(opts, emulators, resources, region, proxy);
      for (const name of opts.functions ?? FUNCTIONS.map((f) => f.name)) await stack.startWorker(name);
      return stack;
    } catch (err) {
      await emulators.stop();
      throw err;
    }
  }

  /** Value of each bindable resource, as its environment variable carries it. */
  resourceValue(resource: ResourceName): string {
    const n = this.resources.names;
    switch (resource) {
      case 'eventsTable':
        return n.tables.Events;
      case 'statsTable':
        return n.tables.Stats;
      case 'keysTable':
        return n.tables.Keys;
      case 'bucket':
        return n.bucket;
      case 'ingestQueue':
        return this.resources.queueUrl;
      case 'deadLetterQueue':
        return this.resources.dlqUrl;
    }
  }

  /** The environment a function sees: emulator endpoints, its bound resources, its settings. */
  functionEnv(decl: FunctionDecl): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...this.env,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? (this.opts.verbose ? 'INFO' : 'WARN'),
      ...decl.settings,
      ...(this.opts.apiPort !== undefined ? { NGSP_API_PORT: String(this.opts.apiPort) } : { NGSP_API_PORT: '0' }),
      ...this.opts.workerEnv,
    };
    for (const b of decl.binds) env[RESOURCE_ENV[b.resource]] = this.resourceValue(b.resource);
    // The event source mapping's queue: in AWS the mapping knows it; locally the poller does.
    if (decl.trigger.kind === 'sqs') env.NGSP_TRIGGER_QUEUE_URL = this.resourceValue(decl.trigger.queue);
    return env;
  }

  /** Starts (or restarts) a function's worker; resolves once it is serving. */
  async startWorker(name: FunctionDecl['name']): Promise<void> {
    const decl = FUNCTIONS.find((f) => f.name === name);
    if (!decl) throw new Error(`unknown function ${name}`);
    const child = fork(WORKER, [name], {
      env: this.functionEnv(decl),
      execArgv: ['--import', 'tsx'],
      stdio: this.opts.verbose ? 'inherit' : ['ignore', this.opts.onWorkerOutput ? 'pipe' : 'ignore', 'pipe', 'ipc'],
    });
    const sink = this.opts.onWorkerOutput;
    if (sink) {
      child.stdout?.on('data', (d: Buffer) => sink(name, d.toString()));
      child.stderr?.on('data', (d: Buffer) => sink(name, d.toString()));
    }
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    this.workers.set(name, child);
    const ready = new Promise<void>((resolve, reject) => {
      const want = decl.trigger.kind === 'http' ? 'listening' : 'ready';
      child.on('message', (m: { type?: string; url?: string }) => {
        if (m.type === 'listening' && m.url) this.apiUrl = m.url;
        if (m.type === want) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}) before it was ready: ${stderr}`)));
    });
    // Registered before `ready`: a worker killed while it starts up is restarted too. Only a
    // function that never came up the first time is not (its error goes to the caller).
    child.on('exit', (code, signal) => {
      if (this.workers.get(name) !== child || this.stopping) return;
      this.workers.delete(name);
      if (!this.everReady.has(name)) return;
      if (this.opts.verbose) console.error(`worker ${name} exited (${code ?? signal}); restarting`);
      setTimeout(() => {
        if (!this.stopping && !this.workers.has(name))
          void this.startWorker(name).catch((err) => this.opts.verbose && console.error(String(err)));
      }, 500);
    });
    await ready;
    this.everReady.add(name);
  }

  /** The worker process of a function (tests kill it to prove nothing is lost). */
  worker(name: FunctionDecl['name']): ChildProcess | undefined {
    return this.workers.get(name);
  }

  /** Waits until the supervisor has a running worker for the function again. */
  async waitForWorker(name: FunctionDecl['name'], timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.workers.get(name)?.connected) {
      if (Date.now() > end) throw new Error(`worker ${name} did not come back`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Gives a platform a sending credential of its own (registered; the proxy knows its secret). */
  async addPlatformSender(platformId: string, creds?: LocalCredentials): Promise<LocalCredentials & { senderId: string }> {
    return registerPlatformSender(this.clients.ddb, this.resources.names.tables.Keys, this.sqsProxy, platformId, creds);
  }

  stackJson(keys: StackJson['api']['keys'], senders: Record<string, LocalCredentials> = {}): StackJson {
    const n = this.resources.names;
    const queueUrl = this.resources.queueUrl;
    return {
      region: this.region,
      credentials: { ...OPERATOR_CREDENTIALS },
      sqs: {
        endpoint: this.emulators.endpoints.sqs,
        queueUrl,
        dlqUrl: this.resources.dlqUrl,
        senders: Object.fromEntries(
          Object.entries(senders).map(([p, c]) => [p, { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, queueUrl }]),
        ),
      },
      s3: { endpoint: this.emulators.endpoints.s3, bucket: n.bucket },
      dynamodb: {
        endpoint: this.emulators.endpoints.dynamodb,
        tables: { events: n.tables.Events, stats: n.tables.Stats, keys: n.tables.Keys },
      },
      api: { url: this.apiUrl, keys },
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 4000).unref();
          }),
      ),
    );
    this.workers.clear();
    closeClients(this.clients);
    await this.emulators.stop();
  }
}

/** SDK clients pointed at the given endpoints, as the operator (explicitly, so tests need not touch process.env). */
export function makeLocalClients(endpoints: Endpoints, region: string): Clients {
  return makeClients({ endpoints, region, credentials: OPERATOR_CREDENTIALS, maxAttempts: 4 });
}
