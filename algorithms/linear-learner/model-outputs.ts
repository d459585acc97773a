import type { Block } from '../channel-data.js';
import type { LinearLearnerConfig } from './hyperparameters.js';
import { binaryLoss, binaryMetrics, multiclassMetrics, regressionLoss, regressionMetrics, type MetricList } from './metrics.js';
import { scoresFromOutputs, type LinearModel } from './model.js';
import { linearForward } from './parallel-models.js';
import type { ScaledChannel } from './channels.js';
import type { Scaler } from './scaler.js';

/**
 * The M models as a [d, M x O] weight matrix: their outputs and losses on scaled data, one model's
 * columns, folding the scaler into the weights served, and a final model's metrics on a channel.
 */

/** Outputs [n, MO] of every model on a scaled block. */
export function outputs(b: Block, w: Float32Array, bias: Float32Array, useBias: boolean): Float32Array {
  return linearForward(b.x, b.n, b.d, w, bias, useBias);
}

/** Adds per-model objective (raw label units) into loss, and natural-threshold hits into hits. */
export function accumulateLoss(z: Float32Array, y: Float32Array, n: number, M: number, O: number, cfg: LinearLearnerConfig, scaler: Scaler, loss: Float64Array, hits: Float64Array): void {
  const MO = M * O;
  for (let r = 0; r < n; r++) {
    const base = r * MO;
    const label = y[r];
    for (let m = 0; m < M; m++) {
      if (cfg.predictorType === 'regressor') {
        loss[m] += regressionLoss(cfg.loss, z[base + m] * scaler.labelStd + scaler.labelMean - label, cfg);
      } else if (cfg.predictorType === 'binary_classifier') {
        const v = z[base + m];
        loss[m] += binaryLoss(cfg.loss, cfg.loss === 'logistic' ? 1 / (1 + Math.exp(-v)) : v, label, cfg.margin);
        if ((v >= 0 ? 1 : 0) === label) hits[m]++;
      } else {
        const o = base + m * O;
        let max = -Infinity;
        for (let k = 0; k < O; k++) max = Math.max(max, z[o + k]);
        let sum = 0;
        for (let k = 0; k < O; k++) sum += Math.exp(z[o + k] - max);
        loss[m] += Math.log(sum) + max - z[o + label];
      }
    }
  }
}

/** Folds the scaler (and label scaling) into model m's weights so serving uses raw features. */
export function foldModel(w: Float32Array, b: Float32Array, m: number, M: number, O: number, d: number, scaler: Scaler, useBias: boolean): { weights: Float32Array; bias: Float32Array } {
  const MO = M * O;
  const weights = new Float32Array(d * O);
  const bias = new Float32Array(O);
  for (let k = 0; k < O; k++) {
    const col = m * O + k;
    let bk = useBias ? b[col] : 0;
    for (let j = 0; j < d; j++) {
      const wj = w[j * MO + col] / scaler.std[j];
      bk -= wj * scaler.mean[j];
      weights[j * O + k] = wj * scaler.labelStd;
    }
    bias[k] = bk * scaler.labelStd + scaler.labelMean;
  }
  return { weights, bias };
}

/** Columns of model m: weights [d, O] and bias [O] in scaled feature space. */
export function modelColumns(w: Float32Array, b: Float32Array, m: number, M: number, O: number, d: number): { w: Float32Array; b: Float32Array } {
  const MO = M * O;
  const wm = new Float32Array(d * O);
  for (let j = 0; j < d; j++) for (let k = 0; k < O; k++) wm[j * O + k] = w[j * MO + m * O + k];
  return { w: wm, b: b.slice(m * O, m * O + O) };
}

/** Metrics of the final model over a whole (scaled) channel, streamed. */
export async function channelMetrics(ch: ScaledChannel, model: LinearModel, cols: { w: Float32Array; b: Float32Array }, cfg: LinearLearnerConfig, scaler: Scaler): Promise<MetricList> {
  const zs: Float32Array[] = [];
  const ys: Float32Array[] = [];
  await ch.forEach((b) => {
    const z = outputs(b, cols.w, cols.b, cfg.useBias);
    if (cfg.predictorType === 'regressor') for (let i = 0; i < z.length; i++) z[i] = z[i] * scaler.labelStd + scaler.labelMean;
    zs.push(z);
    ys.push(b.y.slice(0, b.n));
  });
  const n = ys.reduce((s, y) => s + y.length, 0);
  const z = new Float64Array(n * model.outputs);
  const y = new Float32Array(n);
  let r = 0;
  zs.forEach((part, i) => {
    z.set(part, r * model.outputs);
    y.set(ys[i], r);
    r += ys[i].length;
  });
  if (cfg.predictorType === 'regressor') return regressionMetrics(cfg.loss, z, y, cfg);
  const s = scoresFromOutputs(model, z, n);
  if (cfg.predictorType === 'binary_classifier') return binaryMetrics(cfg.loss, s, y, model.threshold, cfg);
  return multiclassMetrics(s, y, cfg.numClasses, cfg);
}
