/**
 * The metrics the API serves, read only from stats items (never raw events): a 24 h minutes
 * query reads at most 1,440 minute items, a 366-day query at most 366 day items — plus the
 * minute items of today and (until its daily rollup is written) yesterday, whose day is not
 * complete yet.
 */
import type { DaySummary } from '#shared/rollup.ts';
import { defaultRegistry, type Registry } from '#shared/registry.ts';
import { serviceNameOf, type ServiceName } from '#shared/services.ts';
import { FAILURE_COLUMNS, PeriodStats, type GroupFilter, type PeriodPayload, type Row } from '#shared/stats/period.ts';
import { SystemsStats, type SystemsPayload, type SystemsRow } from '#shared/stats/systems.ts';
import {
  busyMinutes,
  mergeMinuteSystems,
  mergeSystemsNotRolled,
  rangesOf,
  readDayNotRolled,
  type DayNotRolled,
} from '#shared/day-so-far.ts';
import { facetPoint, singleFacet, type FacetDimension, type FacetPoint } from '#shared/stats/facets.ts';
import type { PeriodTotals, StatsStore, StoredPeriod } from '#shared/store/stats.ts';
import { DAY_MS, MINUTE_MS, dayOf, dayStartMs, daysBetween, minuteKeysBetween, minuteStartMs, periodStartOf, toIct } from '#shared/time.ts';
import type { BreakdownBy, BreakdownQuery, DaysQuery, MinutesQuery } from './params.ts';

/** One point of `/v1/metrics/minutes` or `/v1/metrics/days`. */
export interface MetricPoint {
  periodStart: string;
  transactions: number;
  succeeded: number;
  failed: number;
  durationMsP95: number | null;
}

/** A point from a period's headline figures. */
function pointOf(periodStart: string, transactions: number, succeeded: number, durationMsP95: number | null): MetricPoint {
  return { periodStart, transactions, succeeded, failed: transactions - succeeded, durationMsP95 };
}

export interface SeriesResponse {
  granularity: 'minute' | 'day';
  from: string;
  to: string;
  points: MetricPoint[];
}

export interface PeakMinute {
  periodStart: string;
  transactions: number;
}

/**
 * The figures of summary.json over a range: `avgTransactionsPerMinute` over the range's minutes
 * that have begun (all of them for a past range); `distinctSystems` (`orgCode/systemCode`) and
 * `reportingPlatforms` (sorted) are unions over the range, not sums.
 */
export type SummaryResponse = { from: string; to: string } & Pick<
  DaySummary,
  | 'timezone'
  | 'transactions'
  | 'succeeded'
  | 'failed'
  | 'ngspTransactions'
  | 'avgTransactionsPerMinute'
  | 'distinctSystems'
  | 'reportingPlatforms'
  | 'peakMinute'
>;

export interface ServiceFigures {
  serviceCode: string;
  /** Issue 16: the service's name from seeds/services.json (absent for a code it does not name). */
  serviceName?: ServiceName;
  transactions: number;
  succeeded: number;
  failed: number;
}

export interface ProvincePairFigures {
  consumerProvince: string;
  consumerProvinceName: string | null;
  providerProvince: string;
  providerProvinceName: string | null;
  transactions: number;
  succeeded: number;
  failed: number;
}

/** *1.1* Failures by cause (CONTRACT.md 1.1 failure-cause columns); they add up to `failed`. */
export type FailureCauses = Record<(typeof FAILURE_COLUMNS)[number], number>;

/** `/v1/metrics/breakdown`: totals by service and by province pair over a range of days; *1.1* failures by cause. */
export interface BreakdownResponse {
  from: string;
  to: string;
  transactions: number;
  /** *1.1* Failures of the range by cause. */
  failures: FailureCauses;
  services: ServiceFigures[];
  provincePairs: ProvincePairFigures[];
}

/** *1.1* A row of `by=system`: a systems row (systems.jsonl) of the range, without its period. */
export type SystemBreakdownRow = Omit<SystemsRow, 'periodStart' | 'granularity'>;
/** *1.1* A row of `by=org`: the systems rows of one (consumer organisation, provider organisation) pair, merged. */
export type OrgBreakdownRow = Omit<SystemBreakdownRow, 'route' | 'serviceCode' | 'consumerSystem' | 'providerSystem'>;

/** *1.1* `/v1/metrics/breakdown?by=system|org`: the largest `limit` rows of the range and the totals of every row visible to the caller. */
export interface SystemsBreakdownResponse {
  from: string;
  to: string;
  by: BreakdownBy;
  /** An LGSP key: the rows are those its platform reported transactions of (their `reportingPlatforms` has it). */
  platformId?: string;
  transactions: number;
  succeeded: number;
  failed: number;
  failures: FailureCauses;
  /** Rows before the limit. */
  totalRows: number;
  limit: number;
  /** Largest first (transactions, then key). */
  rows: (SystemBreakdownRow | OrgBreakdownRow)[];
}

function failuresOf(rows: Iterable<Partial<Pick<Row, (typeof FAILURE_COLUMNS)[number]>>>): FailureCauses {
  const out = Object.fromEntries(FAILURE_COLUMNS.map((c) => [c, 0])) as FailureCauses;
  for (const r of rows) for (const c of FAILURE_COLUMNS) out[c] += r[c] ?? 0;
  return out;
}

/** A day item's summary: its systems list is kept apart since the day item had to stay under 400 KB (older items still carry it). */
type DayStable = Omit<DaySummary, 'generatedAt' | 'systems'> & { systems?: string[] };

/** Figures of one day, from its day item or (for an incomplete day) from its minute items. */
interface DayView {
  day: string;
  transactions: number;
  succeeded: number;
  p95(filter: GroupFilter): number | null;
  merged(filter: GroupFilter): PeriodStats;
  systems(): string[];
  platforms(): string[];
  ngsp(): number;
  peak(): PeakMinute | null;
}

const isEmptyFilter = (f: GroupFilter): boolean => f.route === undefined && f.serviceCode === undefined && f.province === undefined;

function mergeAll(payloads: Iterable<PeriodPayload>, filter: GroupFilter): PeriodStats {
  const stats = new PeriodStats();
  for (const p of payloads) stats.merge(p, filter);
  return stats;
}

function fromDayItem(item: StoredPeriod<DayStable | null>, systems?: string[]): DayView {
  let payload: PeriodPayload | undefined;
  const load = (): PeriodPayload => (payload ??= item.payload());
  const merged = (filter: GroupFilter): PeriodStats => mergeAll([load()], filter);
  return {
    day: item.period,
    transactions: item.transactions,
    succeeded: item.succeeded,
    p95: (filter) => (isEmptyFilter(filter) ? item.durationMsP95 : merged(filter).totals().sketch.quantile(0.95)),
    merged,
    systems: () => item.summary?.systems ?? systems ?? load().systems,
    platforms: () => item.summary?.reportingPlatforms ?? load().platforms,
    ngsp: () => item.summary?.ngspTransactions ?? merged({ route: 'NGSP' }).transactions,
    peak: () => item.summary?.peakMinute ?? null,
  };
}

/**
 * A day not rolled yet, from its minutes' headline figures (`HH:mm` order) and payloads: every
 * minute item's, or — when the day's fold holds (shared/day-so-far.ts) — the fold's and those of
 * the minutes beyond it.
 */
function fromMinutes(
  day: string,
  minutes: { period: string; transactions: number; succeeded: number }[],
  payloads: () => PeriodPayload[],
): DayView {
  const busy = minutes.filter((m) => m.transactions > 0);
  const cache = new Map<string, PeriodStats>();
  const merged = (filter: GroupFilter): PeriodStats => {
    const key = JSON.stringify(filter);
    let s = cache.get(key);
    if (!s) {
      s = mergeAll(payloads(), filter);
      cache.set(key, s);
    }
    return s;
  };
  let peak: (typeof minutes)[number] | undefined;
  for (const m of busy) if (!peak || m.transactions > peak.transactions) peak = m;
  return {
    day,
    transactions: busy.reduce((n, m) => n + m.transactions, 0),
    succeeded: busy.reduce((n, m) => n + m.succeeded, 0),
    p95: (filter) => merged(filter).totals().sketch.quantile(0.95),
    merged,
    systems: () => [...merged({}).systems].sort(),
    platforms: () => [...merged({}).platforms].sort(),
    ngsp: () => merged({ route: 'NGSP' }).transactions,
    peak: () => (peak ? { periodStart: periodStartOf(minuteStartMs(peak.period)), transactions: peak.transactions } : null),
  };
}

function fromMinuteItems(day: string, minutes: StoredPeriod[]): DayView {
  const busy = minutes.filter((m) => m.transactions > 0);
  return fromMinutes(day, busy, () => busy.map((m) => m.payload()));
}

function fromFold(day: string, r: DayNotRolled): DayView {
  const minutes = [...r.series]
    .map(([hhmm, p]) => ({ period: `${day}T${hhmm.slice(0, 2)}:${hhmm.slice(2)}`, transactions: p.transactions, succeeded: p.succeeded }))
    .sort((a, b) => (a.period < b.period ? -1 : 1));
  return fromMinutes(day, minutes, () => [r.fold.payload, ...r.beyond.map((m) => m.payload())]);
}

/** RFC 3339 in ICT: second precision when the instant is on a whole second, else milliseconds. */
export function formatInstant(ms: number): string {
  return ms % 1000 === 0 ? periodStartOf(ms) : toIct(ms);
}

/** A merged period's headline figures. */
function totalsFromStats(s: PeriodStats): PeriodTotals {
  const t = s.totals();
  return { transactions: t.transactions, succeeded: t.succeeded, durationMsP95: t.sketch.quantile(0.95) };
}

/** A facet's figures as headline totals. */
const totalsOf = ([transactions, succeeded, durationMsP95]: FacetPoint): PeriodTotals => ({ transactions, succeeded, durationMsP95 });

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export class MetricsReader {
  constructor(
    private readonly stats: StatsStore,
    private readonly now: () => number = Date.now,
    private readonly registry: Registry = defaultRegistry,
  ) {}

  /** A day not rolled yet: through its fold when one holds, else from every minute item. */
  private async dayNotRolled(day: string): Promise<DayView> {
    const r = await readDayNotRolled(day, this.stats);
    return r ? fromFold(day, r) : fromMinuteItems(day, await this.stats.minutesOf(day));
  }

  /** One point per minute whose start lies in `[from, to)`, zeros for minutes with no item. */
  async minutes(q: MinutesQuery): Promise<SeriesResponse> {
    const keys = minuteKeysBetween(q.fromMs, q.toMs);
    const unfiltered = isEmptyFilter(q.filter);
    const byDay = new Map<string, string[]>();
    for (const k of keys) byDay.set(k.slice(0, 10), [...(byDay.get(k.slice(0, 10)) ?? []), k]);
    const facet = singleFacet(q.filter);
    /** Figures that are the point already (series points, facets), and minute items whose payload the filter is merged from. */
    const exact = new Map<string, PeriodTotals>();
    const items = new Map<string, StoredPeriod>();
    await Promise.all(
      [...byDay].map(async ([day, ks]) => {
        const range = [ks[0]!.slice(11), ks[ks.length - 1]!.slice(11)] as const;
        // Unfiltered: the day's series item (one read) when it exists. One filter: the minutes' facets.
        const series = unfiltered || facet ? await this.stats.minuteSeries(day) : undefined;
        if (series && unfiltered) {
          for (const [hhmm, t] of series) exact.set(`${day}T${hhmm.slice(0, 2)}:${hhmm.slice(2)}`, t);
          return;
        }
        if (series && facet) {
          const facets = await this.stats.minuteFacets(day, ...range);
          const missing: string[] = [];
          for (const k of ks) {
            if (!series.get(k.slice(11, 13) + k.slice(14, 16))?.transactions) continue;
            const f = facets.get(k.slice(11));
            if (!f)
              missing.push(k.slice(11)); // rolled before facets were kept
            else exact.set(k, totalsOf(facetPoint(f, ...facet)));
          }
          for (const [lo, hi] of rangesOf(missing)) for (const m of await this.stats.minutesOf(day, lo, hi)) items.set(m.period, m);
          return;
        }
        for (const m of await this.stats.minutesOf(day, ...range, { payload: !unfiltered })) items.set(m.period, m);
      }),
    );
    const points = keys.map((k): MetricPoint => {
      const periodStart = periodStartOf(minuteStartMs(k));
      const done = exact.get(k);
      if (done)
        return done.transactions
          ? pointOf(periodStart, done.transactions, done.succeeded, done.durationMsP95)
          : pointOf(periodStart, 0, 0, null);
      const it = items.get(k);
      if (!it || it.transactions === 0) return pointOf(periodStart, 0, 0, null);
      if (unfiltered) return pointOf(periodStart, it.transactions, it.succeeded, it.durationMsP95);
      const t = mergeAll([it.payload()], q.filter).totals();
      return pointOf(periodStart, t.transactions, t.succeeded, t.sketch.quantile(0.95));
    });
    return { granularity: 'minute', from: formatInstant(q.fromMs), to: formatInstant(q.toMs), points };
  }

  /**
   * The days of `[from, to]` that have data. A day item is used when the day is complete (its
   * daily rollup ran); today, and yesterday before its daily rollup, are folded from minute items.
   */
  private async dayViews(
    from: string,
    to: string,
    needPayload: boolean,
    /** Summaries: the systems of the day items read go here (whole months by their unions); those views' `systems()` are then empty. */
    systemsOut?: Set<string>,
  ): Promise<Map<string, DayView>> {
    const today = dayOf(this.now());
    const yesterday = dayOf(dayStartMs(today) - DAY_MS / 2);
    const years = new Set(daysBetween(from, to).map((d) => d.slice(0, 4)));
    const views = new Map<string, DayView>();
    await Promise.all(
      [...years].map(async (year) => {
        const lo = from.slice(0, 4) === year ? from.slice(5) : '01-01';
        const hi = to.slice(0, 4) === year ? to.slice(5) : '12-31';
        // Day items carry their summary beside the payload: series and summaries need no payload.
        // Today's day item, if a manual rollup wrote one, is already stale: minutes are the truth.
        const items = (await this.stats.daysOf<DayStable | null>(year, lo, hi, { payload: needPayload })).filter(
          (it) => it.period !== today,
        );
        // Their systems lists are items of their own (and a month's union), read only when a summary needs them.
        const systems = systemsOut
          ? await this.stats.systemsOfDays(
              year,
              new Map(items.filter((it) => !it.summary?.systems).map((it) => [it.period.slice(5), it.systemsHash])),
            )
          : undefined;
        for (const s of systems?.union ?? []) systemsOut?.add(s);
        for (const item of items) {
          const own = systems && (systems.perDay.get(item.period) ?? (systems.covered.has(item.period) ? [] : undefined));
          views.set(item.period, fromDayItem(item, own));
        }
      }),
    );
    const incomplete = [yesterday, today].filter((d) => d >= from && d <= to && !views.has(d));
    await Promise.all(
      incomplete.map(async (d) => {
        views.set(d, await this.dayNotRolled(d));
      }),
    );
    return views;
  }

  /**
   * Unfiltered day points from the years' series items plus minute-derived views for the days not
   * complete yet; undefined when a year has no series item (then the day items are read).
   */
  private async daysFromSeries(q: DaysQuery): Promise<SeriesResponse | undefined> {
    const today = dayOf(this.now());
    const yesterday = dayOf(dayStartMs(today) - DAY_MS / 2);
    const totals = new Map<string, PeriodTotals>();
    for (const year of new Set(daysBetween(q.from, q.to).map((d) => d.slice(0, 4)))) {
      const series = await this.stats.daySeries(year);
      if (!series) return undefined;
      for (const [mmdd, t] of series) totals.set(`${year}-${mmdd.slice(0, 2)}-${mmdd.slice(2)}`, t);
    }
    // Today is always counted from its minutes (a day point of today would be stale); yesterday too until its day rolls.
    const pending = [yesterday, today].filter((d) => d >= q.from && d <= q.to && (d === today || !totals.has(d)));
    const views = new Map(await Promise.all(pending.map(async (d) => [d, await this.dayNotRolled(d)] as const)));
    const points = daysBetween(q.from, q.to).map((day): MetricPoint => {
      const periodStart = periodStartOf(dayStartMs(day));
      const v = views.get(day);
      const t = v
        ? { transactions: v.transactions, succeeded: v.succeeded, durationMsP95: v.transactions ? v.p95({}) : null }
        : totals.get(day);
      if (!t || t.transactions === 0) return { periodStart, transactions: 0, succeeded: 0, failed: 0, durationMsP95: null };
      return {
        periodStart,
        transactions: t.transactions,
        succeeded: t.succeeded,
        failed: t.transactions - t.succeeded,
        durationMsP95: t.durationMsP95,
      };
    });
    return { granularity: 'day', from: q.from, to: q.to, points };
  }

  /**
   * Day points of one filter: rolled days from their facets (days rolled before facets were kept:
   * their payloads), today and yesterday until it rolls through their fold; undefined when a
   * year has no series item (then the day items are read).
   */
  private async daysFromFacets(q: DaysQuery, [dim, value]: [FacetDimension, string]): Promise<SeriesResponse | undefined> {
    const today = dayOf(this.now());
    const yesterday = dayOf(dayStartMs(today) - DAY_MS / 2);
    const totals = new Map<string, PeriodTotals>();
    const rolled = new Set<string>();
    for (const year of new Set(daysBetween(q.from, q.to).map((d) => d.slice(0, 4)))) {
      const lo = q.from.slice(0, 4) === year ? q.from.slice(5) : '01-01';
      const hi = q.to.slice(0, 4) === year ? q.to.slice(5) : '12-31';
      const [series, facets] = await Promise.all([this.stats.daySeries(year), this.stats.dayFacets(year, lo, hi)]);
      if (!series) return undefined;
      const missing: string[] = [];
      for (const [mmdd, t] of series) {
        const d = `${year}-${mmdd.slice(0, 2)}-${mmdd.slice(2)}`;
        if (d < q.from || d > q.to) continue;
        rolled.add(d);
        if (!t.transactions) continue;
        const f = facets.get(d.slice(5));
        if (f) totals.set(d, totalsOf(facetPoint(f, dim, value)));
        else missing.push(d.slice(5));
      }
      missing.sort();
      if (missing.length) {
        for (const item of await this.stats.daysOf(year, missing[0], missing.at(-1)))
          if (missing.includes(item.period.slice(5))) totals.set(item.period, totalsFromStats(mergeAll([item.payload()], q.filter)));
      }
    }
    const pending = [yesterday, today].filter((d) => d >= q.from && d <= q.to && (d === today || !rolled.has(d)));
    for (const d of pending) totals.set(d, totalsFromStats((await this.dayNotRolled(d)).merged(q.filter)));
    const points = daysBetween(q.from, q.to).map((day): MetricPoint => {
      const t = totals.get(day);
      const periodStart = periodStartOf(dayStartMs(day));
      return t?.transactions ? pointOf(periodStart, t.transactions, t.succeeded, t.durationMsP95) : pointOf(periodStart, 0, 0, null);
    });
    return { granularity: 'day', from: q.from, to: q.to, points };
  }

  /** One point per day of `[from, to]` (inclusive), zeros for days with no data. */
  async days(q: DaysQuery): Promise<SeriesResponse> {
    const unfiltered = isEmptyFilter(q.filter);
    if (unfiltered) {
      const fromSeries = await this.daysFromSeries(q);
      if (fromSeries) return fromSeries;
    }
    const facet = singleFacet(q.filter);
    if (facet) {
      const fromFacets = await this.daysFromFacets(q, facet);
      if (fromFacets) return fromFacets;
    }
    const views = await this.dayViews(q.from, q.to, !unfiltered);
    const points = daysBetween(q.from, q.to).map((day): MetricPoint => {
      const periodStart = periodStartOf(dayStartMs(day));
      const v = views.get(day);
      if (!v || v.transactions === 0) return pointOf(periodStart, 0, 0, null);
      if (unfiltered) return pointOf(periodStart, v.transactions, v.succeeded, v.p95({}));
      const t = v.merged(q.filter).totals();
      return pointOf(periodStart, t.transactions, t.succeeded, t.sketch.quantile(0.95));
    });
    return { granularity: 'day', from: q.from, to: q.to, points };
  }

  /** Figures over a whole range of days; distinct systems and platforms are unions, not sums. */
  async summary(range: { from: string; to: string }): Promise<SummaryResponse> {
    const systems = new Set<string>();
    const views = [...(await this.dayViews(range.from, range.to, false, systems)).values()].filter((v) => v.transactions > 0);
    const platforms = new Set<string>();
    let transactions = 0;
    let succeeded = 0;
    let ngsp = 0;
    let peak: PeakMinute | null = null;
    for (const v of views.sort((a, b) => (a.day < b.day ? -1 : 1))) {
      transactions += v.transactions;
      succeeded += v.succeeded;
      ngsp += v.ngsp();
      for (const s of v.systems()) systems.add(s);
      for (const p of v.platforms()) platforms.add(p);
      const p = v.peak();
      if (p && (!peak || p.transactions > peak.transactions)) peak = p;
    }
    const start = dayStartMs(range.from);
    const end = Math.min(dayStartMs(range.to) + DAY_MS, this.now());
    const minutes = end > start ? Math.ceil((end - start) / MINUTE_MS) : 0;
    return {
      from: range.from,
      to: range.to,
      timezone: 'Asia/Ho_Chi_Minh',
      transactions,
      succeeded,
      failed: transactions - succeeded,
      ngspTransactions: ngsp,
      avgTransactionsPerMinute: minutes ? round3(transactions / minutes) : 0,
      distinctSystems: systems.size,
      reportingPlatforms: [...platforms].sort(),
      peakMinute: peak,
    };
  }

  /** Totals by service and by (consumer, provider) province pair, largest first. */
  async breakdown(q: DaysQuery): Promise<BreakdownResponse> {
    const views = [...(await this.dayViews(q.from, q.to, true)).values()].filter((v) => v.transactions > 0);
    const all = new PeriodStats();
    for (const v of views) all.merge(v.merged(q.filter).toPayload());
    const services = new Map<string, ServiceFigures>();
    const pairs = new Map<string, ProvincePairFigures>();
    const name = (code: string): string | null => (code ? this.provinceName(code, q.to) : null);
    for (const row of all.rows('', 'day')) {
      const serviceName = serviceNameOf(row.serviceCode);
      const s = services.get(row.serviceCode) ?? {
        serviceCode: row.serviceCode,
        ...(serviceName ? { serviceName } : {}),
        transactions: 0,
        succeeded: 0,
        failed: 0,
      };
      s.transactions += row.transactions;
      s.succeeded += row.succeeded;
      s.failed += row.failed;
      services.set(row.serviceCode, s);
      const key = `${row.consumerProvince}>${row.providerProvince}`;
      const p = pairs.get(key) ?? {
        consumerProvince: row.consumerProvince,
        consumerProvinceName: name(row.consumerProvince),
        providerProvince: row.providerProvince,
        providerProvinceName: name(row.providerProvince),
        transactions: 0,
        succeeded: 0,
        failed: 0,
      };
      p.transactions += row.transactions;
      p.succeeded += row.succeeded;
      p.failed += row.failed;
      pairs.set(key, p);
    }
    const byCount = <T extends { transactions: number }>(a: T, b: T): number => b.transactions - a.transactions;
    return {
      from: q.from,
      to: q.to,
      transactions: all.transactions,
      failures: failuresOf(all.rows('', 'day')),
      services: [...services.values()].sort((a, b) => byCount(a, b) || a.serviceCode.localeCompare(b.serviceCode)),
      provincePairs: [...pairs.values()].sort(
        (a, b) =>
          byCount(a, b) || a.consumerProvince.localeCompare(b.consumerProvince) || a.providerProvince.localeCompare(b.providerProvince),
      ),
    };
  }

  /**
   * *1.1* The systems rows of `[from, to]` (at most 31 days): each day's systems item (`rollDay`),
   * or for today — and yesterday until its day is rolled — its minutes' systems items merged.
   * With `platformId` (an LGSP key) only the day rows its platform reported transactions of are
   * counted, whole (CONTRACT.md 1.1). `by=org` merges the rows of each organisation pair.
   */
  async systemsBreakdown(q: BreakdownQuery & { by: BreakdownBy }, platformId?: string): Promise<SystemsBreakdownResponse> {
    const today = dayOf(this.now());
    const yesterday = dayOf(dayStartMs(today) - DAY_MS / 2);
    const days = new Map<string, SystemsPayload>();
    await Promise.all(
      [...new Set(daysBetween(q.from, q.to).map((d) => d.slice(0, 4)))].map(async (year) => {
        const lo = q.from.slice(0, 4) === year ? q.from.slice(5) : '01-01';
        const hi = q.to.slice(0, 4) === year ? q.to.slice(5) : '12-31';
        for (const [day, p] of await this.stats.daySystemsRows(year, lo, hi)) if (day !== today) days.set(day, p);
      }),
    );
    const incomplete = [yesterday, today].filter((d) => d >= q.from && d <= q.to && !days.has(d));
    await Promise.all(
      incomplete.map(async (d) => {
        const day = new SystemsStats();
        if (!(await mergeSystemsNotRolled(d, this.stats, day)))
          await mergeMinuteSystems(d, this.stats, day, await busyMinutes(d, this.stats));
        days.set(d, day.toPayload());
      }),
    );
    const all = new SystemsStats();
    const filter = { ...(platformId ? { platformId } : {}), ...q.filter };
    for (const p of days.values()) all.merge(p, filter);
    const grouped = q.by === 'org' ? all.regroup((k) => ['', '', k[2], '', k[4], '']) : all;
    const rows = grouped.rows('', 'day');
    const byCount = [...rows].sort((a, b) => b.transactions - a.transactions);
    const transactions = rows.reduce((n, r) => n + r.transactions, 0);
    const succeeded = rows.reduce((n, r) => n + r.succeeded, 0);
    return {
      from: q.from,
      to: q.to,
      by: q.by,
      ...(platformId ? { platformId } : {}),
      transactions,
      succeeded,
      failed: transactions - succeeded,
      failures: failuresOf(rows),
      totalRows: rows.length,
      limit: q.limit,
      rows: byCount.slice(0, q.limit).map((r) => {
        const { periodStart: _p, granularity: _g, ...row } = r;
        if (q.by === 'system') return row;
        const { route: _r, serviceCode: _s, consumerSystem: _c, providerSystem: _v, ...org } = row;
        return org;
      }),
    };
  }

  /** A province's name in the code set in force on the day, else in any code set that has the code. */
  private provinceName(code: string, day: string): string | null {
    const inForce = this.registry.codeSetOn(day)?.provinces.find((p) => p.code === code);
    if (inForce) return inForce.name;
    for (const cs of this.registry.data.codeSets) {
      const p = cs.provinces.find((x) => x.code === code);
      if (p) return p.name;
    }
    return null;
  }
}
