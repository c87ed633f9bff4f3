/**
 * Facets (issue 12 §6): each single-filter figure a period stores equals what the API computes
 * from its payload with that filter (`PeriodStats.merge(payload, filter).totals()`), for minute
 * payloads (durations added one by one) and for merged ones (a day: stored bins summed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReportFacts, TransactionState } from '#shared/report.ts';
import { type FACET_DIMENSIONS, facetPoint, facetsOf, singleFacet, type FacetPoint } from '#shared/stats/facets.ts';
import { PeriodStats, type GroupFilter, type PeriodPayload } from '#shared/stats/period.ts';

const ROUTES = ['NGSP', 'LGSP'] as const;
const SERVICES = ['svc.a', 'svc.b', 'svc.c'];
const PROVINCES = ['01', '79', '48'];

/** Whole milliseconds, as reports give them, with zeros and long tails. */
const duration = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 2_000, max: 86_400_000 }));

let seq = 0;
const transaction = fc
  .record({
    route: fc.constantFrom(...ROUTES),
    service: fc.constantFrom(...SERVICES),
    consumer: fc.constantFrom(...PROVINCES),
    provider: fc.constantFrom(...PROVINCES),
    ok: fc.boolean(),
    ms: duration,
  })
  .map((t): TransactionState => {
    const facts: ReportFacts = {
      eventId: `e${++seq}`,
      platformId: 'LGSP-01',
      requestAtMs: 0,
      durationMs: t.ms,
      route: t.route,
      serviceCode: t.service,
      consumerSystem: 'A/1',
      consumerProvince: t.consumer,
      providerSystem: 'B/2',
      providerProvince: t.provider,
      succeeded: t.ok,
      requestBytes: 1,
      responseBytes: 1,
      ...(t.ok ? {} : { errorCategory: 'TIMEOUT' }),
    };
    return { key: facts.eventId, consumer: facts };
  });

function payloadOf(txs: TransactionState[]): PeriodPayload {
  const s = new PeriodStats();
  for (const tx of txs) s.addTransaction(tx);
  return s.toPayload();
}

/** What the API computes for one filter from the payload. */
function fromPayload(payload: PeriodPayload, filter: GroupFilter): FacetPoint {
  const s = new PeriodStats();
  s.merge(payload, filter);
  const t = s.totals();
  return [t.transactions, t.succeeded, t.sketch.quantile(0.95)];
}

/** Every value a filter could name, including ones the period does not have. */
const FILTERS: [GroupFilter, (typeof FACET_DIMENSIONS)[number], string][] = [
  ...ROUTES.map((v) => [{ route: v }, 'route', v] as [GroupFilter, 'route', string]),
  ...[...SERVICES, 'svc.none'].map((v) => [{ serviceCode: v }, 'serviceCode', v] as [GroupFilter, 'serviceCode', string]),
  ...[...PROVINCES, '99'].map((v) => [{ province: v }, 'province', v] as [GroupFilter, 'province', string]),
];

describe('facets', () => {
  it('given a minute payload, then every single-filter facet equals the payload merged with that filter', () => {
    fc.assert(
      fc.property(fc.array(transaction, { maxLength: 60 }), (txs) => {
        const payload = payloadOf(txs);
        const facets = facetsOf(payload);
        for (const [filter, dim, value] of FILTERS)
          expect(facetPoint(facets, dim, value), JSON.stringify(filter)).toEqual(fromPayload(payload, filter));
      }),
      { numRuns: 200 },
    );
  });

  it('given a day merged from minute payloads, then its facets equal the merged day filtered', () => {
    fc.assert(
      fc.property(fc.array(fc.array(transaction, { maxLength: 20 }), { minLength: 1, maxLength: 8 }), (minutes) => {
        const day = new PeriodStats();
        for (const m of minutes) day.merge(payloadOf(m));
        const payload = day.toPayload();
        const facets = facetsOf(payload);
        for (const [filter, dim, value] of FILTERS)
          expect(facetPoint(facets, dim, value), JSON.stringify(filter)).toEqual(fromPayload(payload, filter));
      }),
      { numRuns: 100 },
    );
  });

  it('given filters, then only a filter on exactly one dimension is a facet', () => {
    expect(singleFacet({})).toBeUndefined();
    expect(singleFacet({ route: 'NGSP' })).toEqual(['route', 'NGSP']);
    expect(singleFacet({ province: '01' })).toEqual(['province', '01']);
    expect(singleFacet({ route: 'NGSP', serviceCode: 'svc.a' })).toBeUndefined();
  });
});
