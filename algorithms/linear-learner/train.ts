/** Linear Learner training: scaler pass, parallel SGD over M models, calibration, selection, metrics. */
import { tf, initBackend } from '../backend.js';
import { loadChannel, type Dataset } from '../channel-data.js';
import { AlgorithmError } from '../errors.js';
import type { Logger } from '../log.js';
import { Prng } from '../prng.js';
import type { ChannelFiles } from '../types.js';
import type { LinearLearnerConfig } from './hyperparameters.js';
import {
  binaryLoss, binaryMetrics, calibrateThreshold, multiclassMetrics, objectiveName, regressionLoss, regressionMetrics,
  type MetricList,
} from './metrics.js';
import { encodeLinearModel, linearOutputs, scoresFromOutputs, type LinearModel } from './model.js';
import { ParallelLinearModels, allModelOutputs, type ModelSetting } from './parallel-models.js';
import { applyScaler, fitScaler, sampleRows, type Scaler } from './scaler.js';

const AUTO_LEARNING_RATE = { adam: 0.1, sgd: 0.1, rmsprop: 0.01 } as const;
/**
 * Nearby settings explored when lr / wd / l1 / beta_1 are auto; model 0 gets the first of each.
 * Half the Adam models run without first-moment momentum: with few steps per epoch momentum makes
 * Adam orbit the optimum, and selection on validation data then picks whichever variant settled.
 */
const LR_FACTORS = [1, 0.3, 0.1, 0.03];
const REGULARIZATION = [
  { wd: 1e-4, l1: 0 },
  { wd: 0, l1: 0 },
  { wd: 1e-6, l1: 1e-6 },
  { wd: 1e-2, l1: 0 },
];
const BETA1_VARIANTS = [0.9, 0];

export function modelGrid(cfg: LinearLearnerConfig): ModelSetting[] {
  const baseLr = cfg.learningRate ?? AUTO_LEARNING_RATE[cfg.optimizer];
  return Array.from({ length: cfg.numModels }, (_, i) => {
    const round = Math.floor(i / 32);
    const reg = REGULARIZATION[Math.floor(i / 4) % 4];
    return {
      learningRate: cfg.learningRate ?? baseLr * LR_FACTORS[i % 4] * Math.pow(0.5, round),
      wd: cfg.wd ?? reg.wd,
      l1: cfg.l1 ?? reg.l1,
      beta1: cfg.beta1 ?? BETA1_VARIANTS[Math.floor(i / 16) % 2],
    };
  });
}

function checkLabels(ds: Dataset, cfg: LinearLearnerConfig, channel: string): Float32Array {
  const y = ds.y;
  if (!y) throw new AlgorithmError(`Channel '${channel}' has no labels; linear-learner needs a label (first CSV column or label["values"])`);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isFinite(v)) throw new AlgorithmError(`Channel '${channel}': row ${i + 1} has a missing or non-finite label`);
    if (cfg.predictorType === 'binary_classifier' && v !== 0 && v !== 1) {
      throw new AlgorithmError(`Channel '${channel}': label ${v} at row ${i + 1} is invalid; binary_classifier labels must be 0 or 1`);
    }
    if (cfg.predictorType === 'multiclass_classifier' && (!Number.isInteger(v) || v < 0 || v >= cfg.numClasses)) {
      throw new AlgorithmError(`Channel '${channel}': label ${v} at row ${i + 1} is invalid; multiclass_classifier labels must be integers in [0, ${cfg.numClasses - 1}]`);
    }
  }
  return y;
}

function exampleWeights(y: Float32Array, cfg: LinearLearnerConfig): Float32Array {
  const w = new Float32Array(y.length).fill(1);
  if (cfg.predictorType === 'binary_classifier') {
    let pos = 0;
    for (const v of y) pos += v;
    const mult = cfg.positiveExampleWeightMult === 'balanced' ? (pos > 0 ? (y.length - pos) / pos : 1) : cfg.positiveExampleWeightMult;
    for (let i = 0; i < y.length; i++) if (y[i] === 1) w[i] = mult;
  } else if (cfg.predictorType === 'multiclass_classifier' && cfg.balanceMulticlassWeights) {
    const counts = new Float64Array(cfg.numClasses);
    for (const v of y) counts[v]++;
    for (let i = 0; i < y.length; i++) w[i] = y.length / (cfg.numClasses * counts[y[i]]);
  }
  return w;
}

/** Per-model objective in raw label units from normalized-space outputs [n, M*O]. */
function perModelLoss(z: Float32Array, y: Float32Array, M: number, O: number, cfg: LinearLearnerConfig, scaler: Scaler): Float64Array {
  const n = y.length;
  const loss = new Float64Array(M);
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
  for (let m = 0; m < M; m++) loss[m] /= Math.max(n, 1);
  return loss;
}

/** Accuracy at the natural threshold (z >= 0), used as the early-stopping criterion for accuracy selection. */
function perModelAccuracy(z: Float32Array, y: Float32Array, M: number): Float64Array {
  const acc = new Float64Array(M);
  for (let r = 0; r < y.length; r++) {
    for (let m = 0; m < M; m++) if ((z[r * M + m] >= 0 ? 1 : 0) === y[r]) acc[m]++;
  }
  for (let m = 0; m < M; m++) acc[m] /= Math.max(y.length, 1);
  return acc;
}

/** Folds the scaler (and label scaling) into model m's weights so serving uses raw features. */
function foldModel(w: Float32Array, b: Float32Array, m: number, M: number, O: number, d: number, scaler: Scaler, useBias: boolean): { weights: Float32Array; bias: Float32Array } {
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

function metricsFor(model: LinearModel, ds: Dataset, y: Float32Array, cfg: LinearLearnerConfig): MetricList {
  const z = linearOutputs(model, ds.x, ds.n);
  if (cfg.predictorType === 'regressor') return regressionMetrics(cfg.loss, z, y, cfg);
  const s = scoresFromOutputs(model, z, ds.n);
  if (cfg.predictorType === 'binary_classifier') return binaryMetrics(cfg.loss, s, y, model.threshold, cfg);
  return multiclassMetrics(s, y, cfg.numClasses, cfg);
}

function takeRows(ds: Dataset, y: Float32Array, limit: number, rng: Prng): { x: Float32Array; y: Float32Array; n: number } {
  if (ds.n <= limit) return { x: ds.x, y, n: ds.n };
  const rows = sampleRows(ds.n, limit, rng);
  const x = new Float32Array(limit * ds.d);
  const ys = new Float32Array(limit);
  rows.forEach((r, i) => {
    x.set(ds.x.subarray(r * ds.d, (r + 1) * ds.d), i * ds.d);
    ys[i] = y[r];
  });
  return { x, y: ys, n: limit };
}

export async function trainLinearLearner(cfg: LinearLearnerConfig, channels: ChannelFiles[], log: Logger, seed: number): Promise<Buffer> {
  const rng = new Prng(seed);
  const channel = (name: string) => channels.find((c) => c.name === name);
  const trainCh = channel('train');
  if (!trainCh) throw new AlgorithmError("No 'train' channel was provided; linear-learner requires one");
  const loadOpts = { defaultCsvLabelSize: 1, featureDim: cfg.featureDim };
  const train = loadChannel(trainCh, loadOpts);
  const d = train.d;
  const trainY = checkLabels(train, cfg, 'train');
  const valCh = channel('validation');
  const testCh = channel('test');
  const val = valCh ? loadChannel(valCh, { ...loadOpts, featureDim: d }) : undefined;
  const valY = val ? checkLabels(val, cfg, 'validation') : undefined;
  const test = testCh ? loadChannel(testCh, { ...loadOpts, featureDim: d }) : undefined;
  const testY = test ? checkLabels(test, cfg, 'test') : undefined;

  const backend = await initBackend();
  for (const note of backend.notes) log(note, 'WARNING');
  log(`Using tfjs backend: ${backend.name}`);
  if (cfg.numModelsAuto) log(`'num_models' was set to 'auto', evaluated to ${cfg.numModels}.`);
  if (cfg.tuning) log('Tuning job detected (_tuning_objective_metric): num_models forced to 1.');
  log(`Loaded train data: ${train.n} records, feature_dim=${d}${val ? `; validation: ${val.n} records` : ''}${test ? `; test: ${test.n} records` : ''}`);

  // (1) Scaler pass on a sample.
  const scalerRows = sampleRows(train.n, cfg.numPointForScaler, rng);
  const scaler = fitScaler(train.x, trainY, d, scalerRows, {
    normalizeData: cfg.normalizeData,
    shiftData: !train.sparse,
    normalizeLabel: cfg.normalizeLabel,
  });
  log(`Scaler fitted on ${scalerRows.length} records (normalize_data=${cfg.normalizeData}, normalize_label=${cfg.normalizeLabel}).`);
  const xTrain = applyScaler(train.x, d, scaler);
  const xVal = val ? applyScaler(val.x, d, scaler) : undefined;

  // (2) Parallel training.
  const settings = modelGrid(cfg);
  const M = settings.length;
  const O = cfg.predictorType === 'multiclass_classifier' ? cfg.numClasses : 1;
  const MO = M * O;
  const initW = new Float32Array(d * MO);
  for (let i = 0; i < initW.length; i++) {
    initW[i] = cfg.initMethod === 'normal' ? rng.normal() * cfg.initSigma : (rng.next() * 2 - 1) * cfg.initScale;
  }
  const initB = new Float32Array(MO).fill(cfg.useBias ? cfg.initBias : 0);
  const models = new ParallelLinearModels(cfg, d, settings, initW, initB);

  const yTrainNorm = Float32Array.from(trainY, (v) => (v - scaler.labelMean) / scaler.labelStd);
  const weights = exampleWeights(trainY, cfg);
  const xAll = tf.tensor2d(xTrain, [train.n, d]);
  const yAll =
    cfg.predictorType === 'multiclass_classifier'
      ? tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(trainY), 'int32'), O), 'float32'))
      : tf.tensor2d(cfg.predictorType === 'regressor' ? yTrainNorm : trainY, [train.n, 1]);
  const wAll = tf.tensor2d(weights, [train.n, 1]);

  const objName = objectiveName(cfg.loss);
  const useAccuracyCriterion = cfg.predictorType === 'binary_classifier' && cfg.selectionCriterion === 'accuracy' && !!val;
  const criterionName = useAccuracyCriterion ? 'binary_classification_accuracy' : objName;
  const bestW = Float32Array.from(initW);
  const bestB = Float32Array.from(initB);
  const bestModelLoss = new Float64Array(M).fill(Infinity);
  let bestCriterion = useAccuracyCriterion ? -Infinity : Infinity;
  let badEpochs = 0;
  const bs = Math.min(cfg.miniBatchSize, train.n);

  try {
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const started = performance.now();
      const order = rng.permutation(train.n);
      for (let start = 0; start < train.n; start += bs) {
        const rows = Math.min(bs, train.n - start);
        // The step must run outside this tidy: it replaces long-lived tensors (accumulator, lr).
        const batch = tf.tidy(() => {
          const idx = tf.tensor1d(Int32Array.from(order.subarray(start, start + rows)), 'int32');
          const yb = tf.gather(yAll, idx);
          return {
            x: tf.gather(xAll, idx) as tf.Tensor2D,
            y: cfg.predictorType === 'multiclass_classifier' ? tf.reshape(yb, [rows, 1, O]) : yb,
            w: tf.gather(wAll, idx) as tf.Tensor2D,
          };
        });
        models.trainStep(batch);
        tf.dispose([batch.x, batch.y, batch.w]);
      }
      const trainLoss = models.takeEpochLoss(train.n);
      const seconds = (performance.now() - started) / 1000;
      log(`#quality_metric: host=algo-1, epoch=${epoch}, train ${objName} <loss>=${Math.min(...trainLoss)}`);

      const snap = models.snapshot();
      let modelLoss = trainLoss;
      let criterion = Math.min(...trainLoss);
      if (val && xVal && valY) {
        const z = allModelOutputs(xVal, val.n, d, snap.w, snap.b, cfg.useBias);
        modelLoss = perModelLoss(z, valY, M, O, cfg, scaler);
        log(`#quality_metric: host=algo-1, epoch=${epoch}, validation ${objName} <loss>=${Math.min(...modelLoss)}`);
        criterion = useAccuracyCriterion ? Math.max(...perModelAccuracy(z, valY, M)) : Math.min(...modelLoss);
      }
      models.decayStalledModels(Array.from(modelLoss, (l, m) => !(l < bestModelLoss[m])));
      // Keep each model's best epoch so a late divergence cannot hurt selection.
      for (let m = 0; m < M; m++) {
        if (!(modelLoss[m] < bestModelLoss[m])) continue;
        bestModelLoss[m] = modelLoss[m];
        for (let j = 0; j < d; j++) for (let k = 0; k < O; k++) bestW[j * MO + m * O + k] = snap.w[j * MO + m * O + k];
        for (let k = 0; k < O; k++) bestB[m * O + k] = snap.b[m * O + k];
      }
      log(`#progress_metric: host=algo-1, completed ${(100 * (epoch + 1)) / cfg.epochs} % of epochs`);
      log(`#throughput_metric: host=algo-1, train throughput=${train.n / Math.max(seconds, 1e-9)} records/second`);
      log(`#early_stopping_criteria_metric: host=algo-1, epoch=${epoch}, criteria=${criterionName}, value=${criterion}`);

      const improvement = useAccuracyCriterion ? criterion - bestCriterion : bestCriterion - criterion;
      const relative = Number.isFinite(bestCriterion) ? improvement / Math.max(Math.abs(bestCriterion), 1e-12) : Infinity;
      if (useAccuracyCriterion ? criterion > bestCriterion : criterion < bestCriterion) bestCriterion = criterion;
      badEpochs = relative < cfg.earlyStoppingTolerance ? badEpochs + 1 : 0;
      if (badEpochs >= cfg.earlyStoppingPatience && epoch + 1 < cfg.epochs) {
        log(`Early stop condition met. Stopping training after epoch ${epoch} (no relative improvement >= ${cfg.earlyStoppingTolerance} in ${cfg.earlyStoppingPatience} epochs).`);
        break;
      }
    }
  } finally {
    models.dispose();
    tf.dispose([xAll, yAll, wAll]);
  }

  // (3) Calibrate and select on validation data, else (a sample of) training data.
  const selRng = new Prng(seed ^ 0x5eed);
  const sel = val && valY && xVal
    ? takeRows({ ...val, x: xVal }, valY, cfg.numCalibrationSamples, selRng)
    : takeRows({ ...train, x: xTrain }, trainY, cfg.numCalibrationSamples, selRng);
  const zSel = allModelOutputs(sel.x, sel.n, d, bestW, bestB, cfg.useBias);
  const selLoss = perModelLoss(zSel, sel.y, M, O, cfg, scaler);
  const defaultThreshold = cfg.loss === 'logistic' ? 0.5 : 0;
  let chosen = 0;
  let threshold = defaultThreshold;
  if (cfg.predictorType === 'binary_classifier' && cfg.selectionCriterion !== 'loss_function') {
    let bestValue = -Infinity;
    const scores = new Float64Array(sel.n);
    for (let m = 0; m < M; m++) {
      for (let r = 0; r < sel.n; r++) {
        const v = zSel[r * M + m];
        scores[r] = cfg.loss === 'logistic' ? 1 / (1 + Math.exp(-v)) : v;
      }
      const cal = calibrateThreshold(scores, sel.y, cfg.selectionCriterion, cfg, defaultThreshold);
      if (cal.value > bestValue || (cal.value === bestValue && selLoss[m] < selLoss[chosen])) {
        bestValue = cal.value;
        chosen = m;
        threshold = cal.threshold;
      }
    }
    log(`Calibrated the decision threshold on ${sel.n} ${val ? 'validation' : 'training'} records: ${cfg.selectionCriterion}=${bestValue}, threshold=${threshold}`);
  } else {
    for (let m = 1; m < M; m++) if (selLoss[m] < selLoss[chosen]) chosen = m;
  }

  const folded = foldModel(bestW, bestB, chosen, M, O, d, scaler, cfg.useBias);
  const chosenSetting = settings[chosen];
  const hyperparameters = {
    optimizer: cfg.optimizer,
    learning_rate: chosenSetting.learningRate,
    wd: chosenSetting.wd,
    l1: chosenSetting.l1,
    ...(cfg.optimizer === 'adam' ? { beta_1: chosenSetting.beta1, beta_2: cfg.beta2 } : {}),
    lr_scheduler_step: cfg.lrSchedulerStep,
    lr_scheduler_factor: cfg.lrSchedulerFactor,
    lr_scheduler_minimum_lr: cfg.lrSchedulerMinimumLr,
  };
  const model: LinearModel = {
    predictorType: cfg.predictorType,
    loss: cfg.loss,
    featureDim: d,
    outputs: O,
    weights: folded.weights,
    bias: folded.bias,
    threshold,
    hyperparameters,
  };

  // Final train objective in the same (normalized label) space as the epoch lines.
  const trainSample = takeRows({ ...train, x: xTrain }, trainY, 100_000, new Prng(seed ^ 0x7a11));
  const identity: Scaler = { ...scaler, labelMean: 0, labelStd: 1 };
  const trainSampleY = cfg.predictorType === 'regressor'
    ? Float32Array.from(trainSample.y, (v) => (v - scaler.labelMean) / scaler.labelStd)
    : trainSample.y;
  const trainObjective = perModelLoss(allModelOutputs(trainSample.x, trainSample.n, d, bestW, bestB, cfg.useBias), trainSampleY, M, O, cfg, identity)[chosen];
  log(`#quality_metric: host=algo-1, train ${objName} <loss>=${trainObjective}`);
  if (val && valY) {
    const metrics = metricsFor(model, val, valY, cfg);
    for (const m of metrics) log(`#validation_score (algo-1) : ('${m.name}', ${m.value})`);
    for (const m of metrics) log(`#quality_metric: host=algo-1, validation ${m.name} <${m.kind}>=${m.value}`);
  }
  log(`Best model found for hyperparameters: ${JSON.stringify(hyperparameters)}`);
  if (test && testY) {
    const metrics = metricsFor(model, test, testY, cfg);
    for (const m of metrics) log(`#test_score (algo-1) : ('${m.name}', ${m.value})`);
    for (const m of metrics) log(`#quality_metric: host=algo-1, test ${m.name} <${m.kind}>=${m.value}`);
  } else {
    log('Test data is not provided.');
  }
  return encodeLinearModel(model);
}
