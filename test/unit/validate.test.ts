/**
 * Every schema rule of CONTRACT.md section 1, accepted or rejected as specified, with the field
 * path in the error — across both province code sets and the 2025-07-01 boundary.
 */
import { describe, expect, it } from 'vitest';
import { parseBody, validateEvent, type ExchangeEvent } from '#shared/contract/validate.ts';

const NOW = Date.parse('2026-11-27T03:00:00Z');

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId: 'evt-1',
    transactionId: 'tx-1',
    reporter: { platformId: 'LGSP-77', role: 'CONSUMER' },
    route: 'NGSP',
    consumer: { orgCode: 'SOTP-77', systemCode: 'MOTCUA', provinceCode: '77' },
    provider: { orgCode: 'BTP', systemCode: 'HOTICH', provinceCode: '01' },
    serviceCode: 'hotich.khaisinh',
    requestAt: '2021-03-10T08:15:00.000+07:00',
    responseAt: '2021-03-10T08:15:00.250+07:00',
    succeeded: true,
    ...overrides,
  };
}

const set = (path: string, value: unknown) => (e: Record<string, unknown>) => {
  const parts = path.split('.');
  let o = e as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  if (value === undefined) delete o[parts.at(-1)!];
  else o[parts.at(-1)!] = value;
  return e;
};

type Case = [name: string, mutate: (e: Record<string, unknown>) => Record<string, unknown>, path: string | null];

const cases: Case[] = [
  ['a complete 2021 event', (e) => e, null],
  ['schemaVersion "1"', set('schemaVersion', '1'), null],
  ['schemaVersion "2"', set('schemaVersion', '2'), 'schemaVersion'],
  ['no transactionId (its own transaction)', set('transactionId', undefined), null],
  ['eventId missing', set('eventId', undefined), 'eventId'],
  ['eventId empty', set('eventId', ''), 'eventId'],
  ['eventId of 128 chars', set('eventId', 'a'.repeat(128)), null],
  ['eventId of 129 chars', set('eventId', 'a'.repeat(129)), 'eventId'],
  ['eventId with #', set('eventId', 'a#b'), 'eventId'],
  ['eventId with /', set('eventId', 'a/b'), 'eventId'],
  ['eventId with newline', set('eventId', 'a\nb'), 'eventId'],
  ['eventId with unicode', set('eventId', 'sự-kiện'), 'eventId'],
  ['eventId with . _ : -', set('eventId', 'a.b_c:d-e'), null],
  ['transactionId with space', set('transactionId', 'a b'), 'transactionId'],
  ['reporter missing', set('reporter', undefined), 'reporter'],
  ['reporter.platformId missing', set('reporter.platformId', undefined), 'reporter.platformId'],
  ['reporter.platformId unknown', set('reporter.platformId', 'LGSP-XX'), 'reporter.platformId'],
  ['reporter.platformId lower case', set('reporter.platformId', 'lgsp-77'), 'reporter.platformId'],
  ['reporter.role missing', set('reporter.role', undefined), 'reporter.role'],
  ['reporter.role other', set('reporter.role', 'BROKER'), 'reporter.role'],
  ['reporter with an extra field', set('reporter.name', 'x'), 'reporter.name'],
  ['route LGSP', set('route', 'LGSP'), null],
  ['route other', set('route', 'X'), 'route'],
  ['consumer missing', set('consumer', undefined), 'consumer'],
  ['consumer.orgCode missing', set('consumer.orgCode', undefined), 'consumer.orgCode'],
  ['consumer.systemCode of 65 chars', set('consumer.systemCode', 'a'.repeat(65)), 'consumer.systemCode'],
  ['consumer.systemCode with :', set('consumer.systemCode', 'a:b'), 'consumer.systemCode'],
  ['consumer.provinceCode absent', set('consumer.provinceCode', undefined), null],
  ['consumer.provinceCode of 3 digits', set('consumer.provinceCode', '077'), 'consumer.provinceCode'],
  ['consumer.provinceCode as number', set('consumer.provinceCode', 77), 'consumer.provinceCode'],
  ['consumer.provinceCode not a code', set('consumer.provinceCode', '03'), 'consumer.provinceCode'],
  ['provider.provinceCode not a code', set('provider.provinceCode', '99'), 'provider.provinceCode'],
  ['provider.orgCode empty', set('provider.orgCode', ''), 'provider.orgCode'],
  ['serviceCode missing', set('serviceCode', undefined), 'serviceCode'],
  ['serviceCode of 129 chars', set('serviceCode', 's'.repeat(129)), 'serviceCode'],
  ['requestAt without offset', set('requestAt', '2021-03-10T08:15:00'), 'requestAt'],
  ['requestAt with Z', (e) => set('responseAt', '2021-03-10T01:15:01Z')(set('requestAt', '2021-03-10T01:15:00Z')(e)), null],
  ['requestAt as a date only', set('requestAt', '2021-03-10'), 'requestAt'],
  ['requestAt as epoch number', set('requestAt', 1615338900000), 'requestAt'],
  ['requestAt impossible date', set('requestAt', '2021-02-30T08:15:00+07:00'), 'requestAt'],
  ['responseAt before requestAt', set('responseAt', '2021-03-10T08:14:59.999+07:00'), 'responseAt'],
  ['responseAt equal to requestAt', set('responseAt', '2021-03-10T08:15:00.000+07:00'), null],
  ['succeeded as string', set('succeeded', 'true'), 'succeeded'],
  ['succeeded missing', set('succeeded', undefined), 'succeeded'],
  ['errorCategory with a failure', (e) => set('errorCategory', 'TIMEOUT')(set('succeeded', false)(e)), null],
  ['errorCategory with a success', set('errorCategory', 'TIMEOUT'), 'errorCategory'],
  ['errorCategory unknown', (e) => set('errorCategory', 'NETWORK')(set('succeeded', false)(e)), 'errorCategory'],
  ['httpStatus 99', set('httpStatus', 99), 'httpStatus'],
  ['httpStatus 600', set('httpStatus', 600), 'httpStatus'],
  ['httpStatus 200.5', set('httpStatus', 200.5), 'httpStatus'],
  ['httpStatus 599', set('httpStatus', 599), null],
  ['requestBytes -1', set('requestBytes', -1), 'requestBytes'],
  ['requestBytes 0', set('requestBytes', 0), null],
  ['responseBytes 1e300', set('responseBytes', 1e300), 'responseBytes'],
  ['responseBytes as string', set('responseBytes', '10'), 'responseBytes'],
  ['an unknown top-level field', set('note', 'x'), 'note'],
  ['a ministry platform', set('reporter.platformId', 'LGSP-BYT'), null],
  ['the national platform', set('reporter.platformId', 'NGSP'), null],
];

describe('validateEvent: schema rules', () => {
  it.each(cases)('given %s, then the path is reported as expected', (_name, mutate, path) => {
    const check = validateEvent(mutate(event()), NOW);
    if (path === null) {
      expect(check.ok ? [] : check.errors).toEqual([]);
    } else {
      expect(check.ok).toBe(false);
      if (!check.ok) {
        expect(check.errors.map((e) => e.path)).toContain(path);
        for (const e of check.errors) expect(e.message).toMatch(/\S/);
      }
    }
  });
});

describe('validateEvent: registry validity on the date of requestAt (ICT)', () => {
  const at = (local: string) => (e: Record<string, unknown>) => set('responseAt', `${local}+07:00`)(set('requestAt', `${local}+07:00`)(e));
  const boundary: Case[] = [
    ['LGSP-77 on the last day of the 63-unit set', at('2025-06-30T23:59:59.999'), null],
    [
      'LGSP-77 on the first day of the 34-unit set',
      (e) => set('consumer.provinceCode', '79')(at('2025-07-01T00:00:00.000')(e)),
      'reporter.platformId',
    ],
    ['province 77 on 2025-07-01', (e) => set('reporter.platformId', 'LGSP-79')(at('2025-07-01T00:00:00.000')(e)), 'consumer.provinceCode'],
    [
      'LGSP-79 and province 79 after the merger',
      (e) => set('consumer.provinceCode', '79')(set('reporter.platformId', 'LGSP-79')(at('2025-07-01T00:00:00.000')(e))),
      null,
    ],
    [
      'code 91 (Kiên Giang until 2025-06-30, An Giang after) before the merger',
      (e) => set('consumer.provinceCode', '91')(at('2025-06-30T12:00:00.000')(e)),
      null,
    ],
    [
      'code 92 (Can Tho) in both sets',
      (e) =>
        set(
          'provider.provinceCode',
          '92',
        )(at('2025-07-02T00:00:00.000')(set('reporter.platformId', 'LGSP-92')(set('consumer.provinceCode', '92')(e)))),
      null,
    ],
    [
      'code 02 (Ha Giang) after the merger',
      (e) =>
        set(
          'provider.provinceCode',
          '02',
        )(set('consumer.provinceCode', '01')(set('reporter.platformId', 'LGSP-01')(at('2025-08-01T00:00:00.000')(e)))),
      'provider.provinceCode',
    ],
    // 2025-06-30T17:30Z is 2025-07-01 00:30 ICT: the day is ICT's, not UTC's.
    [
      'an instant on 2025-06-30 UTC that is 2025-07-01 ICT',
      (e) => set('responseAt', '2025-06-30T17:30:00Z')(set('requestAt', '2025-06-30T17:30:00Z')(e)),
      'reporter.platformId',
    ],
    ['ministry BKHDT before its merger', (e) => set('reporter.platformId', 'LGSP-BKHDT')(at('2025-02-28T10:00:00.000')(e)), null],
    [
      'ministry BKHDT after its merger',
      (e) => set('reporter.platformId', 'LGSP-BKHDT')(at('2025-03-01T10:00:00.000')(e)),
      'reporter.platformId',
    ],
  ];
  it.each(boundary)('given %s, then the path is reported as expected', (_n, mutate, path) => {
    const check = validateEvent(mutate(event()), NOW);
    if (path === null) expect(check.ok ? [] : check.errors).toEqual([]);
    else expect(check.ok ? [] : check.errors.map((e) => e.path)).toContain(path);
  });
});

describe('validateEvent: the future limit', () => {
  const shifted = (ms: number) => {
    const iso = new Date(NOW + ms).toISOString();
    return set(
      'responseAt',
      iso,
    )(set('requestAt', iso)(set('reporter.platformId', 'LGSP-79')(set('consumer.provinceCode', '79')(event()))));
  };
  it('given requestAt exactly 5 minutes ahead, then it is accepted', () => {
    expect(validateEvent(shifted(5 * 60_000), NOW).ok).toBe(true);
  });
  it('given requestAt 5 minutes and 1 ms ahead, then requestAt is rejected as in the future', () => {
    const check = validateEvent(shifted(5 * 60_000 + 1), NOW);
    expect(check.ok).toBe(false);
    expect(check.ok ? [] : check.errors).toContainEqual({ path: 'requestAt', message: 'is more than 5 minutes in the future' });
  });
  it('given an event from 2019, then it is accepted (backfills are normal)', () => {
    const e = set('responseAt', '2019-01-02T08:00:01+07:00')(set('requestAt', '2019-01-02T08:00:00+07:00')(event()));
    expect(validateEvent(e, NOW).ok).toBe(true);
  });
});

describe('parseBody: single events and envelopes', () => {
  it('given an envelope of 500 events, then all are parsed with their indexes', () => {
    const body = JSON.stringify({ events: Array.from({ length: 500 }, (_, i) => event({ eventId: `e${i}` })) });
    const out = parseBody(body, NOW);
    expect(out.bodyErrors).toEqual([]);
    expect(out.items.map((i) => i.index)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(out.items.every((i) => i.ok)).toBe(true);
  });
  it('given an envelope of 501 events, then the body is rejected naming events', () => {
    const out = parseBody(JSON.stringify({ events: Array.from({ length: 501 }, () => event()) }), NOW);
    expect(out.items).toEqual([]);
    expect(out.bodyErrors).toEqual([{ path: 'events', message: 'must hold at most 500 events' }]);
  });
  it('given an empty envelope, then the body is rejected', () => {
    expect(parseBody('{"events":[]}', NOW).bodyErrors.map((e) => e.path)).toEqual(['events']);
  });
  it('given an envelope with an extra field, then that field is named', () => {
    expect(parseBody(JSON.stringify({ events: [event()], source: 'x' }), NOW).bodyErrors.map((e) => e.path)).toEqual(['source']);
  });
  it('given an envelope mixing valid and invalid events, then each is judged alone', () => {
    const out = parseBody(JSON.stringify({ events: [event(), event({ route: 'X' }), event({ eventId: 'e3' })] }), NOW);
    expect(out.items.map((i) => i.ok)).toEqual([true, false, true]);
    const bad = out.items[1]!;
    expect(bad.ok ? [] : bad.errors.map((e) => e.path)).toEqual(['route']);
  });
  it.each([
    ['not JSON', 'hello', '(body)'],
    ['a JSON array', '[1,2]', '(body)'],
    ['a JSON string', '"x"', '(body)'],
    ['null', 'null', '(body)'],
    ['events not an array', '{"events": {}}', 'events'],
  ])('given a body that is %s, then the whole body is rejected', (_n, body, path) => {
    const out = parseBody(body, NOW);
    expect(out.items).toEqual([]);
    expect(out.bodyErrors.map((e) => e.path)).toContain(path);
  });
  it('given a valid event, then the typed event comes back unchanged', () => {
    const e = event();
    const out = parseBody(JSON.stringify(e), NOW);
    expect(out.items[0]!.ok && (out.items[0] as { event: ExchangeEvent }).event).toEqual(e);
  });
});
