/** Service names (issue 16 part 5): every service of the seed traffic has a name in both languages. */
import { describe, expect, it } from 'vitest';
import catalogue from '#seeds/profiles/catalogue.json' with { type: 'json' };
import { namedServiceCodes, serviceNameOf } from '#shared/services.ts';

describe('service names', () => {
  it('given the catalogue of the seed traffic, then each of its service codes has a Vietnamese and an English name, and nothing else is named', () => {
    const codes = [...new Set(catalogue.services.map((s) => s.serviceCode))].sort();
    expect(codes.length).toBeGreaterThan(10);
    expect(namedServiceCodes()).toEqual(codes);
    for (const c of codes) expect(serviceNameOf(c), c).toEqual({ vi: expect.stringMatching(/\S/), en: expect.stringMatching(/\S/) });
  });

  it('given a code the registry does not name, then there is no name (the code is shown)', () => {
    expect(serviceNameOf('khac.dichvu')).toBeUndefined();
  });
});
