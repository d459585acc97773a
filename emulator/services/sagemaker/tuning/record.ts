import type { DescribeHyperParameterTuningJobResponse, DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import type { Assignment } from '../../../tuning/search/types.js';

export const TUNING_KIND = 'hyper-parameter-tuning-job';
export const TRAINING_KIND = 'training-job';

/** One training job a tuning job launched. */
export interface ChildRecord {
  name: string;
  /** Index into the tuning job's definitions. */
  definition: number;
  assignment: Assignment;
  /** The searcher's suggestion index; a retry of a retryable failure reuses its original's. */
  suggestion: number;
  /** Set when this job re-runs the same values after a retryable failure (it does not count against MaxNumberOfTrainingJobs). */
  retryOf?: string;
  /** The objective after each epoch, as scraped from the job's log (for early stopping and Hyperband). */
  curve?: number[];
}

/**
 * A tuning job as stored: what Describe echoes, plus what the runner needs to resume after a
 * restart. Counters and the best job are derived from the children's training jobs when read.
 */
export interface TuningRecord {
  describe: Omit<DescribeHyperParameterTuningJobResponse, '$metadata'>;
  /** RandomSeed, or one drawn at create time, so suggestions are reproducible across restarts. */
  seed: number;
  children: ChildRecord[];
  /** How the job ended or is ending, when it is not simply out of jobs. */
  ending?: { status: 'Completed' | 'Stopped' | 'Failed'; reason?: string };
  /** Wall time of the runs before a restart, in ms (ConsumedResources). */
  consumedBefore: number;
  /** When the current run (since create or the last restart) started. */
  runningSince: number;
}

export type TrainingJob = DescribeTrainingJobResponse;

/** A child's objective: its final metric, else the last value it logged (a job stopped early). */
export function objectiveOf(job: TrainingJob | undefined, child: ChildRecord, metricName: string): number | undefined {
  const final = job?.FinalMetricDataList?.find((m) => m.MetricName === metricName)?.Value;
  if (final !== undefined && Number.isFinite(final)) return final;
  const curve = child.curve ?? [];
  return curve.length ? curve[curve.length - 1] : undefined;
}

/** A failure SageMaker would retry: an internal error, not the algorithm rejecting its input. */
export function isRetryable(job: TrainingJob | undefined): boolean {
  return job?.TrainingJobStatus === 'Failed' && /^InternalServerError/.test(job.FailureReason ?? '');
}
