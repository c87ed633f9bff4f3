/**
 * Figure 5 (a child process with its own local stack, so it can run beside the other figures):
 * time from sending a report stamped "now" to seeing it in `/v1/metrics/minutes`, through the
 * whole pipeline — ingest worker, scheduled rollup worker, API worker — with the given lateness
 * window and schedule. Each sample has its own serviceCode so samples never see each other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { KeyStore } from '#shared/store/api-keys.ts';
import { MINUTE_MS, minuteKeyOf, minuteStartMs, toIct } from '#shared/time.ts';
import { LocalStack } from '../local/stack.ts';
import { childMain, sleep } from './lib.ts';

export interface FreshnessInput {
  samples: number;
  /** Between two samples' sends, so they sit at different seconds of their minutes. */
  gapMs: number;
  /** Undefined: the wiring table's defaults (LATENESS_SECONDS 120, schedule every 60 s). */
  latenessSeconds?: number;
  scheduleSeconds?: number;
  timeoutMs: number;
}

export interface FreshnessSample {
  sentAt: string;
  /** Seconds into its minute when the report was sent. */
  secondOfMinute: number;
  visibleAfterMs: number;
}

export interface FreshnessOutput {
  latenessSeconds: number;
  scheduleSeconds: number;
  samples: FreshnessSample[];
}

childMain<FreshnessInput, FreshnessOutput>(async (input) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ngsp-bench-fresh-'));
  const workerEnv: Record<string, string> = { THROTTLE_LIMIT: '1000000', NGSP_POLL_WAIT_SECONDS: '1' };
  if (input.latenessSeconds !== undefined) workerEnv.LATENESS_SECONDS = String(input.latenessSeconds);
  if (input.scheduleSeconds !== undefined) workerEnv.NGSP_SCHEDULE_SECONDS = String(input.scheduleSeconds);
  const stack = await LocalStack.start({
    prefix: `f${Date.now().toString(36)}`,
    dataDir,
    useEnvironment: false,
    workerEnv,
    functions: ['ingest', 'rollup', 'api'],
  });
  try {
    const { key } = await new KeyStore(stack.clients.ddb, stack.resources.names.tables.Keys).create('analyst');
    const sample = async (i: number): Promise<FreshnessSample> => {
      await sleep(i * input.gapMs);
      const now = Date.now();
      const minute = minuteKeyOf(now);
      const serviceCode = `bench.freshness.${i}`;
      const event = {
        eventId: `fresh-${now}-${i}`,
        reporter: { platformId: 'NGSP', role: 'CONSUMER' },
        route: 'NGSP',
        consumer: { orgCode: 'BENCH', systemCode: 'FRESH' },
        provider: { orgCode: 'BENCH', systemCode: 'TARGET' },
        serviceCode,
        requestAt: toIct(now),
        responseAt: toIct(now + 40),
        succeeded: true,
      };
      const t0 = performance.now();
      await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: stack.resources.queueUrl, MessageBody: JSON.stringify(event) }));
      const from = encodeURIComponent(toIct(minuteStartMs(minute)));
      const to = encodeURIComponent(toIct(minuteStartMs(minute) + MINUTE_MS));
      const url = `${stack.apiUrl}/v1/metrics/minutes?from=${from}&to=${to}&serviceCode=${serviceCode}`;
      while (performance.now() - t0 < input.timeoutMs) {
        const res = await fetch(url, { headers: { 'x-api-key': key } });
        if (res.ok) {
          const body = (await res.json()) as { points: { transactions: number }[] };
          if ((body.points[0]?.transactions ?? 0) >= 1) {
            return {
              sentAt: toIct(now),
              secondOfMinute: Math.round((now - minuteStartMs(minute)) / 100) / 10,
              visibleAfterMs: Math.round(performance.now() - t0),
            };
          }
        }
        await sleep(500);
      }
      throw new Error(`sample ${i} not visible after ${input.timeoutMs} ms`);
    };
    const samples = await Promise.all(Array.from({ length: input.samples }, (_, i) => sample(i)));
    return { latenessSeconds: input.latenessSeconds ?? 120, scheduleSeconds: input.scheduleSeconds ?? 60, samples };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
