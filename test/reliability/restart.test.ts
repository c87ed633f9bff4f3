/**
 * Restart (issue 8 §6): `npm start -- --no-demo`, with its own data directory and free ports,
 * is given events, which are ingested and rolled; then it is stopped with SIGTERM and started
 * again, and killed with SIGKILL (the whole process group: emulators and workers die at once)
 * and started again. Each time every stored report (the event table, item for item), every
 * rollup and rejected object (byte for byte), and the API keys are still there. A key file that
 * others can read makes `npm start` refuse to start.
 *
 * Messages still queued survive too: restart-queue.test.ts (its own file, so the two run side by
 * side). The helpers here are shared with it.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { rollRange } from '#shared/rollup.ts';
import type { StackJson } from '../../local/stack.ts';
import { RollupBucket } from '#shared/store/bucket.ts';
import { closeTarget, localTarget, storesOf, type Target } from '../../cli/target.ts';
import { toBodies } from '../helpers/messages.ts';
import { allEvents } from '../helpers/rollups.ts';
import { sendBodies, waitForEmptyQueue } from '../helpers/stack.ts';
import { generateStream } from '../helpers/stream.ts';

import { freePort, npmStart, stop, type Running } from './npm-start.ts';
import { FULL } from './support.ts';

/**
 * The event table, and the day's rollups and every rejected object. Only that day: the stack's own
 * schedule keeps rolling the current minutes meanwhile; and summary.json without generatedAt,
 * since the schedule may roll the day again (same figures, new time).
 */
async function snapshot(target: Target, day: string): Promise<{ items: Map<string, unknown>; objects: Map<string, string> }> {
  const items = new Map<string, unknown>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await target.clients.ddb.send(new ScanCommand({ TableName: target.tables.events!, ExclusiveStartKey: start }));
    for (const raw of page.Items ?? []) {
      const it = unmarshall(raw);
      items.set(String(it.pk), it);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const bucket = new RollupBucket(target.clients.s3, target.bucket);
  const objects = new Map<string, string>();
  const keys = [
    ...(await bucket.list(`rollups/minute/date=${day}/`)),
    ...(await bucket.list(`rollups/daily/date=${day}/`)),
    ...(await bucket.list('rejected/')),
  ];
  for (const key of keys) objects.set(key, (await bucket.get(key))!.replace(/"generatedAt":"[^"]*"/, ''));
  return { items, objects };
}

const day = '2023-02-14';

// The full reliability lane (npm run test:reliability): two npm start restarts, kept out of CI's 15 minutes.
describe.runIf(FULL)('npm start stopped and started again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ngsp-restart-'));
  const running: Running[] = [];
  afterAll(async () => {
    for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) await stop(r, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('given events ingested and rolled, when stopped with SIGTERM and then SIGKILL and started again each time, then every report, rollup, rejection and key is still there', async () => {
    // Prepare
    const env = {
      NGSP_LOCAL_DIR: dir,
      NGSP_SQS_PORT: String(await freePort()),
      NGSP_DYNAMODB_PORT: String(await freePort()),
      NGSP_S3_PORT: String(await freePort()),
      NGSP_API_PORT: String(await freePort()),
    };
    const t0 = Date.now();
    const first = await npmStart(env);
    running.push(first);
    expect(first.output()).toMatch(/^READY /m);
    const readyFirst = (Date.now() - t0) / 1000;
    const json = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackJson;
    expect(statSync(join(dir, 'keys.json')).mode & 0o777).toBe(0o600);
    let target = localTarget(json);
    const s = generateStream({
      seed: 31,
      prefix: 'rs',
      startMs: Date.parse(`${day}T10:00:00+07:00`),
      spanMs: 30 * 60_000,
      transactions: 200,
      duplicateShare: 0.1,
      invalidShare: 0.05,
      conflictShare: 0.01,
    });
    await sendBodies(target.clients.sqs, target.queueUrl, toBodies(allEvents(s), 2, 10));
    await waitForEmptyQueue(target.clients.sqs, target.queueUrl, 90_000);
    const deps = { ...storesOf(target), concurrency: 8 };
    await rollRange(Date.parse(`${day}T10:00:00+07:00`), Date.parse(`${day}T10:40:00+07:00`), deps);
    const before = await snapshot(target, day);
    closeTarget(target);
    expect(before.items.size).toBeGreaterThanOrEqual(200);
    expect([...before.objects.keys()].filter((k) => k.startsWith('rollups/minute/')).length).toBe(40);
    expect([...before.objects.keys()].filter((k) => k.startsWith('rollups/daily/')).length).toBe(3);
    expect([...before.objects.keys()].some((k) => k.startsWith('rejected/'))).toBe(true);

    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      // Act
      await stop(running.at(-1)!, signal);
      const again = await npmStart(env);
      running.push(again);
      expect(again.output(), `restart after ${signal}`).toMatch(/^READY /m);

      // Assess
      const json2 = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackJson;
      expect(json2.api.keys).toEqual(json.api.keys);
      target = localTarget(json2);
      const after = await snapshot(target, day);
      closeTarget(target);
      expect(after.items.size, signal).toBe(before.items.size);
      for (const [pk, item] of before.items) expect(after.items.get(pk), `${signal} ${pk}`).toEqual(item);
      expect([...after.objects.keys()].sort(), signal).toEqual([...before.objects.keys()].sort());
      for (const [k, v] of before.objects) expect(after.objects.get(k), `${signal} ${k}`).toBe(v);
    }
    console.log(
      `[restart] READY in ${readyFirst.toFixed(1)} s; ${before.items.size} items and ${before.objects.size} objects kept across SIGTERM and SIGKILL restarts`,
    );

    // And a key file that others can read: npm start refuses to start.
    await stop(running.at(-1)!, 'SIGTERM');
    chmodSync(join(dir, 'keys.json'), 0o644);
    const refused = await npmStart(env);
    running.push(refused);
    expect(await refused.exited).not.toBe(0);
    expect(refused.output()).toMatch(/can be read by other users.*chmod 600/);
    expect(refused.output()).not.toMatch(/^READY /m);
  }, 300_000);
});
