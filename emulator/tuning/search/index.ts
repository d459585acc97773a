/**
 * Entry point of the search strategies. How the tuning service uses them:
 *
 * - One searcher per training job definition: createSearcher(Strategy, space, RandomSeed,
 *   { budget: MaxNumberOfTrainingJobs }). Call
 *   suggest(completed, pending, index) whenever a slot frees up, with `completed` in creation
 *   order (parents' evaluations first for a warm start, through projectParentEvaluations),
 *   `pending` the running jobs' assignments, `index` the job's 0-based suggestion number. The
 *   same arguments give the same answer after a restart. undefined means the space is exhausted
 *   (Grid only). A failed or metric-less job goes into `completed` without an objective.
 * - After each epoch's objective metric of a running job: for Strategy Hyperband,
 *   hyperbandDecision(config, job, epoch, otherJobs, direction); for TrainingJobEarlyStoppingType
 *   Auto, medianStoppingDecision(job, epoch, earlierJobs, direction). Stop the job when `stop`.
 */
import { BayesianSearcher, type BayesianOptions } from './bayesian.js';
import { GridSearcher } from './grid.js';
import { RandomSearcher } from './random.js';
import type { Searcher, SearchSpace, SearchStrategyName } from './types.js';

export type { Assignment, Evaluation, ParameterSpec, Searcher, SearchSpace, SearchStrategyName, ScalingType } from './types.js';
export { fromUnit, renderValue, resolveScaling, toUnit } from './scaling.js';
export { GridSearcher, GridSearchError } from './grid.js';
export { RandomSearcher } from './random.js';
export { BayesianSearcher } from './bayesian.js';
export {
  hyperbandDecision,
  hyperbandRungs,
  medianStoppingDecision,
  valueAt,
  type EpochHistory,
  type HyperbandConfig,
  type MedianRuleOptions,
  type StopDecision,
} from './early-stopping.js';
export { projectParentEvaluations, type ParentEvaluation } from './warm-start.js';

export interface SearcherOptions {
  /** MaxNumberOfTrainingJobs, when the job has one: Bayesian spends its last suggestions refining. */
  budget?: BayesianOptions['budget'];
}

/**
 * A searcher for a strategy. `seed` is the job's RandomSeed (or one the service drew and stored
 * when none was given), so suggestion `index` is the same after a restart.
 */
export function createSearcher(strategy: SearchStrategyName, space: SearchSpace, seed: number, options: SearcherOptions = {}): Searcher {
  switch (strategy) {
    case 'Grid':
      return new GridSearcher(space);
    case 'Random':
      return new RandomSearcher(space, seed);
    case 'Bayesian':
      return new BayesianSearcher(space, seed, { budget: options.budget });
    case 'Hyperband':
      // Hyperband picks configurations at random; hyperbandDecision stops the weak ones early.
      return new RandomSearcher(space, seed);
  }
}
