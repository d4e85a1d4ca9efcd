/** Robust per-volume intensity normalization: clip to percentiles, then z-score. */

export interface IntensityNormalization {
  /** Clip range in original units (the PERCENTILES of the finite voxels). */
  low: number;
  high: number;
  /** z-score statistics of the clipped original voxels: normalized = (clip(v) − mean) / std. */
  mean: number;
  std: number;
}

/** Percentiles clipped before the z-score; robust to the 1e6-scale bright outliers of real MR data. */
export const PERCENTILES: [number, number] = [0.5, 99.5];
const MAX_SAMPLES = 1 << 20;

/** Percentiles from a strided sample (exact for volumes up to 1M voxels), then mean/std of clipped values. */
export function fitNormalization(values: Float32Array): IntensityNormalization {
  const stride = Math.max(1, Math.ceil(values.length / MAX_SAMPLES));
  const sample = new Float32Array(Math.ceil(values.length / stride));
  let m = 0;
  for (let i = 0; i < values.length; i += stride) if (Number.isFinite(values[i])) sample[m++] = values[i];
  if (m === 0) return { low: 0, high: 0, mean: 0, std: 1 };
  const finite = sample.subarray(0, m);
  const rank = (p: number) => Math.min(m - 1, Math.max(0, Math.round((p / 100) * (m - 1))));
  const low = selectKth(finite, rank(PERCENTILES[0]));
  const high = selectKth(finite, rank(PERCENTILES[1]));
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const c = Math.min(high, Math.max(low, v));
    sum += c;
    sumSq += c * c;
    n++;
  }
  const mean = sum / n;
  const variance = Math.max(0, sumSq / n - mean * mean);
  // A constant image has no scale; leave it centred rather than dividing by zero.
  const std = variance > 1e-12 * Math.max(1, mean * mean) ? Math.sqrt(variance) : 1;
  return { low, high, mean, std };
}

/** Clips in place to [low, high] (non-finite values become low, so they cannot poison interpolation). */
export function clipInPlace(values: Float32Array, n: IntensityNormalization): void {
  const { low, high } = n;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    values[i] = Number.isNaN(v) ? low : Math.min(high, Math.max(low, v));
  }
}

export function normalizeInPlace(values: Float32Array, n: IntensityNormalization): void {
  const inv = 1 / n.std;
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - n.mean) * inv;
}

/**
 * The k-th smallest value (0-based), reordering `a` in place (Hoare quickselect, expected O(n));
 * typed-array sort is an order of magnitude slower for the two percentiles needed here.
 */
export function selectKth(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as pivot keeps sorted or constant inputs from going quadratic.
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}
