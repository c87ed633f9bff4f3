/**
 * Duration percentiles from a mergeable DDSketch (relative-error guarantee), so minute sketches
 * merge exactly into days and ranges — percentiles are never averaged.
 */
import { DDSketch } from '@datadog/sketches-js';

/** Half of the contract's 1 %: leaves room for rounding the published figure to 3 decimals. */
export const RELATIVE_ACCURACY = 0.005;

/** Compact, JSON-safe sketch: zero count, exact max, and sparse positive bins `[key, count, ...]`. */
export interface SketchData {
  z: number;
  x: number;
  b: number[];
}

export class DurationSketch {
  private readonly sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
  private maxValue = -Infinity;

  /** Adds one duration (ms, >= 0). */
  add(durationMs: number): void {
    this.sketch.accept(durationMs);
    if (durationMs > this.maxValue) this.maxValue = durationMs;
  }

  merge(other: DurationSketch): void {
    if (other.count === 0) return;
    this.sketch.merge(other.sketch);
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
  }

  /**
   * Merges a stored sketch without building a sketch object for it: its bins are added straight
   * into this sketch's store. Same bins, counts and max as `merge(DurationSketch.fromData(data))`
   * (a day roll merges ~1,440 × 10,000 group sketches: building each one cost most of its time).
   */
  mergeData(data: SketchData): void {
    const b = data.b;
    const count = data.z + sumCounts(b);
    if (count === 0) return;
    const inner = this.sketch;
    const store = inner.store;
    for (let i = 0; i + 1 < b.length; i += 2) store.add(b[i]!, b[i + 1]!);
    const min = data.z > 0 ? 0 : inner.mapping.value(b[0]!);
    inner.zeroCount += data.z;
    inner.count += count;
    if (min < inner.min) inner.min = min;
    if (data.x > inner.max) inner.max = data.x;
    if (data.x > this.maxValue) this.maxValue = data.x;
  }

  get count(): number {
    return this.sketch.count;
  }

  /** Exact maximum, or null when empty. */
  get max(): number | null {
    return this.count === 0 ? null : this.maxValue;
  }

  /** Value at quantile q (0..1), rounded to 3 decimals, or null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const v = Math.min(this.sketch.getValueAtQuantile(q), this.maxValue);
    return Math.round(v * 1000) / 1000;
  }

  toData(): SketchData {
    const store = this.sketch.store;
    const b: number[] = [];
    for (let key = store.minKey; key <= store.maxKey; key++) {
      const c = store.bins[key - store.offset] ?? 0;
      if (c > 0) b.push(key, c);
    }
    return { z: this.sketch.zeroCount, x: this.count === 0 ? 0 : this.maxValue, b };
  }

  static fromData(data: SketchData): DurationSketch {
    const s = new DurationSketch();
    const inner = s.sketch;
    for (let i = 0; i + 1 < data.b.length; i += 2) inner.store.add(data.b[i]!, data.b[i + 1]!);
    inner.zeroCount = data.z;
    const count = data.z + sumCounts(data.b);
    inner.count = count;
    if (count > 0) {
      s.maxValue = data.x;
      inner.max = data.x;
      inner.min = data.z > 0 ? 0 : inner.mapping.value(data.b[0]!);
    }
    return s;
  }
}

function sumCounts(b: number[]): number {
  let n = 0;
  for (let i = 1; i < b.length; i += 2) n += b[i]!;
  return n;
}
