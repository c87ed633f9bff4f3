/**
 * *1.1* The systems rollup (CONTRACT.md section 2, `systems.jsonl`/`systems.csv`): one row per
 * (route, serviceCode, consumer org/system, provider org/system) of a day, with the measures of a
 * day row, the failure causes and the platforms that reported the row's transactions. Built from
 * transactions for a minute (kept in the minute's systems item), merged from minute payloads for
 * a day — the day never re-reads raw reports. Pure domain code.
 */
import { effectiveFacts, type TransactionState } from '#shared/report.ts';
import {
  compareKeys,
  FAILURE_COLUMNS,
  GroupStats,
  MEASURE_COLUMNS,
  type GroupCounts,
  type Granularity,
  type RowMeasures,
} from '#shared/stats/period.ts';

/** One published systems row, in column order (SYSTEMS_ROW_COLUMNS). */
export interface SystemsRow extends Required<RowMeasures> {
  periodStart: string;
  granularity: Granularity;
  route: string;
  serviceCode: string;
  consumerOrg: string;
  consumerSystem: string;
  providerOrg: string;
  providerSystem: string;
  /**
   * Sorted ids of the platforms whose counted reports (CONSUMER or PROVIDER, rule 3's winners, not
   * conflicts or duplicates) make up the row's transactions: what decides which LGSP sees the row.
   * A list in JSON lines; in CSV the ids joined by a space.
   */
  reportingPlatforms: string[];
}

/** The group part of a systems row, in key order. */
export const SYSTEMS_KEY_COLUMNS = [
  'route',
  'serviceCode',
  'consumerOrg',
  'consumerSystem',
  'providerOrg',
  'providerSystem',
] as const satisfies readonly (keyof SystemsRow)[];

/** Column order of systems.jsonl and systems.csv, and of the Glue tables over them. */
export const SYSTEMS_ROW_COLUMNS: readonly (keyof SystemsRow)[] = [
  'periodStart',
  'granularity',
  ...SYSTEMS_KEY_COLUMNS,
  ...MEASURE_COLUMNS,
  ...FAILURE_COLUMNS,
  'reportingPlatforms',
];

/** Separator of `reportingPlatforms` in CSV (platform ids have no spaces). */
export const CSV_LIST_SEPARATOR = ' ';

export type SystemsKey = [string, string, string, string, string, string];

/** A systems group as stored: its key, counts, failures by cause, sketch and reporting platforms (indexes into the payload's list). */
export interface SystemsGroupData extends GroupCounts {
  k: SystemsKey;
  /** Indexes into the payload's `platforms`. */
  p: number[];
}

/** What a minute's (or day's) systems item keeps: enough to merge into any larger period exactly. */
export interface SystemsPayload {
  groups: SystemsGroupData[];
  /** Platform ids, sorted; groups point into this list (a platform id is written once per item). */
  platforms: string[];
}

export const EMPTY_SYSTEMS_PAYLOAD: SystemsPayload = { groups: [], platforms: [] };

/** A day rows' group (GroupStats) keyed by systems, with the platforms that reported it. */
class SystemsGroup extends GroupStats<SystemsKey> {
  readonly platforms = new Set<string>();
}

/** `orgCode/systemCode` → [orgCode, systemCode] (an orgCode has no `/`). */
function splitSystem(s: string): [string, string] {
  const i = s.indexOf('/');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/**
 * A row's selection: a platform (LGSP visibility) and the day filters of the API. Applied to a
 * payload's groups, so `platformId` selects whole rows only from a day's payload (a day's groups
 * are its rows); minutes are merged into their day first.
 */
export interface SystemsFilter {
  /** Only rows this platform reported a transaction of (the row's `reportingPlatforms` has it). */
  platformId?: string;
  route?: string;
  serviceCode?: string;
}

/** Accumulates the systems rows of one period. */
export class SystemsStats {
  private readonly groups = new Map<string, SystemsGroup>();

  private group(k: SystemsKey): SystemsGroup {
    const id = k.join('\u0000');
    let g = this.groups.get(id);
    if (!g) {
      g = new SystemsGroup(k);
      this.groups.set(id, g);
    }
    return g;
  }

  /** Counts one transaction by the rules of PeriodStats.addTransaction (facts from the CONSUMER report if any). */
  addTransaction(tx: TransactionState): void {
    const f = effectiveFacts(tx);
    const g = this.group([f.route, f.serviceCode, ...splitSystem(f.consumerSystem), ...splitSystem(f.providerSystem)]);
    g.addFacts(f, !!(tx.consumer && tx.provider));
    if (tx.consumer) g.platforms.add(tx.consumer.platformId);
    if (tx.provider) g.platforms.add(tx.provider.platformId);
  }

  /** Merges a stored payload (minutes into a day, days into a range), keeping only the groups the filter selects. */
  merge(payload: SystemsPayload, filter: SystemsFilter = {}): void {
    for (const d of payload.groups) {
      const platforms = d.p.map((i) => payload.platforms[i]!);
      if (filter.platformId !== undefined && !platforms.includes(filter.platformId)) continue;
      if (filter.route !== undefined && d.k[0] !== filter.route) continue;
      if (filter.serviceCode !== undefined && d.k[1] !== filter.serviceCode) continue;
      const g = this.group([...d.k]);
      g.mergeCounts(d);
      for (const p of platforms) g.platforms.add(p);
    }
  }

  /** The same transactions grouped by a coarser key (`keyOf` blanks the parts it drops), sketches and platforms merged exactly. */
  regroup(keyOf: (k: Readonly<SystemsKey>) => SystemsKey): SystemsStats {
    const out = new SystemsStats();
    for (const g of this.groups.values()) {
      const t = out.group(keyOf(g.key));
      t.mergeCounts(g.counts());
      for (const p of g.platforms) t.platforms.add(p);
    }
    return out;
  }

  get size(): number {
    return this.groups.size;
  }

  private sorted(): SystemsGroup[] {
    return [...this.groups.values()].sort((a, b) => compareKeys(a.key, b.key));
  }

  /** The published rows, sorted by key. */
  rows(periodStart: string, granularity: Granularity): SystemsRow[] {
    return this.sorted().map((g) => ({
      periodStart,
      granularity,
      route: g.key[0],
      serviceCode: g.key[1],
      consumerOrg: g.key[2],
      consumerSystem: g.key[3],
      providerOrg: g.key[4],
      providerSystem: g.key[5],
      ...(g.measures(true) as Required<RowMeasures>),
      reportingPlatforms: [...g.platforms].sort(),
    }));
  }

  /** The mergeable form kept in the stats store. */
  toPayload(): SystemsPayload {
    const all = new Set<string>();
    for (const g of this.groups.values()) for (const p of g.platforms) all.add(p);
    const platforms = [...all].sort();
    const index = new Map(platforms.map((p, i) => [p, i]));
    return {
      groups: this.sorted().map((g) => ({
        k: g.key,
        ...g.counts(),
        p: [...g.platforms].sort().map((p) => index.get(p)!),
      })),
      platforms,
    };
  }
}
