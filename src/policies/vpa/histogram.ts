/**
 * The VPA recommender's decaying histogram (pkg/recommender/util): exponentially growing
 * buckets, and sample weights that grow by 2 every half-life so that older samples count
 * exponentially less, without ever rewriting old buckets.
 */
export interface HistogramOptions {
  /** Upper edge of the first bucket. */
  firstBucketSize: number;
  /** Each bucket is this much larger than the previous one. */
  ratio: number;
  maxValue: number;
  halfLifeMs: number;
}

export interface HistogramCheckpoint {
  referenceMs: number | null;
  total: number;
  /** [bucket index, weight] of the non-empty buckets. */
  buckets: [number, number][];
}

export class DecayingHistogram {
  private readonly weights: Float64Array;
  private readonly starts: Float64Array;
  private total = 0;
  private referenceMs: number | undefined;

  constructor(private readonly options: HistogramOptions) {
    const starts = [0];
    let size = options.firstBucketSize;
    while (starts[starts.length - 1]! < options.maxValue) {
      starts.push(starts[starts.length - 1]! + size);
      size *= options.ratio;
    }
    this.starts = Float64Array.from(starts);
    this.weights = new Float64Array(starts.length);
  }

  private bucketOf(value: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= value) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  add(value: number, weight: number, timeMs: number): void {
    if (!(weight > 0) || !Number.isFinite(value)) return;
    this.referenceMs ??= timeMs;
    const factor = 2 ** ((timeMs - this.referenceMs) / this.options.halfLifeMs);
    // Rebase before the numbers grow out of range.
    if (factor > 1e100) this.rebase(timeMs);
    const w = weight * 2 ** ((timeMs - this.referenceMs) / this.options.halfLifeMs);
    this.weights[this.bucketOf(Math.max(0, value))]! += w;
    this.total += w;
  }

  private rebase(timeMs: number): void {
    const scale = 2 ** (-(timeMs - this.referenceMs!) / this.options.halfLifeMs);
    for (let i = 0; i < this.weights.length; i++) this.weights[i]! *= scale;
    this.total *= scale;
    this.referenceMs = timeMs;
  }

  /** The non-empty buckets and the reference time: what the VPA keeps in its checkpoints. */
  checkpoint(): HistogramCheckpoint {
    const buckets: [number, number][] = [];
    for (let i = 0; i < this.weights.length; i++)
      if (this.weights[i]! > 0) buckets.push([i, this.weights[i]!]);
    return { referenceMs: this.referenceMs ?? null, total: this.total, buckets };
  }

  /** Loads a checkpoint; false (and the histogram unchanged) when it does not fit this one. */
  restore(c: HistogramCheckpoint): boolean {
    const fits =
      Array.isArray(c?.buckets) &&
      typeof c.total === 'number' &&
      c.buckets.every(
        (b) =>
          Array.isArray(b) &&
          Number.isInteger(b[0]) &&
          b[0] >= 0 &&
          b[0] < this.weights.length &&
          typeof b[1] === 'number' &&
          b[1] >= 0,
      );
    if (!fits) return false;
    this.weights.fill(0);
    for (const [i, w] of c.buckets) this.weights[i] = w;
    this.total = c.total;
    this.referenceMs = typeof c.referenceMs === 'number' ? c.referenceMs : undefined;
    return true;
  }

  isEmpty(): boolean {
    return this.total <= 0;
  }

  /** The end of the bucket where the cumulative weight reaches p (as the VPA reports it). */
  percentile(p: number): number {
    if (this.isEmpty()) return 0;
    const threshold = p * this.total;
    let sum = 0;
    for (let i = 0; i < this.weights.length; i++) {
      sum += this.weights[i]!;
      if (sum >= threshold)
        return i + 1 < this.starts.length ? this.starts[i + 1]! : this.starts[i]!;
    }
    return this.starts[this.starts.length - 1]!;
  }
}
