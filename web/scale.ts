/** Chart scales of the dashboard: pure, so a unit test can hold them. */

/**
 * The top of a duration chart's scale: rare spikes (a few 20–30 s timeouts) would otherwise flatten
 * every usual value, so when the highest value is more than twice the 98th percentile the scale
 * stops at 1.5 × that percentile and the page says how many points it leaves off.
 */
export function durationCap(values: (number | null)[]): { cap: number; above: number; max: number } | undefined {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length < 20) return undefined;
  const p98 = v[Math.floor(0.98 * (v.length - 1))]!;
  const max = v[v.length - 1]!;
  if (p98 <= 0 || max <= 2 * p98) return undefined;
  const cap = Math.ceil(1.5 * p98);
  return { cap, above: v.filter((x) => x > cap).length, max };
}
