/**
 * Messages still queued survive a stop (issue 14 §2): 5,000 reports sent while no ingest worker
 * runs (`NGSP_FUNCTIONS=api,rollup`), so all of them are still queued; the whole process group of
 * `npm start` is SIGKILLed and started again (still without ingest: the queue holds every
 * message), then SIGTERMed and started with the ingest, and every report is counted exactly once
 * (the rollups equal the oracle). fauxqs 2.x keeps the queue in SQLite under `.local/sqs/`.
 * Before it (fauxqs 1.x, in memory) every one of these messages was lost.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rollRange } from '#shared/rollup.ts';
import type { StackJson } from '../../local/stack.ts';
import { closeTarget, localTarget, storesOf } from '../../cli/target.ts';
import { toBodies } from '../helpers/messages.ts';
import { allEvents, daysOf, expectDaysMatch } from '../helpers/rollups.ts';
import { queueDepth, sendBodies, waitForEmptyQueue } from '../helpers/stack.ts';
import { FULL } from './support.ts';
import { generateStream } from '../helpers/stream.ts';
import { freePort, npmStart, stop, type Running } from './npm-start.ts';

// The full reliability lane (npm run test:reliability): an npm start restart, kept out of CI's 15 minutes.
describe.runIf(FULL)('npm start with reports still queued', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ngsp-queued-'));
  const running: Running[] = [];
  afterAll(async () => {
    for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) await stop(r, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('given 5,000 reports queued and not consumed, when the stack is SIGKILLed and then SIGTERMed and started again each time, then none is lost and every report is counted exactly once', async () => {
    // Prepare: no ingest worker, so everything sent stays in the queue.
    const ports = {
      NGSP_SQS_PORT: String(await freePort()),
      NGSP_DYNAMODB_PORT: String(await freePort()),
      NGSP_S3_PORT: String(await freePort()),
      NGSP_API_PORT: String(await freePort()),
    };
    const paused = { NGSP_LOCAL_DIR: dir, ...ports, NGSP_FUNCTIONS: 'api,rollup' };
    const qday = '2023-03-08';
    const s = generateStream({
      seed: 57,
      prefix: 'rq',
      startMs: Date.parse(`${qday}T09:00:00+07:00`),
      spanMs: 60 * 60_000,
      transactions: 3300,
      duplicateShare: 0.1,
      invalidShare: 0.02,
      conflictShare: 0.01,
    });
    const reports = allEvents(s);
    expect(reports.length).toBeGreaterThanOrEqual(5000);
    const bodies = toBodies(reports, 5, 10);
    running.push(await npmStart(paused));
    const json = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackJson;
    let target = localTarget(json);
    await sendBodies(target.clients.sqs, target.queueUrl, bodies);
    expect(await queueDepth(target.clients.sqs, target.queueUrl)).toBe(bodies.length);
    closeTarget(target);

    const t0 = Date.now();
    // Act: SIGKILL and start again, still paused (the queue must hold every message); then SIGTERM
    // and start with the ingest, which drains it.
    await stop(running.at(-1)!, 'SIGKILL');
    const again = await npmStart(paused);
    running.push(again);
    expect(again.output(), 'restart after SIGKILL').toMatch(/^READY /m);
    target = localTarget(JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackJson);
    const afterKill = await queueDepth(target.clients.sqs, target.queueUrl);
    closeTarget(target);
    await stop(running.at(-1)!, 'SIGTERM');
    running.push(await npmStart({ NGSP_LOCAL_DIR: dir, ...ports }));
    target = localTarget(JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackJson);
    await waitForEmptyQueue(target.clients.sqs, target.queueUrl, 180_000);
    const deps = { ...storesOf(target), concurrency: 8 };
    const ingested = Date.now();
    await rollRange(Date.parse(`${qday}T08:50:00+07:00`), Date.parse(`${qday}T10:30:00+07:00`), deps);

    // Assess: nothing lost on either stop (after SIGTERM the ingest drains at once, so only the
    // counts can tell), and every report counted once.
    expect(afterKill).toBe(bodies.length);
    const checked = await expectDaysMatch(deps.bucket, daysOf(s.valid), s.valid, s.conflicts);
    closeTarget(target);
    console.log(
      `[restart] ${reports.length} reports in ${bodies.length} messages queued; after SIGKILL + restart ${afterKill} still queued; after SIGTERM + restart ${checked.transactions} transactions counted, = oracle (restarts ${((ingested - t0) / 1000).toFixed(0)} s incl. the drain, roll ${((Date.now() - ingested) / 1000).toFixed(0)} s)`,
    );
  }, 400_000);
});
