/**
 * Trains M linear models side by side as one tfjs computation: weights are [d, M*O] so a single
 * matMul serves every model, and each model's columns get their own lr / wd / l1.
 */
import { tf } from '../backend.js';
import type { LinearLearnerConfig } from './hyperparameters.js';

type Tensor = tf.Tensor;
type Tensor2D = tf.Tensor2D;

export interface ModelSetting {
  learningRate: number;
  wd: number;
  l1: number;
  /** Adam's first-moment decay for this model. */
  beta1: number;
}

export interface BatchTensors {
  x: Tensor2D;
  /** [bs,1] labels (normalized for regressor), or [bs,1,C] one-hot for multiclass. */
  y: Tensor;
  /** [bs,1] example weights. */
  w: Tensor2D;
}

const ADAM_EPS = 1e-8;

export class ParallelLinearModels {
  readonly W: tf.Variable<tf.Rank.R2>;
  readonly B: tf.Variable<tf.Rank.R2>;
  private readonly slotsW: tf.Variable[] = [];
  private readonly slotsB: tf.Variable[] = [];
  private lrW!: Tensor2D;
  private lrB!: Tensor2D;
  private readonly wdW: Tensor2D;
  private readonly wdB: Tensor2D;
  private readonly l1W: Tensor2D;
  private readonly beta1: Tensor2D;
  private readonly oneMinusBeta1: Tensor2D;
  private readonly hasL1: boolean;
  private readonly hasWd: boolean;
  private step = 0;
  private lrMultiplier = 1;
  /** Per-model factor cut when a model stops improving (see decayStalledModels). */
  private readonly modelLrFactor: Float64Array;
  /** Sum over batches of per-model (mean batch loss x batch size); read once per epoch. */
  private lossAccumulator: Tensor;
  readonly outputs: number;

  constructor(
    private readonly cfg: LinearLearnerConfig,
    readonly d: number,
    readonly settings: ModelSetting[],
    initW: Float32Array,
    initB: Float32Array,
  ) {
    const M = settings.length;
    this.outputs = cfg.predictorType === 'multiclass_classifier' ? cfg.numClasses : 1;
    const MO = M * this.outputs;
    this.W = tf.variable(tf.tensor2d(initW, [d, MO]));
    this.B = tf.variable(tf.tensor2d(initB, [1, MO]));
    const slots = cfg.optimizer === 'adam' ? 2 : cfg.optimizer === 'sgd' && cfg.momentum === 0 ? 0 : 1;
    for (let i = 0; i < slots; i++) {
      this.slotsW.push(tf.variable(tf.zeros([d, MO])));
      this.slotsB.push(tf.variable(tf.zeros([1, MO])));
    }
    const perColumn = (f: (s: ModelSetting) => number) =>
      tf.tensor2d(Float32Array.from({ length: MO }, (_, c) => f(settings[Math.floor(c / this.outputs)])), [1, MO]);
    this.wdW = perColumn((s) => s.wd);
    this.wdB = perColumn((s) => s.wd * cfg.biasWdMult);
    this.l1W = perColumn((s) => s.l1);
    this.beta1 = perColumn((s) => s.beta1);
    this.oneMinusBeta1 = perColumn((s) => 1 - s.beta1);
    this.hasL1 = settings.some((s) => s.l1 > 0);
    this.hasWd = settings.some((s) => s.wd > 0);
    this.lossAccumulator = tf.zeros([M]);
    this.modelLrFactor = new Float64Array(M).fill(1);
    this.setLearningRates();
  }

  private setLearningRates(): void {
    this.lrW?.dispose();
    this.lrB?.dispose();
    const cfg = this.cfg;
    const o = this.outputs;
    const MO = this.settings.length * o;
    const lr = (c: number) => {
      const m = Math.floor(c / o);
      const base = this.settings[m].learningRate * this.modelLrFactor[m];
      return cfg.useLrScheduler ? Math.max(base * this.lrMultiplier, Math.min(base, cfg.lrSchedulerMinimumLr)) : base;
    };
    this.lrW = tf.tensor2d(Float32Array.from({ length: MO }, (_, c) => lr(c)), [1, MO]);
    this.lrB = tf.tensor2d(Float32Array.from({ length: MO }, (_, c) => lr(c) * cfg.biasLrMult), [1, MO]);
  }

  /** Per-example, per-model loss [bs, M] for raw outputs z [bs, M*O]. */
  private perExampleLoss(z: Tensor2D, y: Tensor): Tensor {
    const cfg = this.cfg;
    switch (cfg.loss) {
      case 'logistic':
        // Numerically stable softplus(z) - y*z.
        return tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
      case 'hinge_loss':
        return tf.relu(tf.sub(cfg.margin, tf.mul(tf.sub(tf.mul(y, 2), 1), z)));
      case 'softmax_loss': {
        const bs = z.shape[0];
        const logp = tf.logSoftmax(tf.reshape(z, [bs, this.settings.length, this.outputs]));
        return tf.neg(tf.sum(tf.mul(logp, y), 2));
      }
      default: {
        const r = tf.sub(z, y);
        switch (cfg.loss) {
          case 'absolute_loss': return tf.abs(r);
          case 'eps_insensitive_absolute_loss': return tf.relu(tf.sub(tf.abs(r), cfg.lossInsensitivity));
          case 'eps_insensitive_squared_loss': return tf.square(tf.relu(tf.sub(tf.abs(r), cfg.lossInsensitivity)));
          case 'huber_loss': {
            const a = tf.abs(r);
            const c = tf.minimum(a, cfg.huberDelta);
            return tf.add(tf.mul(tf.square(c), 0.5), tf.mul(tf.sub(a, c), cfg.huberDelta));
          }
          case 'quantile_loss': {
            const e = tf.neg(r);
            return tf.maximum(tf.mul(e, cfg.quantile), tf.mul(e, cfg.quantile - 1));
          }
          default: return tf.square(r);
        }
      }
    }
  }

  /**
   * dLoss/dz per example [bs, M*O], written out by hand: tfjs-core's Node bundle ships no gradient
   * registry, and for linear models the closed forms are cheaper than autodiff anyway.
   */
  private outputGradient(z: Tensor2D, y: Tensor): Tensor {
    const cfg = this.cfg;
    switch (cfg.loss) {
      case 'logistic':
        return tf.sub(tf.sigmoid(z), y);
      case 'hinge_loss': {
        const ys = tf.sub(tf.mul(y, 2), 1);
        return tf.mul(tf.neg(ys), tf.step(tf.sub(cfg.margin, tf.mul(ys, z))));
      }
      case 'softmax_loss': {
        const bs = z.shape[0];
        const p = tf.softmax(tf.reshape(z, [bs, this.settings.length, this.outputs]));
        return tf.reshape(tf.sub(p, y), [bs, this.settings.length * this.outputs]);
      }
      default: {
        const r = tf.sub(z, y);
        switch (cfg.loss) {
          case 'absolute_loss': return tf.sign(r);
          case 'eps_insensitive_absolute_loss': return tf.mul(tf.sign(r), tf.step(tf.sub(tf.abs(r), cfg.lossInsensitivity)));
          case 'eps_insensitive_squared_loss': return tf.mul(tf.mul(tf.sign(r), tf.relu(tf.sub(tf.abs(r), cfg.lossInsensitivity))), 2);
          case 'huber_loss': return tf.clipByValue(r, -cfg.huberDelta, cfg.huberDelta);
          case 'quantile_loss': return tf.sub(tf.step(r), cfg.quantile);
          default: return tf.mul(r, 2);
        }
      }
    }
  }

  trainStep(batch: BatchTensors): void {
    const cfg = this.cfg;
    const bs = batch.x.shape[0];
    this.step++;
    const lossVec = tf.tidy(() => {
      const xw = tf.matMul(batch.x, this.W);
      const z = (cfg.useBias ? tf.add(xw, this.B) : xw) as Tensor2D;
      const wNorm = tf.div(batch.w, tf.sum(batch.w));
      const g = tf.mul(this.outputGradient(z, batch.y), wNorm);
      const gradW = tf.matMul(batch.x, g as Tensor2D, true, false);
      this.applyUpdate(this.W, gradW, this.slotsW, this.lrW, this.hasWd ? this.wdW : undefined, true);
      if (cfg.useBias) {
        const gradB = tf.sum(g, 0, true);
        this.applyUpdate(this.B, gradB, this.slotsB, this.lrB, this.hasWd && cfg.biasWdMult > 0 ? this.wdB : undefined, false);
      }
      // Loss of the pre-update weights, weighted like the gradient, per model.
      return tf.sum(tf.mul(this.perExampleLoss(z, batch.y), wNorm), 0);
    });
    const prev = this.lossAccumulator;
    this.lossAccumulator = tf.tidy(() => tf.add(prev, tf.mul(lossVec, bs)));
    prev.dispose();
    lossVec.dispose();
    if (cfg.useLrScheduler && this.step % cfg.lrSchedulerStep === 0) {
      this.lrMultiplier *= cfg.lrSchedulerFactor;
      this.setLearningRates();
    }
  }

  private applyUpdate(v: tf.Variable, gRaw: Tensor, slots: tf.Variable[], lr: Tensor2D, wd: Tensor2D | undefined, isWeight: boolean): void {
    const cfg = this.cfg;
    const g = wd ? tf.add(gRaw, tf.mul(wd, v)) : gRaw;
    let delta: Tensor;
    if (cfg.optimizer === 'adam') {
      const [m, s] = slots;
      m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, this.oneMinusBeta1)));
      s.assign(tf.add(tf.mul(s, cfg.beta2), tf.mul(tf.square(g), 1 - cfg.beta2)));
      const MO = this.settings.length * this.outputs;
      const correction = Float32Array.from({ length: MO }, (_, c) => 1 / (1 - Math.pow(this.settings[Math.floor(c / this.outputs)].beta1, this.step)));
      const mHat = tf.mul(m, tf.tensor2d(correction, [1, MO]));
      const sHat = tf.div(s, 1 - Math.pow(cfg.beta2, this.step));
      delta = tf.mul(lr, tf.div(mHat, tf.add(tf.sqrt(sHat), ADAM_EPS)));
    } else if (cfg.optimizer === 'rmsprop') {
      const [s] = slots;
      s.assign(tf.add(tf.mul(s, 0.9), tf.mul(tf.square(g), 0.1)));
      delta = tf.mul(lr, tf.div(g, tf.add(tf.sqrt(s), 1e-7)));
    } else if (slots.length) {
      const [mom] = slots;
      mom.assign(tf.add(tf.mul(mom, cfg.momentum), g));
      delta = tf.mul(lr, mom);
    } else {
      delta = tf.mul(lr, g);
    }
    let next = tf.sub(v, delta);
    if (isWeight && this.hasL1) {
      // Proximal (soft-threshold) step keeps L1 from oscillating around zero.
      next = tf.mul(tf.sign(next), tf.relu(tf.sub(tf.abs(next), tf.mul(lr, this.l1W))));
    }
    v.assign(next);
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

  /** Mean training loss per model since the last call (normalized label space). */
  takeEpochLoss(rows: number): Float64Array {
    const sums = this.lossAccumulator.dataSync();
    const out = Float64Array.from(sums, (s) => s / rows);
    this.lossAccumulator.dispose();
    this.lossAccumulator = tf.zeros([this.settings.length]);
    return out;
  }

  snapshot(): { w: Float32Array; b: Float32Array } {
    return { w: this.W.dataSync() as Float32Array, b: this.B.dataSync() as Float32Array };
  }

  dispose(): void {
    tf.dispose([this.W, this.B, ...this.slotsW, ...this.slotsB, this.lrW, this.lrB, this.wdW, this.wdB, this.l1W, this.beta1, this.oneMinusBeta1, this.lossAccumulator]);
  }
}

/** Raw outputs [n, MO] of all models for normalized rows, computed in chunks to bound memory. */
export function allModelOutputs(x: Float32Array, n: number, d: number, w: Float32Array, b: Float32Array, useBias: boolean): Float32Array {
  const MO = b.length;
  const out = new Float32Array(n * MO);
  const chunk = Math.max(1, Math.floor(4_000_000 / Math.max(MO, d)));
  tf.tidy(() => {
    const W = tf.tensor2d(w, [d, MO]);
    const B = tf.tensor2d(b, [1, MO]);
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      tf.tidy(() => {
        const xs = tf.tensor2d(x.subarray(start * d, (start + rows) * d), [rows, d]);
        const z = useBias ? tf.add(tf.matMul(xs, W), B) : tf.matMul(xs, W);
        out.set(z.dataSync() as Float32Array, start * MO);
      });
    }
  });
  return out;
}
