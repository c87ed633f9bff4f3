/**
 * Child process of the API benchmark: `concurrency` clients (keep-alive, one request at a time
 * each) call each route in turn; latency of every request, from send to the last body byte.
 * Runs apart from the emulators' process so the clients do not slow the server they measure.
 */
import { Agent, request } from 'node:http';
import { childMain } from './lib.ts';

export interface HttpLoadInput {
  baseUrl: string;
  apiKey: string;
  routes: { name: string; path: string }[];
  concurrency: number;
  requestsPerRoute: number;
  warmupPerRoute: number;
  /** Stop a route's clients after this long even if requests are left. */
  maxMsPerRoute: number;
}

export interface HttpLoadOutput {
  routes: { name: string; latenciesMs: number[]; errors: number; bytes: number; wallMs: number }[];
}

function get(agent: Agent, url: URL, apiKey: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { 'x-api-key': apiKey } }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

childMain<HttpLoadInput, HttpLoadOutput>(async (input) => {
  const agent = new Agent({ keepAlive: true, maxSockets: input.concurrency });
  const out: HttpLoadOutput = { routes: [] };
  for (const route of input.routes) {
    const url = new URL(route.path, input.baseUrl);
    for (let i = 0; i < input.warmupPerRoute; i++) await get(agent, url, input.apiKey);
    const latencies: number[] = [];
    let errors = 0;
    let bytes = 0;
    let left = input.requestsPerRoute;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: input.concurrency }, async () => {
        while (left > 0 && performance.now() - t0 < input.maxMsPerRoute) {
          left--;
          const t = performance.now();
          try {
            const r = await get(agent, url, input.apiKey);
            latencies.push(performance.now() - t);
            bytes = r.bytes;
            if (r.status !== 200) errors++;
          } catch {
            errors++;
          }
        }
      }),
    );
    out.routes.push({ name: route.name, latenciesMs: latencies, errors, bytes, wallMs: performance.now() - t0 });
  }
  agent.destroy();
  return out;
});
