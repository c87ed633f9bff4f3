/**
 * Issue 16 part 6 against the real local stack (emulators, ingest and api workers): a platform
 * added with `ngsp platforms add` is accepted from then on by POST /v1/events and by the ingest
 * function behind it, and after `ngsp platforms retire` its reports of later days are rejected
 * while those of days it was in force still count. The workers' registry cache is set to 0 s here
 * (60 s in the wiring table) so the test need not wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore } from '#shared/store/api-keys.ts';
import { transactionKeyOf } from '#shared/report.ts';
import { dayOf, DAY_MS } from '#shared/time.ts';
import { addPlatform, listPlatforms, retirePlatform } from '../../cli/commands/platforms.ts';
import { closeTarget, localTarget, type Target } from '../../cli/target.ts';
import { waitForEmptyQueue } from '../helpers/stack.ts';
import { sampleEvent } from '../helpers/sample-event.ts';
import { call, startApiStack, type ApiStack } from './api-fixtures.ts';

const ID = 'LGSP-DPQG';
const io = { out: () => undefined, note: () => undefined, progress: false };

describe('platforms registry of a running stack', () => {
  let t: ApiStack;
  let target: Target;
  let key: string;
  const now = Date.now();
  const today = dayOf(now);
  const yesterday = dayOf(now - DAY_MS);

  beforeAll(async () => {
    t = await startApiStack([], { PLATFORMS_CACHE_SECONDS: '0' });
    target = localTarget(t.stack.stackJson({ analyst: '', ops: '', lgsp: {} }), 'test stack');
    // A key bound to the platform before it exists (the store does not check; keys create does).
    key = (await new KeyStore(t.stack.clients.ddb, t.stack.resources.names.tables.Keys).create('lgsp', ID)).key;
  });
  afterAll(async () => {
    if (target) await closeTarget(target);
    await t?.stop();
  });

  const post = (eventId: string, atMs: number) =>
    call(t.url, 'POST', '/v1/events', { key, body: JSON.stringify(sampleEvent(ID, eventId, atMs)) });

  it('given a platform unknown, then added, then retired, when it posts, then rejected, counted, rejected for later days only', async () => {
    const before = await post('before-add', now - 60_000);
    expect(before.status).toBe(202);
    expect(before.json).toEqual({
      accepted: 0,
      rejected: [{ index: 0, errors: [{ path: 'reporter.platformId', message: `"${ID}" is not a registered platform` }] }],
    });

    await addPlatform(target, { id: ID, kind: 'national', name: 'Nền tảng điều phối quốc gia', from: yesterday }, io);
    const rows = await listPlatforms(target, { json: true }, io);
    expect(rows.find((r) => r.platformId === ID)).toMatchObject({
      validFrom: yesterday,
      validUntil: null,
      status: 'in force',
      source: 'ops',
    });

    const afterAdd = await post('after-add', now - 60_000);
    expect(afterAdd.json).toEqual({ accepted: 1, rejected: [] });
    // The ingest function behind the API judges by the same registry: the report is stored. (It
    // judges when it takes the message: a retirement in between would reject it, as docs/operations.md says.)
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl, 30_000);
    const stored = async (eventId: string, at: number) =>
      (await t.events.getTransaction(transactionKeyOf(sampleEvent(ID, eventId, at))))?.consumer?.eventId;
    expect(await stored('after-add', now - 60_000)).toBe('after-add');

    await retirePlatform(target, ID, { until: yesterday }, io);
    const late = await post('after-retire', now - 60_000);
    expect(late.json.rejected[0].errors).toEqual([
      { path: 'reporter.platformId', message: `"${ID}" was not in force on ${today} (the date of requestAt)` },
    ]);
    const backfill = await post('backfill', now - DAY_MS);
    expect(backfill.json).toEqual({ accepted: 1, rejected: [] });
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl, 30_000);
    expect(await stored('backfill', now - DAY_MS)).toBe('backfill');
    // Retiring is not retroactive: what was counted stays counted.
    expect(await stored('after-add', now - 60_000)).toBe('after-add');
  });
});
