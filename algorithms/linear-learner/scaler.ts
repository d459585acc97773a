/** Feature/label standardisation fitted on a sample of `num_point_for_scaler` rows. */
import type { Rng } from '../../core/random.js';

export interface Scaler {
  mean: Float64Array;
  std: Float64Array;
  labelMean: number;
  labelStd: number;
}

export function sampleRows(n: number, count: number, rng: Rng): Uint32Array {
  if (count >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  return rng.permutation(n).subarray(0, count);
}

export function fitScaler(
  x: Float32Array, y: Float32Array, d: number, rows: Uint32Array,
  opts: { normalizeData: boolean; shiftData: boolean; normalizeLabel: boolean },
): Scaler {
  const mean = new Float64Array(d);
  const std = new Float64Array(d).fill(1);
  let labelMean = 0;
  let labelStd = 1;
  const m = rows.length;
  if (opts.normalizeData && m > 0) {
    const sum = new Float64Array(d);
    const sumSq = new Float64Array(d);
    for (const r of rows) {
      const base = r * d;
      for (let j = 0; j < d; j++) {
        const v = x[base + j];
        sum[j] += v;
        sumSq[j] += v * v;
      }
    }
    for (let j = 0; j < d; j++) {
      const mu = sum[j] / m;
      // Sparse data is only scaled (shifting would densify it), so its scale is the RMS.
      const variance = opts.shiftData ? Math.max(0, sumSq[j] / m - mu * mu) : sumSq[j] / m;
      const s = Math.sqrt(variance);
      mean[j] = opts.shiftData ? mu : 0;
      std[j] = s > 1e-12 ? s : 1;
    }
  }
  if (opts.normalizeLabel && m > 0) {
    let s = 0, ss = 0;
    for (const r of rows) (s += y[r]), (ss += y[r] * y[r]);
    labelMean = s / m;
    const sd = Math.sqrt(Math.max(0, ss / m - labelMean * labelMean));
    labelStd = sd > 1e-12 ? sd : 1;
  }
  return { mean, std, labelMean, labelStd };
}

export function applyScaler(x: Float32Array, d: number, s: Scaler): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i += d) {
    for (let j = 0; j < d; j++) out[i + j] = (x[i + j] - s.mean[j]) / s.std[j];
  }
  return out;
}

/** Sufficient statistics of a scaler sample: [count, sum[d], sumSq[d], labelSum, labelSumSq]; summable across hosts. */
export function scalerSums(x: Float32Array, y: Float32Array, d: number, count: number): Float64Array {
  const s = new Float64Array(2 * d + 3);
  s[0] = count;
  for (let r = 0; r < count; r++) {
    const base = r * d;
    for (let j = 0; j < d; j++) {
      const v = x[base + j];
      s[1 + j] += v;
      s[1 + d + j] += v * v;
    }
    s[1 + 2 * d] += y[r];
    s[2 + 2 * d] += y[r] * y[r];
  }
  return s;
}

export function scalerFromSums(s: Float64Array, d: number, opts: { normalizeData: boolean; shiftData: boolean; normalizeLabel: boolean }): Scaler {
  const m = s[0];
  const mean = new Float64Array(d);
  const std = new Float64Array(d).fill(1);
  let labelMean = 0;
  let labelStd = 1;
  if (opts.normalizeData && m > 0) {
    for (let j = 0; j < d; j++) {
      const mu = s[1 + j] / m;
      // Sparse data is only scaled (shifting would densify it), so its scale is the RMS.
      const variance = opts.shiftData ? Math.max(0, s[1 + d + j] / m - mu * mu) : s[1 + d + j] / m;
      const sd = Math.sqrt(variance);
      mean[j] = opts.shiftData ? mu : 0;
      std[j] = sd > 1e-12 ? sd : 1;
    }
  }
  if (opts.normalizeLabel && m > 0) {
    labelMean = s[1 + 2 * d] / m;
    const sd = Math.sqrt(Math.max(0, s[2 + 2 * d] / m - labelMean * labelMean));
    labelStd = sd > 1e-12 ? sd : 1;
  }
  return { mean, std, labelMean, labelStd };
}

/** Scales rows [0, n) of x in place. */
export function scaleInPlace(x: Float32Array, n: number, d: number, s: Scaler): void {
  const inv = Float64Array.from(s.std, (v) => 1 / v);
  const mean = s.mean;
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let j = 0; j < d; j++) x[o + j] = (x[o + j] - mean[j]) * inv[j];
  }
}
