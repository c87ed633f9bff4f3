/** Time buckets and ranges in Asia/Ho_Chi_Minh (shared/time.ts). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatInTimeZone } from 'date-fns-tz';
import {
  TIME_ZONE,
  dayOf,
  dayStartMs,
  daysBetween,
  isDay,
  minuteKeyOf,
  minuteKeysBetween,
  minuteStartMs,
  parseRfc3339,
  periodStartOf,
  splitMinuteKey,
  toIct,
} from '#shared/time.ts';

describe('time buckets and ranges', () => {
  it('given an instant near midnight UTC+7, then its ICT minute and day', () => {
    const t = Date.parse('2021-06-01T16:59:30Z'); // 23:59:30 ICT
    expect(minuteKeyOf(t)).toBe('2021-06-01T23:59');
    expect(dayOf(t + 60_000)).toBe('2021-06-02');
    expect(minuteStartMs('2021-06-01T23:59')).toBe(Date.parse('2021-06-01T16:59:00Z'));
    expect(dayStartMs('2021-06-02')).toBe(Date.parse('2021-06-01T17:00:00Z'));
    expect(splitMinuteKey('2021-06-01T23:59')).toEqual({ day: '2021-06-01', hhmm: '2359' });
  });

  it('given a range, then the minutes starting in [from, to) and the days from..to included', () => {
    const from = Date.parse('2021-06-01T10:00:30+07:00');
    expect(minuteKeysBetween(from, from + 150_000)).toEqual(['2021-06-01T10:01', '2021-06-01T10:02']);
    expect(daysBetween('2021-02-27', '2021-03-01')).toEqual(['2021-02-27', '2021-02-28', '2021-03-01']);
    expect(daysBetween('2021-03-02', '2021-03-01')).toEqual([]);
  });

  it('given text, then only RFC 3339 with an offset and real calendar days are accepted', () => {
    expect(parseRfc3339('2021-06-01T10:00:00+07:00')).toBe(Date.parse('2021-06-01T03:00:00Z'));
    expect(parseRfc3339('2021-06-01T10:00:00')).toBeUndefined();
    expect(isDay('2020-02-29')).toBe(true);
    expect(isDay('2021-02-29')).toBe(false);
  });

  it('property: keys and timestamps equal date-fns-tz formatInTimeZone for any instant (1970–2100)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.parse('2100-01-01T00:00:00Z') }), (t) => {
        expect(minuteKeyOf(t)).toBe(formatInTimeZone(t, TIME_ZONE, "yyyy-MM-dd'T'HH:mm"));
        expect(dayOf(t)).toBe(formatInTimeZone(t, TIME_ZONE, 'yyyy-MM-dd'));
        expect(toIct(t)).toBe(formatInTimeZone(t, TIME_ZONE, "yyyy-MM-dd'T'HH:mm:ss.SSSxxx"));
        expect(periodStartOf(t)).toBe(formatInTimeZone(t, TIME_ZONE, "yyyy-MM-dd'T'HH:mm:ssxxx"));
      }),
      { numRuns: 2000 },
    );
    // Before 1975 the zone was +08:00 at times: the offset is the zone's for that instant.
    expect(toIct(Date.parse('1970-06-01T00:00:00Z'))).toBe(
      formatInTimeZone(Date.parse('1970-06-01T00:00:00Z'), TIME_ZONE, "yyyy-MM-dd'T'HH:mm:ss.SSSxxx"),
    );
  });
});
