/**
 * Query parameters of the API routes, parsed and checked: every problem is a 400 that names the
 * parameter (`details[0].path`). Unknown and repeated parameters are refused too, so a typo
 * (`?form=`) never silently returns the default range.
 */
import { ValidationError } from '#shared/errors.ts';
import type { GroupFilter } from '#shared/stats/period.ts';
import { DAY_MS, dayStartMs, isDay, parseRfc3339 } from '#shared/time.ts';

/** Query string as API Gateway gives it (`multiValueQueryStringParameters`). */
export type Query = Record<string, (string | undefined)[] | undefined> | null | undefined;

export const MAX_MINUTES_RANGE_MS = DAY_MS;
export const MAX_DAYS_RANGE = 366;

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PROVINCE = /^[0-9]{2}$/;
const PLATFORM = /^(NGSP|LGSP-[A-Z0-9]+)$/;

function bad(param: string, message: string): ValidationError {
  return new ValidationError(`query parameter "${param}" ${message}`, [{ path: param, message }]);
}

/** Reads one route's parameters; refuses unknown names and repeated values. */
export class QueryReader {
  private readonly values = new Map<string, string>();

  constructor(query: Query, allowed: readonly string[]) {
    for (const [name, vals] of Object.entries(query ?? {})) {
      if (!allowed.includes(name)) throw bad(name, `is not a parameter of this route (allowed: ${allowed.join(', ') || 'none'})`);
      const present = (vals ?? []).filter((v): v is string => v !== undefined);
      if (present.length > 1) throw bad(name, 'must be given once');
      if (present[0] !== undefined) this.values.set(name, present[0]);
    }
  }

  optional(name: string): string | undefined {
    const v = this.values.get(name);
    if (v === '') throw bad(name, 'must not be empty');
    return v;
  }

  required(name: string): string {
    const v = this.optional(name);
    if (v === undefined) throw bad(name, 'is required');
    return v;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
}

const FILTERS = ['route', 'serviceCode', 'province'] as const;

function readFilter(r: QueryReader): GroupFilter {
  const filter: GroupFilter = {};
  const route = r.optional('route');
  if (route !== undefined) {
    if (route !== 'NGSP' && route !== 'LGSP') throw bad('route', 'must be NGSP or LGSP');
    filter.route = route;
  }
  const serviceCode = r.optional('serviceCode');
  if (serviceCode !== undefined) {
    if (!ID.test(serviceCode)) throw bad('serviceCode', 'must be 1-128 characters of [A-Za-z0-9._:-]');
    filter.serviceCode = serviceCode;
  }
  const province = r.optional('province');
  if (province !== undefined) {
    if (!PROVINCE.test(province)) throw bad('province', 'must be a two-digit province code, e.g. 79');
    filter.province = province;
  }
  return filter;
}

function readInstant(r: QueryReader, name: string): number {
  const ms = parseRfc3339(r.required(name));
  if (ms === undefined) throw bad(name, 'must be an RFC 3339 timestamp with an offset, e.g. 2021-03-10T08:00:00+07:00');
  return ms;
}

function readDay(r: QueryReader, name: string): string {
  const day = r.required(name);
  if (!isDay(day)) throw bad(name, 'must be a date written YYYY-MM-DD');
  return day;
}

/** Inclusive days; `to >= from` and at most 366 days. */
function readDayRange(r: QueryReader): { from: string; to: string } {
  const from = readDay(r, 'from');
  const to = readDay(r, 'to');
  if (to < from) throw bad('to', 'must not be before from');
  if ((dayStartMs(to) - dayStartMs(from)) / DAY_MS + 1 > MAX_DAYS_RANGE)
    throw bad('to', `must be at most ${MAX_DAYS_RANGE} days after from (both included)`);
  return { from, to };
}

export interface MinutesQuery {
  fromMs: number;
  toMs: number;
  filter: GroupFilter;
}

/** `GET /v1/metrics/minutes`: `from`/`to` RFC 3339, `to > from`, at most 24 h; filters. */
export function parseMinutesQuery(query: Query): MinutesQuery {
  const r = new QueryReader(query, ['from', 'to', ...FILTERS]);
  const fromMs = readInstant(r, 'from');
  const toMs = readInstant(r, 'to');
  if (toMs <= fromMs) throw bad('to', 'must be later than from');
  if (toMs - fromMs > MAX_MINUTES_RANGE_MS) throw bad('to', 'must be at most 24 hours after from');
  return { fromMs, toMs, filter: readFilter(r) };
}

export interface DaysQuery {
  from: string;
  to: string;
  filter: GroupFilter;
}

/** `GET /v1/metrics/days` and `/v1/metrics/breakdown`: inclusive `YYYY-MM-DD` days, at most 366; filters. */
export function parseDaysQuery(query: Query): DaysQuery {
  const r = new QueryReader(query, ['from', 'to', ...FILTERS]);
  return { ...readDayRange(r), filter: readFilter(r) };
}

/** *1.1* `by` of `/v1/metrics/breakdown`: rows per systems (`system`) or per organisation pair (`org`); absent: by service and province pair. */
export const BREAKDOWN_BY = ['system', 'org'] as const;
export type BreakdownBy = (typeof BREAKDOWN_BY)[number];
/** Days a systems breakdown may span: a day's systems rows are read whole (bounded reads under API Gateway's 29 s). */
export const MAX_SYSTEMS_DAYS = 31;
export const DEFAULT_BREAKDOWN_LIMIT = 100;
export const MAX_BREAKDOWN_LIMIT = 1000;

export interface BreakdownQuery extends DaysQuery {
  /** Absent: by service and province pair (as before 1.1). */
  by?: BreakdownBy;
  /** Rows returned at most with `by` (largest first). */
  limit: number;
}

/**
 * `GET /v1/metrics/breakdown`: the days query; *1.1* `by=system|org` (then at most
 * {@link MAX_SYSTEMS_DAYS} days, no `province`: systems rows have none) and `limit` (1–1000,
 * default 100) with `by`.
 */
export function parseBreakdownQuery(query: Query): BreakdownQuery {
  const r = new QueryReader(query, ['from', 'to', ...FILTERS, 'by', 'limit']);
  const range = readDayRange(r);
  const filter = readFilter(r);
  const by = r.optional('by');
  if (by !== undefined && !(BREAKDOWN_BY as readonly string[]).includes(by)) throw bad('by', 'must be system or org');
  const limitText = r.optional('limit');
  if (by === undefined) {
    if (limitText !== undefined) throw bad('limit', 'is only a parameter with by=system or by=org');
    return { ...range, filter, limit: DEFAULT_BREAKDOWN_LIMIT };
  }
  if (filter.province !== undefined) throw bad('province', 'cannot be combined with by (systems rows have no province)');
  if ((dayStartMs(range.to) - dayStartMs(range.from)) / DAY_MS + 1 > MAX_SYSTEMS_DAYS)
    throw bad('to', `must be at most ${MAX_SYSTEMS_DAYS} days after from (both included) with by`);
  const limit = limitText === undefined ? DEFAULT_BREAKDOWN_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BREAKDOWN_LIMIT)
    throw bad('limit', `must be an integer from 1 to ${MAX_BREAKDOWN_LIMIT}`);
  return { ...range, filter, by: by as BreakdownBy, limit };
}

/** `GET /v1/metrics/summary`: `from`/`to` days, or `year` (not both). */
export function parseSummaryQuery(query: Query): { from: string; to: string } {
  const r = new QueryReader(query, ['from', 'to', 'year']);
  if (r.has('year')) {
    if (r.has('from') || r.has('to')) throw bad('year', 'cannot be combined with from/to');
    const year = r.required('year');
    if (!/^\d{4}$/.test(year) || year < '1970') throw bad('year', 'must be a year written YYYY');
    return { from: `${year}-01-01`, to: `${year}-12-31` };
  }
  return readDayRange(r);
}

export interface RejectionsQuery {
  date: string;
  platformId?: string;
  cursor?: string;
  limit: number;
}

export const MAX_REJECTIONS_PAGE = 1000;

/** `GET /v1/rejections`: `date` required; optional `platformId`, `limit` (1–1000, default 1000), `cursor`. */
export function parseRejectionsQuery(query: Query): RejectionsQuery {
  const r = new QueryReader(query, ['date', 'platformId', 'limit', 'cursor']);
  const date = readDay(r, 'date');
  const platformId = r.optional('platformId');
  // `unknown`: the folder of messages from unregistered senders (operators only).
  if (platformId !== undefined && platformId !== 'unknown' && !PLATFORM.test(platformId))
    throw bad('platformId', 'must be a platform id such as LGSP-79 or NGSP, or unknown');
  const limitText = r.optional('limit');
  const limit = limitText === undefined ? MAX_REJECTIONS_PAGE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REJECTIONS_PAGE)
    throw bad('limit', `must be an integer from 1 to ${MAX_REJECTIONS_PAGE}`);
  const cursor = r.optional('cursor');
  return { date, limit, ...(platformId ? { platformId } : {}), ...(cursor ? { cursor } : {}) };
}

/** `GET /v1/reports`: `month` required, `YYYY-MM`. */
export function parseReportsQuery(query: Query): { month: string } {
  const r = new QueryReader(query, ['month']);
  const month = r.required('month');
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw bad('month', 'must be a month written YYYY-MM, e.g. 2021-03');
  return { month };
}

/** *1.1* `GET /v1/alerts`: at most this long a range. */
export const MAX_ALERTS_RANGE_MS = 31 * DAY_MS;

/** *1.1* `GET /v1/alerts`: `from`/`to` RFC 3339, `to > from`, at most 31 days. */
export function parseAlertsQuery(query: Query): { fromMs: number; toMs: number } {
  const r = new QueryReader(query, ['from', 'to']);
  const fromMs = readInstant(r, 'from');
  const toMs = readInstant(r, 'to');
  if (toMs <= fromMs) throw bad('to', 'must be later than from');
  if (toMs - fromMs > MAX_ALERTS_RANGE_MS) throw bad('to', 'must be at most 31 days after from');
  return { fromMs, toMs };
}
