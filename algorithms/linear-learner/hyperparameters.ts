import { AlgorithmError } from '../errors.js';
import { HpReader, type Spec, validateAgainst } from '../hyperparameter-spec.js';

export type PredictorType = 'binary_classifier' | 'multiclass_classifier' | 'regressor';
export type Optimizer = 'adam' | 'sgd' | 'rmsprop';
export type LossName =
  | 'squared_loss' | 'absolute_loss' | 'eps_insensitive_squared_loss' | 'eps_insensitive_absolute_loss'
  | 'quantile_loss' | 'huber_loss' | 'logistic' | 'hinge_loss' | 'softmax_loss';
export type SelectionCriterion = 'accuracy' | 'f_beta' | 'precision_at_target_recall' | 'recall_at_target_precision' | 'loss_function';

const LOSSES: Record<PredictorType, readonly LossName[]> = {
  regressor: ['squared_loss', 'absolute_loss', 'eps_insensitive_squared_loss', 'eps_insensitive_absolute_loss', 'quantile_loss', 'huber_loss'],
  binary_classifier: ['logistic', 'hinge_loss'],
  multiclass_classifier: ['softmax_loss'],
};

const ALL_LOSSES = [...new Set(Object.values(LOSSES).flat())];
const pos = { kind: 'float', min: 0, minExclusive: true } as const;
const posAuto = { ...pos, auto: true } as const;
const posInt = { kind: 'int', min: 1 } as const;
const unit01 = { kind: 'float', min: 0, max: 1, minExclusive: true, maxExclusive: true } as const;

export const LINEAR_LEARNER_SPECS: Record<string, Spec> = {
  predictor_type: { kind: 'enum', values: ['binary_classifier', 'multiclass_classifier', 'regressor'] },
  num_classes: { kind: 'int', min: 3, max: 1_000_000 },
  feature_dim: { kind: 'int', min: 1, auto: true },
  mini_batch_size: posInt,
  epochs: posInt,
  accuracy_top_k: posInt,
  balance_multiclass_weights: { kind: 'bool' },
  beta_1: { kind: 'float', min: 0, max: 1, maxExclusive: true, auto: true },
  beta_2: { kind: 'float', min: 0, max: 1, maxExclusive: true, auto: true },
  bias_lr_mult: posAuto,
  bias_wd_mult: { kind: 'float', min: 0, auto: true },
  binary_classifier_model_selection_criteria: {
    kind: 'enum',
    values: ['accuracy', 'f_beta', 'precision_at_target_recall', 'recall_at_target_precision', 'loss_function', 'f1', 'cross_entropy_loss'],
  },
  early_stopping_patience: posInt,
  early_stopping_tolerance: pos,
  f_beta: pos,
  huber_delta: pos,
  init_bias: { kind: 'float' },
  init_method: { kind: 'enum', values: ['uniform', 'normal'] },
  init_scale: pos,
  init_sigma: pos,
  l1: { kind: 'float', min: 0, auto: true },
  learning_rate: posAuto,
  loss: { kind: 'enum', values: ALL_LOSSES, auto: true },
  loss_insensitivity: pos,
  lr_scheduler_factor: { ...unit01, auto: true },
  lr_scheduler_minimum_lr: posAuto,
  lr_scheduler_step: { kind: 'int', min: 1, auto: true },
  margin: pos,
  momentum: { kind: 'float', min: 0, max: 1, maxExclusive: true, auto: true },
  normalize_data: { kind: 'bool', auto: true },
  normalize_label: { kind: 'bool', auto: true },
  num_calibration_samples: { kind: 'int', min: 1, auto: true },
  num_models: { kind: 'int', min: 1, auto: true },
  num_point_for_scaler: posInt,
  optimizer: { kind: 'enum', values: ['sgd', 'adam', 'rmsprop'], auto: true },
  positive_example_weight_mult: { kind: 'any' },
  quantile: unit01,
  target_precision: unit01,
  target_recall: unit01,
  unbias_data: { kind: 'bool', auto: true },
  unbias_label: { kind: 'bool', auto: true },
  use_bias: { kind: 'bool' },
  use_lr_scheduler: { kind: 'bool' },
  wd: { kind: 'float', min: 0, auto: true },
};

/** Models trained side by side when num_models=auto (the real service uses 32). */
export const AUTO_NUM_MODELS = 32;

export interface LinearLearnerConfig {
  predictorType: PredictorType;
  numClasses: number;
  featureDim?: number;
  miniBatchSize: number;
  epochs: number;
  accuracyTopK: number;
  balanceMulticlassWeights: boolean;
  /** undefined => auto (varied across models). */
  beta1?: number;
  beta2: number;
  biasLrMult: number;
  biasWdMult: number;
  selectionCriterion: SelectionCriterion;
  earlyStoppingPatience: number;
  earlyStoppingTolerance: number;
  fBeta: number;
  huberDelta: number;
  initBias: number;
  initMethod: 'uniform' | 'normal';
  initScale: number;
  initSigma: number;
  /** undefined => auto (varied across models). */
  l1?: number;
  learningRate?: number;
  wd?: number;
  loss: LossName;
  lossInsensitivity: number;
  lrSchedulerFactor: number;
  lrSchedulerMinimumLr: number;
  lrSchedulerStep: number;
  margin: number;
  momentum: number;
  normalizeData: boolean;
  normalizeLabel: boolean;
  numCalibrationSamples: number;
  numModels: number;
  numModelsAuto: boolean;
  numPointForScaler: number;
  optimizer: Optimizer;
  /** undefined => 1; 'balanced' => computed from class frequencies. */
  positiveExampleWeightMult: number | 'balanced';
  quantile: number;
  targetPrecision: number;
  targetRecall: number;
  useBias: boolean;
  useLrScheduler: boolean;
  /** True when a tuning job drives the run (num_models forced to 1). */
  tuning: boolean;
}

export function validateLinearLearner(hp: Record<string, string>): LinearLearnerConfig {
  validateAgainst(hp, LINEAR_LEARNER_SPECS, ['predictor_type']);
  const r = new HpReader(hp);
  const predictorType = r.str('predictor_type', '') as PredictorType;
  if (predictorType === 'multiclass_classifier' && hp.num_classes === undefined) {
    throw new AlgorithmError("'num_classes' is a required property when predictor_type is multiclass_classifier");
  }
  const lossRaw = r.str('loss', 'auto');
  const loss = (lossRaw === 'auto' ? LOSSES[predictorType][0] : lossRaw) as LossName;
  if (!LOSSES[predictorType].includes(loss)) {
    throw new AlgorithmError(
      `Invalid value '${lossRaw}' for hyperparameter 'loss': predictor_type ${predictorType} supports ${['auto', ...LOSSES[predictorType]].join(', ')}`,
    );
  }
  let positiveExampleWeightMult: number | 'balanced' = 1;
  const pewm = r.raw('positive_example_weight_mult');
  if (pewm !== undefined && pewm.toLowerCase() !== 'auto') {
    if (pewm.toLowerCase() === 'balanced') positiveExampleWeightMult = 'balanced';
    else {
      const v = Number(pewm);
      if (pewm === '' || !Number.isFinite(v) || v <= 0) {
        throw new AlgorithmError(`Invalid value '${pewm}' for hyperparameter 'positive_example_weight_mult': must be balanced, auto or a number > 0`);
      }
      positiveExampleWeightMult = v;
    }
  }
  let criterion = r.str('binary_classifier_model_selection_criteria', 'accuracy');
  if (criterion === 'f1') criterion = 'f_beta';
  if (criterion === 'cross_entropy_loss') criterion = 'loss_function';
  const tuning = hp._tuning_objective_metric !== undefined;
  const numModelsAuto = r.isAuto('num_models');
  return {
    predictorType,
    numClasses: predictorType === 'multiclass_classifier' ? r.num('num_classes', 3) : predictorType === 'binary_classifier' ? 2 : 1,
    featureDim: r.isAuto('feature_dim') ? undefined : r.num('feature_dim', 0),
    miniBatchSize: r.num('mini_batch_size', 1000),
    epochs: r.num('epochs', 15),
    accuracyTopK: r.num('accuracy_top_k', 3),
    balanceMulticlassWeights: r.bool('balance_multiclass_weights', false),
    beta1: r.isAuto('beta_1') ? undefined : r.num('beta_1', 0.9),
    beta2: r.num('beta_2', 0.999),
    biasLrMult: r.num('bias_lr_mult', 10),
    biasWdMult: r.num('bias_wd_mult', 0),
    selectionCriterion: criterion as SelectionCriterion,
    earlyStoppingPatience: r.num('early_stopping_patience', 3),
    earlyStoppingTolerance: r.num('early_stopping_tolerance', 0.001),
    fBeta: hp.binary_classifier_model_selection_criteria === 'f1' ? 1 : r.num('f_beta', 1),
    huberDelta: r.num('huber_delta', 1),
    initBias: r.num('init_bias', 0),
    initMethod: r.str('init_method', 'uniform') as 'uniform' | 'normal',
    initScale: r.num('init_scale', 0.07),
    initSigma: r.num('init_sigma', 0.01),
    l1: r.isAuto('l1') ? undefined : r.num('l1', 0),
    learningRate: r.isAuto('learning_rate') ? undefined : r.num('learning_rate', 0),
    wd: r.isAuto('wd') ? undefined : r.num('wd', 0),
    loss,
    lossInsensitivity: r.num('loss_insensitivity', 0.01),
    lrSchedulerFactor: r.num('lr_scheduler_factor', 0.99),
    lrSchedulerMinimumLr: r.num('lr_scheduler_minimum_lr', 1e-5),
    lrSchedulerStep: r.num('lr_scheduler_step', 100),
    margin: r.num('margin', 1),
    momentum: r.num('momentum', 0),
    normalizeData: r.bool('normalize_data', true),
    normalizeLabel: predictorType === 'regressor' && r.bool('normalize_label', true),
    numCalibrationSamples: r.num('num_calibration_samples', 10_000_000),
    numModels: tuning ? 1 : r.num('num_models', AUTO_NUM_MODELS),
    numModelsAuto: numModelsAuto && !tuning,
    numPointForScaler: r.num('num_point_for_scaler', 10000),
    optimizer: r.str('optimizer', 'adam') as Optimizer,
    positiveExampleWeightMult,
    quantile: r.num('quantile', 0.5),
    targetPrecision: r.num('target_precision', 0.8),
    targetRecall: r.num('target_recall', 0.8),
    useBias: r.bool('use_bias', true),
    useLrScheduler: r.bool('use_lr_scheduler', true),
    tuning,
  };
}
