/**
 * Statistics of one period (a minute or a day): group rows, duration sketches, the distinct
 * systems and reporting platforms. Built from transactions for a minute, merged from minute
 * payloads for a day. Pure domain code.
 */
import { effectiveFacts, type ReportFacts, type TransactionState } from '#shared/report.ts';
import schema from '#shared/contract/event.schema.json' with { type: 'json' };
import { DurationSketch, SketchBins, quantileOfData, type SketchData } from '#shared/stats/sketch.ts';

export type Granularity = 'minute' | 'day';

/** One published row (CONTRACT.md section 2), in column order. */
export interface Row {
  periodStart: string;
  granularity: Granularity;
  route: string;
  serviceCode: string;
  consumerProvince: string;
  providerProvince: string;
  transactions: number;
  succeeded: number;
  failed: number;
  pairedTransactions: number;
  requestBytes: number;
  responseBytes: number;
  durationMsP50: number | null;
  durationMsP95: number | null;
  durationMsP99: number | null;
  durationMsMax: number | null;
  /** *1.1* Day rows only: failures by cause (FAILURE_COLUMNS); they add up to `failed`. */
  failedAuth?: number;
  failedThrottled?: number;
  failedTarget?: number;
  failedTimeout?: number;
  failedValidation?: number;
  failedOther?: number;
  failedUnspecified?: number;
}

/** The event's `errorCategory` values, in column order: the published schema's enum (CONTRACT.md section 1). */
export const FAILURE_CAUSES: readonly string[] = schema.$defs.event.properties.errorCategory.enum;

/** *1.1* Failure-cause columns of day rows: one per `errorCategory`, then failures without one. */
export const FAILURE_COLUMNS = [
  'failedAuth',
  'failedThrottled',
  'failedTarget',
  'failedTimeout',
  'failedValidation',
  'failedOther',
  'failedUnspecified',
] as const satisfies readonly (keyof Row)[];

/** A failure's column index: its category's, or the last (no category). */
export function failureCauseIndex(errorCategory: string | undefined): number {
  const i = FAILURE_CAUSES.indexOf(errorCategory ?? '');
  return i < 0 ? FAILURE_CAUSES.length : i;
}

/** The measure columns of every kind of row (minute, day, systems), in order. */
export const MEASURE_COLUMNS = [
  'transactions',
  'succeeded',
  'failed',
  'pairedTransactions',
  'requestBytes',
  'responseBytes',
  'durationMsP50',
  'durationMsP95',
  'durationMsP99',
  'durationMsMax',
] as const satisfies readonly (keyof Row)[];

/** Column order of the CSV and JSON rows. */
export const ROW_COLUMNS: (keyof Row)[] = [
  'periodStart',
  'granularity',
  'route',
  'serviceCode',
  'consumerProvince',
  'providerProvince',
  ...MEASURE_COLUMNS,
];

/** Column order of day rows: the row's, then the failure causes (*1.1*, appended). */
export const DAY_ROW_COLUMNS: (keyof Row)[] = [...ROW_COLUMNS, ...FAILURE_COLUMNS];

/** A group's counts as stored, whatever its key (the day rows' groups and the systems rows'). */
export interface GroupCounts {
  n: number;
  ok: number;
  pair: number;
  qb: number;
  sb: number;
  s: SketchData;
  /** Failures by cause (FAILURE_COLUMNS order); absent when the group had none, or in payloads rolled before 1.1. */
  f?: number[];
}

/** A group as stored: `[route, serviceCode, consumerProvince, providerProvince]` and its counts. */
export interface GroupData extends GroupCounts {
  k: [string, string, string, string];
}

/** The measures of a published row (minute and day rows, systems rows), in column order. */
export type RowMeasures = Pick<Row, (typeof MEASURE_COLUMNS)[number]> & Partial<Record<(typeof FAILURE_COLUMNS)[number], number>>;

/** What a stats item keeps for a period: enough to merge into any larger period exactly. */
export interface PeriodPayload {
  groups: GroupData[];
  systems: string[];
  platforms: string[];
}

/** One group's counts, failures by cause and durations: what every kind of row is made of. */
export class GroupStats<K extends readonly string[]> {
  n = 0;
  ok = 0;
  pair = 0;
  qb = 0;
  sb = 0;
  readonly failures: number[] = new Array<number>(FAILURE_COLUMNS.length).fill(0);
  /** Durations added one by one (a minute roll). */
  private added?: DurationSketch;
  /** Stored sketches merged in (a day or range): sparse bins, no dense store per group. */
  private merged?: SketchBins;
  constructor(readonly key: K) {}

  /** Counts one transaction (its effective facts; `paired`: both reports are in). */
  addFacts(f: ReportFacts, paired: boolean): void {
    this.n += 1;
    if (f.succeeded) this.ok += 1;
    else this.failures[failureCauseIndex(f.errorCategory)]! += 1;
    if (paired) this.pair += 1;
    this.qb += f.requestBytes;
    this.sb += f.responseBytes;
    this.addDuration(f.durationMs);
  }

  /** Merges stored counts (a minute into a day, days into a range). */
  mergeCounts(d: GroupCounts): void {
    this.n += d.n;
    this.ok += d.ok;
    this.pair += d.pair;
    this.qb += d.qb;
    this.sb += d.sb;
    // A payload rolled before 1.1 has no causes: its failures count as unspecified until re-rolled.
    const f = d.f;
    if (f) for (let i = 0; i < f.length; i++) this.failures[i]! += f[i]!;
    else this.failures[FAILURE_COLUMNS.length - 1]! += d.n - d.ok;
    // The stored bins are summed as they are (no sketch object per group and minute).
    this.mergeSketch(d.s);
  }

  /** The stored form of the counts (key and extras are the caller's). */
  counts(): GroupCounts {
    return {
      n: this.n,
      ok: this.ok,
      pair: this.pair,
      qb: this.qb,
      sb: this.sb,
      s: this.sketchData(),
      ...(this.n > this.ok ? { f: [...this.failures] } : {}),
    };
  }

  /** The row's measures; with the failure-cause columns for day and systems rows. */
  measures(withFailures: boolean): RowMeasures {
    // A group of merged sketches only (a day) is read from its bins, with no sketch object.
    const data = this.mergedOnly();
    const sketch = data
      ? { quantile: (q: number) => quantileOfData(data, q), max: data.z + data.b.length > 0 ? data.x : null }
      : this.sketch();
    return {
      transactions: this.n,
      succeeded: this.ok,
      failed: this.n - this.ok,
      pairedTransactions: this.pair,
      requestBytes: this.qb,
      responseBytes: this.sb,
      durationMsP50: sketch.quantile(0.5),
      durationMsP95: sketch.quantile(0.95),
      durationMsP99: sketch.quantile(0.99),
      durationMsMax: sketch.max,
      ...(withFailures ? Object.fromEntries(FAILURE_COLUMNS.map((c, i) => [c, this.failures[i]!])) : {}),
    };
  }

  addDuration(durationMs: number): void {
    (this.added ??= new DurationSketch()).add(durationMs);
  }

  mergeSketch(data: SketchData): void {
    (this.merged ??= new SketchBins()).add(data);
  }

  /** The group's durations as one sketch (built for the asking when stored sketches were merged in). */
  sketch(): DurationSketch {
    if (!this.merged) return (this.added ??= new DurationSketch());
    const s = DurationSketch.fromData(this.merged.toData());
    if (this.added) s.merge(this.added);
    return s;
  }

  /** The group's durations in the stored form. */
  sketchData(): SketchData {
    return this.mergedOnly() ?? this.sketch().toData();
  }

  /** The stored form when the group has only merged sketches (no durations added one by one). */
  mergedOnly(): SketchData | undefined {
    return this.merged && !this.added ? this.merged.toData() : undefined;
  }
}

/** Filters a group can be selected by (the API's `route`, `serviceCode`, `province`). */
export interface GroupFilter {
  route?: string;
  serviceCode?: string;
  province?: string;
}

export function groupMatches(k: readonly string[], f: GroupFilter): boolean {
  return (
    (f.route === undefined || k[0] === f.route) &&
    (f.serviceCode === undefined || k[1] === f.serviceCode) &&
    (f.province === undefined || k[2] === f.province || k[3] === f.province)
  );
}

/** Accumulates one period. */
export class PeriodStats {
  private readonly groups = new Map<string, GroupStats<[string, string, string, string]>>();
  readonly systems = new Set<string>();
  readonly platforms = new Set<string>();

  /** The group of key `k` (copied when the group is new: `k` may belong to a payload). */
  private group(k: readonly [string, string, string, string]): GroupStats<[string, string, string, string]> {
    const id = `${k[0]}\u0000${k[1]}\u0000${k[2]}\u0000${k[3]}`;
    let g = this.groups.get(id);
    if (!g) {
      g = new GroupStats([k[0], k[1], k[2], k[3]]);
      this.groups.set(id, g);
    }
    return g;
  }

  /** Counts one transaction (rules 2–3: one transaction, facts from the CONSUMER report if any). */
  addTransaction(tx: TransactionState): void {
    const f = effectiveFacts(tx);
    this.group([f.route, f.serviceCode, f.consumerProvince, f.providerProvince]).addFacts(f, !!(tx.consumer && tx.provider));
    this.systems.add(f.consumerSystem);
    this.systems.add(f.providerSystem);
    if (tx.consumer) this.platforms.add(tx.consumer.platformId);
    if (tx.provider) this.platforms.add(tx.provider.platformId);
  }

  /** Merges a stored payload (a minute into a day, days into a range), optionally filtered. */
  merge(payload: PeriodPayload, filter: GroupFilter = {}): void {
    for (const d of payload.groups) {
      if (!groupMatches(d.k, filter)) continue;
      this.group(d.k).mergeCounts(d);
    }
    for (const s of payload.systems) this.systems.add(s);
    for (const p of payload.platforms) this.platforms.add(p);
  }

  get transactions(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.n;
    return n;
  }

  /** Totals over all groups, with one merged sketch. */
  totals(): { transactions: number; succeeded: number; failed: number; sketch: DurationSketch } {
    const sketch = new DurationSketch();
    let n = 0;
    let ok = 0;
    for (const g of this.groups.values()) {
      n += g.n;
      ok += g.ok;
      const data = g.mergedOnly();
      if (data) sketch.mergeData(data);
      else sketch.merge(g.sketch());
    }
    return { transactions: n, succeeded: ok, failed: n - ok, sketch };
  }

  private sortedGroups(): GroupStats<[string, string, string, string]>[] {
    return [...this.groups.values()].sort((a, b) => compareKeys(a.key, b.key));
  }

  /** The published rows, sorted by group. */
  rows(periodStart: string, granularity: Granularity): Row[] {
    return this.sortedGroups().map((g) => ({
      periodStart,
      granularity,
      route: g.key[0],
      serviceCode: g.key[1],
      consumerProvince: g.key[2],
      providerProvince: g.key[3],
      ...g.measures(granularity === 'day'),
    }));
  }

  /** The mergeable form kept in the stats item. */
  toPayload(): PeriodPayload {
    return {
      groups: this.sortedGroups().map((g) => ({ k: g.key, ...g.counts() })),
      systems: [...this.systems].sort(),
      platforms: [...this.platforms].sort(),
    };
  }
}

/** Orders group keys part by part. */
export function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
