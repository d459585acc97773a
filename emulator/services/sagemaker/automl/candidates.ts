import { imageUriFor } from '../../../../algorithms/index.js';
import { createSearcher, type Assignment, type ParameterSpec } from '../../../tuning/search/index.js';
import type { ProblemType } from './data.js';

/**
 * The candidates AutoML trains here (HPO mode): the built-in Linear Learner and, where the XGBoost
 * framework environment is installed, the XGBoost algorithm, taking turns (Linear Learner,
 * XGBoost, Linear Learner, ...) until MaxCandidates. Each candidate is one real training job on
 * the prepared split; its objective is read from the validation metrics the algorithm logs.
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

/**
 * Each algorithm's search space (HPO mode): the first configurations are these fixed, known-good
 * starting points, then the tuning service's Bayesian search (emulator/tuning/search) proposes the
 * next ones from the objectives the algorithm's candidates reached.
 */
const LINEAR_LEARNER_SPACE: ParameterSpec[] = [
  { name: 'learning_rate', type: 'Continuous', min: 0.001, max: 1, scaling: 'Logarithmic' },
  { name: 'wd', type: 'Continuous', min: 1e-7, max: 0.01, scaling: 'Logarithmic' },
  { name: 'l1', type: 'Continuous', min: 1e-7, max: 0.01, scaling: 'Logarithmic' },
  { name: 'mini_batch_size', type: 'Integer', min: 16, max: 256, scaling: 'Logarithmic' },
];

const XGBOOST_SPACE: ParameterSpec[] = [
  { name: 'max_depth', type: 'Integer', min: 2, max: 10, scaling: 'Linear' },
  { name: 'eta', type: 'Continuous', min: 0.01, max: 0.5, scaling: 'Logarithmic' },
  { name: 'num_round', type: 'Integer', min: 10, max: 100, scaling: 'Linear' },
  { name: 'subsample', type: 'Continuous', min: 0.5, max: 1, scaling: 'Linear' },
  { name: 'min_child_weight', type: 'Continuous', min: 1, max: 10, scaling: 'Logarithmic' },
];

const LINEAR_LEARNER_CONFIGS: Assignment[] = [
  { learning_rate: '0.1', wd: '0.0001', l1: '0.0000001', mini_batch_size: '32' },
  { learning_rate: '0.01', wd: '0.001', l1: '0.0000001', mini_batch_size: '16' },
  { learning_rate: '0.3', wd: '0.0000001', l1: '0.001', mini_batch_size: '64' },
];

const XGBOOST_CONFIGS: Assignment[] = [
  { max_depth: '3', eta: '0.3', num_round: '30', subsample: '1', min_child_weight: '1' },
  { max_depth: '6', eta: '0.1', num_round: '50', subsample: '0.8', min_child_weight: '1' },
  { max_depth: '4', eta: '0.2', num_round: '40', subsample: '1', min_child_weight: '2' },
];

const SPACES: Record<CandidateAlgorithm, { space: ParameterSpec[]; starts: Assignment[] }> = {
  'linear-learner': { space: LINEAR_LEARNER_SPACE, starts: LINEAR_LEARNER_CONFIGS },
  xgboost: { space: XGBOOST_SPACE, starts: XGBOOST_CONFIGS },
};

/** AWS's default MaxCandidates (AutoMLJobCompletionCriteria). */
export const DEFAULT_MAX_CANDIDATES = 250;

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

/** What a candidate's search sees of an earlier one of its algorithm. */
export interface Tried {
  algorithm: CandidateAlgorithm;
  hyperParameters: Record<string, string>;
  /** The AutoML objective it reached; undefined while it runs or when it failed. */
  objective?: number;
  running: boolean;
}

/**
 * Candidate number `index` (0-based, retries not counted): algorithms take turns; each starts with
 * its fixed configurations, then follows the Bayesian search over its space, seeded so that a
 * restarted job proposes the same configurations.
 */
export function nextCandidate(
  index: number,
  algorithms: CandidateAlgorithm[],
  tried: Tried[],
  problem: { problemType: ProblemType; objective: string; features: number; classes: number; region: string },
  seed: number,
): CandidatePlan {
  const algorithm = algorithms[index % algorithms.length];
  const turn = Math.floor(index / algorithms.length);
  const { space, starts } = SPACES[algorithm];
  const pick = (h: Record<string, string>) => Object.fromEntries(space.map((p) => [p.name, h[p.name]]));
  const mine = tried.filter((t) => t.algorithm === algorithm);
  const assignment =
    turn < starts.length
      ? starts[turn]
      : createSearcher('Bayesian', { parameters: space, direction: objectiveType(problem.objective) }, seed).suggest(
          mine.filter((t) => !t.running).map((t) => ({ assignment: pick(t.hyperParameters), objective: t.objective })),
          mine.filter((t) => t.running).map((t) => pick(t.hyperParameters)),
          turn,
        )!;
  return {
    algorithm,
    image: algorithm === 'linear-learner' ? imageUriFor('linear-learner', problem.region) : xgboostImage(problem.region),
    hyperParameters: { ...fixedHyperParameters(algorithm, problem.problemType, problem.objective, problem.features, problem.classes), ...assignment },
  };
}

/** The algorithms that can be ranked by the objective, of those allowed and available. */
export const rankable = (algorithms: CandidateAlgorithm[], problemType: ProblemType, objective: string) => algorithms.filter((a) => measures(a, problemType, objective));
