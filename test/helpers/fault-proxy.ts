/**
 * A fault-injecting HTTP proxy (plain node:http, 127.0.0.1 only) to put in front of an emulator.
 * On a set share of requests it answers with the service's own throttling error, a 500, adds
 * latency, or drops the connection — either before forwarding (the write never happened) or
 * after (the write happened, the client saw a failure: the nastiest case for idempotency).
 * Decisions come from a seeded PRNG so a failing run can be replayed.
 */
import {
  createServer,
  request as httpRequest,
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { rng } from './stream.ts';

/** `denied`: the service's AccessDenied answer (an IAM or KMS misconfiguration, not a transient fault). */
export type FaultKind = 'throttle' | 'error500' | 'latency' | 'drop' | 'denied';

export interface FaultRule {
  kind: FaultKind;
  /** Share of matching requests hit, 0..1. */
  share: number;
  /** Before forwarding (nothing reaches the emulator) or after (it did, the answer is lost). */
  when: 'before' | 'after';
  /** For `latency`: added delay, uniform in [min, max] ms. @default [100, 400] */
  latencyMs?: [number, number];
  /** Only these operations (X-Amz-Target name, or the HTTP method for S3). @default all */
  operations?: string[];
  /** An outage instead of a share: the next `times` matching requests are hit (share ignored). */
  times?: number;
  /** Only requests whose body contains this text (e.g. a key prefix). @default any */
  bodyIncludes?: string;
}

/** What one request looks like to a hook: the service, the operation, the S3 key. */
export interface RequestInfo {
  method: string;
  /** DynamoDB/SQS: the X-Amz-Target operation (e.g. `UpdateItem`); S3: `METHOD /bucket/key`. */
  operation: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface FaultProxyOptions {
  /** The emulator's base URL (http://127.0.0.1:PORT). */
  target: string;
  service: 'dynamodb' | 's3' | 'sqs';
  seed?: number;
  /** Called before a request is forwarded (and before any fault); may delay it, or answer 'drop' to cut it off unforwarded. */
  onRequest?: (info: RequestInfo) => void | 'drop' | Promise<void | 'drop'>;
  /** Called with every upstream answer that reaches the client unchanged. */
  onResponse?: (info: RequestInfo, status: number, body: Buffer) => void;
}

export interface FaultStats {
  requests: number;
  injected: Record<`${FaultKind}:${'before' | 'after'}`, number>;
}

function emptyStats(): FaultStats {
  return {
    requests: 0,
    injected: {
      'throttle:before': 0,
      'throttle:after': 0,
      'error500:before': 0,
      'error500:after': 0,
      'latency:before': 0,
      'latency:after': 0,
      'drop:before': 0,
      'drop:after': 0,
      'denied:before': 0,
      'denied:after': 0,
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export class FaultProxy {
  private rules: FaultRule[] = [];
  private server!: Server;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly random: () => number;
  stats: FaultStats = emptyStats();
  url = '';

  private constructor(private readonly opts: FaultProxyOptions) {
    this.random = rng(opts.seed ?? 1);
  }

  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(opts);
    proxy.server = createServer((req, res) => void proxy.handle(req, res));
    proxy.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** Replaces the fault rules (an empty list: a transparent proxy) and resets the counters. */
  set(rules: FaultRule[]): FaultStats {
    const before = this.stats;
    this.rules = rules.map((r) => ({ ...r }));
    this.stats = emptyStats();
    return before;
  }

  private pick(info: RequestInfo): FaultRule | undefined {
    // One draw per request: the shares of the rules that match add up (keep their sum <= 1).
    const x = this.random();
    let acc = 0;
    const matches = (r: FaultRule): boolean =>
      (!r.operations || r.operations.includes(info.operation) || r.operations.includes(info.method)) &&
      (!r.bodyIncludes || info.body.includes(r.bodyIncludes));
    for (const r of this.rules) {
      if (r.times !== undefined && r.times > 0 && matches(r)) {
        r.times--;
        return r;
      }
    }
    for (const r of this.rules) {
      if (r.times !== undefined || !matches(r)) continue;
      acc += r.share;
      if (x < acc) return r;
    }
    return undefined;
  }

  private operation(req: IncomingMessage): string {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
    return `${req.method} ${(req.url ?? '').split('?')[0]}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = await readAll(req);
      const info: RequestInfo = {
        method: req.method ?? 'GET',
        operation: this.operation(req),
        path: req.url ?? '/',
        headers: req.headers,
        body,
      };
      this.stats.requests++;
      if ((await this.opts.onRequest?.(info)) === 'drop') {
        req.socket.destroy();
        return;
      }
      const rule = this.pick(info);
      if (rule) this.stats.injected[`${rule.kind}:${rule.when}`]++;
      if (rule?.when === 'before' && (await this.inject(rule, req, res))) return;
      const upstream = await this.forward(req, body);
      if (rule?.when === 'after' && (await this.inject(rule, req, res))) return;
      this.opts.onResponse?.(info, upstream.status, upstream.body);
      res.writeHead(upstream.status, upstream.headers);
      res.end(upstream.body);
    } catch {
      // The emulator went away (test teardown) or the client hung up: drop the connection.
      req.socket.destroy();
    }
  }

  /** Applies a fault; true when the request is answered (or dropped) and must go no further. */
  private async inject(rule: FaultRule, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    switch (rule.kind) {
      case 'latency': {
        const [lo, hi] = rule.latencyMs ?? [100, 400];
        await sleep(lo + this.random() * (hi - lo));
        return false;
      }
      case 'drop':
        req.socket.destroy();
        return true;
      case 'throttle':
      case 'denied':
      case 'error500': {
        const { status, headers, body } = this.errorAnswer(rule.kind, req.method === 'HEAD');
        res.writeHead(status, headers);
        res.end(body);
        return true;
      }
    }
  }

  /** The service's own error answer, as AWS sends it. */
  private errorAnswer(
    kind: 'throttle' | 'error500' | 'denied',
    head: boolean,
  ): { status: number; headers: Record<string, string>; body: string } {
    const requestId = `fault-${Math.floor(this.random() * 1e9)}`;
    if (kind === 'denied') {
      if (this.opts.service === 's3') {
        const body = head
          ? ''
          : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>${requestId}</RequestId></Error>`;
        return { status: 403, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId }, body };
      }
      const type =
        this.opts.service === 'dynamodb' ? 'com.amazon.coral.service#AccessDeniedException' : 'com.amazonaws.sqs#AccessDeniedException';
      const message =
        'User: arn:aws:sts::123456789012:assumed-role/ingest/fn is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:ap-southeast-1:123456789012:table/Events because no identity-based policy allows the dynamodb:UpdateItem action';
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
        body: JSON.stringify({ __type: type, Message: message }),
      };
    }
    if (this.opts.service === 's3') {
      const [status, code, message] =
        kind === 'throttle'
          ? [503, 'SlowDown', 'Please reduce your request rate.']
          : [500, 'InternalError', 'We encountered an internal error. Please try again.'];
      const body = head
        ? ''
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;
      return { status, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId }, body };
    }
    const [status, type, message] =
      kind === 'throttle'
        ? this.opts.service === 'dynamodb'
          ? [
              400,
              'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
              'The level of configured provisioned throughput for the table was exceeded.',
            ]
          : [400, 'com.amazonaws.sqs#ThrottlingException', 'Rate exceeded']
        : [500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal server error'];
    return {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
      body: JSON.stringify({ __type: type, message }),
    };
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const target = new URL(this.opts.target);
    return new Promise((resolve, reject) => {
      const up = httpRequest(
        // The client's Host header is kept: SigV4 signed it, and fauxqs builds queue URLs from it
        // (so a queue made through the proxy is then reached through the proxy too).
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
        (upRes) => {
          readAll(upRes)
            .then((b) => {
              const headers = { ...upRes.headers };
              // The body is sent whole, with its length: no chunked framing left from upstream.
              if (req.method !== 'HEAD') {
                delete headers['transfer-encoding'];
                headers['content-length'] = String(b.length);
              }
              resolve({ status: upRes.statusCode ?? 502, headers, body: b });
            })
            .catch(reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
