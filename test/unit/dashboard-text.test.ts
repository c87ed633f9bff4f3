/**
 * The dashboard's pure parts: the language chosen, the reader's number and date forms, every
 * message present in both languages, and the duration scale that keeps rare spikes from
 * flattening the usual values.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { I18n, chooseLang } from '../../web/i18n.ts';
import { durationCap } from '../../web/scale.ts';

describe('dashboard language', () => {
  it('given no choice, then Vietnamese; a stored choice wins over nothing, ?lang= over the stored one; unknown values are ignored', () => {
    expect(chooseLang('', null)).toBe('vi');
    expect(chooseLang('', 'en')).toBe('en');
    expect(chooseLang('?lang=vi', 'en')).toBe('vi');
    expect(chooseLang('?lang=fr', 'de')).toBe('vi');
  });

  it('given a number and a day, then vi-VN writes 26.256 and 18/11/2020, English 26,256 and 18/11/2020', () => {
    const vi = new I18n('vi');
    const en = new I18n('en');
    expect(vi.number(26256)).toBe('26.256');
    expect(vi.number(18.234, 2)).toBe('18,23');
    expect(en.number(26256)).toBe('26,256');
    expect(vi.day('2020-11-18')).toBe('18/11/2020');
    expect(en.day('2020-11-18')).toBe('18/11/2020');
  });

  it('given a message with placeholders, then both languages fill them and leave no braces', () => {
    for (const lang of ['vi', 'en'] as const) {
      const text = new I18n(lang).t('showingLatest', { today: '02/12/2026', latest: '01/12/2026' });
      expect(text).toContain('01/12/2026');
      expect(text).not.toMatch(/[{}]/);
    }
  });
});

describe('duration scale', () => {
  it('given usual values with a few 20–30 s spikes, then the scale stops near the usual values and counts the points above it', () => {
    const values = [...Array.from({ length: 1400 }, (_, i) => 300 + (i % 50)), 25_000, 21_000, 30_000, null];
    const cap = durationCap(values)!;
    expect(cap.cap).toBeLessThan(1000);
    expect(cap.above).toBe(3);
    expect(cap.max).toBe(30_000);
  });

  it('given any values, then the cap is undefined or leaves at most 2 % (+1) of the points above it, and the highest value is more than twice the 98th percentile', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: null }), { maxLength: 400 }), (values) => {
        const c = durationCap(values);
        if (!c) return;
        const v = values.filter((x): x is number => x !== null);
        expect(c.above).toBeLessThanOrEqual(Math.ceil(v.length * 0.02) + 1);
        expect(c.max).toBe(Math.max(...v));
        expect(c.cap).toBeLessThan(c.max);
      }),
      { numRuns: 500 },
    );
  });
});
