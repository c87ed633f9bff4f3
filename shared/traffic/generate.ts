/**
 * The seed traffic generator: valid v1 exchange events for a profile and a day, deterministic
 * from (profile, seed, day, scale), plus the figures the pipeline must find for that day.
 *
 * A day is made of `targetTransactions` transactions, spread over the minutes by the office and
 * machine curves of the catalogue. Every connected system takes part at least once (coverage
 * transactions spread through the day), so a full day's distinct systems equal the profile's
 * `connectedSystems`. Reports come out in the order an LGSP would send them: shortly after the
 * response, a few late (20 min – 6 h), a few twice (a duplicate, same eventId).
 */
import { getTimezoneOffset } from 'date-fns-tz/getTimezoneOffset';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { defaultRegistry, type Registry } from '#shared/registry.ts';
import { DAY_MS, MINUTE_MS, TIME_ZONE, dayStartMs, minuteKeyOf } from '#shared/time.ts';
import {
  averageDailyTransactions,
  catalogue as defaultCatalogue,
  type Catalogue,
  type ServiceDef,
  type TrafficProfile,
} from './profile.ts';
import { WeightedTable, mulberry32, normal, seedOf } from './prng.ts';
import { systemsOn, type SystemDef } from './systems.ts';

export interface GenerateOptions {
  /** @default the profile's seed */
  seed?: number;
  /** Multiplies the day's transactions (0.01 = 1 %). @default 1 */
  scale?: number;
  registry?: Registry;
  catalogue?: Catalogue;
}

/** What the pipeline must find for a generated day (CONTRACT.md summary.json fields). */
export interface DayExpectation {
  date: string;
  transactions: number;
  succeeded: number;
  failed: number;
  ngspTransactions: number;
  pairedTransactions: number;
  avgTransactionsPerMinute: number;
  peakMinute: { periodStart: string; transactions: number } | null;
  distinctSystems: number;
  systems: string[];
  reportingPlatforms: string[];
  /** Distinct reports (eventIds) and the extra copies sent. */
  reports: number;
  duplicates: number;
  lateReports: number;
  /** Events emitted: reports + duplicates. */
  events: number;
  /** Transactions per minute key (`YYYY-MM-DDTHH:mm`), minutes with none left out. */
  perMinute: Map<string, number>;
}

/** Weekday index of an ICT calendar day, Monday = 0. */
export function weekdayIndex(day: string): number {
  return (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
}

/** The day's transaction count: average day × weekday factor × (1 ± noise) × scale. */
export function targetTransactions(p: TrafficProfile, day: string, opts: GenerateOptions = {}): number {
  const seed = opts.seed ?? p.seed;
  const u = mulberry32(seedOf(seed, p.id, day, 'volume'))();
  const noise = 1 + p.dailyNoise * (2 * u - 1);
  return Math.round(averageDailyTransactions(p) * p.weekdayFactors.factors[weekdayIndex(day)]! * noise * (opts.scale ?? 1));
}

/** Id prefix: the generator's ids never clash across profiles, seeds or scales. */
export function idPrefix(p: TrafficProfile, opts: GenerateOptions = {}): string {
  const scale = opts.scale ?? 1;
  return `g${p.id}s${opts.seed ?? p.seed}${scale === 1 ? '' : `x${scale}`}`;
}

/** Piecewise-linear curve over the 1,440 minutes of a day, from `["HH:MM", weight]` points. */
export function minuteCurve(points: [string, number][]): number[] {
  const pts = points.map(([hhmm, w]) => [Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)), w] as const);
  const out: number[] = [];
  for (let m = 0; m < 1440; m++) {
    const x = m + 0.5;
    let i = 0;
    while (i < pts.length - 2 && pts[i + 1]![0] <= x) i++;
    const [x0, y0] = pts[i]!;
    const [x1, y1] = pts[i + 1]!;
    out.push(y0 + ((y1 - y0) * (x - x0)) / Math.max(1, x1 - x0));
  }
  return out;
}

/** A tiny binary min-heap of pending reports by emission time. */
class EmitHeap {
  private readonly items: { at: number; seq: number; event: ExchangeEvent }[] = [];
  private seq = 0;
  get size(): number {
    return this.items.length;
  }
  push(at: number, event: ExchangeEvent): void {
    const a = this.items;
    a.push({ at, seq: this.seq++, event });
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  peekAt(): number {
    return this.items[0]?.at ?? Infinity;
  }
  pop(): ExchangeEvent {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top.event;
  }
  private less(i: number, j: number): boolean {
    const a = this.items[i]!;
    const b = this.items[j]!;
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}

/** RFC 3339 with the zone's offset and milliseconds (offset looked up once per day). */
function formatter(day: string): (ms: number) => string {
  const offsetMs = getTimezoneOffset(TIME_ZONE, new Date(dayStartMs(day) + DAY_MS / 2));
  const sign = offsetMs < 0 ? '-' : '+';
  const abs = Math.abs(offsetMs) / 60_000;
  const suffix = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return (ms) => new Date(ms + offsetMs).toISOString().slice(0, 23) + suffix;
}

/**
 * One generated day. Iterate `events()` once; `expected` is complete when the iteration ends
 * (its transaction count and per-minute plan are known from the start).
 */
export class DayTraffic {
  readonly transactions: number;
  readonly systems: SystemDef[];
  readonly expected: DayExpectation;
  private readonly counts: number[];
  private readonly interactiveShare: number;
  private consumed = false;

  constructor(
    readonly profile: TrafficProfile,
    readonly day: string,
    readonly opts: GenerateOptions = {},
  ) {
    const seed = opts.seed ?? profile.seed;
    const cat = opts.catalogue ?? defaultCatalogue;
    this.transactions = targetTransactions(profile, day, opts);
    this.systems = systemsOn(profile, day, seed, opts.registry ?? defaultRegistry, cat).systems;
    const weekend = weekdayIndex(day) >= 5;
    this.interactiveShare = weekend ? profile.interactiveShare.weekend : profile.interactiveShare.weekday;
    const office = normalise(minuteCurve(cat.curves.office));
    const machine = normalise(minuteCurve(cat.curves.machine));
    this.officeCurve = office;
    this.machineCurve = machine;
    const mix = office.map((o, m) => this.interactiveShare * o + (1 - this.interactiveShare) * machine[m]!);
    const table = new WeightedTable(
      mix.map((_, m) => m),
      mix,
    );
    const r = mulberry32(seedOf(seed, profile.id, day, opts.scale ?? 1, 'minutes'));
    this.counts = new Array<number>(1440).fill(0);
    for (let i = 0; i < this.transactions; i++) this.counts[table.pick(r)]!++;
    const start = dayStartMs(day);
    const perMinute = new Map<string, number>();
    let peak: DayExpectation['peakMinute'] = null;
    this.counts.forEach((n, m) => {
      if (!n) return;
      const key = minuteKeyOf(start + m * MINUTE_MS);
      perMinute.set(key, n);
      if (!peak || n > peak.transactions) peak = { periodStart: `${key}:00+07:00`, transactions: n };
    });
    this.expected = {
      date: day,
      transactions: this.transactions,
      succeeded: 0,
      failed: 0,
      ngspTransactions: 0,
      pairedTransactions: 0,
      avgTransactionsPerMinute: Math.round((this.transactions / 1440) * 1000) / 1000,
      peakMinute: peak,
      distinctSystems: 0,
      systems: [],
      reportingPlatforms: [],
      reports: 0,
      duplicates: 0,
      lateReports: 0,
      events: 0,
      perMinute,
    };
  }

  private readonly officeCurve: number[];
  private readonly machineCurve: number[];

  /** The day's events in sending order. */
  *events(): Generator<ExchangeEvent> {
    if (this.consumed) throw new Error('DayTraffic.events() can be iterated once');
    this.consumed = true;
    const p = this.profile;
    const opts = this.opts;
    const seed = opts.seed ?? p.seed;
    const cat = opts.catalogue ?? defaultCatalogue;
    const r = mulberry32(seedOf(seed, p.id, this.day, opts.scale ?? 1, 'events'));
    const fmt = formatter(this.day);
    const dayStart = dayStartMs(this.day);
    const prefix = `${idPrefix(p, opts)}-${this.day.replaceAll('-', '')}`;

    // Services that have both a provider and a consumer among the day's systems.
    const consumersOf = new Map<string, SystemDef[]>();
    const providersOf = new Map<string, SystemDef[]>();
    for (const s of this.systems) {
      for (const c of s.consumes) consumersOf.set(c, [...(consumersOf.get(c) ?? []), s]);
      for (const c of s.provides) providersOf.set(c, [...(providersOf.get(c) ?? []), s]);
    }
    const services = cat.services.filter((s) => consumersOf.get(s.serviceCode)?.length && providersOf.get(s.serviceCode)?.length);
    if (!services.length) throw new Error(`profile ${p.id} has no usable service on ${this.day}`);
    const officeServices = new WeightedTable(
      services,
      services.map((s) => s.weight * s.interactive),
    );
    const machineServices = new WeightedTable(
      services,
      services.map((s) => s.weight * (1 - s.interactive)),
    );
    const errors = new WeightedTable(
      cat.errorCategories,
      cat.errorCategories.map((e) => e.share),
    );
    const serviceByCode = new Map(services.map((s) => [s.serviceCode, s]));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

    const providerFor = (svc: ServiceDef, consumer: SystemDef): SystemDef => {
      const providers = providersOf.get(svc.serviceCode)!;
      if (providers.length === 1) return providers[0]!;
      // A provincial provider (e.g. a land database) is mostly asked by its own province.
      if (consumer.provinceCode && r() < 0.9) {
        const local = providers.find((x) => x.provinceCode === consumer.provinceCode && x.id !== consumer.id);
        if (local) return local;
      }
      const others = providers.filter((x) => x.id !== consumer.id);
      return pick(others.length ? others : providers);
    };
    // Coverage: the k-th system takes part in transaction floor((k + 0.5) N / K).
    const coverage = new Map<number, SystemDef>();
    const K = this.systems.length;
    const N = this.transactions;
    if (N >= K) for (const [k, s] of this.systems.entries()) coverage.set(Math.floor(((k + 0.5) * N) / K), s);

    const heap = new EmitHeap();
    const systemsSeen = new Set<string>();
    const platformsSeen = new Set<string>();
    const exp = this.expected;
    let j = 0;
    for (let m = 0; m < 1440; m++) {
      const minuteStart = dayStart + m * MINUTE_MS;
      const pInteractive =
        (this.interactiveShare * this.officeCurve[m]!) /
        (this.interactiveShare * this.officeCurve[m]! + (1 - this.interactiveShare) * this.machineCurve[m]! || 1);
      for (let i = 0; i < this.counts[m]!; i++, j++) {
        let svc: ServiceDef;
        let consumer: SystemDef;
        let provider: SystemDef;
        const cover = coverage.get(j);
        if (cover?.consumes.some((c) => serviceByCode.has(c))) {
          svc = serviceByCode.get(pick(cover.consumes.filter((c) => serviceByCode.has(c))))!;
          consumer = cover;
          provider = providerFor(svc, consumer);
        } else if (cover?.provides.some((c) => serviceByCode.has(c))) {
          svc = serviceByCode.get(pick(cover.provides.filter((c) => serviceByCode.has(c))))!;
          provider = cover;
          const consumers = consumersOf.get(svc.serviceCode)!;
          consumer =
            consumers.find((c) => c.provinceCode !== undefined && c.provinceCode === provider.provinceCode && c.id !== provider.id) ??
            pick(consumers);
        } else {
          svc = (r() < pInteractive ? officeServices : machineServices).pick(r);
          consumer = pick(consumersOf.get(svc.serviceCode)!);
          provider = providerFor(svc, consumer);
        }
        const at = minuteStart + Math.floor(r() * 59_900);
        const ok = r() >= p.failureShare;
        const err = ok ? undefined : errors.pick(r);
        const duration =
          err?.errorCategory === 'TIMEOUT'
            ? 30_000 + Math.floor(r() * 5_000)
            : Math.max(5, Math.round(svc.durationMs * Math.exp(0.6 * normal(r)) * (ok ? 1 : 0.3)));
        const requestBytes = 300 + Math.floor(r() * 1500);
        const responseBytes = ok ? Math.round(svc.responseBytes * (0.5 + r())) : 120 + Math.floor(r() * 200);
        const route: 'NGSP' | 'LGSP' = consumer.platformId === provider.platformId && consumer.platformId !== 'NGSP' ? 'LGSP' : 'NGSP';
        const paired = r() < p.pairedShare;
        const roles: ('CONSUMER' | 'PROVIDER')[] = paired ? ['CONSUMER', 'PROVIDER'] : [r() < 0.75 ? 'CONSUMER' : 'PROVIDER'];
        const txId = `${prefix}-${String(j).padStart(6, '0')}`;
        const withTx = paired || r() < 0.5;
        const party = (s: SystemDef) => ({
          orgCode: s.orgCode,
          systemCode: s.systemCode,
          ...(s.provinceCode ? { provinceCode: s.provinceCode } : {}),
        });
        const hop = 5 + Math.floor(r() * 35);
        for (const role of roles) {
          const reqAt = role === 'CONSUMER' ? at : at + hop;
          const resAt = role === 'CONSUMER' ? at + duration : at + hop + Math.max(0, duration - 2 * hop);
          const event: ExchangeEvent = {
            schemaVersion: '1',
            eventId: `${txId}-${role === 'CONSUMER' ? 'c' : 'p'}`,
            ...(withTx ? { transactionId: txId } : {}),
            reporter: { platformId: role === 'CONSUMER' ? consumer.platformId : provider.platformId, role },
            route,
            consumer: party(consumer),
            provider: party(provider),
            serviceCode: svc.serviceCode,
            requestAt: fmt(reqAt),
            responseAt: fmt(resAt),
            succeeded: ok,
            ...(err ? { errorCategory: err.errorCategory } : {}),
            httpStatus: err ? err.httpStatus : 200,
            requestBytes,
            responseBytes,
          };
          const late = r() < p.lateShare;
          const emitAt = resAt + (late ? 20 * MINUTE_MS + Math.floor(r() * 340 * MINUTE_MS) : 200 + Math.floor(r() * 2800));
          heap.push(emitAt, event);
          exp.reports++;
          if (late) exp.lateReports++;
          if (r() < p.duplicateShare) {
            heap.push(emitAt + 1000 + Math.floor(r() * 10 * MINUTE_MS), event);
            exp.duplicates++;
          }
          platformsSeen.add(event.reporter.platformId);
        }
        systemsSeen.add(consumer.id);
        systemsSeen.add(provider.id);
        if (ok) exp.succeeded++;
        else exp.failed++;
        if (route === 'NGSP') exp.ngspTransactions++;
        if (paired) exp.pairedTransactions++;
      }
      // Every later report is emitted after the end of this minute: what is due goes out now.
      const end = minuteStart + MINUTE_MS;
      while (heap.size && heap.peekAt() < end) yield heap.pop();
    }
    while (heap.size) yield heap.pop();
    exp.events = exp.reports + exp.duplicates;
    exp.systems = [...systemsSeen].sort();
    exp.distinctSystems = exp.systems.length;
    exp.reportingPlatforms = [...platformsSeen].sort();
  }
}

function normalise(xs: number[]): number[] {
  const sum = xs.reduce((a, b) => a + b, 0);
  return xs.map((x) => x / sum);
}

/** The days `from`, `from + 1`, … (`count` of them), as ICT calendar days. */
export function consecutiveDays(from: string, count: number): string[] {
  const out: string[] = [];
  const d = new Date(`${from}T00:00:00Z`);
  for (let i = 0; i < count; i++) {
    out.push(new Date(d.getTime() + i * DAY_MS).toISOString().slice(0, 10));
  }
  return out;
}
