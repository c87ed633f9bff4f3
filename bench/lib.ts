/**
 * Shared pieces of the benchmarks: request counting (in-process hook and the worker files of
 * `NGSP_COUNT_REQUESTS`), percentiles, memory sampling, a bounded pool, forking bench children.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clients, ClientHook } from '#shared/store/clients.ts';

export type Counts = Record<string, number>;

/** DynamoDB operations that consume write capacity. */
export const DDB_WRITES = new Set(['UpdateItem', 'PutItem', 'BatchWriteItem', 'DeleteItem', 'TransactWriteItems']);
/** DynamoDB operations that consume read capacity. */
export const DDB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
/** S3 operations billed at the PUT/COPY/POST/LIST price. */
export const S3_PUT_CLASS = new Set([
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'ListObjectsV2',
  'ListObjects',
]);

/** A request counter as an SDK client hook: counts each attempt per `service:Operation`. */
export class RequestCounter {
  counts: Counts = {};

  readonly hook: ClientHook = (client, service) => {
    type Next = (args: unknown) => Promise<unknown>;
    type Stack = { add(mw: (next: Next, context: { commandName?: string }) => Next, opts: { step: 'deserialize'; name: string }): void };
    (client.middlewareStack as unknown as Stack).add(
      (next, context) => (args) => {
        const key = `${service}:${String(context.commandName ?? 'unknown').replace(/Command$/, '')}`;
        this.counts[key] = (this.counts[key] ?? 0) + 1;
        return next(args);
      },
      { step: 'deserialize', name: 'benchRequestCounter' },
    );
  };

  /** Installs the counter on a set of clients (e.g. those of `makeLocalClients`). */
  install(c: Clients): Clients {
    this.hook(c.ddb, 'dynamodb');
    this.hook(c.s3, 's3');
    this.hook(c.sqs, 'sqs');
    return c;
  }

  reset(): void {
    this.counts = {};
  }

  snapshot(): Counts {
    return { ...this.counts };
  }
}

/** Counts written by worker processes under `NGSP_COUNT_REQUESTS=<prefix>`, by function name. */
export function readWorkerCounts(prefix: string): Record<string, Counts> {
  const dir = dirname(prefix);
  const base = basename(prefix);
  const out: Record<string, Counts> = {};
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(`${base}-`) || !f.endsWith('.json')) continue;
    const data = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { argv: string[]; counts: Counts };
    const fn = data.argv.at(-1) ?? 'unknown';
    out[fn] = addCounts(out[fn] ?? {}, data.counts);
  }
  return out;
}

export function addCounts(a: Counts, b: Counts): Counts {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function diffCounts(after: Counts, before: Counts): Counts {
  const out: Counts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

export interface RequestClasses {
  ddbWrites: number;
  ddbReads: number;
  sqs: number;
  s3Puts: number;
  s3Other: number;
}

export function classify(c: Counts): RequestClasses {
  const out: RequestClasses = { ddbWrites: 0, ddbReads: 0, sqs: 0, s3Puts: 0, s3Other: 0 };
  for (const [k, n] of Object.entries(c)) {
    const [service, op] = k.split(':') as [string, string];
    if (service === 'dynamodb') {
      if (DDB_WRITES.has(op)) out.ddbWrites += n;
      else if (DDB_READS.has(op)) out.ddbReads += n;
    } else if (service === 'sqs') out.sqs += n;
    else if (service === 's3') {
      if (S3_PUT_CLASS.has(op)) out.s3Puts += n;
      else out.s3Other += n;
    }
  }
  return out;
}

/** Nearest-rank percentile of unsorted numbers. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Samples this process's memory every `everyMs` and keeps the peaks. */
export class MemorySampler {
  peakRss = 0;
  peakHeap = 0;
  private timer: NodeJS.Timeout | undefined;

  start(everyMs = 20): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    return this;
  }

  sample(): void {
    const m = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.peakHeap = Math.max(this.peakHeap, m.heapUsed);
  }

  stop(): { peakRssMb: number; peakHeapMb: number } {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return { peakRssMb: mb(this.peakRss), peakHeapMb: mb(this.peakHeap) };
  }
}

export const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

export { pool } from '#shared/pool.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it is true; throws after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** 1-minute load average of the machine, rounded (other users' tests share the cores). */
export const load1 = (): number => Math.round(loadavg()[0]! * 100) / 100;

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * Runs a bench child script (bench/<file>) in its own Node process with tsx, sends it `input`
 * and resolves with the one message it sends back. Bounded by `timeoutMs`.
 */
export function runChild<I, O>(
  file: string,
  input: I,
  opts: { env?: NodeJS.ProcessEnv; timeoutMs: number; execArgv?: string[] },
): Promise<O> {
  return new Promise<O>((resolve, reject) => {
    const child = fork(join(BENCH_DIR, file), [], {
      execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`${file} did not finish within ${timeoutMs(opts.timeoutMs)}`));
    }, opts.timeoutMs);
    child.on('message', (m: { ok: boolean; result?: O; error?: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.disconnect();
      if (m.ok) resolve(m.result as O);
      else reject(new Error(`${file}: ${m.error}`));
    });
    child.on('exit', (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${file} exited (${code}) without a result`));
    });
    child.send(input as object);
  });
}

const timeoutMs = (ms: number): string => `${Math.round(ms / 1000)} s`;

/** The child side of `runChild`: receives the input, runs `main`, sends the result back, exits. */
export function childMain<I, O>(main: (input: I) => Promise<O>): void {
  process.once('message', (input: I) => {
    main(input).then(
      (result) => process.send!({ ok: true, result }, () => process.exit(0)),
      (err: unknown) => process.send!({ ok: false, error: err instanceof Error ? err.stack : String(err) }, () => process.exit(1)),
    );
  });
}
