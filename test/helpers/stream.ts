/**
 * A generated stream of exchange reports with the hard cases (pairs in either order, late
 * CONSUMER reports that move a transaction, duplicates, conflicts, invalid events) and an
 * independent brute-force oracle of what every rollup must contain. Deliberately shares no
 * code with shared/stats: it recomputes everything from the raw events.
 */
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { formatInTimeZone } from 'date-fns-tz';
import { mulberry32 } from '#shared/traffic/prng.ts';

/** Seeded randomness (the PRNG is shared; the counting below is not). */
export const rng = mulberry32;

const ZONE = 'Asia/Ho_Chi_Minh';
const iso = (ms: number): string => formatInTimeZone(ms, ZONE, "yyyy-MM-dd'T'HH:mm:ss.SSSxxx");
const isoUtc = (ms: number): string => new Date(ms).toISOString();
export const minuteOf = (ms: number): string => formatInTimeZone(ms, ZONE, "yyyy-MM-dd'T'HH:mm");
export const dayOfMs = (ms: number): string => formatInTimeZone(ms, ZONE, 'yyyy-MM-dd');

export interface StreamOptions {
  seed: number;
  startMs: number;
  spanMs: number;
  transactions: number;
  /** Share of transactions reported by both sides. */
  pairShare?: number;
  duplicateShare?: number;
  invalidShare?: number;
  conflictShare?: number;
  /** Share of paired transactions whose CONSUMER report starts in another minute than the PROVIDER's. */
  crossMinuteShare?: number;
  /** Platforms valid on the stream's dates (63-code era unless told). */
  platforms?: string[];
  provinces?: string[];
  /** Service codes to pick from (default: five short codes, not in seeds/services.json). */
  services?: string[];
  prefix?: string;
}

export interface Stream {
  /** Valid reports, each once (the ground truth). */
  valid: ExchangeEvent[];
  /** Extra copies to resend (duplicates). */
  duplicates: ExchangeEvent[];
  /** Second reports for a taken role with another eventId (same facts). */
  conflicts: ExchangeEvent[];
  /** Invalid events, each with the field the validator must name. */
  invalid: { event: unknown; path: string }[];
}

export function generateStream(o: StreamOptions): Stream {
  const r = rng(o.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const platforms = o.platforms ?? ['LGSP-01', 'LGSP-48', 'LGSP-77', 'LGSP-79', 'LGSP-BYT', 'LGSP-BTP', 'NGSP'];
  const provinces = o.provinces ?? ['01', '48', '77', '79', '92'];
  const services = o.services ?? ['hotich.khaisinh', 'dkkd.tracuu', 'bhxh.thamgia', 'dancu.xacthuc', 'yte.khambenh'];
  const systems = ['SOTP/MOTCUA', 'BTP/HOTICH', 'BHXH/CSDL', 'BCA/DANCU', 'BYT/KCB', 'SOKHDT/DKKD', 'UBND/DVC'];
  const prefix = o.prefix ?? `s${o.seed}`;
  const out: Stream = { valid: [], duplicates: [], conflicts: [], invalid: [] };
  for (let i = 0; i < o.transactions; i++) {
    const t = o.startMs + Math.floor(r() * o.spanMs);
    const [cOrg, cSys] = pick(systems).split('/') as [string, string];
    const [pOrg, pSys] = pick(systems).split('/') as [string, string];
    const cProv = r() < 0.85 ? pick(provinces) : undefined;
    const pProv = r() < 0.85 ? pick(provinces) : undefined;
    const ok = r() < 0.93;
    const duration = r() < 0.05 ? 0 : Math.floor(r() ** 3 * 30_000);
    const base = {
      route: (r() < 0.7 ? 'NGSP' : 'LGSP') as 'NGSP' | 'LGSP',
      consumer: { orgCode: cOrg, systemCode: cSys, ...(cProv ? { provinceCode: cProv } : {}) },
      provider: { orgCode: pOrg, systemCode: pSys, ...(pProv ? { provinceCode: pProv } : {}) },
      serviceCode: pick(services),
      succeeded: ok,
      // A failure may carry no category (the contract makes it optional): counted as unspecified.
      ...(ok ? {} : ((c) => (c === 'NONE' ? {} : { errorCategory: c }))(pick(['TIMEOUT', 'TARGET', 'AUTH', 'THROTTLED', 'NONE'] as const))),
      requestBytes: Math.floor(r() * 5000),
      responseBytes: Math.floor(r() * 50_000),
    };
    const paired = r() < (o.pairShare ?? 0.5);
    const txId = `${prefix}-tx-${i}`;
    const mk = (role: 'CONSUMER' | 'PROVIDER', at: number, dur: number, eventId: string, withTx: boolean): ExchangeEvent => ({
      eventId,
      ...(withTx ? { transactionId: txId } : {}),
      reporter: { platformId: pick(platforms), role },
      ...base,
      // Mix offsets: ICT and UTC renderings of the same instant must land in the same minute.
      requestAt: r() < 0.5 ? iso(at) : isoUtc(at),
      responseAt: iso(at + dur),
    });
    if (paired) {
      const cross = r() < (o.crossMinuteShare ?? 0.3);
      const pAt = cross ? t + 60_000 + Math.floor(r() * 120_000) : t + Math.floor(r() * 50);
      out.valid.push(mk('CONSUMER', t, duration, `${prefix}-c-${i}`, true));
      out.valid.push(mk('PROVIDER', pAt, Math.max(0, duration - 5), `${prefix}-p-${i}`, true));
    } else {
      const role = r() < 0.7 ? 'CONSUMER' : 'PROVIDER';
      out.valid.push(mk(role, t, duration, `${prefix}-${role === 'CONSUMER' ? 'c' : 'p'}-${i}`, r() < 0.5));
    }
  }
  for (const e of out.valid) if (r() < (o.duplicateShare ?? 0.2)) out.duplicates.push(structuredClone(e));
  for (const e of out.valid) {
    if (e.transactionId && r() < (o.conflictShare ?? 0.01)) out.conflicts.push({ ...structuredClone(e), eventId: `${e.eventId}-again` });
  }
  const nInvalid = Math.round(out.valid.length * (o.invalidShare ?? 0.05));
  const breakers: ((e: Record<string, unknown>) => string)[] = [
    (e) => {
      delete e.serviceCode;
      return 'serviceCode';
    },
    (e) => {
      (e.reporter as Record<string, unknown>).platformId = 'LGSP-XX';
      return 'reporter.platformId';
    },
    (e) => {
      e.requestAt = '2021-03-10 08:15:00';
      return 'requestAt';
    },
    (e) => {
      e.extra = 1;
      return 'extra';
    },
    (e) => {
      e.succeeded = 'yes';
      return 'succeeded';
    },
    (e) => {
      (e.consumer as Record<string, unknown>).provinceCode = '99';
      return 'consumer.provinceCode';
    },
    (e) => {
      e.requestBytes = -1;
      return 'requestBytes';
    },
    (e) => {
      e.eventId = `${String(e.eventId)}#/with\nnewline`;
      return 'eventId';
    },
  ];
  for (let i = 0; i < nInvalid; i++) {
    const e = structuredClone(pick(out.valid)) as unknown as Record<string, unknown>;
    e.eventId = `${prefix}-bad-${i}`;
    const path = pick(breakers)(e);
    out.invalid.push({ event: e, path });
  }
  return out;
}

export interface OracleTx {
  consumer?: ExchangeEvent;
  provider?: ExchangeEvent;
}

/** Transactions by key, the way the contract defines them (conflict copies carry the same facts). */
export function oracleTransactions(valid: ExchangeEvent[]): Map<string, OracleTx> {
  const txs = new Map<string, OracleTx>();
  for (const e of valid) {
    const key = e.transactionId ? `T#${e.transactionId}` : `E#${e.reporter.platformId}#${e.eventId}`;
    const tx = txs.get(key) ?? {};
    if (e.reporter.role === 'CONSUMER') tx.consumer ??= e;
    else tx.provider ??= e;
    txs.set(key, tx);
  }
  return txs;
}

export interface OracleRow {
  periodStart: string;
  granularity: 'minute' | 'day';
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
  durations: number[];
  /** Day rows (CONTRACT.md 1.1): failures by column name (`failedTimeout`, …, `failedUnspecified`). */
  causes: Record<string, number>;
}

/** Brute-force rows of every minute and day: period key → rows keyed by group. */
export function oracleRows(txs: Map<string, OracleTx>, granularity: 'minute' | 'day'): Map<string, Map<string, OracleRow>> {
  const periods = new Map<string, Map<string, OracleRow>>();
  for (const tx of txs.values()) {
    const e = (tx.consumer ?? tx.provider)!;
    const at = Date.parse(e.requestAt);
    const period = granularity === 'minute' ? minuteOf(at) : dayOfMs(at);
    const group = [e.route, e.serviceCode, e.consumer.provinceCode ?? '', e.provider.provinceCode ?? ''];
    const rows = periods.get(period) ?? new Map<string, OracleRow>();
    const key = group.join('|');
    const row = rows.get(key) ?? {
      periodStart: granularity === 'minute' ? `${period}:00+07:00` : `${period}T00:00:00+07:00`,
      granularity,
      route: group[0]!,
      serviceCode: group[1]!,
      consumerProvince: group[2]!,
      providerProvince: group[3]!,
      transactions: 0,
      succeeded: 0,
      failed: 0,
      pairedTransactions: 0,
      requestBytes: 0,
      responseBytes: 0,
      durations: [],
      causes: {},
    };
    row.transactions++;
    if (e.succeeded) row.succeeded++;
    else {
      row.failed++;
      const cause = e.errorCategory ? `failed${e.errorCategory[0]}${e.errorCategory.slice(1).toLowerCase()}` : 'failedUnspecified';
      row.causes[cause] = (row.causes[cause] ?? 0) + 1;
    }
    if (tx.consumer && tx.provider) row.pairedTransactions++;
    row.requestBytes += e.requestBytes ?? 0;
    row.responseBytes += e.responseBytes ?? 0;
    row.durations.push(Date.parse(e.responseAt) - at);
    rows.set(key, row);
    periods.set(period, rows);
  }
  return periods;
}

/** The value at quantile q as DDSketch defines rank (q × (n − 1)), from the exact sorted data. */
export function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** Expected summary fields of a day (those the stream determines). */
export function oracleSummary(txs: Map<string, OracleTx>, day: string) {
  let transactions = 0,
    succeeded = 0,
    ngsp = 0;
  const systems = new Set<string>();
  const platforms = new Set<string>();
  const perMinute = new Map<string, number>();
  for (const tx of txs.values()) {
    const e = (tx.consumer ?? tx.provider)!;
    const at = Date.parse(e.requestAt);
    if (dayOfMs(at) !== day) continue;
    transactions++;
    if (e.succeeded) succeeded++;
    if (e.route === 'NGSP') ngsp++;
    systems.add(`${e.consumer.orgCode}/${e.consumer.systemCode}`);
    systems.add(`${e.provider.orgCode}/${e.provider.systemCode}`);
    if (tx.consumer) platforms.add(tx.consumer.reporter.platformId);
    if (tx.provider) platforms.add(tx.provider.reporter.platformId);
    perMinute.set(minuteOf(at), (perMinute.get(minuteOf(at)) ?? 0) + 1);
  }
  let peak: { periodStart: string; transactions: number } | null = null;
  for (const [m, n] of [...perMinute].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!peak || n > peak.transactions) peak = { periodStart: `${m}:00+07:00`, transactions: n };
  }
  return {
    date: day,
    timezone: ZONE,
    transactions,
    succeeded,
    failed: transactions - succeeded,
    ngspTransactions: ngsp,
    avgTransactionsPerMinute: Math.round((transactions / 1440) * 1000) / 1000,
    peakMinute: peak,
    distinctSystems: systems.size,
    systems: [...systems].sort(),
    reportingPlatforms: [...platforms].sort(),
  };
}

/** *1.1* An oracle systems row: the measures of a day row, keyed by systems, with the platforms that reported it. */
export interface OracleSystemsRow extends Omit<OracleRow, 'consumerProvince' | 'providerProvince'> {
  consumerOrg: string;
  consumerSystem: string;
  providerOrg: string;
  providerSystem: string;
  reportingPlatforms: Set<string>;
}

/** Brute-force systems rows of every day (CONTRACT.md 1.1 systems.jsonl): day → rows keyed by `route|service|cOrg|cSys|pOrg|pSys`. */
export function oracleSystemsRows(txs: Map<string, OracleTx>): Map<string, Map<string, OracleSystemsRow>> {
  const days = new Map<string, Map<string, OracleSystemsRow>>();
  for (const tx of txs.values()) {
    const e = (tx.consumer ?? tx.provider)!;
    const at = Date.parse(e.requestAt);
    const day = dayOfMs(at);
    const group = [e.route, e.serviceCode, e.consumer.orgCode, e.consumer.systemCode, e.provider.orgCode, e.provider.systemCode];
    const rows = days.get(day) ?? new Map<string, OracleSystemsRow>();
    const key = group.join('|');
    const row = rows.get(key) ?? {
      periodStart: `${day}T00:00:00+07:00`,
      granularity: 'day' as const,
      route: group[0]!,
      serviceCode: group[1]!,
      consumerOrg: group[2]!,
      consumerSystem: group[3]!,
      providerOrg: group[4]!,
      providerSystem: group[5]!,
      transactions: 0,
      succeeded: 0,
      failed: 0,
      pairedTransactions: 0,
      requestBytes: 0,
      responseBytes: 0,
      durations: [],
      causes: {},
      reportingPlatforms: new Set<string>(),
    };
    row.transactions++;
    if (e.succeeded) row.succeeded++;
    else {
      row.failed++;
      const cause = e.errorCategory ? `failed${e.errorCategory[0]}${e.errorCategory.slice(1).toLowerCase()}` : 'failedUnspecified';
      row.causes[cause] = (row.causes[cause] ?? 0) + 1;
    }
    if (tx.consumer && tx.provider) row.pairedTransactions++;
    row.requestBytes += e.requestBytes ?? 0;
    row.responseBytes += e.responseBytes ?? 0;
    row.durations.push(Date.parse(e.responseAt) - at);
    if (tx.consumer) row.reportingPlatforms.add(tx.consumer.reporter.platformId);
    if (tx.provider) row.reportingPlatforms.add(tx.provider.reporter.platformId);
    rows.set(key, row);
    days.set(day, rows);
  }
  return days;
}
