/**
 * The registry of province codes and reporting platforms, with validity dates.
 *
 * Codes changed on 2025-07-01 (63 units became 34), and ministries merged in March 2025,
 * so both are data from seeds/ with validity ranges — never constants in code.
 */
import provincesFile from '#seeds/provinces.json' with { type: 'json' };
import platformsFile from '#seeds/platforms.json' with { type: 'json' };

/** A validity range of ICT calendar days, both ends inclusive; null means open. */
export interface Validity {
  validFrom: string | null;
  validUntil: string | null;
}

export interface CodeSet extends Validity {
  id: string;
  provinces: { code: string; name: string }[];
}

export interface Platform extends Validity {
  platformId: string;
  kind: 'national' | 'province' | 'ministry';
  name: string;
  provinceCode?: string;
  codeSet?: string;
}

export interface RegistryData {
  codeSets: CodeSet[];
  platforms: Platform[];
}

function covers(v: Validity, day: string): boolean {
  return (v.validFrom === null || v.validFrom <= day) && (v.validUntil === null || day <= v.validUntil);
}

/** Answers "was this code / platform in force on that ICT day?". */
export class Registry {
  private readonly platformRanges = new Map<string, Validity[]>();

  constructor(readonly data: RegistryData) {
    for (const p of data.platforms) {
      const ranges = this.platformRanges.get(p.platformId) ?? [];
      ranges.push({ validFrom: p.validFrom, validUntil: p.validUntil });
      this.platformRanges.set(p.platformId, ranges);
    }
  }

  /** The code set in force on the day, if any. */
  codeSetOn(day: string): CodeSet | undefined {
    return this.data.codeSets.find((cs) => covers(cs, day));
  }

  /** Whether the two-digit province code was in force on the day. */
  isProvinceValid(code: string, day: string): boolean {
    return this.codeSetOn(day)?.provinces.some((p) => p.code === code) ?? false;
  }

  /** Whether the platform id exists at all (on any day). */
  knowsPlatform(platformId: string): boolean {
    return this.platformRanges.has(platformId);
  }

  /** Whether the platform was in force on the day. */
  isPlatformValid(platformId: string, day: string): boolean {
    return (this.platformRanges.get(platformId) ?? []).some((v) => covers(v, day));
  }

  /** Every platform id, sorted. */
  platformIds(): string[] {
    return [...this.platformRanges.keys()].sort();
  }

  /** Platforms in force on the day. */
  platformsOn(day: string): Platform[] {
    return this.data.platforms.filter((p) => covers(p, day));
  }
}

/** The registry shipped in seeds/. */
export const defaultRegistry = new Registry({
  codeSets: provincesFile.codeSets as CodeSet[],
  platforms: platformsFile.platforms as Platform[],
});
