import type { AlgorithmName } from '../../../../algorithms/index.js';

/**
 * What the built-in algorithms let a tuning job tune and optimise, from the SageMaker developer
 * guide ("Tune a linear learner model", "Tune a k-means model"): the hyperparameters marked
 * tunable and the metrics listed as tunable objectives, with the direction the guide recommends.
 */
const LINEAR_LEARNER_METRICS = [
  'objective_loss',
  'absolute_loss',
  'binary_classification_accuracy',
  'binary_f_beta',
  'dcg',
  'macro_f_beta',
  'macro_precision',
  'macro_recall',
  'mse',
  'multiclass_accuracy',
  'multiclass_top_k_accuracy',
  'precision',
  'recall',
  'rmse',
  'roc_auc_score',
];

export const TUNABLE: Record<AlgorithmName, { hyperParameters: string[]; metrics: string[] }> = {
  'linear-learner': {
    hyperParameters: ['l1', 'learning_rate', 'mini_batch_size', 'positive_example_weight_mult', 'use_bias', 'wd'],
    metrics: ['test', 'validation'].flatMap((channel) => LINEAR_LEARNER_METRICS.map((m) => `${channel}:${m}`)),
  },
  kmeans: {
    hyperParameters: ['epochs', 'extra_center_factor', 'init_method', 'mini_batch_size'],
    metrics: ['test:msd', 'test:ssd'],
  },
};
