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
    // The store grows to the bins' whole range at once (their last key first; keys ascend), not bin by bin.
    if (b.length >= 4) store.add(b[b.length - 2 - (b.length % 2)]!, 0);
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
    const b = data.b;
    // The store grows to the bins' whole range at once (their last key first; keys ascend), not bin by bin.
    if (b.length >= 4) inner.store.add(b[b.length - 2 - (b.length % 2)]!, 0);
    for (let i = 0; i + 1 < b.length; i += 2) inner.store.add(b[i]!, b[i + 1]!);
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

/**
 * Stored sketches merged as sparse bins (key → count), without a sketch object: what a day roll
 * keeps per group. A dense store per group (DDSketch's, ~1,000 bins wide for 1 ms–1 min) made
 * the 150,000 groups of a 10× day hold gigabytes and spend the roll in garbage collection; a
 * group's bins are only the keys its durations fell in. `toData()` gives exactly the bins, counts
 * and max that merging the same sketches into one `DurationSketch` gives.
 */
export class SketchBins {
  private readonly bins = new Map<number, number>();
  private zeros = 0;
  private maxValue = -Infinity;
  private data?: SketchData;
  count = 0;

  add(data: SketchData): void {
    const b = data.b;
    const count = data.z + sumCounts(b);
    if (count === 0) return;
    const bins = this.bins;
    for (let i = 0; i + 1 < b.length; i += 2) {
      const key = b[i]!;
      bins.set(key, (bins.get(key) ?? 0) + b[i + 1]!);
    }
    this.zeros += data.z;
    this.count += count;
    if (data.x > this.maxValue) this.maxValue = data.x;
    this.data = undefined;
  }

  /** The merged bins in the stored form (kept until the next `add`: do not change it). */
  toData(): SketchData {
    if (this.data) return this.data;
    const b: number[] = [];
    for (const key of [...this.bins.keys()].sort((x, y) => x - y)) {
      const c = this.bins.get(key)!;
      if (c > 0) b.push(key, c);
    }
    this.data = { z: this.zeros, x: this.count === 0 ? 0 : this.maxValue, b };
    return this.data;
  }
}

/** The sketches' key mapping (one for all: the same relative accuracy). */
const MAPPING = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }).mapping;

/**
 * `DurationSketch.fromData(data).quantile(q)` without building the sketch: the same rank, the
 * same bin (the first whose running count exceeds the rank), the same value and rounding.
 */
export function quantileOfData(data: SketchData, q: number): number | null {
  const b = data.b;
  const count = data.z + sumCounts(b);
  if (count === 0) return null;
  const rank = q * (count - 1);
  let v = 0;
  if (rank >= data.z) {
    const r = rank - data.z;
    let running = 0;
    let key = b[b.length - 2 - (b.length % 2)]!;
    for (let i = 0; i + 1 < b.length; i += 2) {
      running += b[i + 1]!;
      if (running > r) {
        key = b[i]!;
        break;
      }
    }
    v = MAPPING.value(key);
  }
  return Math.round(Math.min(v, data.x) * 1000) / 1000;
}

function sumCounts(b: number[]): number {
  let n = 0;
  for (let i = 1; i < b.length; i += 2) n += b[i]!;
  return n;
}
