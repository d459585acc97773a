/** The trained linear model in raw feature/label space, its file form, and the lean predictor. */
import type { ModelHeader } from '../artifact.js';
import { encodeLinearLearnerArtifact } from '../mxnet-artifact.js';
import { negotiateAccept, encodePredictions, parseInferenceRequest, type ModelAnswer, type Prediction } from '../serving-formats.js';
import type { LossName, PredictorType } from './hyperparameters.js';

export interface LinearModel {
  predictorType: PredictorType;
  loss: LossName;
  featureDim: number;
  /** 1 for regressor/binary, num_classes for multiclass. */
  outputs: number;
  /** Row-major [featureDim][outputs]; the scaler is already folded in, so inputs are raw features. */
  weights: Float32Array;
  bias: Float32Array;
  /** Binary decision threshold on `score` (a probability for logistic, a margin for hinge). */
  threshold: number;
  /** Informational: the settings of the selected model. */
  hyperparameters: Record<string, number | string>;
}

/** model_algo-1 as SageMaker writes it (a zipped MXNet checkpoint). */
export function encodeLinearModel(m: LinearModel): Buffer {
  return encodeLinearLearnerArtifact(m);
}

export function decodeLinearModel(header: ModelHeader, tensors: Record<string, Float32Array>): LinearModel {
  const featureDim = Number(header.feature_dim);
  const outputs = Number(header.outputs);
  const { weights, bias } = tensors;
  if (!weights || !bias || weights.length !== featureDim * outputs || bias.length !== outputs) {
    throw new Error('model_algo-1 linear-learner tensors do not match the header');
  }
  return {
    predictorType: header.predictor_type as PredictorType,
    loss: header.loss as LossName,
    featureDim,
    outputs,
    weights,
    bias,
    threshold: Number(header.threshold),
    hyperparameters: (header.hyperparameters ?? {}) as Record<string, number | string>,
  };
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Raw outputs z = x·W + b for n rows, as [n][outputs]. */
export function linearOutputs(m: LinearModel, x: Float32Array, n: number): Float64Array {
  const { featureDim: d, outputs: o, weights: w, bias: b } = m;
  const z = new Float64Array(n * o);
  for (let r = 0; r < n; r++) {
    const xb = r * d;
    const zb = r * o;
    for (let k = 0; k < o; k++) z[zb + k] = b[k];
    if (o === 1) {
      let s = z[zb];
      for (let j = 0; j < d; j++) s += x[xb + j] * w[j];
      z[zb] = s;
    } else {
      for (let j = 0; j < d; j++) {
        const xv = x[xb + j];
        if (xv === 0) continue;
        const wb = j * o;
        for (let k = 0; k < o; k++) z[zb + k] += xv * w[wb + k];
      }
    }
  }
  return z;
}

/** Scores in the form the service returns: identity (regressor, hinge), sigmoid, or softmax (in place). */
export function scoresFromOutputs(m: LinearModel, z: Float64Array, n: number): Float64Array {
  if (m.predictorType === 'binary_classifier' && m.loss === 'logistic') {
    for (let i = 0; i < n; i++) z[i] = sigmoid(z[i]);
  } else if (m.predictorType === 'multiclass_classifier') {
    const o = m.outputs;
    for (let r = 0; r < n; r++) {
      let max = -Infinity;
      for (let k = 0; k < o; k++) max = Math.max(max, z[r * o + k]);
      let sum = 0;
      for (let k = 0; k < o; k++) sum += z[r * o + k] = Math.exp(z[r * o + k] - max);
      for (let k = 0; k < o; k++) z[r * o + k] /= sum;
    }
  }
  return z;
}

export function predictionsFor(m: LinearModel, x: Float32Array, n: number): Prediction[] {
  const s = scoresFromOutputs(m, linearOutputs(m, x, n), n);
  const out: Prediction[] = new Array(n);
  if (m.predictorType === 'regressor') {
    for (let i = 0; i < n; i++) out[i] = { score: s[i] };
  } else if (m.predictorType === 'binary_classifier') {
    for (let i = 0; i < n; i++) out[i] = { score: s[i], predicted_label: s[i] >= m.threshold ? 1 : 0 };
  } else {
    const o = m.outputs;
    for (let r = 0; r < n; r++) {
      const row = Array.from(s.subarray(r * o, r * o + o));
      let best = 0;
      for (let k = 1; k < o; k++) if (row[k] > row[best]) best = k;
      out[r] = { score: row, predicted_label: best };
    }
  }
  return out;
}

export function predictLinear(m: LinearModel, body: Buffer, contentType: string | undefined, accept: string | undefined): ModelAnswer {
  // Negotiate first so an unsupported Accept fails before any parsing work.
  const format = negotiateAccept(accept, false);
  const { n, x } = parseInferenceRequest(body, contentType, m.featureDim);
  return encodePredictions(predictionsFor(m, x, n), format);
}
