/**
 * A small seeded PRNG (mulberry32) and seed derivation, so seed traffic is the same on every
 * machine and every run: same profile, seed, day and scale ⇒ the same events, byte for byte.
 */

import { fnv1a } from '#shared/hash.ts';

/** A generator of uniform numbers in [0, 1) from a 32-bit seed. */
export type Random = () => number;

/** mulberry32: tiny, fast, and good enough for traffic shapes (not for cryptography). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a text: derives independent, stable seeds from labels (`seed|day`, `seed|lgsp`...). */
export function seedOf(...parts: (string | number)[]): number {
  return fnv1a(parts.join('|'));
}

/** Picks an index by weights (cumulative table built once). */
export class WeightedTable<T> {
  private readonly cumulative: number[] = [];
  readonly total: number;

  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    let sum = 0;
    for (const w of weights) {
      sum += Math.max(0, w);
      this.cumulative.push(sum);
    }
    this.total = sum;
  }

  pick(r: Random): T {
    const x = r() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}

/** A standard normal draw (Box–Muller). */
export function normal(r: Random): number {
  const u = 1 - r();
  const v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], r: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
