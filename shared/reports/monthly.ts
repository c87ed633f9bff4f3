/**
 * The figures of a monthly report (CONTRACT.md 1.1, `reports/month=YYYY-MM/...`): one national
 * report and one per platform that reported in the month. Every figure is a sum over the month's
 * published daily rows (`rollup.jsonl`), restricted to the report's scope, so the report always
 * equals the files analysts download. Pure domain code: the rows come in, figures go out.
 *
 * Scope of a subject (what "its" transactions are):
 * - `national`: every row;
 * - the national platform (`NGSP`): rows of route NGSP (exchanges that crossed it);
 * - a province's LGSP: rows where its province is the consumer's or the provider's (the API's
 *   `province` filter);
 * - a ministry's LGSP: day rows carry provinces, not organisations, so its figures come from the
 *   systems rollup (`systems.jsonl`, rows by consumer/provider organisation) where the month has
 *   it: rows where an organisation of the ministry (its code, or a code under it: `BYT`,
 *   `BYT.xxx`, `BYT-xxx`) is the consumer or the provider. Without it the report says so.
 * Partner organisations (by transactions) also come from the systems rollup when present; until
 * then the report lists organisations by systems connected (summary.json `systems`).
 */
import type { Registry } from '#shared/registry.ts';
import { FAILURE_CAUSES, FAILURE_COLUMNS, type Row } from '#shared/stats/period.ts';
import type { SystemsRow } from '#shared/stats/systems.ts';
import { daysBetween } from '#shared/time.ts';

/** The subject of the report over every platform. */
export const NATIONAL = 'national';

/** A row of the systems rollup (CONTRACT.md 1.1 `systems.jsonl`): the columns the report reads. */
export type SystemRow = Pick<
  SystemsRow,
  | 'route'
  | 'serviceCode'
  | 'consumerOrg'
  | 'consumerSystem'
  | 'providerOrg'
  | 'providerSystem'
  | 'transactions'
  | 'succeeded'
  | 'failed'
  | 'pairedTransactions'
> &
  Partial<Pick<SystemsRow, (typeof FAILURE_COLUMNS)[number]>>;

/** What summary.json says that the report reads. */
export interface DaySummaryLike {
  date: string;
  transactions: number;
  peakMinute: { periodStart: string; transactions: number } | null;
  systems?: string[];
  reportingPlatforms: string[];
}

/** One final day of the month as published. */
export interface MonthDay {
  day: string;
  rows: Row[];
  summary?: DaySummaryLike;
  /** The day's systems rollup, when it exists. */
  systemRows?: SystemRow[];
}

export interface Totals {
  transactions: number;
  succeeded: number;
  failed: number;
  pairedTransactions: number;
}

export type SubjectKind = 'national' | 'platform-national' | 'province' | 'ministry' | 'unknown';

/** Which rows belong to a subject. */
export interface ReportScope {
  subject: string;
  kind: SubjectKind;
  /** The registry's name (Vietnamese), or the subject. */
  name: string;
  provinceCode?: string;
  /** Day rows of the subject; undefined: day rows cannot say (a ministry). */
  row?: (r: Row) => boolean;
  /** Organisations of the subject in systems rows; undefined: every row of the scope's day rows. */
  org?: (orgCode: string) => boolean;
}

export interface Ranked {
  key: string;
  label: string;
  transactions: number;
  failed?: number;
}

export interface MonthlyFigures {
  month: string;
  subject: string;
  kind: SubjectKind;
  name: string;
  /** Where the figures come from: the day rows, the systems rollup, or nothing that can say. */
  basis: 'daily-rows' | 'systems-rows' | 'unavailable';
  daysInMonth: number;
  /** Days of the month that have a published daily rollup. */
  daysPublished: number;
  totals: Totals;
  /** Share of transactions that succeeded, 0–1; null without transactions. */
  successRate: number | null;
  /** The same scope over the previous month, when that month has published days. */
  previous: Totals | null;
  /** Change of transactions against the previous month, in percent (one decimal); null when not comparable. */
  trendPercent: number | null;
  topServices: Ranked[];
  /** Provinces taking part (national, NGSP) or partner provinces (a province's LGSP). */
  partnerProvinces: Ranked[];
  /** Partner organisations by transactions (systems rollup), or null where the month has none. */
  partnerOrgs: Ranked[] | null;
  /** Failures by cause, in FAILURE_COLUMNS order; they add up to `totals.failed`. */
  failureCauses: { column: (typeof FAILURE_COLUMNS)[number]; cause: string; count: number }[];
  /** The scope's busiest days. */
  busiestDays: { day: string; transactions: number }[];
  /** Busiest minutes of the whole network (each day's summary.json `peakMinute`), largest first. */
  busiestMinutes: { periodStart: string; transactions: number }[];
  /** Systems connected (`orgCode/systemCode`) in the month, for the scope; null when the data cannot say. */
  systems: { count: number; byOrg: Ranked[]; list: string[] } | null;
  /** Platforms that reported in the month (union of the days'). */
  reportingPlatforms: string[];
}

/** `YYYY-MM`. */
export function isMonth(text: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(text);
}

/** Every day of a month, in order. */
export function daysOfMonth(month: string): string[] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return daysBetween(`${month}-01`, `${month}-${String(last).padStart(2, '0')}`);
}

export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

export const monthOf = (day: string): string => day.slice(0, 7);

/** The scope of a subject, from the registry entries of the platform (any validity). */
export function scopeOf(subject: string, registry: Pick<Registry, 'data'>): ReportScope {
  if (subject === NATIONAL) return { subject, kind: 'national', name: 'Toàn quốc', row: () => true };
  const entries = registry.data.platforms.filter((p) => p.platformId === subject);
  const entry = entries[entries.length - 1];
  const name = entry?.name ?? subject;
  if (entry?.kind === 'national') return { subject, kind: 'platform-national', name, row: (r) => r.route === 'NGSP' };
  if (entry?.kind === 'province' && entry.provinceCode) {
    const code = entry.provinceCode;
    return {
      subject,
      kind: 'province',
      name,
      provinceCode: code,
      row: (r) => r.consumerProvince === code || r.providerProvince === code,
    };
  }
  const org = subject.replace(/^LGSP-/, '');
  const ownOrg = (o: string): boolean => o === org || o.startsWith(`${org}.`) || o.startsWith(`${org}-`) || o.startsWith(`${org}_`);
  return { subject, kind: entry?.kind === 'ministry' ? 'ministry' : 'unknown', name, org: ownOrg };
}

const TOP = 10;

function ranked(counts: Map<string, { n: number; f: number }>, label: (k: string) => string, limit = TOP): Ranked[] {
  return [...counts.entries()]
    .sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([key, v]) => ({ key, label: label(key), transactions: v.n, failed: v.f }));
}

function add(map: Map<string, { n: number; f: number }>, key: string, n: number, f: number): void {
  const v = map.get(key) ?? { n: 0, f: 0 };
  v.n += n;
  v.f += f;
  map.set(key, v);
}

type Measured = Pick<Row, 'transactions' | 'succeeded' | 'failed' | 'pairedTransactions' | 'serviceCode'> &
  Partial<Row> &
  Partial<SystemRow>;

/** The rows of a subject on one day, and the basis they come from. */
function scopedRows(scope: ReportScope, d: MonthDay): Measured[] | undefined {
  if (scope.row) return d.rows.filter(scope.row);
  if (scope.org && d.systemRows) return d.systemRows.filter((r) => scope.org!(r.consumerOrg) || scope.org!(r.providerOrg));
  return undefined;
}

function totalsOf(rows: Measured[]): Totals {
  const t: Totals = { transactions: 0, succeeded: 0, failed: 0, pairedTransactions: 0 };
  for (const r of rows) {
    t.transactions += r.transactions;
    t.succeeded += r.succeeded;
    t.failed += r.failed;
    t.pairedTransactions += r.pairedTransactions;
  }
  return t;
}

/** The platforms that reported in the month (the subjects of its platform reports). */
export function reportingPlatformsOf(days: MonthDay[]): string[] {
  const out = new Set<string>();
  for (const d of days) for (const p of d.summary?.reportingPlatforms ?? []) out.add(p);
  return [...out].sort();
}

/**
 * The figures of one subject's report over the month's published days (`days`), with the
 * previous month's days for the trend. Province names come from the registry's code set of the day.
 */
export function monthlyFigures(
  month: string,
  scope: ReportScope,
  days: MonthDay[],
  previousDays: MonthDay[],
  registry: Pick<Registry, 'codeSetOn'>,
): MonthlyFigures {
  const inMonth = days.filter((d) => monthOf(d.day) === month).sort((a, b) => (a.day < b.day ? -1 : 1));
  const perDay = inMonth.map((d) => ({ day: d.day, rows: scopedRows(scope, d) }));
  const known = perDay.filter((d): d is { day: string; rows: Measured[] } => d.rows !== undefined);
  const basis: MonthlyFigures['basis'] = scope.row ? 'daily-rows' : known.length ? 'systems-rows' : 'unavailable';
  const all = known.flatMap((d) => d.rows);
  const totals = totalsOf(all);

  const prevRows = previousDays.flatMap((d) => scopedRows(scope, d) ?? []);
  const previous = previousDays.length && (scope.row || prevRows.length) ? totalsOf(prevRows) : null;
  const trendPercent =
    previous && previous.transactions > 0
      ? Math.round(((totals.transactions - previous.transactions) / previous.transactions) * 1000) / 10
      : null;

  const services = new Map<string, { n: number; f: number }>();
  for (const r of all) add(services, r.serviceCode, r.transactions, r.failed);

  const provinceName = new Map<string, string>();
  for (const d of inMonth)
    for (const p of registry.codeSetOn(d.day)?.provinces ?? []) if (!provinceName.has(p.code)) provinceName.set(p.code, p.name);
  const provinceLabel = (code: string): string =>
    code === '' ? 'Không khai báo tỉnh (bộ, ngành, hệ thống trung ương)' : `${provinceName.get(code) ?? code} (${code})`;
  let partnerProvinces: Ranked[] = [];
  if (scope.row) {
    const partners = new Map<string, { n: number; f: number }>();
    for (const r of all) {
      const c = r.consumerProvince ?? '';
      const p = r.providerProvince ?? '';
      if (scope.provinceCode !== undefined) add(partners, c === scope.provinceCode ? p : c, r.transactions, r.failed);
      else for (const code of new Set([c, p])) add(partners, code, r.transactions, r.failed);
    }
    partnerProvinces = ranked(partners, provinceLabel);
  }

  // Partner organisations: the systems rollup where the month has it.
  const sysDays = inMonth.filter((d) => d.systemRows);
  let partnerOrgs: Ranked[] | null = null;
  if (sysDays.length) {
    const orgs = new Map<string, { n: number; f: number }>();
    for (const d of sysDays) {
      for (const r of d.systemRows!) {
        if (scope.org) {
          const mineC = scope.org(r.consumerOrg);
          const mineP = scope.org(r.providerOrg);
          if (!mineC && !mineP) continue;
          add(orgs, mineC ? r.providerOrg : r.consumerOrg, r.transactions, r.failed);
        } else for (const o of new Set([r.consumerOrg, r.providerOrg])) add(orgs, o, r.transactions, r.failed);
      }
    }
    partnerOrgs = ranked(orgs, (k) => k);
  }

  const failureCauses = FAILURE_COLUMNS.map((column, i) => ({
    column,
    cause: FAILURE_CAUSES[i] ?? '',
    count: all.reduce((n, r) => n + (r[column] ?? (column === 'failedUnspecified' && r.failedAuth === undefined ? r.failed : 0)), 0),
  }));

  const busiestDays = known
    .map((d) => ({ day: d.day, transactions: d.rows.reduce((n, r) => n + r.transactions, 0) }))
    .filter((d) => d.transactions > 0)
    .sort((a, b) => b.transactions - a.transactions || (a.day < b.day ? -1 : 1))
    .slice(0, 5);
  const busiestMinutes = inMonth
    .map((d) => d.summary?.peakMinute)
    .filter((p): p is { periodStart: string; transactions: number } => !!p && p.transactions > 0)
    .sort((a, b) => b.transactions - a.transactions || (a.periodStart < b.periodStart ? -1 : 1))
    .slice(0, 5);

  let systems: MonthlyFigures['systems'] = null;
  const systemSet = new Set<string>();
  if (scope.kind === 'national') {
    for (const d of inMonth) for (const s of d.summary?.systems ?? []) systemSet.add(s);
    systems = { count: 0, byOrg: [], list: [] };
  } else if (sysDays.length) {
    for (const d of sysDays) {
      for (const r of d.systemRows!) {
        const inScope = scope.org
          ? scope.org(r.consumerOrg) || scope.org(r.providerOrg)
          : scope.kind === 'platform-national'
            ? r.route === 'NGSP'
            : false;
        if (!inScope) continue;
        systemSet.add(`${r.consumerOrg}/${r.consumerSystem}`);
        systemSet.add(`${r.providerOrg}/${r.providerSystem}`);
      }
    }
    if (scope.org || scope.kind === 'platform-national') systems = { count: 0, byOrg: [], list: [] };
  }
  if (systems) {
    const list = [...systemSet].sort();
    const byOrg = new Map<string, { n: number; f: number }>();
    for (const s of list) add(byOrg, s.slice(0, s.indexOf('/') < 0 ? s.length : s.indexOf('/')), 1, 0);
    systems = { count: list.length, list, byOrg: ranked(byOrg, (k) => k) };
  }

  return {
    month,
    subject: scope.subject,
    kind: scope.kind,
    name: scope.name,
    basis,
    daysInMonth: daysOfMonth(month).length,
    daysPublished: inMonth.length,
    totals,
    successRate: totals.transactions ? totals.succeeded / totals.transactions : null,
    previous,
    trendPercent,
    topServices: ranked(services, (k) => k),
    partnerProvinces,
    partnerOrgs,
    failureCauses,
    busiestDays,
    busiestMinutes,
    systems,
    reportingPlatforms: reportingPlatformsOf(inMonth),
  };
}
