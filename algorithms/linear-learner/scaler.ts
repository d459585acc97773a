/** Feature/label standardisation fitted on a sample of `num_point_for_scaler` rows. */
import type { Prng } from '../prng.js';

export interface Scaler {
  mean: Float64Array;
  std: Float64Array;
  labelMean: number;
  labelStd: number;
}

export function sampleRows(n: number, count: number, rng: Prng): Uint32Array {
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
