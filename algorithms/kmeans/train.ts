/** Web-scale mini-batch k-means (Sculley) over k x extra_center_factor centres, then local Lloyd down to k. */
import { tf, initBackend } from '../backend.js';
import { ChannelStream, type Block } from '../channel-data.js';
import { AlgorithmError } from '../errors.js';
import type { Logger } from '../log.js';
import { Rng } from '../../core/random.js';
import type { ChannelFiles, Collective } from '../types.js';
import type { KMeansConfig } from './hyperparameters.js';
import { encodeKMeansModel } from './model.js';
import { readAndDispose } from '../linear-learner/parallel-models.js';

function sqDist(a: Float32Array | Float64Array, ai: number, b: Float32Array | Float64Array, bi: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const diff = a[ai * d + j] - b[bi * d + j];
    s += diff * diff;
  }
  return s;
}

/** Picks `count` seeds among weighted points, by D^2 sampling (kmeans++) or weighted random choice. */
export function seedCenters(points: Float32Array | Float64Array, weights: Float64Array, n: number, d: number, count: number, method: 'random' | 'kmeans++', rng: Rng): Float64Array {
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

/**
 * Nearest centre of each row of a batch on tfjs, as one fused matMul: score = x·(-2cᵀ) + ||c||²
 * (the row's own ||x||² does not change the argmin), then argMin. The centre matrix is passed
 * untransposed ([d, K]): tfjs-wasm runs that on XNNPACK, a transposed operand on a naive loop.
 * With `minSq`, also writes each row's squared distance to its nearest centre.
 */
export function assignBatch(xb: Float32Array, rows: number, d: number, centers: Float64Array, K: number, minSq?: Float64Array): Int32Array {
  const ct = new Float32Array(d * K);
  const norms = new Float32Array(K);
  for (let c = 0; c < K; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = centers[c * d + j];
      ct[j * K + c] = -2 * v;
      s += v * v;
    }
    norms[c] = s;
  }
  const scores = tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(xb.subarray(0, rows * d), [rows, d]), b: tf.tensor2d(ct, [d, K]), bias: tf.tensor1d(norms) }));
  try {
    if (minSq) {
      const mins = readAndDispose(tf.min(scores, 1));
      for (let r = 0; r < rows; r++) {
        let xx = 0;
        for (let j = 0; j < d; j++) xx += xb[r * d + j] * xb[r * d + j];
        minSq[r] = Math.max(0, xx + mins[r]);
      }
    }
    return readAndDispose<Int32Array>(tf.argMin(scores, 1));
  } finally {
    scores.dispose();
  }
}

export interface HostContext {
  host: string;
  hostCount: number;
  collective?: Collective;
}

export async function trainKMeans(cfg: KMeansConfig, channels: ChannelFiles[], log: Logger, seed: number, ctx: HostContext = { host: 'algo-1', hostCount: 1 }): Promise<Buffer> {
  const rng = new Rng(seed);
  const trainCh = channels.find((c) => c.name === 'train');
  if (!trainCh) throw new AlgorithmError("No 'train' channel was provided; kmeans requires one");
  const d = cfg.featureDim;
  const bs = cfg.miniBatchSize;
  const blockRows = Math.max(bs, Math.ceil(32768 / bs) * bs);
  const train = new ChannelStream(trainCh, { defaultCsvLabelSize: 0, featureDim: d, blockRows });
  const testCh = channels.find((c) => c.name === 'test');
  const test = testCh ? new ChannelStream(testCh, { defaultCsvLabelSize: 0, featureDim: d, blockRows }) : undefined;
  const multi = ctx.hostCount > 1 && ctx.collective;

  const backend = await initBackend();
  for (const note of backend.notes) log(note, 'WARNING');
  log(`Using tfjs backend: ${backend.name}`);
  if (cfg.extraCenterFactorAuto) log(`'extra_center_factor' was set to 'auto', evaluated to ${cfg.extraCenterFactor}.`);
  if (cfg.localLloydNumTrialsAuto) log(`'local_lloyd_num_trials' was set to 'auto', evaluated to ${cfg.localLloydNumTrials}.`);
  const wantK = cfg.k * cfg.extraCenterFactor;
  let K = wantK;

  // (1)-(2) Mini-batch pass(es) over shuffled rows; the first batch (at least K rows) seeds the centres.
  let centers: Float64Array | undefined;
  let counts = new Float64Array(wantK);
  const cap = Math.max(bs, wantK);
  const xb = new Float32Array(cap * d);
  let fill = 0;
  const decayPerPoint = cfg.halfLifeTimeSize > 0 ? Math.pow(0.5, 1 / cfg.halfLifeTimeSize) : 1;
  const sums = new Float64Array(wantK * d);
  const m = new Float64Array(wantK);

  const seed0 = async (rows: number) => {
    if (rows < K) {
      if (!multi) log(`Only ${rows} records are available, so ${rows} centers are used instead of ${K}.`, 'WARNING');
      K = rows;
    }
    let init = seedCenters(xb, new Float64Array(rows).fill(1), rows, d, K, cfg.initMethod, rng);
    if (multi) {
      // Every host starts from algo-1's centres, so that centre c means the same on every host.
      const first = ctx.host === 'algo-1';
      const v = new Float64Array(wantK * d + 1);
      if (first) (v.set(init), (v[wantK * d] = K));
      const all = await ctx.collective!.allReduceSum(v);
      K = all[wantK * d];
      init = all.slice(0, K * d);
    }
    centers = init;
  };
  const step = (rows: number) => {
    const c0 = centers!;
    const assign = assignBatch(xb, rows, d, c0, K);
    sums.fill(0);
    m.fill(0);
    for (let i = 0; i < rows; i++) {
      const c = assign[i];
      m[c]++;
      const o = c * d;
      const xo = i * d;
      for (let j = 0; j < d; j++) sums[o + j] += xb[xo + j];
    }
    if (decayPerPoint < 1) {
      const decay = Math.pow(decayPerPoint, rows);
      for (let c = 0; c < K; c++) counts[c] *= decay;
    }
    for (let c = 0; c < K; c++) {
      if (m[c] === 0) continue;
      const p = m[c] / (counts[c] + m[c]);
      const o = c * d;
      for (let j = 0; j < d; j++) c0[o + j] = (1 - p) * c0[o + j] + (p * sums[o + j]) / m[c];
      counts[c] += m[c];
    }
  };
  let rowsSeen = 0;
  let initialising = true;
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const started = performance.now();
    rowsSeen = 0;
    await train.forEach(async (block: Block) => {
      const order = rng.permutation(block.n);
      for (let k = 0; k < order.length; k++) {
        const r = order[k];
        xb.set(block.x.subarray(r * d, (r + 1) * d), fill * d);
        fill++;
        if (initialising ? fill === cap : fill === bs) {
          if (initialising) {
            await seed0(fill);
            initialising = false;
          }
          step(fill);
          fill = 0;
        }
      }
      rowsSeen += block.n;
    }, { rng });
    if (initialising && !multi && rowsSeen < cfg.k) throw new AlgorithmError(`The train channel has ${rowsSeen} records, fewer than k=${cfg.k}`);
    if (initialising) {
      await seed0(fill);
      initialising = false;
    }
    if (fill > 0) step(fill);
    fill = 0;
    if (multi) {
      // Merge the hosts' centres, each weighted by the points it absorbed.
      const v = new Float64Array(K * d + K);
      for (let c = 0; c < K; c++) {
        for (let j = 0; j < d; j++) v[c * d + j] = centers![c * d + j] * counts[c];
        v[K * d + c] = counts[c];
      }
      const all = await ctx.collective!.allReduceSum(v);
      for (let c = 0; c < K; c++) {
        const total = all[K * d + c];
        if (total > 0) for (let j = 0; j < d; j++) centers![c * d + j] = all[c * d + j] / total;
        counts[c] = total;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    log(`#progress_metric: host=${ctx.host}, completed ${(100 * (epoch + 1)) / cfg.epochs} % of epochs`);
    log(`#throughput_metric: host=${ctx.host}, train throughput=${rowsSeen / Math.max(seconds, 1e-9)} records/second`);
  }
  if (epochZeroCheck(rowsSeen, cfg.k)) throw new AlgorithmError(`The train channel has ${rowsSeen} records, fewer than k=${cfg.k}`);
  log(`Loaded train data: ${rowsSeen} records, feature_dim=${d}${train.cached ? '' : ' (streamed from disk every epoch: larger than the cache budget)'}`);
  counts = counts.subarray(0, K);

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
  log(`#quality_metric: host=${ctx.host}, train msd <loss>=${best!.msd}`);

  const centroids = Float32Array.from(best!.centers);
  if (test) {
    let ssd = 0;
    let n = 0;
    const final = Float64Array.from(centroids);
    await test.forEach((b) => {
      const sq = new Float64Array(b.n);
      assignBatch(b.x, b.n, d, final, cfg.k, sq);
      for (let i = 0; i < b.n; i++) ssd += sq[i];
      n += b.n;
    });
    for (const metric of cfg.evalMetrics) {
      log(`#quality_metric: host=${ctx.host}, test ${metric} <loss>=${metric === 'msd' ? ssd / n : ssd}`);
    }
  } else {
    log('Test data is not provided.');
  }
  return encodeKMeansModel({ k: cfg.k, featureDim: d, centroids });
}

function epochZeroCheck(rows: number, k: number): boolean {
  return rows < k;
}
