import type { ExchangeEvent } from '#shared/contract/validate.ts';

/** A valid event of a platform at an instant. */
export function sampleEvent(platformId: string, eventId: string, atMs: number, overrides: Partial<ExchangeEvent> = {}): ExchangeEvent {
  return {
    eventId,
    reporter: { platformId, role: 'CONSUMER' },
    route: 'NGSP',
    consumer: { orgCode: 'SOTP', systemCode: 'MOTCUA', provinceCode: '79' },
    provider: { orgCode: 'BTP', systemCode: 'HOTICH', provinceCode: '01' },
    serviceCode: 'hotich.khaisinh',
    requestAt: new Date(atMs).toISOString(),
    responseAt: new Date(atMs + 250).toISOString(),
    succeeded: true,
    ...overrides,
  };
}
