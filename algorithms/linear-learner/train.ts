/** Linear Learner training: scaler pass, parallel SGD over M models, calibration, selection, metrics. */
import { initBackend } from '../backend.js';
import { ChannelStream, type Block } from '../channel-data.js';
import { AlgorithmError } from '../errors.js';
import type { Logger } from '../log.js';
import { Rng } from '../../core/random.js';
import type { ChannelFiles, Collective } from '../types.js';
import { BatchAssembler, ScaledChannel, surveyChannel } from './channels.js';
import type { LinearLearnerConfig } from './hyperparameters.js';
import { calibrateThreshold, objectiveName } from './metrics.js';
import { encodeLinearModel, type LinearModel } from './model.js';
import { accumulateLoss, channelMetrics, foldModel, modelColumns, outputs } from './model-outputs.js';
import { ParallelLinearModels, type ModelSetting } from './parallel-models.js';
import { scalerFromSums, scalerSums, type Scaler } from './scaler.js';

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

export interface HostContext {
  host: string;
  hostCount: number;
  collective?: Collective;
}

async function allReduce(ctx: HostContext, v: Float64Array): Promise<Float64Array> {
  return ctx.collective && ctx.hostCount > 1 ? ctx.collective.allReduceSum(v) : v;
}

export async function trainLinearLearner(cfg: LinearLearnerConfig, channels: ChannelFiles[], log: Logger, seed: number, ctx: HostContext = { host: 'algo-1', hostCount: 1 }): Promise<Buffer> {
  const rng = new Rng(seed);
  const started = performance.now();
  const channel = (name: string) => channels.find((c) => c.name === name);
  const trainCh = channel('train');
  if (!trainCh) throw new AlgorithmError("No 'train' channel was provided; linear-learner requires one");
  const bs = cfg.miniBatchSize;
  const blockRows = Math.max(bs, Math.ceil(32768 / bs) * bs);
  const loadOpts = { defaultCsvLabelSize: 1, featureDim: cfg.featureDim, blockRows };
  const trainStream = new ChannelStream(trainCh, loadOpts);
  const valCh = channel('validation');
  const testCh = channel('test');

  const backend = await initBackend();
  for (const note of backend.notes) log(note, 'WARNING');
  log(`Using tfjs backend: ${backend.name}`);
  if (cfg.numModelsAuto) log(`'num_models' was set to 'auto', evaluated to ${cfg.numModels}.`);
  if (cfg.tuning) log('Tuning job detected (_tuning_objective_metric): num_models forced to 1.');

  // (1) Survey + scaler pass: labels checked, classes counted, num_point_for_scaler rows sampled.
  const survey = await surveyChannel(trainStream, cfg, 'train', cfg.numPointForScaler, rng);
  const d = trainStream.d;
  const valStream = valCh ? new ChannelStream(valCh, { ...loadOpts, featureDim: d }) : undefined;
  const testStream = testCh ? new ChannelStream(testCh, { ...loadOpts, featureDim: d }) : undefined;
  if (valStream) await surveyChannel(valStream, cfg, 'validation', 0, rng);
  if (testStream) await surveyChannel(testStream, cfg, 'test', 0, rng);
  const C = survey.classes.length;
  const pooled = await allReduce(ctx, Float64Array.of(
    survey.rows, trainStream.sparse ? 1 : 0, ...survey.classes,
    ...scalerSums(survey.sample.x, survey.sample.y, d, survey.sample.n),
  ));
  const totalRows = pooled[0];
  const sparse = pooled[1] > 0;
  const classes = pooled.subarray(2, 2 + C);
  log(`Loaded train data: ${survey.rows} records, feature_dim=${d}${ctx.hostCount > 1 ? ` (${totalRows} across ${ctx.hostCount} hosts)` : ''}` +
    `${valStream ? `; validation: ${valStream.rows} records` : ''}${testStream ? `; test: ${testStream.rows} records` : ''}` +
    `${trainStream.cached ? '' : '; the train channel is larger than the cache budget and is streamed from disk every epoch'}`);
  const scaler = scalerFromSums(pooled.subarray(2 + C), d, { normalizeData: cfg.normalizeData, shiftData: !sparse, normalizeLabel: cfg.normalizeLabel });
  log(`Scaler fitted on ${pooled[2 + C]} records (normalize_data=${cfg.normalizeData}, normalize_label=${cfg.normalizeLabel}).`);
  const train = new ScaledChannel(trainStream, scaler);
  const val = valStream ? new ScaledChannel(valStream, scaler) : undefined;
  const test = testStream ? new ScaledChannel(testStream, scaler) : undefined;

  // Class weights from the class counts of all hosts.
  let positiveWeight = 1;
  const classWeight = new Float64Array(C).fill(1);
  if (cfg.predictorType === 'binary_classifier') {
    const pos = classes[1];
    positiveWeight = cfg.positiveExampleWeightMult === 'balanced' ? (pos > 0 ? (totalRows - pos) / pos : 1) : cfg.positiveExampleWeightMult;
    classWeight[1] = positiveWeight;
  } else if (cfg.predictorType === 'multiclass_classifier' && cfg.balanceMulticlassWeights) {
    for (let k = 0; k < C; k++) classWeight[k] = classes[k] > 0 ? totalRows / (cfg.numClasses * classes[k]) : 1;
  }

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
  if (ctx.hostCount > 1) {
    // Every host starts from algo-1's initial weights.
    const first = ctx.host === 'algo-1';
    const shared = await allReduce(ctx, Float64Array.from([...(first ? initW : new Float32Array(initW.length)), ...(first ? initB : new Float32Array(MO))]));
    initW.set(shared.subarray(0, initW.length));
    initB.set(shared.subarray(initW.length));
  }
  const models = new ParallelLinearModels(cfg, d, settings, initW, initB);
  const labelFn = cfg.predictorType === 'regressor' ? (v: number) => (v - scaler.labelMean) / scaler.labelStd : (v: number) => v;
  const weightFn = cfg.predictorType === 'regressor' ? () => 1 : (v: number) => classWeight[v];
  const assembler = new BatchAssembler(bs, d, labelFn, weightFn, (b) => models.trainStep(b));

  const objName = objectiveName(cfg.loss);
  const useAccuracyCriterion = cfg.predictorType === 'binary_classifier' && cfg.selectionCriterion === 'accuracy' && !!val;
  const criterionName = useAccuracyCriterion ? 'binary_classification_accuracy' : objName;
  const bestW = Float32Array.from(initW);
  const bestB = Float32Array.from(initB);
  const bestModelLoss = new Float64Array(M).fill(Infinity);
  let bestCriterion = useAccuracyCriterion ? -Infinity : Infinity;
  let badEpochs = 0;
  let trainSeconds = 0;
  log(`Setup done in ${((performance.now() - started) / 1000).toFixed(3)} s (data read and parsed, scaler fitted).`);

  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const epochStart = performance.now();
    await train.forEach((b) => {
      assembler.add(b, rng.permutation(b.n));
    }, rng);
    assembler.emit();
    const epochLoss = models.takeEpochLoss();
    if (ctx.hostCount > 1) {
      // Data-parallel: average parameters and optimizer state, weighted by rows each host saw.
      const vecs = models.parameterVectors();
      const total = vecs.reduce((s, v) => s + v.length, 0);
      const flat = new Float64Array(total + 1 + M);
      let o = 0;
      for (const v of vecs) for (let i = 0; i < v.length; i++) flat[o++] = v[i] * epochLoss.rows;
      flat[o] = epochLoss.rows;
      flat.set(epochLoss.sums, o + 1);
      const sum = await allReduce(ctx, flat);
      const rowsAll = Math.max(sum[total], 1);
      o = 0;
      for (const v of vecs) for (let i = 0; i < v.length; i++) v[i] = sum[o++] / rowsAll;
      epochLoss.rows = sum[total];
      epochLoss.sums = sum.slice(total + 1);
    }
    const trainLoss = Float64Array.from(epochLoss.sums, (s) => s / Math.max(epochLoss.rows, 1));
    const seconds = (performance.now() - epochStart) / 1000;
    trainSeconds += seconds;
    log(`#quality_metric: host=${ctx.host}, epoch=${epoch}, train ${objName} <loss>=${Math.min(...trainLoss)}`);

    let modelLoss = trainLoss;
    let criterion = Math.min(...trainLoss);
    if (val) {
      const sums = new Float64Array(2 * M + 1);
      const loss = sums.subarray(0, M);
      const hits = sums.subarray(M, 2 * M);
      await val.forEach((b) => {
        accumulateLoss(outputs(b, models.W, models.B, cfg.useBias), b.y, b.n, M, O, cfg, scaler, loss, hits);
        sums[2 * M] += b.n;
      });
      const all = await allReduce(ctx, sums);
      const n = Math.max(all[2 * M], 1);
      modelLoss = Float64Array.from(all.subarray(0, M), (v) => v / n);
      log(`#quality_metric: host=${ctx.host}, epoch=${epoch}, validation ${objName} <loss>=${Math.min(...modelLoss)}`);
      criterion = useAccuracyCriterion ? Math.max(...all.subarray(M, 2 * M)) / n : Math.min(...modelLoss);
    }
    models.decayStalledModels(Array.from(modelLoss, (l, m) => !(l < bestModelLoss[m])));
    // Keep each model's best epoch so a late divergence cannot hurt selection.
    for (let m = 0; m < M; m++) {
      if (!(modelLoss[m] < bestModelLoss[m])) continue;
      bestModelLoss[m] = modelLoss[m];
      for (let j = 0; j < d; j++) for (let k = 0; k < O; k++) bestW[j * MO + m * O + k] = models.W[j * MO + m * O + k];
      for (let k = 0; k < O; k++) bestB[m * O + k] = models.B[m * O + k];
    }
    log(`#progress_metric: host=${ctx.host}, completed ${(100 * (epoch + 1)) / cfg.epochs} % of epochs`);
    log(`#throughput_metric: host=${ctx.host}, train throughput=${survey.rows / Math.max(seconds, 1e-9)} records/second`);
    log(`#early_stopping_criteria_metric: host=${ctx.host}, epoch=${epoch}, criteria=${criterionName}, value=${criterion}`);

    const improvement = useAccuracyCriterion ? criterion - bestCriterion : bestCriterion - criterion;
    const relative = Number.isFinite(bestCriterion) ? improvement / Math.max(Math.abs(bestCriterion), 1e-12) : Infinity;
    if (useAccuracyCriterion ? criterion > bestCriterion : criterion < bestCriterion) bestCriterion = criterion;
    badEpochs = relative < cfg.earlyStoppingTolerance ? badEpochs + 1 : 0;
    if (badEpochs >= cfg.earlyStoppingPatience && epoch + 1 < cfg.epochs) {
      log(`Early stop condition met. Stopping training after epoch ${epoch} (no relative improvement >= ${cfg.earlyStoppingTolerance} in ${cfg.earlyStoppingPatience} epochs).`);
      break;
    }
  }
  log(`Training of ${M} model(s) took ${trainSeconds.toFixed(3)} s: ${((survey.rows * M) / Math.max(trainSeconds, 1e-9)).toFixed(0)} records x models per second per epoch.`);

  // (3) Calibrate and select on validation data, else training data (up to num_calibration_samples rows).
  const selSource = val ?? train;
  const limit = Math.max(1, Math.min(cfg.numCalibrationSamples, Math.floor(512_000_000 / (4 * MO + 4))));
  const selZ: Float32Array[] = [];
  const selY: Float32Array[] = [];
  let selN = 0;
  await selSource.forEach((b) => {
    const take = Math.min(b.n, limit - selN);
    const part: Block = take === b.n ? b : { ...b, n: take };
    selZ.push(outputs(part, bestW, bestB, cfg.useBias));
    selY.push(b.y.slice(0, take));
    selN += take;
    return selN < limit;
  });
  const zSel = new Float32Array(selN * MO);
  const ySel = new Float32Array(selN);
  {
    let r = 0;
    selZ.forEach((z, i) => {
      zSel.set(z, r * MO);
      ySel.set(selY[i], r);
      r += selY[i].length;
    });
  }
  const selLoss = new Float64Array(M);
  accumulateLoss(zSel, ySel, selN, M, O, cfg, scaler, selLoss, new Float64Array(M));
  const defaultThreshold = cfg.loss === 'logistic' ? 0.5 : 0;
  let chosen = 0;
  let threshold = defaultThreshold;
  if (cfg.predictorType === 'binary_classifier' && cfg.selectionCriterion !== 'loss_function') {
    let bestValue = -Infinity;
    const scores = new Float64Array(selN);
    for (let m = 0; m < M; m++) {
      for (let r = 0; r < selN; r++) {
        const v = zSel[r * M + m];
        scores[r] = cfg.loss === 'logistic' ? 1 / (1 + Math.exp(-v)) : v;
      }
      const cal = calibrateThreshold(scores, ySel, cfg.selectionCriterion, cfg, defaultThreshold);
      if (cal.value > bestValue || (cal.value === bestValue && selLoss[m] < selLoss[chosen])) {
        bestValue = cal.value;
        chosen = m;
        threshold = cal.threshold;
      }
    }
    log(`Calibrated the decision threshold on ${selN} ${val ? 'validation' : 'training'} records: ${cfg.selectionCriterion}=${bestValue}, threshold=${threshold}`);
  } else {
    for (let m = 1; m < M; m++) if (selLoss[m] < selLoss[chosen]) chosen = m;
  }

  const folded = foldModel(bestW, bestB, chosen, M, O, d, scaler, cfg.useBias);
  const cols = modelColumns(bestW, bestB, chosen, M, O, d);
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

  // Final train objective, in the same (normalized label) space as the epoch lines, on up to 100,000 rows.
  const identity: Scaler = { ...scaler, labelMean: 0, labelStd: 1 };
  const trainObj = new Float64Array(1);
  let trainRows = 0;
  await train.forEach((b) => {
    const take = Math.min(b.n, 100_000 - trainRows);
    const z = outputs({ ...b, n: take }, cols.w, cols.b, cfg.useBias);
    const y = Float32Array.from(b.y.subarray(0, take), labelFn);
    accumulateLoss(z, y, take, 1, O, cfg, identity, trainObj, new Float64Array(1));
    trainRows += take;
    return trainRows < 100_000;
  });
  log(`#quality_metric: host=${ctx.host}, train ${objName} <loss>=${trainObj[0] / Math.max(trainRows, 1)}`);
  if (val) {
    const metrics = await channelMetrics(val, model, cols, cfg, scaler);
    for (const m of metrics) log(`#validation_score (${ctx.host}) : ('${m.name}', ${m.value})`);
    for (const m of metrics) log(`#quality_metric: host=${ctx.host}, validation ${m.name} <${m.kind}>=${m.value}`);
  }
  log(`Best model found for hyperparameters: ${JSON.stringify(hyperparameters)}`);
  if (test) {
    const metrics = await channelMetrics(test, model, cols, cfg, scaler);
    for (const m of metrics) log(`#test_score (${ctx.host}) : ('${m.name}', ${m.value})`);
    for (const m of metrics) log(`#quality_metric: host=${ctx.host}, test ${m.name} <${m.kind}>=${m.value}`);
  } else {
    log('Test data is not provided.');
  }
  return encodeLinearModel(model);
}
