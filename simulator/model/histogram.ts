/**
 * Log-bucketed latency histograms: bucket i holds [H_MIN * BASE^i, H_MIN * BASE^(i+1)), 2% wide,
 * from 1 microsecond to about 5 hours. A percentile read back is the bucket's geometric middle,
 * within 1% of the exact sample value. Many histograms live side by side in one Uint32Array
 * (one per minute, one per phase), so a day of per-minute percentiles costs a few MB.
 */
export const H_MIN = 0.001; // ms
export const H_BASE = 1.02;
const INV_LOG_BASE = 1 / Math.log(H_BASE);
export const H_BUCKETS = Math.ceil(Math.log(2e7 / H_MIN) * INV_LOG_BASE);

export function bucketOf(ms: number): number {
  if (!(ms > H_MIN)) return 0;
  const i = (Math.log(ms / H_MIN) * INV_LOG_BASE) | 0;
  return i < H_BUCKETS ? i : H_BUCKETS - 1;
}

export function bucketValue(i: number): number {
  return H_MIN * Math.pow(H_BASE, i + 0.5);
}

/** Percentile q in (0, 1] of the histogram at `offset` in `h`, or NaN when it is empty. */
export function percentile(h: Uint32Array, offset: number, q: number, total?: number): number {
  let n = total ?? 0;
  if (total === undefined) for (let i = 0; i < H_BUCKETS; i++) n += h[offset + i];
  if (n === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * n));
  let c = 0;
  for (let i = 0; i < H_BUCKETS; i++) {
    c += h[offset + i];
    if (c >= rank) return bucketValue(i);
  }
  return bucketValue(H_BUCKETS - 1);
}

/** Sums histograms [from, to) of a packed array into one. */
export function mergeRange(h: Uint32Array, from: number, to: number): Uint32Array {
  const out = new Uint32Array(H_BUCKETS);
  for (let k = from; k < to; k++) {
    const o = k * H_BUCKETS;
    for (let i = 0; i < H_BUCKETS; i++) out[i] += h[o + i];
  }
  return out;
}
