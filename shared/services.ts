/**
 * Names of service codes (issue 16 part 5), from seeds/services.json: the dashboard and the API's
 * service rows show a name, with the code beside it; a code without a name is shown as its code.
 */
import servicesFile from '#seeds/services.json' with { type: 'json' };

export interface ServiceName {
  vi: string;
  en: string;
}

const NAMES = new Map<string, ServiceName>(servicesFile.services.map((s) => [s.serviceCode, s.name]));

/** The service's names in Vietnamese and English, or undefined for a code the registry does not name. */
export function serviceNameOf(serviceCode: string): ServiceName | undefined {
  return NAMES.get(serviceCode);
}

/** Every named service code (for tests and the seed check). */
export function namedServiceCodes(): string[] {
  return [...NAMES.keys()].sort();
}
