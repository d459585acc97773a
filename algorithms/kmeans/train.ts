/** Web-scale mini-batch k-means (Sculley) over k x extra_center_factor centres, then local Lloyd down to k. */
import { tf, initBackend } from '../backend.js';
import { loadChannel } from '../channel-data.js';
import { AlgorithmError } from '../errors.js';
import type { Logger } from '../log.js';
import { Prng } from '../prng.js';
import type { ChannelFiles } from '../types.js';
import type { KMeansConfig } from './hyperparameters.js';
import { encodeKMeansModel, nearest } from './model.js';

function sqDist(a: Float32Array | Float64Array, ai: number, b: Float32Array | Float64Array, bi: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const diff = a[ai * d + j] - b[bi * d + j];
    s += diff * diff;
  }
  return s;
}

/** Picks `count` seeds among weighted points, by D^2 sampling (kmeans++) or weighted random choice. */
export function seedCenters(points: Float32Array | Float64Array, weights: Float64Array, n: number, d: number, count: number, method: 'random' | 'kmeans++', rng: Prng): Float64Array {
  const out = new Float64Array(count * d);
  const chosen = new Uint8Array(n);
  const pick = (probs: Float64Array): number => {
    let total = 0;
    for (let i = 0; i < n; i++) if (!chosen[i]) total += probs[i];
    if (!(total > 0)) {
      // Degenerate (all remaining have zero mass): fall back to any unchosen point.
      for (let i = 0; i < n; i++) if (!chosen[i]) return i;
      return rng.int(n);
    }
    let t = rng.next() * total;
    for (let i = 0; i < n; i++) {
      if (chosen[i]) continue;
      t -= probs[i];
      if (t <= 0) return i;
    }
    for (let i = n - 1; i >= 0; i--) if (!chosen[i]) return i;
    return 0;
  };
  const minD = new Float64Array(n).fill(Infinity);
  const probs = new Float64Array(n);
  for (let c = 0; c < count; c++) {
    for (let i = 0; i < n; i++) probs[i] = method === 'kmeans++' && c > 0 ? weights[i] * minD[i] : weights[i];
    const idx = pick(probs);
    if (idx < n) chosen[idx] = 1;
    for (let j = 0; j < d; j++) out[c * d + j] = points[idx * d + j];
    if (method === 'kmeans++') for (let i = 0; i < n; i++) minD[i] = Math.min(minD[i], sqDist(points, i, out, c, d));
  }
  return out;
}

/** Weighted Lloyd iterations; returns centres and weighted mean squared distance. */
export function weightedLloyd(points: Float64Array, weights: Float64Array, n: number, d: number, init: Float64Array, k: number, maxIter: number, tol: number): { centers: Float64Array; msd: number } {
  const centers = Float64Array.from(init);
  const assign = new Int32Array(n);
  let totalW = 0;
  for (let i = 0; i < n; i++) totalW += weights[i];
  let prev = Infinity;
  let msd = Infinity;
  for (let iter = 0; iter < maxIter; iter++) {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let best = Infinity;
      for (let c = 0; c < k; c++) {
        const s = sqDist(points, i, centers, c, d);
        if (s < best) (best = s), (assign[i] = c);
      }
      loss += weights[i] * best;
    }
    msd = loss / Math.max(totalW, 1e-300);
    const sums = new Float64Array(k * d);
    const mass = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const c = assign[i];
      mass[c] += weights[i];
      for (let j = 0; j < d; j++) sums[c * d + j] += weights[i] * points[i * d + j];
    }
    for (let c = 0; c < k; c++) if (mass[c] > 0) for (let j = 0; j < d; j++) centers[c * d + j] = sums[c * d + j] / mass[c];
    if (prev - msd <= tol * Math.max(prev, 1e-300) || msd === 0) break;
    prev = msd;
  }
  // Report the loss of the returned (updated) centres.
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let c = 0; c < k; c++) best = Math.min(best, sqDist(points, i, centers, c, d));
    loss += weights[i] * best;
  }
  return { centers, msd: Math.min(msd, loss / Math.max(totalW, 1e-300)) };
}

/** Nearest-centre index per row of a batch, computed with tfjs via ||x||^2 - 2x.c + ||c||^2. */
function assignBatch(xb: Float32Array, rows: number, d: number, centers: Float64Array, K: number): Int32Array {
  return tf.tidy(() => {
    const X = tf.tensor2d(xb, [rows, d]);
    const C = tf.tensor2d(Float32Array.from(centers), [K, d]);
    const cNorm = tf.reshape(tf.sum(tf.square(C), 1), [1, K]);
    const scores = tf.sub(cNorm, tf.mul(tf.matMul(X, C, false, true), 2));
    return tf.argMin(scores, 1).dataSync() as Int32Array;
  });
}

export async function trainKMeans(cfg: KMeansConfig, channels: ChannelFiles[], log: Logger, seed: number): Promise<Buffer> {
  const rng = new Prng(seed);
  const trainCh = channels.find((c) => c.name === 'train');
  if (!trainCh) throw new AlgorithmError("No 'train' channel was provided; kmeans requires one");
  const train = loadChannel(trainCh, { defaultCsvLabelSize: 0, featureDim: cfg.featureDim });
  const testCh = channels.find((c) => c.name === 'test');
  const test = testCh ? loadChannel(testCh, { defaultCsvLabelSize: 0, featureDim: cfg.featureDim }) : undefined;
  const { n, x } = train;
  const d = cfg.featureDim;
  if (n < cfg.k) throw new AlgorithmError(`The train channel has ${n} records, fewer than k=${cfg.k}`);

  const backend = await initBackend();
  for (const note of backend.notes) log(note, 'WARNING');
  log(`Using tfjs backend: ${backend.name}`);
  if (cfg.extraCenterFactorAuto) log(`'extra_center_factor' was set to 'auto', evaluated to ${cfg.extraCenterFactor}.`);
  if (cfg.localLloydNumTrialsAuto) log(`'local_lloyd_num_trials' was set to 'auto', evaluated to ${cfg.localLloydNumTrials}.`);
  let K = cfg.k * cfg.extraCenterFactor;
  if (K > n) {
    log(`Only ${n} records are available, so ${n} centers are used instead of ${K}.`, 'WARNING');
    K = n;
  }
  log(`Loaded train data: ${n} records, feature_dim=${d}${test ? `; test: ${test.n} records` : ''}`);

  // (1)-(2) Mini-batch pass(es).
  const bs = Math.min(cfg.miniBatchSize, n);
  let centers: Float64Array | undefined;
  const counts = new Float64Array(K);
  const xb = new Float32Array(Math.max(bs, K) * d);
  const decayPerPoint = cfg.halfLifeTimeSize > 0 ? Math.pow(0.5, 1 / cfg.halfLifeTimeSize) : 1;
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const started = performance.now();
    const order = rng.permutation(n);
    for (let start = 0; start < n; start += bs) {
      let rows = Math.min(bs, n - start);
      if (!centers) {
        // Initialise from the first batch, widened if it holds fewer points than centres.
        rows = Math.min(Math.max(rows, K), n - start);
        for (let i = 0; i < rows; i++) xb.set(x.subarray(order[start + i] * d, (order[start + i] + 1) * d), i * d);
        centers = seedCenters(xb, new Float64Array(rows).fill(1), rows, d, K, cfg.initMethod, rng);
      } else {
        for (let i = 0; i < rows; i++) xb.set(x.subarray(order[start + i] * d, (order[start + i] + 1) * d), i * d);
      }
      const assign = assignBatch(xb.subarray(0, rows * d), rows, d, centers, K);
      const sums = new Float64Array(K * d);
      const m = new Float64Array(K);
      for (let i = 0; i < rows; i++) {
        const c = assign[i];
        m[c]++;
        for (let j = 0; j < d; j++) sums[c * d + j] += xb[i * d + j];
      }
      if (decayPerPoint < 1) {
        const decay = Math.pow(decayPerPoint, rows);
        for (let c = 0; c < K; c++) counts[c] *= decay;
      }
      for (let c = 0; c < K; c++) {
        if (m[c] === 0) continue;
        const p = m[c] / (counts[c] + m[c]);
        for (let j = 0; j < d; j++) centers[c * d + j] = (1 - p) * centers[c * d + j] + (p * sums[c * d + j]) / m[c];
        counts[c] += m[c];
      }
      start += rows - Math.min(bs, n - start);
    }
    const seconds = (performance.now() - started) / 1000;
    log(`#progress_metric: host=algo-1, completed ${(100 * (epoch + 1)) / cfg.epochs} % of epochs`);
    log(`#throughput_metric: host=algo-1, train throughput=${n / Math.max(seconds, 1e-9)} records/second`);
  }
  if (!centers) throw new AlgorithmError('No training data was processed');

  // (3) Local Lloyd on the weighted centres, keeping the best of several trials.
  log(`shrinking ${K} centers into ${cfg.k}`);
  let keep = Array.from({ length: K }, (_, c) => c).filter((c) => counts[c] > 0);
  if (keep.length < cfg.k) keep = Array.from({ length: K }, (_, c) => c);
  const pts = new Float64Array(keep.length * d);
  const w = new Float64Array(keep.length);
  keep.forEach((c, i) => {
    pts.set(centers!.subarray(c * d, (c + 1) * d), i * d);
    w[i] = Math.max(counts[c], 1e-12);
  });
  let best: { centers: Float64Array; msd: number } | undefined;
  for (let t = 0; t < cfg.localLloydNumTrials; t++) {
    const init = seedCenters(pts, w, keep.length, d, cfg.k, cfg.localLloydInitMethod, rng);
    const result = weightedLloyd(pts, w, keep.length, d, init, cfg.k, cfg.localLloydMaxIter, cfg.localLloydTol);
    log(`local kmeans attempt #${t}. Current mean square distance ${result.msd}`);
    if (!best || result.msd < best.msd) best = result;
  }
  log(`finished shrinking process. Mean Square Distance = ${best!.msd}`);
  log(`#quality_metric: host=algo-1, train msd <loss>=${best!.msd}`);

  const centroids = Float32Array.from(best!.centers);
  if (test) {
    let ssd = 0;
    for (let r = 0; r < test.n; r++) ssd += nearest(centroids, cfg.k, d, test.x, r).sq;
    for (const metric of cfg.evalMetrics) {
      log(`#quality_metric: host=algo-1, test ${metric} <loss>=${metric === 'msd' ? ssd / test.n : ssd}`);
    }
  } else {
    log('Test data is not provided.');
  }
  return encodeKMeansModel({ k: cfg.k, featureDim: d, centroids });
}
