/**
 * Trains M linear models side by side. Weights are [d, M*O], so one matMul serves every model,
 * and each model's columns get their own lr / wd / l1 / beta_1.
 *
 * The O(batch x d x M) work, the two matMuls of each step (forward X·W and gradient Xᵀ·G), runs
 * on tfjs. Both are issued untransposed (Xᵀ is built while the batch is gathered): tfjs-wasm sends
 * plain matMuls to XNNPACK but transposed ones to a naive loop about ten times slower. The O(d x M)
 * optimizer updates and the O(batch x M) loss gradients are plain typed-array loops: as tfjs ops
 * they cost ~15 µs of dispatch each, which dominated the step time.
 */
import { tf } from '../backend.js';
import type { LinearLearnerConfig } from './hyperparameters.js';

export interface ModelSetting {
  learningRate: number;
  wd: number;
  l1: number;
  /** Adam's first-moment decay for this model. */
  beta1: number;
}

/** One mini-batch: x [bs, d] and its transpose xt [d, bs], labels (normalized for regressors), normalized example weights. */
export interface Batch {
  n: number;
  x: Float32Array;
  xt: Float32Array;
  y: Float32Array;
  /** Per-example weight / sum of weights in the batch. */
  w: Float32Array;
}

const ADAM_EPS = 1e-8;

export class ParallelLinearModels {
  readonly W: Float32Array;
  readonly B: Float32Array;
  /** Optimizer slots (Adam m, v; RMSProp s; SGD momentum). */
  readonly slotsW: Float32Array[] = [];
  readonly slotsB: Float32Array[] = [];
  private readonly lrW: Float64Array;
  private readonly colModel: Int32Array;
  private step = 0;
  private lrMultiplier = 1;
  /** Per-model factor cut when a model stops improving (see decayStalledModels). */
  private readonly modelLrFactor: Float64Array;
  /** Sum over batches of per-model (weighted mean batch loss x batch size). */
  readonly lossSum: Float64Array;
  rowsSeen = 0;
  readonly outputs: number;
  readonly MO: number;
  private g: Float32Array;

  constructor(
    private readonly cfg: LinearLearnerConfig,
    readonly d: number,
    readonly settings: ModelSetting[],
    initW: Float32Array,
    initB: Float32Array,
  ) {
    const M = settings.length;
    this.outputs = cfg.predictorType === 'multiclass_classifier' ? cfg.numClasses : 1;
    const MO = (this.MO = M * this.outputs);
    this.W = Float32Array.from(initW);
    this.B = Float32Array.from(initB);
    const slots = cfg.optimizer === 'adam' ? 2 : cfg.optimizer === 'sgd' && cfg.momentum === 0 ? 0 : 1;
    for (let i = 0; i < slots; i++) {
      this.slotsW.push(new Float32Array(d * MO));
      this.slotsB.push(new Float32Array(MO));
    }
    this.colModel = Int32Array.from({ length: MO }, (_, c) => Math.floor(c / this.outputs));
    this.modelLrFactor = new Float64Array(M).fill(1);
    this.lrW = new Float64Array(MO);
    this.lossSum = new Float64Array(M);
    this.g = new Float32Array(0);
    this.setLearningRates();
  }

  private setLearningRates(): void {
    const cfg = this.cfg;
    for (let c = 0; c < this.MO; c++) {
      const m = this.colModel[c];
      const base = this.settings[m].learningRate * this.modelLrFactor[m];
      this.lrW[c] = cfg.useLrScheduler ? Math.max(base * this.lrMultiplier, Math.min(base, cfg.lrSchedulerMinimumLr)) : base;
    }
  }

  /** Raw outputs z = x·W + b, [n, MO], on tfjs. */
  forward(x: Float32Array, n: number): Float32Array {
    return linearForward(x, n, this.d, this.W, this.B, this.cfg.useBias);
  }

  /**
   * Writes dLoss/dz x example weight into this.g [n, MO] and adds the weighted loss per model into
   * lossSum. Losses are those of the pre-update weights, as in the real algorithm's train metric.
   */
  private outputGradient(z: Float32Array, b: Batch): void {
    const cfg = this.cfg;
    const { n, y, w } = b;
    const MO = this.MO;
    const M = this.settings.length;
    if (this.g.length < n * MO) this.g = new Float32Array(n * MO);
    const g = this.g;
    const loss = this.lossSum;
    const scale = n; // lossSum accumulates (weighted mean over the batch) x rows
    if (cfg.loss === 'softmax_loss') {
      const O = this.outputs;
      for (let r = 0; r < n; r++) {
        const label = y[r];
        const wr = w[r];
        for (let m = 0; m < M; m++) {
          const o = r * MO + m * O;
          let max = -Infinity;
          for (let k = 0; k < O; k++) if (z[o + k] > max) max = z[o + k];
          let sum = 0;
          for (let k = 0; k < O; k++) sum += g[o + k] = Math.exp(z[o + k] - max);
          for (let k = 0; k < O; k++) g[o + k] = (g[o + k] / sum - (k === label ? 1 : 0)) * wr;
          loss[m] += (Math.log(sum) + max - z[o + label]) * wr * scale;
        }
      }
      return;
    }
    const { margin, huberDelta: hd, quantile: q, lossInsensitivity: eps } = cfg;
    for (let r = 0; r < n; r++) {
      const yr = y[r];
      const wr = w[r];
      const ws = wr * scale;
      const o = r * MO;
      switch (cfg.loss) {
        case 'logistic':
          for (let m = 0; m < M; m++) {
            const v = z[o + m];
            const e = Math.exp(-Math.abs(v));
            // softplus(v) - y*v, stably; sigmoid from the same exponential.
            loss[m] += ((v > 0 ? v : 0) - yr * v + Math.log1p(e)) * ws;
            g[o + m] = ((v >= 0 ? 1 / (1 + e) : e / (1 + e)) - yr) * wr;
          }
          break;
        case 'hinge_loss': {
          const ys = yr > 0.5 ? 1 : -1;
          for (let m = 0; m < M; m++) {
            const h = margin - ys * z[o + m];
            loss[m] += (h > 0 ? h : 0) * ws;
            g[o + m] = h > 0 ? -ys * wr : 0;
          }
          break;
        }
        default:
          for (let m = 0; m < M; m++) {
            const res = z[o + m] - yr;
            const a = Math.abs(res);
            const sg = res > 0 ? 1 : res < 0 ? -1 : 0;
            let l: number;
            let gr: number;
            switch (cfg.loss) {
              case 'absolute_loss': l = a; gr = sg; break;
              case 'eps_insensitive_absolute_loss': l = a > eps ? a - eps : 0; gr = a > eps ? sg : 0; break;
              case 'eps_insensitive_squared_loss': { const e2 = a > eps ? a - eps : 0; l = e2 * e2; gr = 2 * sg * e2; break; }
              case 'huber_loss': l = a <= hd ? 0.5 * res * res : hd * (a - 0.5 * hd); gr = a <= hd ? res : hd * sg; break;
              case 'quantile_loss': l = Math.max(-q * res, (1 - q) * res); gr = res > 0 ? 1 - q : -q; break;
              default: l = res * res; gr = 2 * res;
            }
            loss[m] += l * ws;
            g[o + m] = gr * wr;
          }
      }
    }
  }

  trainStep(b: Batch): void {
    const cfg = this.cfg;
    const { d, MO } = this;
    this.step++;
    const z = this.forward(b.x, b.n);
    this.outputGradient(z, b);
    const g = this.g.subarray(0, b.n * MO);
    const gradW = readAndDispose(tf.tidy(() => tf.matMul(tf.tensor2d(b.xt, [d, b.n]), tf.tensor2d(g, [b.n, MO]))));
    this.rowsSeen += b.n;
    this.update(this.W, gradW, this.slotsW, 1, true);
    if (cfg.useBias) {
      const gradB = new Float32Array(MO);
      for (let r = 0; r < b.n; r++) for (let c = 0; c < MO; c++) gradB[c] += g[r * MO + c];
      this.update(this.B, gradB, this.slotsB, cfg.biasLrMult, false);
    }
    if (cfg.useLrScheduler && this.step % cfg.lrSchedulerStep === 0) {
      this.lrMultiplier *= cfg.lrSchedulerFactor;
      this.setLearningRates();
    }
  }

  /** One optimizer step on v (rows of MO columns) with gradient grad; in place. */
  private update(v: Float32Array, grad: Float32Array, slots: Float32Array[], lrMult: number, isWeight: boolean): void {
    const cfg = this.cfg;
    const MO = this.MO;
    const rows = v.length / MO;
    const wdMult = isWeight ? 1 : cfg.biasWdMult;
    const opt = cfg.optimizer;
    const beta2 = cfg.beta2;
    const c2 = 1 - Math.pow(beta2, this.step);
    const [s0, s1] = slots;
    const useMomentum = slots.length > 0;
    for (let c = 0; c < MO; c++) {
      const st = this.settings[this.colModel[c]];
      const lr = this.lrW[c] * lrMult;
      const wd = st.wd * wdMult;
      const l1 = isWeight ? st.l1 * lr : 0;
      const b1 = st.beta1;
      const c1 = 1 - Math.pow(b1, this.step);
      for (let r = 0; r < rows; r++) {
        const i = r * MO + c;
        const p = v[i];
        const gi = grad[i] + (wd > 0 ? wd * p : 0);
        let delta: number;
        if (opt === 'adam') {
          const m = (s0[i] = b1 * s0[i] + (1 - b1) * gi);
          const s = (s1[i] = beta2 * s1[i] + (1 - beta2) * gi * gi);
          delta = (lr * (m / c1)) / (Math.sqrt(s / c2) + ADAM_EPS);
        } else if (opt === 'rmsprop') {
          const s = (s0[i] = 0.9 * s0[i] + 0.1 * gi * gi);
          delta = (lr * gi) / (Math.sqrt(s) + 1e-7);
        } else if (useMomentum) {
          const m = (s0[i] = cfg.momentum * s0[i] + gi);
          delta = lr * m;
        } else delta = lr * gi;
        let next = p - delta;
        // Proximal (soft-threshold) step keeps L1 from oscillating around zero.
        if (l1 > 0) next = next > l1 ? next - l1 : next < -l1 ? next + l1 : 0;
        v[i] = next;
      }
    }
  }

  /**
   * Halves the learning rate of models whose epoch loss got worse: on easy (e.g. noiseless) data a
   * fixed step makes Adam/SGD orbit the optimum instead of settling on it.
   */
  decayStalledModels(stalled: boolean[]): void {
    if (!stalled.some(Boolean)) return;
    stalled.forEach((s, m) => {
      if (s) this.modelLrFactor[m] *= 0.5;
    });
    this.setLearningRates();
  }

  /** Per-model loss sums and row count since the last call; resets them. */
  takeEpochLoss(): { sums: Float64Array; rows: number } {
    const out = { sums: Float64Array.from(this.lossSum), rows: this.rowsSeen };
    this.lossSum.fill(0);
    this.rowsSeen = 0;
    return out;
  }

  /** Everything data-parallel hosts average each epoch: weights, biases and optimizer slots. */
  parameterVectors(): Float32Array[] {
    return [this.W, this.B, ...this.slotsW, ...this.slotsB];
  }
}

/** Raw outputs [n, MO] = x·w (+ b) with tfjs, in row chunks to bound memory. */
export function linearForward(x: Float32Array, n: number, d: number, w: Float32Array, b: Float32Array, useBias: boolean): Float32Array {
  const MO = b.length;
  const chunk = Math.max(1, Math.floor(8_000_000 / Math.max(MO, d)));
  if (n <= chunk) {
    return readAndDispose(tf.tidy(() => {
      const a = tf.tensor2d(x.subarray(0, n * d), [n, d]);
      const wt = tf.tensor2d(w, [d, MO]);
      return useBias ? tf.fused.matMul({ a, b: wt, bias: tf.tensor1d(b) }) : tf.matMul(a, wt);
    }));
  }
  const out = new Float32Array(n * MO);
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    out.set(linearForward(x.subarray(start * d, (start + rows) * d), rows, d, w, b, useBias), start * MO);
  }
  return out;
}

/**
 * Downloads a tensor and frees it. (Never return a typed array from tf.tidy: tidy walks its result
 * looking for tensors, element by element, which cost more than the matMuls themselves.)
 */
export function readAndDispose<T extends Float32Array | Int32Array = Float32Array>(t: tf.Tensor): T {
  const data = t.dataSync() as T;
  t.dispose();
  return data;
}
