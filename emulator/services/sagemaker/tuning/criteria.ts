import type { HyperParameterTuningJobCompletionDetails, TuningJobCompletionCriteria } from '@aws-sdk/client-sagemaker';
import { better, type ChildView } from './describe.js';

/** Relative improvement that counts as "improving" for BestObjectiveNotImproving (the API reference: 1%). */
const IMPROVEMENT = 0.01;
/** Relative improvement under which a run of evaluations counts as converged. */
const CONVERGED = 0.001;

export interface CriteriaVerdict {
  /** Set when a completion criterion is met: the tuning job completes. */
  complete?: string;
  details: HyperParameterTuningJobCompletionDetails;
}

/** Finished evaluations with an objective, in the order they finished. */
function finishedValues(views: ChildView[]): number[] {
  return views
    .filter((v) => v.summary.ObjectiveStatus === 'Succeeded')
    .sort((a, b) => (a.summary.TrainingEndTime?.getTime() ?? 0) - (b.summary.TrainingEndTime?.getTime() ?? 0))
    .map((v) => v.summary.FinalHyperParameterTuningJobObjectiveMetric!.Value!);
}

function improves(type: string, value: number, best: number, by: number): boolean {
  if (!better(type, value, best)) return false;
  return Math.abs(value - best) > by * Math.max(Math.abs(best), 1e-12);
}

/**
 * TuningJobCompletionCriteria, evaluated after each child ends:
 * - TargetObjectiveMetricValue: a job reached the target (or beat it).
 * - BestObjectiveNotImproving: that many jobs in a row, in finishing order, did not improve the
 *   best objective by 1% or more (the API reference's definition).
 * - ConvergenceDetected (CompleteOnConvergence Enabled): AWS does not publish its test. Ours: the
 *   last max(5, 2 x MaxParallelTrainingJobs) evaluations together improved the best by less than
 *   0.1%, i.e. the search has stopped finding anything better.
 */
export function evaluateCriteria(
  criteria: TuningJobCompletionCriteria | undefined,
  type: string,
  views: ChildView[],
  maxParallel: number,
  now: Date,
): CriteriaVerdict {
  const values = finishedValues(views);
  let best: number | undefined;
  let notImproving = 0;
  for (const v of values) {
    if (best === undefined || improves(type, v, best, IMPROVEMENT)) notImproving = 0;
    else notImproving++;
    if (best === undefined || better(type, v, best)) best = v;
  }
  const details: HyperParameterTuningJobCompletionDetails = { NumberOfTrainingJobsObjectiveNotImproving: notImproving };
  if (!criteria || best === undefined) return { details };
  const target = criteria.TargetObjectiveMetricValue;
  if (target !== undefined && (best === target || better(type, best, target))) {
    return { complete: `A training job reached the target objective metric value ${target}.`, details };
  }
  const limit = criteria.BestObjectiveNotImproving?.MaxNumberOfTrainingJobsNotImproving;
  if (limit !== undefined && notImproving >= limit) {
    return { complete: `${notImproving} training jobs in a row did not improve the objective metric.`, details };
  }
  if (criteria.ConvergenceDetected?.CompleteOnConvergence === 'Enabled') {
    const window = Math.max(5, 2 * maxParallel);
    if (values.length > window) {
      const before = values.slice(0, values.length - window);
      const bestBefore = before.reduce((b, v) => (better(type, v, b) ? v : b));
      const recent = values.slice(-window);
      if (!recent.some((v) => improves(type, v, bestBefore, CONVERGED))) {
        return { complete: 'The tuning job converged.', details: { ...details, ConvergenceDetectedTime: now } };
      }
    }
  }
  return { details };
}
