/**
 * Seed traffic profiles (seeds/profiles/): the public yearly figures of NGSP and the shape of a
 * day and a week around them, plus the shared catalogue of systems and services.
 */
import catalogueFile from '#seeds/profiles/catalogue.json' with { type: 'json' };
import p2019 from '#seeds/profiles/2019.json' with { type: 'json' };
import p2020 from '#seeds/profiles/2020.json' with { type: 'json' };
import p2021 from '#seeds/profiles/2021.json' with { type: 'json' };

export interface TrafficProfile {
  id: string;
  about: string;
  year: number;
  source: string;
  /** Transactions in the whole year (the public figure). */
  annualTransactions: number;
  /** Distinct orgCode/systemCode among consumers and providers of a full day. */
  connectedSystems: number;
  /** Share of ministries and provinces that run an LGSP (and so report). */
  lgspShare: number;
  /** Share of transactions reported by both sides. */
  pairedShare: number;
  failureShare: number;
  /** Share of reports sent twice (same eventId: a duplicate, never counted twice). */
  duplicateShare: number;
  /** Share of reports sent 20 minutes to 6 hours after the exchange. */
  lateShare: number;
  /** Monday first; average 1 over a week. */
  weekdayFactors: { factors: number[] };
  /** Share of the day's traffic that follows office hours (the rest: machine synchronisation). */
  interactiveShare: { weekday: number; weekend: number };
  /** Day-to-day variation, ± this share, derived from the seed and the day. */
  dailyNoise: number;
  /** Default seed. */
  seed: number;
  /** A fixed past weekday used by the demo and tests. */
  demoDay: string;
}

export interface ServiceDef {
  serviceCode: string;
  /** `ORG/SYSTEM` of a central system, or a provincial type name (e.g. `DATDAI`). */
  provider: string;
  /** Central consumers, when a central system is the consumer. */
  consumers?: string[];
  weight: number;
  interactive: number;
  durationMs: number;
  responseBytes: number;
}

export interface SystemTypeDef {
  type: string;
  org: string;
  systemCode: string;
  name: string;
  consumes: string[];
  provides?: string[];
}

export interface Catalogue {
  central: { orgCode: string; systemCode: string; name: string }[];
  ministrySystem: { systemCode: string; name: string; consumes: string[] };
  provincialTypes: SystemTypeDef[];
  districtType: SystemTypeDef;
  services: ServiceDef[];
  errorCategories: {
    errorCategory: 'AUTH' | 'THROTTLED' | 'TARGET' | 'TIMEOUT' | 'VALIDATION' | 'OTHER';
    share: number;
    httpStatus: number;
  }[];
  curves: { office: [string, number][]; machine: [string, number][] };
}

export const PROFILE_IDS = ['2019', '2020', '2021'] as const;
export type ProfileId = (typeof PROFILE_IDS)[number];

const PROFILES: Record<ProfileId, TrafficProfile> = {
  '2019': p2019 as TrafficProfile,
  '2020': p2020 as TrafficProfile,
  '2021': p2021 as TrafficProfile,
};

export const catalogue = catalogueFile as unknown as Catalogue;

export function isProfileId(id: string): id is ProfileId {
  return (PROFILE_IDS as readonly string[]).includes(id);
}

/** A profile by id (`2019`, `2020`, `2021`). */
export function profile(id: ProfileId): TrafficProfile {
  return PROFILES[id];
}

/** Days of the profile's year (2020 is a leap year). */
export function daysInYear(year: number): number {
  return (Date.UTC(year + 1, 0, 1) - Date.UTC(year, 0, 1)) / 86_400_000;
}

/** The profile's average day: annual transactions / days of the year. */
export function averageDailyTransactions(p: TrafficProfile): number {
  return p.annualTransactions / daysInYear(p.year);
}
