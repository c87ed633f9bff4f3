/**
 * The connected systems of a profile on a day: which ministries and provinces run an LGSP
 * (the profile's share, chosen once per seed), and exactly `connectedSystems` systems attached
 * to them — national databases on NGSP, one system per ministry LGSP, then provincial systems
 * type by type, round robin over the provinces, until the count is reached.
 */
import { defaultRegistry, type Registry } from '#shared/registry.ts';
import { catalogue as defaultCatalogue, type Catalogue, type TrafficProfile } from './profile.ts';
import { mulberry32, seedOf, shuffled } from './prng.ts';

export interface SystemDef {
  /** `orgCode/systemCode`, as summary.json lists systems. */
  id: string;
  orgCode: string;
  systemCode: string;
  provinceCode?: string;
  /** The platform that reports this system's exchanges. */
  platformId: string;
  consumes: string[];
  provides: string[];
}

export interface SystemSet {
  systems: SystemDef[];
  /** Platforms that run an LGSP (reporting ones are those with at least one system). */
  lgspPlatforms: string[];
  /** Units (ministries and provinces) in force on the day. */
  units: number;
}

/** Builds the system set of a profile for the registry state of a day. */
export function systemsOn(
  p: TrafficProfile,
  day: string,
  seed: number,
  registry: Registry = defaultRegistry,
  cat: Catalogue = defaultCatalogue,
): SystemSet {
  const platforms = registry.platformsOn(day);
  const provinces = platforms.filter((x) => x.kind === 'province').sort((a, b) => a.platformId.localeCompare(b.platformId));
  const ministries = platforms.filter((x) => x.kind === 'ministry').sort((a, b) => a.platformId.localeCompare(b.platformId));
  const national = platforms.find((x) => x.kind === 'national')?.platformId ?? 'NGSP';
  // Which units run an LGSP: the same choice every day for a seed (as long as the registry is unchanged).
  const choose = <T extends { platformId: string }>(xs: T[], label: string): T[] => {
    const n = p.lgspShare >= 1 ? xs.length : Math.max(1, Math.round(p.lgspShare * xs.length));
    return shuffled(xs, mulberry32(seedOf(seed, p.id, label)))
      .slice(0, n)
      .sort((a, b) => a.platformId.localeCompare(b.platformId));
  };
  const lgspProvinces = choose(provinces, 'provinces');
  const lgspMinistries = choose(ministries, 'ministries');

  const out: SystemDef[] = [];
  const providedBy = (id: string): string[] => cat.services.filter((s) => s.provider === id).map((s) => s.serviceCode);
  const consumedBy = (id: string): string[] => cat.services.filter((s) => s.consumers?.includes(id)).map((s) => s.serviceCode);
  for (const c of cat.central) {
    const id = `${c.orgCode}/${c.systemCode}`;
    out.push({
      id,
      orgCode: c.orgCode,
      systemCode: c.systemCode,
      platformId: national,
      consumes: consumedBy(id),
      provides: providedBy(id),
    });
  }
  for (const m of lgspMinistries) {
    const org = m.platformId.replace(/^LGSP-/, '');
    out.push({
      id: `${org}/${cat.ministrySystem.systemCode}`,
      orgCode: org,
      systemCode: cat.ministrySystem.systemCode,
      platformId: m.platformId,
      consumes: cat.ministrySystem.consumes,
      provides: [],
    });
  }
  const target = p.connectedSystems;
  const types = cat.provincialTypes;
  for (let round = 0; out.length < target && lgspProvinces.length; round++) {
    for (const prov of lgspProvinces) {
      if (out.length >= target) break;
      const code = prov.provinceCode!;
      const t = round < types.length ? types[round]! : cat.districtType;
      const orgCode = round < types.length ? `${t.org}-${code}` : `${t.org}-${code}-${String(round - types.length + 1).padStart(2, '0')}`;
      out.push({
        id: `${orgCode}/${t.systemCode}`,
        orgCode,
        systemCode: t.systemCode,
        provinceCode: code,
        platformId: prov.platformId,
        consumes: t.consumes,
        provides: t.provides ?? providedBy(t.type),
      });
    }
  }
  return {
    systems: out.slice(0, target),
    lgspPlatforms: [...lgspMinistries, ...lgspProvinces].map((x) => x.platformId),
    units: provinces.length + ministries.length,
  };
}
