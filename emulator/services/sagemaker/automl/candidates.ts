import { imageUriFor } from '../../../../algorithms/index.js';
import type { ProblemType } from './data.js';

/**
 * The candidates AutoML trains here: the built-in Linear Learner and, where the XGBoost framework
 * environment is installed, the XGBoost algorithm, each over a short fixed list of
 * hyperparameter configurations, tried in turn (Linear Learner, XGBoost, Linear Learner, ...)
 * until MaxCandidates. Each candidate is one real training job on the prepared split; its
 * objective is read from the validation metrics the algorithm itself logs.
 */
export type CandidateAlgorithm = 'linear-learner' | 'xgboost';

export type AutoMLMetric =
  | 'Accuracy' | 'F1' | 'F1macro' | 'AUC' | 'Precision' | 'Recall' | 'PrecisionMacro' | 'RecallMacro'
  | 'MSE' | 'RMSE' | 'MAE' | 'R2';

/** AWS's default objective per problem type (AutoMLJobObjective in the API reference). */
export const DEFAULT_OBJECTIVE: Record<ProblemType, AutoMLMetric> = {
  BinaryClassification: 'F1',
  MulticlassClassification: 'Accuracy',
  Regression: 'MSE',
};

const MINIMIZED = new Set(['MSE', 'RMSE', 'MAE']);
export const objectiveType = (metric: string): 'Maximize' | 'Minimize' => (MINIMIZED.has(metric) ? 'Minimize' : 'Maximize');

type Metrics = Record<string, number>;
/** How each AutoML metric is read from an algorithm's final validation metrics, per problem type. */
type Readers = Partial<Record<AutoMLMetric, (m: Metrics, labelVariance: number) => number | undefined>>;

const LINEAR_LEARNER: Record<ProblemType, Readers> = {
  BinaryClassification: {
    Accuracy: (m) => m['validation:binary_classification_accuracy'],
    F1: (m) => m['validation:binary_f_beta'],
    Precision: (m) => m['validation:precision'],
    Recall: (m) => m['validation:recall'],
    AUC: (m) => m['validation:roc_auc_score'],
  },
  MulticlassClassification: {
    Accuracy: (m) => m['validation:multiclass_accuracy'],
    F1macro: (m) => m['validation:macro_f_beta'],
    PrecisionMacro: (m) => m['validation:macro_precision'],
    RecallMacro: (m) => m['validation:macro_recall'],
  },
  Regression: {
    MSE: (m) => m['validation:mse'],
    RMSE: (m) => m['validation:rmse'],
    MAE: (m) => m['validation:absolute_loss'],
    R2: (m, v) => (m['validation:mse'] === undefined || !(v > 0) ? undefined : 1 - m['validation:mse'] / v),
  },
};

const sq = (x: number | undefined) => (x === undefined ? undefined : x * x);
const XGBOOST: Record<ProblemType, Readers> = {
  BinaryClassification: {
    Accuracy: (m) => (m['validation:error'] === undefined ? undefined : 1 - m['validation:error']),
    AUC: (m) => m['validation:auc'],
  },
  MulticlassClassification: {
    Accuracy: (m) => (m['validation:merror'] === undefined ? undefined : 1 - m['validation:merror']),
  },
  Regression: {
    MSE: (m) => sq(m['validation:rmse']),
    RMSE: (m) => m['validation:rmse'],
    MAE: (m) => m['validation:mae'],
    R2: (m, v) => (m['validation:rmse'] === undefined || !(v > 0) ? undefined : 1 - m['validation:rmse'] ** 2 / v),
  },
};

const READERS: Record<CandidateAlgorithm, Record<ProblemType, Readers>> = { 'linear-learner': LINEAR_LEARNER, xgboost: XGBOOST };

/** The AutoML metrics a candidate of this algorithm reports, with their values. */
export function candidateMetrics(algorithm: CandidateAlgorithm, problemType: ProblemType, final: Metrics, labelVariance: number): { name: AutoMLMetric; value: number }[] {
  return Object.entries(READERS[algorithm][problemType])
    .map(([name, read]) => ({ name: name as AutoMLMetric, value: read!(final, labelVariance) }))
    .filter((m): m is { name: AutoMLMetric; value: number } => m.value !== undefined && Number.isFinite(m.value));
}

/** Whether an algorithm can be ranked by the objective (XGBoost logs no F1, precision or recall). */
export const measures = (algorithm: CandidateAlgorithm, problemType: ProblemType, metric: string) => metric in READERS[algorithm][problemType];

/** Every objective some algorithm here can measure for the problem type. */
export const supportedObjectives = (problemType: ProblemType) => [...new Set([...Object.keys(LINEAR_LEARNER[problemType]), ...Object.keys(XGBOOST[problemType])])];

const LINEAR_LEARNER_CONFIGS: Record<string, string>[] = [
  { learning_rate: '0.1', wd: '0.0001', mini_batch_size: '32' },
  { learning_rate: '0.01', wd: '0.001', mini_batch_size: '16' },
  { learning_rate: '0.3', l1: '0.001', mini_batch_size: '64' },
];

const XGBOOST_CONFIGS: Record<string, string>[] = [
  { max_depth: '3', eta: '0.3', num_round: '30' },
  { max_depth: '6', eta: '0.1', num_round: '50', subsample: '0.8' },
  { max_depth: '4', eta: '0.2', num_round: '40', min_child_weight: '2' },
];

export interface CandidatePlan {
  algorithm: CandidateAlgorithm;
  image: string;
  hyperParameters: Record<string, string>;
}

/** The XGBoost image AutoML uses (the framework image in algorithm mode). */
export const xgboostImage = (region: string) => `683313688378.dkr.ecr.${region}.amazonaws.com/sagemaker-xgboost:1.7-1`;

/** The hyperparameters each algorithm needs for the problem, on top of a configuration. */
function fixedHyperParameters(algorithm: CandidateAlgorithm, problemType: ProblemType, objective: string, features: number, classes: number): Record<string, string> {
  if (algorithm === 'linear-learner') {
    const predictor = problemType === 'Regression' ? 'regressor' : problemType === 'BinaryClassification' ? 'binary_classifier' : 'multiclass_classifier';
    return {
      predictor_type: predictor,
      feature_dim: String(features),
      epochs: '10',
      num_models: '1',
      normalize_data: 'true',
      ...(problemType === 'MulticlassClassification' ? { num_classes: String(classes) } : {}),
      // The threshold is chosen on the validation set for the metric AutoML ranks by.
      ...(problemType === 'BinaryClassification' ? { binary_classifier_model_selection_criteria: objective === 'F1' ? 'f_beta' : 'accuracy' } : {}),
    };
  }
  if (problemType === 'Regression') return { objective: 'reg:squarederror', eval_metric: 'rmse,mae' };
  if (problemType === 'BinaryClassification') return { objective: 'binary:logistic', eval_metric: 'error,auc' };
  return { objective: 'multi:softprob', num_class: String(classes), eval_metric: 'merror' };
}

/** The candidates in the order they are tried; `algorithms` are those allowed and available. */
export function candidatePlans(
  algorithms: CandidateAlgorithm[],
  problemType: ProblemType,
  objective: string,
  features: number,
  classes: number,
  region: string,
): CandidatePlan[] {
  const lists = algorithms
    .filter((a) => measures(a, problemType, objective))
    .map((a) => (a === 'linear-learner' ? LINEAR_LEARNER_CONFIGS : XGBOOST_CONFIGS).map((c) => ({ algorithm: a, config: c })));
  const plans: CandidatePlan[] = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) {
    for (const l of lists) {
      if (i >= l.length) continue;
      const { algorithm, config } = l[i];
      plans.push({
        algorithm,
        image: algorithm === 'linear-learner' ? imageUriFor('linear-learner', region) : xgboostImage(region),
        hyperParameters: { ...fixedHyperParameters(algorithm, problemType, objective, features, classes), ...config },
      });
    }
  }
  return plans;
}
