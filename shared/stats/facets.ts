/**
 * *1.1* A period's figures under each single filter the API takes (`route`, `serviceCode`,
 * `province`): transactions, succeeded and the p95 of the groups the filter selects, computed
 * when the period is rolled. A filtered series (`/minutes?route=` over 24 h, `/days?serviceCode=`
 * over a year) reads these small values instead of merging every period's payload — at 10× the
 * 2021 volume 68 MB of minute payloads for one filtered day, 3.4 GB of day payloads for a year.
 *
 * Exact: a facet is the same merge as `PeriodStats.merge(payload, filter).totals()` (the same
 * groups, their stored sketch bins summed, the same quantile), checked by a property test.
 * Filters that combine dimensions still merge the payloads.
 */
import type { GroupFilter, PeriodPayload } from './period.ts';
import { SketchBins, quantileOfData } from './sketch.ts';

export const FACET_DIMENSIONS = ['route', 'serviceCode', 'province'] as const;
export type FacetDimension = (typeof FACET_DIMENSIONS)[number];

/** `[transactions, succeeded, durationMsP95]` of the groups one filter value selects. */
export type FacetPoint = [number, number, number | null];

/** Every value of each dimension in the period, with its figures. */
export type Facets = Record<FacetDimension, Record<string, FacetPoint>>;

/** The single dimension a filter selects by, and its value; undefined for no filter or a combined one. */
export function singleFacet(filter: GroupFilter): [FacetDimension, string] | undefined {
  const set = FACET_DIMENSIONS.filter((d) => filter[d] !== undefined);
  return set.length === 1 ? [set[0]!, filter[set[0]!]!] : undefined;
}

/** The facets of a stored payload. */
export function facetsOf(payload: PeriodPayload): Facets {
  const acc: Record<FacetDimension, Map<string, { n: number; ok: number; bins: SketchBins }>> = {
    route: new Map(),
    serviceCode: new Map(),
    province: new Map(),
  };
  const add = (dim: FacetDimension, value: string, g: PeriodPayload['groups'][number]): void => {
    let a = acc[dim].get(value);
    if (!a) acc[dim].set(value, (a = { n: 0, ok: 0, bins: new SketchBins() }));
    a.n += g.n;
    a.ok += g.ok;
    a.bins.add(g.s);
  };
  for (const g of payload.groups) {
    add('route', g.k[0], g);
    add('serviceCode', g.k[1], g);
    add('province', g.k[2], g);
    // `province` matches the consumer or the provider province: a group inside one province counts once.
    if (g.k[3] !== g.k[2]) add('province', g.k[3], g);
  }
  const out = { route: {}, serviceCode: {}, province: {} } as Facets;
  for (const dim of FACET_DIMENSIONS) {
    for (const [value, a] of [...acc[dim]].sort(([x], [y]) => (x < y ? -1 : 1))) {
      out[dim][value] = [a.n, a.ok, quantileOfData(a.bins.toData(), 0.95)];
    }
  }
  return out;
}

/** The figures of one filter value (zeros when the period has none of it). */
export function facetPoint(facets: Facets, dim: FacetDimension, value: string): FacetPoint {
  return facets[dim][value] ?? [0, 0, null];
}
