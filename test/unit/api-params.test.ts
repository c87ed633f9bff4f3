/** Query parameters of the API (shared/api/params.ts): every 400 names the bad parameter. */
import { describe, expect, it } from 'vitest';
import {
  parseBreakdownQuery,
  parseDaysQuery,
  parseMinutesQuery,
  parseRejectionsQuery,
  parseSummaryQuery,
  type Query,
} from '#shared/api/params.ts';
import { ValidationError } from '#shared/errors.ts';

const q = (o: Record<string, string | string[]>): Query =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));

/** The `details[].path` of the ValidationError `fn` throws. */
function badPath(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).details?.[0]?.path;
  }
  throw new Error('expected a ValidationError');
}

describe('API parameters', () => {
  it('given minutes from/to within 24 h, then epoch ms; to not after from, or over 24 h, is 400 naming to', () => {
    expect(parseMinutesQuery(q({ from: '2021-06-01T10:00:00+07:00', to: '2021-06-01T11:00:00+07:00' }))).toMatchObject({
      fromMs: Date.parse('2021-06-01T03:00:00Z'),
      toMs: Date.parse('2021-06-01T04:00:00Z'),
    });
    expect(badPath(() => parseMinutesQuery(q({ from: '2021-06-01T10:00:00+07:00', to: '2021-06-01T10:00:00+07:00' })))).toBe('to');
    expect(badPath(() => parseMinutesQuery(q({ from: '2021-06-01T10:00:00+07:00', to: '2021-06-02T10:01:00+07:00' })))).toBe('to');
    expect(badPath(() => parseMinutesQuery(q({ from: '2021-06-01T10:00:00', to: '2021-06-01T11:00:00+07:00' })))).toBe('from');
  });

  it('given days, then the inclusive range; an impossible date or a parameter given twice is 400', () => {
    expect(parseDaysQuery(q({ from: '2021-06-01', to: '2021-06-30' }))).toMatchObject({ from: '2021-06-01', to: '2021-06-30' });
    expect(badPath(() => parseDaysQuery(q({ from: '2021-02-30', to: '2021-03-01' })))).toBe('from');
    expect(badPath(() => parseDaysQuery(q({ from: ['2021-06-01', '2021-06-02'], to: '2021-06-30' })))).toBe('from');
  });

  it('given a summary by year, then its whole year; year with from is 400', () => {
    expect(parseSummaryQuery(q({ year: '2020' }))).toEqual({ from: '2020-01-01', to: '2020-12-31' });
    expect(badPath(() => parseSummaryQuery(q({ year: '2020', from: '2020-01-01' })))).toBe('year');
  });

  it('given rejections, then the default page size; a foreign-looking platform or a limit out of range is 400', () => {
    expect(parseRejectionsQuery(q({ date: '2021-06-01' }))).toEqual({ date: '2021-06-01', limit: 1000 });
    expect(parseRejectionsQuery(q({ date: '2021-06-01', platformId: 'unknown', limit: '5' }))).toEqual({
      date: '2021-06-01',
      platformId: 'unknown',
      limit: 5,
    });
    expect(badPath(() => parseRejectionsQuery(q({ date: '2021-06-01', platformId: '../x' })))).toBe('platformId');
    expect(badPath(() => parseRejectionsQuery(q({ date: '2021-06-01', limit: '0' })))).toBe('limit');
  });
  it('given a breakdown by system or org (1.1), then its limit (default 100); a bad by or limit, limit without by, province with by, or over 31 days is 400 naming it', () => {
    const days = { from: '2021-06-01', to: '2021-06-30' };
    expect(parseBreakdownQuery(q(days))).toMatchObject({ ...days, limit: 100 });
    expect(parseBreakdownQuery(q(days)).by).toBeUndefined();
    expect(parseBreakdownQuery(q({ ...days, by: 'org', limit: '7', route: 'NGSP' }))).toMatchObject({
      by: 'org',
      limit: 7,
      filter: { route: 'NGSP' },
    });
    expect(badPath(() => parseBreakdownQuery(q({ ...days, by: 'province' })))).toBe('by');
    expect(badPath(() => parseBreakdownQuery(q({ ...days, by: 'system', limit: '1001' })))).toBe('limit');
    expect(badPath(() => parseBreakdownQuery(q({ ...days, by: 'system', limit: '2.5' })))).toBe('limit');
    expect(badPath(() => parseBreakdownQuery(q({ ...days, limit: '5' })))).toBe('limit');
    expect(badPath(() => parseBreakdownQuery(q({ ...days, by: 'system', province: '79' })))).toBe('province');
    expect(badPath(() => parseBreakdownQuery(q({ from: '2021-06-01', to: '2021-07-02', by: 'system' })))).toBe('to');
    expect(parseBreakdownQuery(q({ from: '2021-06-01', to: '2021-07-01', by: 'system' })).by).toBe('system');
  });
});
