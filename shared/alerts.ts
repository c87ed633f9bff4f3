/**
 * Exchange-health alerts (CONTRACT.md 1.1, `GET /v1/alerts`), computed from the final minute
 * figures the rollup writes. Pure domain code: the state, the hour profiles and the alerts go
 * through an {@link AlertStore} (shared/store/alerts.ts knows the keys), notifications through a
 * {@link Notifier} (SNS in AWS, a log line locally).
 *
 * How it works (docs/operations.md "Exchange-health alerts"):
 * - Each scheduled run feeds the minutes that became final, in order and each once (the state
 *   remembers the last minute fed), into an accumulator of the current clock hour: per platform
 *   the minutes it reported in, per service its transactions, failures and a duration sketch, per
 *   province pair its transactions.
 * - When an hour ends, its compact profile (per service [transactions, failed, p95], per pair
 *   transactions, per platform active minutes) is stored, and the hour is judged against the
 *   profiles of the same hour on the `baselineDays` days before (FAILURE_RATIO, DURATION_P95,
 *   TRAFFIC_DROP).
 * - Every minute, a platform that is usually active in this hour (at least `activeMinutes` of its
 *   60 minutes on at least `usualDays` of the baseline days) and did not report counts one silent
 *   minute; `silentMinutes` of them in a row raise PLATFORM_SILENT.
 * - An alert is raised once (its id is derived from kind, subject and start) and cleared when an
 *   hour (a minute, for silence) is judged normal again; hours too quiet to judge change nothing.
 */
import { createHash } from 'node:crypto';
import type { PeriodPayload } from '#shared/stats/period.ts';
import { DurationSketch, type SketchData } from '#shared/stats/sketch.ts';
import { MINUTE_MS, minuteKeyOf, minuteStartMs, periodStartOf } from '#shared/time.ts';

export const ALERT_KINDS = ['PLATFORM_SILENT', 'FAILURE_RATIO', 'DURATION_P95', 'TRAFFIC_DROP'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** What an alert says beyond its kind and subject: the figures that raised it. */
export interface AlertDetail {
  /** Human-readable summary (English). */
  message: string;
  /** Province codes whose traffic the alert is about (an LGSP of those provinces sees it). */
  provinces: string[];
  /** Figures of the hour (or the silence) that raised it, and of its baseline. */
  [figure: string]: unknown;
}

/** One alert as stored and served (CONTRACT.md section 3, `GET /v1/alerts`). */
export interface Alert {
  id: string;
  kind: AlertKind;
  /** A platform id (PLATFORM_SILENT), a service code (FAILURE_RATIO, DURATION_P95), a province pair `79>01` (TRAFFIC_DROP; `-` for not reported). */
  subject: string;
  /** RFC 3339, +07:00. */
  startedAt: string;
  /** RFC 3339, +07:00; null while open. */
  endedAt: string | null;
  detail: AlertDetail;
}

/** Thresholds (their one home: the rollup's settings in infra/wiring.ts). */
export interface AlertSettings {
  /** Silent minutes in a row, within the platform's usual hours, that raise PLATFORM_SILENT. */
  silentMinutes: number;
  /** Days before whose same hour is the baseline. */
  baselineDays: number;
  /** Baseline hours needed to judge (and days a platform must have been active in that hour for it to be usual). */
  usualDays: number;
  /** Minutes of an hour a platform must have reported in for that hour to count as active. */
  activeMinutes: number;
  /** Transactions an hour must have (service) or usually has (pair) to be judged. */
  minVolume: number;
  /** FAILURE_RATIO: the hour's ratio is at least the baseline's plus this many percentage points... */
  failureDeltaPct: number;
  /** ...and at least this percentage of the baseline's. */
  failureFactorPct: number;
  /** DURATION_P95: the hour's p95 is at least this percentage of the baseline's... */
  p95FactorPct: number;
  /** ...and at least this many ms above it... */
  p95MinDeltaMs: number;
  /** ...in an hour of at least this many transactions (a p95 of fewer swings with a few timeouts). */
  p95MinVolume: number;
  /** TRAFFIC_DROP: the hour's transactions are below this percentage of the baseline's median. */
  dropPct: number;
}

/** The figures of one final minute that the alerts use. */
export interface MinuteDigest {
  minute: string;
  platforms: string[];
  /** Per service: transactions, failed, durations, provinces involved. */
  services: Map<string, { n: number; f: number; sketch: DurationSketch; provinces: Set<string> }>;
  /** Transactions per province pair (`consumer>provider`, `-` when not reported). */
  pairs: Map<string, number>;
}

export const pairSubject = (consumerProvince: string, providerProvince: string): string =>
  `${consumerProvince || '-'}>${providerProvince || '-'}`;

const pairProvinces = (subject: string): string[] => subject.split('>').filter((p) => p !== '-');

/** A final minute's stats payload as the alerts see it. */
export function digestMinute(minute: string, payload: PeriodPayload): MinuteDigest {
  const services: MinuteDigest['services'] = new Map();
  const pairs = new Map<string, number>();
  for (const g of payload.groups) {
    const [, service, cp, pp] = g.k;
    let s = services.get(service);
    if (!s) {
      s = { n: 0, f: 0, sketch: new DurationSketch(), provinces: new Set() };
      services.set(service, s);
    }
    s.n += g.n;
    s.f += g.n - g.ok;
    s.sketch.merge(DurationSketch.fromData(g.s));
    if (cp) s.provinces.add(cp);
    if (pp) s.provinces.add(pp);
    const pair = pairSubject(cp, pp);
    pairs.set(pair, (pairs.get(pair) ?? 0) + g.n);
  }
  return { minute, platforms: [...payload.platforms], services, pairs };
}

/** A clock hour (`YYYY-MM-DDTHH`) being accumulated, in its stored form. */
export interface HourAccumulator {
  hour: string;
  /** Minutes fed so far. */
  minutes: number;
  /** Minutes each platform reported in. */
  platforms: Record<string, number>;
  services: Record<string, { n: number; f: number; s: SketchData | null; p: string[] }>;
  pairs: Record<string, number>;
}

/** A finished hour, compact: what the baselines are made of. */
export interface HourProfile {
  hour: string;
  minutes: number;
  platforms: Record<string, number>;
  /** Per service: [transactions, failed, p95 ms or null]. */
  services: Record<string, [number, number, number | null]>;
  pairs: Record<string, number>;
}

export type AlertChange = 'raised' | 'cleared';

/** Everything the alerts carry from one run to the next (one item). */
export interface AlertState {
  /** The last minute fed. */
  through: string | null;
  acc: HourAccumulator | null;
  /** Platforms usually active in `acc.hour`. */
  usual: string[];
  /** Silent minutes in a row (in usual hours) per platform, and the last minute each reported. */
  silent: Record<string, number>;
  lastSeen: Record<string, string>;
  /** Open alerts by `kind|subject`. */
  open: Record<string, Alert>;
  /** Changes saved but not yet notified (sent by the next run if this one fails to). */
  pending: { alert: Alert; change: AlertChange }[];
}

export const emptyState = (): AlertState => ({ through: null, acc: null, usual: [], silent: {}, lastSeen: {}, open: {}, pending: [] });

const hourOf = (minute: string): string => minute.slice(0, 13);
const hourStartMs = (hour: string): number => minuteStartMs(`${hour}:00`);
const ict = (ms: number): string => periodStartOf(ms);

/** The same hour on each of the `days` days before `hour`, oldest first. */
export function baselineHours(hour: string, days: number): string[] {
  const t = hourStartMs(hour);
  const out: string[] = [];
  for (let d = days; d >= 1; d--) out.push(hourOf(minuteKeyOf(t - d * 86_400_000)));
  return out;
}

/** Deterministic: the same alert found again (a replay after a crash) has the same id. */
export function alertId(kind: AlertKind, subject: string, startedAt: string): string {
  return createHash('sha256').update(`${kind}|${subject}|${startedAt}`).digest('hex').slice(0, 20);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;

export function toProfile(acc: HourAccumulator): HourProfile {
  const services: HourProfile['services'] = {};
  for (const [code, s] of Object.entries(acc.services))
    services[code] = [s.n, s.f, s.s ? DurationSketch.fromData(s.s).quantile(0.95) : null];
  return { hour: acc.hour, minutes: acc.minutes, platforms: { ...acc.platforms }, services, pairs: { ...acc.pairs } };
}

/** Baseline profiles good enough to judge by: whole hours (a few minutes may be missing). */
const usable = (profiles: HourProfile[]): HourProfile[] => profiles.filter((p) => p.minutes >= 50);

/** Platforms usually active in an hour, from its baseline profiles. */
export function usualPlatforms(baseline: HourProfile[], s: AlertSettings): string[] {
  const days = new Map<string, number>();
  for (const p of usable(baseline))
    for (const [id, active] of Object.entries(p.platforms)) if (active >= s.activeMinutes) days.set(id, (days.get(id) ?? 0) + 1);
  return [...days].filter(([, n]) => n >= s.usualDays).map(([id]) => id);
}

/** The alert engine of one run: the state and what it changed. Pure; the store is the caller's. */
export class AlertEngine {
  readonly changes: { alert: Alert; change: AlertChange }[] = [];
  readonly profiles: HourProfile[] = [];
  /** The accumulated hour's sketches, live (written back into the state by {@link flush}). */
  private readonly sketches = new Map<string, DurationSketch>();

  constructor(
    readonly state: AlertState,
    private readonly settings: AlertSettings,
  ) {}

  private raise(kind: AlertKind, subject: string, startedMs: number, detail: AlertDetail): void {
    const key = `${kind}|${subject}`;
    if (this.state.open[key]) return;
    const startedAt = ict(startedMs);
    const alert: Alert = { id: alertId(kind, subject, startedAt), kind, subject, startedAt, endedAt: null, detail };
    this.state.open[key] = alert;
    this.changes.push({ alert, change: 'raised' });
  }

  private clear(kind: AlertKind, subject: string, endedMs: number): void {
    const key = `${kind}|${subject}`;
    const open = this.state.open[key];
    if (!open) return;
    delete this.state.open[key];
    const alert = { ...open, endedAt: ict(endedMs) };
    this.changes.push({ alert, change: 'cleared' });
  }

  /** The hour being accumulated, if any, and the hour a minute belongs to. */
  hourToOpen(minute: string): string | undefined {
    return this.state.acc?.hour === hourOf(minute) ? undefined : hourOf(minute);
  }

  /**
   * Feeds one final minute (in order). `digest` undefined: the minute's figures are unknown (not
   * rolled, quarantined): it counts towards nothing. When the minute starts a new hour, the
   * finished hour is judged against `closing` (its baseline) and the new one's usual platforms
   * come from `opening` (its baseline): the caller reads both (see {@link hourToOpen}).
   */
  feed(minute: string, digest: MinuteDigest | undefined, baselines: { closing?: HourProfile[]; opening?: HourProfile[] }): void {
    const st = this.state;
    if (st.through !== null && minute <= st.through) return;
    if (st.acc?.hour !== hourOf(minute)) {
      if (st.acc) this.closeHour(st.acc, baselines.closing ?? []);
      st.acc = { hour: hourOf(minute), minutes: 0, platforms: {}, services: {}, pairs: {} };
      st.usual = usualPlatforms(baselines.opening ?? [], this.settings).sort();
      for (const id of Object.keys(st.silent)) if (!st.usual.includes(id)) delete st.silent[id];
    }
    st.through = minute;
    if (!digest) return;
    const acc = st.acc;
    acc.minutes += 1;
    const t = minuteStartMs(minute);
    for (const id of digest.platforms) {
      acc.platforms[id] = (acc.platforms[id] ?? 0) + 1;
      st.lastSeen[id] = minute;
      delete st.silent[id];
      this.clear('PLATFORM_SILENT', id, t);
    }
    const present = new Set(digest.platforms);
    for (const id of st.usual) {
      if (present.has(id)) continue;
      const n = (st.silent[id] ?? 0) + 1;
      st.silent[id] = n;
      if (n >= this.settings.silentMinutes) {
        const last = st.lastSeen[id];
        const since = last !== undefined ? minuteStartMs(last) + MINUTE_MS : t - (n - 1) * MINUTE_MS;
        const province = /^LGSP-(\d{2})$/.exec(id)?.[1];
        this.raise('PLATFORM_SILENT', id, since, {
          message: `${id} has sent no report since ${ict(since)} (usually active in this hour)`,
          provinces: province ? [province] : [],
          lastReportMinute: last ?? null,
          silentMinutesInUsualHours: n,
        });
      }
    }
    for (const [code, s] of digest.services) {
      const a = (acc.services[code] ??= { n: 0, f: 0, s: new DurationSketch().toData(), p: [] });
      a.n += s.n;
      a.f += s.f;
      if (a.s) {
        let live = this.sketches.get(code);
        if (!live) {
          live = DurationSketch.fromData(a.s);
          this.sketches.set(code, live);
        }
        live.merge(s.sketch);
      }
      for (const p of s.provinces) if (!a.p.includes(p)) a.p.push(p);
      a.p.sort();
    }
    for (const [pair, n] of digest.pairs) acc.pairs[pair] = (acc.pairs[pair] ?? 0) + n;
  }

  /** Writes the live sketches back into the accumulated hour (before the state is saved). */
  flush(): void {
    const acc = this.state.acc;
    for (const [code, live] of this.sketches) {
      const a = acc?.services[code];
      if (a?.s) a.s = live.toData();
    }
  }

  /** Judges a finished hour against the same hour of the baseline days. */
  private closeHour(acc: HourAccumulator, baseline: HourProfile[]): void {
    this.flush();
    this.sketches.clear();
    const profile = toProfile(acc);
    this.profiles.push(profile);
    const s = this.settings;
    const base = usable(baseline);
    // Too few baseline hours (a new stack), or an hour mostly not fed (a gap): nothing is judged.
    if (base.length < s.usualDays || profile.minutes < 50) return;
    const start = hourStartMs(acc.hour);
    const open = (kind: AlertKind): string[] =>
      Object.values(this.state.open)
        .filter((a) => a.kind === kind)
        .map((a) => a.subject);

    for (const code of new Set([...Object.keys(profile.services), ...open('FAILURE_RATIO'), ...open('DURATION_P95')])) {
      const [n, f, p95] = profile.services[code] ?? [0, 0, null];
      if (n < s.minVolume) continue; // too quiet to judge: open alerts stay as they are
      const provinces = acc.services[code]?.p ?? [];
      let bn = 0;
      let bf = 0;
      const p95s: number[] = [];
      for (const p of base) {
        const b = p.services[code];
        if (!b) continue;
        bn += b[0];
        bf += b[1];
        if (b[2] !== null) p95s.push(b[2]);
      }
      if (bn >= s.minVolume) {
        const ratio = f / n;
        const baseRatio = bf / bn;
        const breach = ratio >= baseRatio + s.failureDeltaPct / 100 && ratio >= (baseRatio * s.failureFactorPct) / 100;
        if (breach)
          this.raise('FAILURE_RATIO', code, start, {
            message: `${code}: ${round(ratio * 100, 1)} % of ${n} transactions failed in the hour from ${ict(start)} (baseline ${round(baseRatio * 100, 1)} %)`,
            provinces,
            transactions: n,
            failed: f,
            failureRatio: round(ratio),
            baselineFailureRatio: round(baseRatio),
          });
        else this.clear('FAILURE_RATIO', code, start);
      }
      if (p95 !== null && n >= s.p95MinVolume && p95s.length >= s.usualDays) {
        const baseP95 = median(p95s);
        const breach = p95 >= (baseP95 * s.p95FactorPct) / 100 && p95 - baseP95 >= s.p95MinDeltaMs;
        if (breach)
          this.raise('DURATION_P95', code, start, {
            message: `${code}: p95 duration ${Math.round(p95)} ms in the hour from ${ict(start)} (baseline ${Math.round(baseP95)} ms)`,
            provinces,
            transactions: n,
            durationMsP95: p95,
            baselineDurationMsP95: baseP95,
          });
        else this.clear('DURATION_P95', code, start);
      }
    }

    const pairs = new Set([...Object.keys(profile.pairs), ...open('TRAFFIC_DROP')]);
    for (const p of base) for (const pair of Object.keys(p.pairs)) pairs.add(pair);
    for (const pair of pairs) {
      const usual = median(base.map((p) => p.pairs[pair] ?? 0));
      if (usual < s.minVolume) continue;
      const n = profile.pairs[pair] ?? 0;
      if (n < (usual * s.dropPct) / 100)
        this.raise('TRAFFIC_DROP', pair, start, {
          message: `${pair}: ${n} transactions in the hour from ${ict(start)}, usually ${usual}`,
          provinces: pairProvinces(pair),
          transactions: n,
          baselineTransactions: usual,
        });
      else this.clear('TRAFFIC_DROP', pair, start);
    }
  }
}

/** Where the alerts keep their state, hour profiles and alerts (shared/store/alerts.ts). */
export interface AlertStore {
  loadState(): Promise<AlertState | undefined>;
  saveState(state: AlertState): Promise<void>;
  putProfiles(profiles: HourProfile[]): Promise<void>;
  /** The stored profiles of these hours (missing ones left out): one batch read. */
  profiles(hours: string[]): Promise<HourProfile[]>;
  putAlerts(alerts: Alert[]): Promise<void>;
  /** Alerts that overlap `[fromMs, toMs)`. */
  alertsBetween(fromMs: number, toMs: number): Promise<Alert[]>;
}

/** Sends an alert's change to people (SNS in AWS). */
export interface Notifier {
  publish(alert: Alert, change: AlertChange): Promise<void>;
}

export interface AlertDeps {
  store: AlertStore;
  notifier: Notifier;
  settings: AlertSettings;
  /** Reads minutes this run did not roll itself (a run that stopped before the alerts): payloads by minute. */
  readMinutes(minutes: string[]): Promise<Map<string, PeriodPayload>>;
  /** Most minutes fed in one run; a longer gap starts over after it (baselines still hold). */
  maxMinutes: number;
}

export interface AlertRunReport {
  minutesFed: number;
  raised: number;
  cleared: number;
  open: number;
  notified: number;
  /** Store reads and writes this run made (the cost, docs/architecture.md). */
  reads: number;
  writes: number;
}

/**
 * One run of the alerts: feeds the final minutes up to `lastFinal` (inclusive) that it has not fed
 * yet, in order. `digests` holds the minutes this run rolled; others are read back. Alerts and
 * profiles are written before the state, and notifications sent after it (a crash in between
 * replays the same minutes to the same alerts; an unsent notification is sent by the next run).
 */
export async function runAlerts(deps: AlertDeps, lastFinal: string, digests: Map<string, MinuteDigest>): Promise<AlertRunReport> {
  let reads = 1;
  let writes = 0;
  const state = (await deps.store.loadState()) ?? emptyState();
  const firstNew = state.through === null ? [...digests.keys()].sort()[0] : minuteKeyOf(minuteStartMs(state.through) + MINUTE_MS);
  const minutes: string[] = [];
  if (firstNew !== undefined && firstNew <= lastFinal) {
    let t = Math.max(minuteStartMs(firstNew), minuteStartMs(lastFinal) - (deps.maxMinutes - 1) * MINUTE_MS);
    for (; t <= minuteStartMs(lastFinal); t += MINUTE_MS) minutes.push(minuteKeyOf(t));
  }
  const missing = minutes.filter((m) => !digests.has(m));
  if (missing.length) {
    reads += 1;
    for (const [m, payload] of await deps.readMinutes(missing)) digests.set(m, digestMinute(m, payload));
  }
  const engine = new AlertEngine(state, deps.settings);
  const cache = new Map<string, HourProfile[]>();
  const baselineOf = async (hour: string): Promise<HourProfile[]> => {
    let b = cache.get(hour);
    if (!b) {
      reads += 1;
      b = await deps.store.profiles(baselineHours(hour, deps.settings.baselineDays));
      cache.set(hour, b);
    }
    return b;
  };
  for (const m of minutes) {
    const opening = engine.hourToOpen(m);
    const baselines = opening
      ? { opening: await baselineOf(opening), ...(state.acc ? { closing: await baselineOf(state.acc.hour) } : {}) }
      : {};
    engine.feed(m, digests.get(m), baselines);
  }
  engine.flush();
  if (engine.profiles.length) {
    await deps.store.putProfiles(engine.profiles);
    writes += engine.profiles.length;
  }
  if (engine.changes.length) {
    await deps.store.putAlerts(engine.changes.map((c) => c.alert));
    writes += engine.changes.length;
  }
  state.pending.push(...engine.changes);
  if (!minutes.length && !state.pending.length)
    return { minutesFed: 0, raised: 0, cleared: 0, open: Object.keys(state.open).length, notified: 0, reads, writes };
  await deps.store.saveState(state);
  writes += 1;
  let notified = 0;
  if (state.pending.length) {
    const left: AlertState['pending'] = [];
    for (const p of state.pending) {
      try {
        await deps.notifier.publish(p.alert, p.change);
        notified += 1;
      } catch {
        left.push(p);
      }
    }
    state.pending = left;
    await deps.store.saveState(state);
    writes += 1;
  }
  return {
    minutesFed: minutes.length,
    raised: engine.changes.filter((c) => c.change === 'raised').length,
    cleared: engine.changes.filter((c) => c.change === 'cleared').length,
    open: Object.keys(state.open).length,
    notified,
    reads,
    writes,
  };
}

/**
 * Who sees an alert (`GET /v1/alerts`): analyst and ops every alert; an LGSP key the silence of its
 * own platform, and the alerts about traffic of its province (`LGSP-<province code>`: a pair with
 * that province on either side, a service with traffic of that province in the hour).
 */
export function visibleTo(alert: Alert, platformId: string): boolean {
  if (alert.kind === 'PLATFORM_SILENT') return alert.subject === platformId;
  const province = /^LGSP-(\d{2})$/.exec(platformId)?.[1];
  return province !== undefined && alert.detail.provinces.includes(province);
}

/** `AlertDeps.readMinutes` over the stats store: one query per day of the minutes asked for. */
export function minuteReader(stats: {
  minutesOf(day: string, fromHhmm?: string, toHhmm?: string): Promise<{ period: string; payload(): PeriodPayload }[]>;
}) {
  return async (minutes: string[]): Promise<Map<string, PeriodPayload>> => {
    const out = new Map<string, PeriodPayload>();
    const byDay = new Map<string, string[]>();
    for (const m of minutes) byDay.set(m.slice(0, 10), [...(byDay.get(m.slice(0, 10)) ?? []), m]);
    for (const [day, ms] of byDay) {
      const wanted = new Set(ms);
      const sorted = [...ms].sort();
      for (const p of await stats.minutesOf(day, sorted[0]!.slice(11), sorted.at(-1)!.slice(11)))
        if (wanted.has(p.period)) out.set(p.period, p.payload());
    }
    return out;
  };
}
