/**
 * The platforms registry of a running stack (issue 16 part 6): the rules of `platforms add` and
 * `platforms retire` (every broken rule a named field and a reason), the registry they give,
 * the cache, and validation on both paths (ingest, POST /v1/events) over in-memory fakes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { postEvents } from '#shared/api/events.ts';
import { RejectionReader } from '#shared/api/rejections.ts';
import type { RollupBucket } from '#shared/store/bucket.ts';
import { ingestBatch } from '#shared/ingest.ts';
import {
  EMPTY_STORED,
  effectivePlatforms,
  LivePlatforms,
  planAdd,
  planRetire,
  registryOf,
  type StoredPlatforms,
} from '#shared/platforms.ts';
import { defaultRegistry } from '#shared/registry.ts';
import { SenderDirectory } from '#shared/sender.ts';
import { FakeIngestStores } from '../helpers/fakes.ts';
import { sampleEvent } from '../helpers/sample-event.ts';

const AT = '2026-01-02T03:04:05.000Z';
const NEW = { platformId: 'LGSP-DPQG', kind: 'national', name: 'Nền tảng điều phối quốc gia', validFrom: '2026-01-01' };

/** A fake of shared/store/platforms.ts: the same version rule, counted reads. */
class FakePlatformStore {
  state: StoredPlatforms = EMPTY_STORED;
  reads = 0;
  failReads = false;
  async read(): Promise<StoredPlatforms> {
    this.reads++;
    if (this.failReads) throw new Error('ProvisionedThroughputExceededException (fake)');
    return this.state;
  }
  apply(result: ReturnType<typeof planAdd>): void {
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    this.state = { ...result.stored, version: result.stored.version + 1 };
  }
}

const ok = (r: ReturnType<typeof planAdd>) => {
  if (!r.ok) throw new Error(`expected a change, got ${JSON.stringify(r.errors)}`);
  return r;
};
const errorsOf = (r: ReturnType<typeof planAdd>) => (r.ok ? [] : r.errors);

describe('platforms add: input rules', () => {
  it('given a new platform, when added, then it is in force from validFrom and unknown before', () => {
    const r = ok(planAdd(EMPTY_STORED, NEW, AT));
    expect(r.entry).toEqual({ ...NEW, validUntil: null });
    expect(r.stored.log).toEqual([{ at: AT, action: 'add', platformId: 'LGSP-DPQG', validFrom: '2026-01-01', validUntil: null }]);
    const reg = registryOf(r.stored.entries);
    expect(reg.isPlatformValid('LGSP-DPQG', '2026-01-01')).toBe(true);
    expect(reg.isPlatformValid('LGSP-DPQG', '2025-12-31')).toBe(false);
    expect(defaultRegistry.knowsPlatform('LGSP-DPQG')).toBe(false);
    // The seed's platforms are all still there.
    expect(reg.platformIds()).toEqual([...defaultRegistry.platformIds(), 'LGSP-DPQG'].sort());
  });

  it.each([
    [{ ...NEW, platformId: 'lgsp-x' }, 'platformId', /NGSP or LGSP-/],
    [{ ...NEW, kind: 'agency' }, 'kind', /national, province, ministry/],
    [{ ...NEW, name: '' }, 'name', /fewer than 1|must NOT have fewer/],
    [{ platformId: 'LGSP-X', kind: 'ministry', validFrom: '2026-01-01' }, 'name', /is required/],
    [{ ...NEW, validFrom: '2026-02-30' }, 'validFrom', /calendar day/],
    [{ ...NEW, validUntil: '2025-12-31' }, 'validUntil', /before validFrom \(2026-01-01\)/],
    [{ ...NEW, kind: 'province', platformId: 'LGSP-99' }, 'provinceCode', /required for a province/],
    [
      { ...NEW, kind: 'province', platformId: 'LGSP-99', provinceCode: '99' },
      'provinceCode',
      /"99" is not a province code in force on 2026-01-01/,
    ],
    [{ ...NEW, provinceCode: '79' }, 'provinceCode', /only for a province platform/],
    [{ ...NEW, colour: 'red' }, 'colour', /not a field/],
  ])('given a bad input %j, when added, then the field %s is named with a reason', (input, path, message) => {
    const errors = errorsOf(planAdd(EMPTY_STORED, input, AT));
    expect(errors.map((e) => e.path)).toContain(path);
    expect(errors.find((e) => e.path === path)!.message).toMatch(message);
  });

  it('given a platform of the seed in force (open), when added again, then the overlap is named and nothing changes', () => {
    const errors = errorsOf(planAdd(EMPTY_STORED, { ...NEW, platformId: 'LGSP-BNV', kind: 'ministry' }, AT));
    expect(errors).toEqual([
      { path: 'validFrom', message: expect.stringMatching(/LGSP-BNV 2026-01-01 \.\. \(open\) overlaps its entry \(open\) \.\. \(open\)/) },
    ]);
  });

  it('given a retired seed platform, when a new period after its end is added, then both periods hold and the gap does not', () => {
    const r = ok(
      planAdd(EMPTY_STORED, { platformId: 'LGSP-BTTTT', kind: 'ministry', name: 'Bộ TT&TT (lại)', validFrom: '2026-01-01' }, AT),
    );
    const reg = registryOf(r.stored.entries);
    expect(reg.isPlatformValid('LGSP-BTTTT', '2025-02-28')).toBe(true);
    expect(reg.isPlatformValid('LGSP-BTTTT', '2025-06-01')).toBe(false);
    expect(reg.isPlatformValid('LGSP-BTTTT', '2026-01-01')).toBe(true);
  });
});

describe('platforms retire: rules', () => {
  it('given a seed platform, when retired, then the stored entry replaces the seed one (no second entry) and later days are refused', () => {
    const r = ok(planRetire(EMPTY_STORED, { platformId: 'LGSP-BNV', validUntil: '2026-03-31' }, AT));
    expect(r.stored.entries).toEqual([
      { ...defaultRegistry.data.platforms.find((p) => p.platformId === 'LGSP-BNV'), validUntil: '2026-03-31' },
    ]);
    expect(effectivePlatforms(r.stored.entries).filter((p) => p.platformId === 'LGSP-BNV')).toHaveLength(1);
    const reg = registryOf(r.stored.entries);
    expect(reg.isPlatformValid('LGSP-BNV', '2026-03-31')).toBe(true);
    expect(reg.isPlatformValid('LGSP-BNV', '2026-04-01')).toBe(false);
  });

  it.each([
    [{ platformId: 'LGSP-DPQG', validUntil: '2025-12-31' }, 'validUntil', /must not be before validFrom \(2026-01-01\)/],
    [{ platformId: 'LGSP-NOPE', validUntil: '2026-02-01' }, 'platformId', /not a registered platform/],
    [{ platformId: 'LGSP-DPQG', validUntil: 'tomorrow' }, 'validUntil', /calendar day/],
    [{ platformId: 'LGSP-DPQG' }, 'validUntil', /is required/],
  ])('given %j, when retired, then %s is named', (input, path, message) => {
    const added = ok(planAdd(EMPTY_STORED, NEW, AT)).stored;
    const errors = errorsOf(planRetire(added, input, AT));
    expect(errors).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it('given a retired platform, when retired again later or on the same day, then it is refused (never reopened)', () => {
    const retired = ok(planRetire(EMPTY_STORED, { platformId: 'LGSP-BTTTT', validUntil: '2025-02-01' }, AT)).stored;
    expect(errorsOf(planRetire(retired, { platformId: 'LGSP-BTTTT', validUntil: '2025-02-01' }, AT))[0]!.message).toMatch(
      /already ends on 2025-02-01/,
    );
    expect(errorsOf(planRetire(retired, { platformId: 'LGSP-BTTTT', validUntil: '2025-06-01' }, AT))[0]!.message).toMatch(
      /already retired/,
    );
  });

  it('given any sequence of adds and retires, then the registry never holds two overlapping entries of one id, nor an end before a start', () => {
    const day = fc.integer({ min: 0, max: 60 }).map((d) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10));
    const id = fc.constantFrom('LGSP-DPQG', 'LGSP-BNV', 'LGSP-BTTTT');
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id, from: day, until: fc.option(day, { nil: undefined }) }),
      fc.record({ kind: fc.constant('retire' as const), id, until: day }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
        let state: StoredPlatforms = EMPTY_STORED;
        for (const o of ops) {
          const r =
            o.kind === 'add'
              ? planAdd(
                  state,
                  { platformId: o.id, kind: 'ministry', name: o.id, validFrom: o.from, ...(o.until ? { validUntil: o.until } : {}) },
                  AT,
                )
              : planRetire(state, { platformId: o.id, validUntil: o.until }, AT);
          if (r.ok) state = { ...r.stored, version: r.stored.version + 1 };
        }
        const all = effectivePlatforms(state.entries);
        for (const p of all) if (p.validFrom !== null && p.validUntil !== null) expect(p.validUntil >= p.validFrom).toBe(true);
        for (const a of all)
          for (const b of all) {
            if (a === b || a.platformId !== b.platformId) continue;
            const disjoint =
              (a.validUntil !== null && b.validFrom !== null && a.validUntil < b.validFrom) ||
              (b.validUntil !== null && a.validFrom !== null && b.validUntil < a.validFrom);
            expect(disjoint).toBe(true);
          }
        // One log line per accepted change.
        expect(state.log).toHaveLength(state.version);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the registry in force: cache and validation on both paths', () => {
  it('given a cache of 60 s, when asked twice within it, then the store is read once; after it, again; a failed read is not kept', async () => {
    const store = new FakePlatformStore();
    let now = 0;
    const live = new LivePlatforms(store, { cacheMs: 60_000, now: () => now });
    await live.registry();
    now = 59_999;
    await live.registry();
    expect(store.reads).toBe(1);
    now = 60_000;
    store.failReads = true;
    await expect(live.registry()).rejects.toThrow(/ProvisionedThroughput/);
    store.failReads = false;
    await live.registry();
    expect(store.reads).toBe(3);
  });

  const NOW = Date.parse('2026-02-10T09:00:00+07:00');
  const body = (platformId: string, eventId: string, at = NOW - 120_000) => JSON.stringify(sampleEvent(platformId, eventId, at));

  it('given ingest, when a new platform reports before add, after add and after retire, then rejected, stored, rejected (later days only)', async () => {
    const store = new FakePlatformStore();
    const stores = new FakeIngestStores();
    const deps = {
      ...stores,
      latenessMs: 120_000,
      dirtyMarginMs: 30_000,
      concurrency: 4,
      now: () => NOW,
      platforms: new LivePlatforms(store, { cacheMs: 0 }),
    };
    const run = (eventId: string, at?: number) =>
      ingestBatch([{ messageId: eventId, body: body('LGSP-DPQG', eventId, at), receivedAtMs: NOW, source: 'sqs' }], deps);

    expect(await run('before')).toMatchObject({ rejected: 1, stored: 0 });
    const line = JSON.parse([...stores.objects.values()][0]!.trim());
    expect(line.errors).toEqual([{ path: 'reporter.platformId', message: '"LGSP-DPQG" is not a registered platform' }]);
    // Unknown to the registry: kept under platform=unknown.
    expect([...stores.objects.keys()][0]).toMatch(/platform=unknown\//);

    store.apply(planAdd(store.state, NEW, AT));
    expect(await run('after-add')).toMatchObject({ rejected: 0, stored: 1 });

    store.apply(planRetire(store.state, { platformId: 'LGSP-DPQG', validUntil: '2026-02-09' }, AT));
    expect(await run('after-retire')).toMatchObject({ rejected: 1, stored: 0 });
    const retiredKey = [...stores.objects.keys()].find((k) => k.includes('after-retire'))!;
    // A registered (retired) platform keeps its own rejections folder.
    expect(retiredKey).toMatch(/platform=LGSP-DPQG\//);
    expect(JSON.parse(stores.objects.get(retiredKey)!.trim()).errors[0].message).toBe(
      '"LGSP-DPQG" was not in force on 2026-02-10 (the date of requestAt)',
    );
    // A backfill of a day it was in force is still accepted.
    expect(await run('backfill', Date.parse('2026-02-09T10:00:00+07:00'))).toMatchObject({ rejected: 0, stored: 1 });
  });

  it("given a retired platform's rejections in its own folder, when ops read every folder of the day, then the added platform's folder is read too", async () => {
    const store = new FakePlatformStore();
    store.apply(planAdd(store.state, NEW, AT));
    store.apply(planRetire(store.state, { platformId: 'LGSP-DPQG', validUntil: '2026-02-09' }, AT));
    const stores = new FakeIngestStores();
    const live = new LivePlatforms(store, { cacheMs: 0 });
    await ingestBatch([{ messageId: 'late', body: body('LGSP-DPQG', 'late'), receivedAtMs: NOW, source: 'sqs' }], {
      ...stores,
      latenessMs: 120_000,
      dirtyMarginMs: 30_000,
      concurrency: 1,
      now: () => NOW,
      platforms: live,
    });
    const bucket = {
      list: async (prefix: string) => [...stores.objects.keys()].filter((k) => k.startsWith(prefix)),
      get: async (key: string) => stores.objects.get(key),
    } as unknown as RollupBucket;
    const day = '2026-02-10';
    expect((await new RejectionReader(bucket, undefined, live).page(day, { limit: 10 })).rejected.map((l) => l.platformId)).toEqual([
      'LGSP-DPQG',
    ]);
    // The seed alone does not know the folder.
    expect((await new RejectionReader(bucket).page(day, { limit: 10 })).rejected).toEqual([]);
  });

  it('given ingest, when the registry cannot be read, then the message is retried, not rejected', async () => {
    const store = new FakePlatformStore();
    store.failReads = true;
    const stores = new FakeIngestStores();
    const result = await ingestBatch([{ messageId: 'm1', body: body('LGSP-79', 'e1'), receivedAtMs: NOW, source: 'sqs' }], {
      ...stores,
      latenessMs: 120_000,
      dirtyMarginMs: 30_000,
      concurrency: 1,
      now: () => NOW,
      platforms: new LivePlatforms(store),
    });
    expect(result).toMatchObject({ failedMessageIds: ['m1'], rejected: 0, stored: 0 });
  });

  it('given an SQS sender registered for a newly added platform, when resolved, then it is that platform (not unknown)', async () => {
    const store = new FakePlatformStore();
    store.apply(planAdd(store.state, NEW, AT));
    const senders = new SenderDirectory(
      { get: async (id) => ({ senderId: id, role: 'lgsp', platformId: 'LGSP-DPQG', createdAt: AT }) },
      { platforms: new LivePlatforms(store) },
    );
    expect(await senders.resolve('AIDANEWPLATFORM1')).toEqual({ kind: 'platform', platformId: 'LGSP-DPQG', senderId: 'AIDANEWPLATFORM1' });
  });

  it('given POST /v1/events with a key of a new platform, when posted before and after add, then rejected then accepted', async () => {
    const store = new FakePlatformStore();
    const sent: unknown[] = [];
    const stores = new FakeIngestStores();
    const deps = {
      queue: { send: async (events: unknown[]) => void sent.push(...events) },
      bucket: stores.bucket,
      stats: stores.stats,
      bodyLimitBytes: 1 << 20,
      now: () => NOW,
      platforms: new LivePlatforms(store, { cacheMs: 0 }),
    } as unknown as Parameters<typeof postEvents>[2];
    const principal = { keyId: 'k_000000000001', role: 'lgsp' as const, platformId: 'LGSP-DPQG' };
    const before = await postEvents(body('LGSP-DPQG', 'p1'), principal, deps);
    expect(before).toEqual({
      accepted: 0,
      rejected: [{ index: 0, errors: [{ path: 'reporter.platformId', message: '"LGSP-DPQG" is not a registered platform' }] }],
    });
    store.apply(planAdd(store.state, NEW, AT));
    expect(await postEvents(body('LGSP-DPQG', 'p2'), principal, deps)).toEqual({ accepted: 1, rejected: [] });
    expect(sent).toHaveLength(1);
  });
});
