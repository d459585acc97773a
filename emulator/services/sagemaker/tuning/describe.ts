import type {
  DescribeHyperParameterTuningJobResponse,
  HyperParameterTrainingJobSummary,
  HyperParameterTuningJobObjective,
  ObjectiveStatusCounters,
  TrainingJobStatusCounters,
} from '@aws-sdk/client-sagemaker';
import type { Database, Scope } from '../../../storage/database.js';
import { isRetryable, objectiveOf, TRAINING_KIND, TUNING_KIND, type ChildRecord, type TrainingJob, type TuningRecord } from './record.js';

/** The objective of a definition: its own TuningObjective, else the job's. */
export function objectiveFor(record: TuningRecord, definition: number): HyperParameterTuningJobObjective {
  const defs = record.describe.TrainingJobDefinitions;
  return defs?.[definition]?.TuningObjective ?? record.describe.HyperParameterTuningJobConfig!.HyperParameterTuningJobObjective!;
}

export interface ChildView {
  child: ChildRecord;
  job: TrainingJob | undefined;
  summary: HyperParameterTrainingJobSummary;
}

/** Each child with its training job and its HyperParameterTrainingJobSummary, in launch order. */
export function childViews(db: Database, scope: Scope, record: TuningRecord): ChildView[] {
  const tuningName = record.describe.HyperParameterTuningJobName!;
  return record.children.map((child) => {
    const job = db.get<TrainingJob>(scope, TRAINING_KIND, child.name)?.data;
    const objective = objectiveFor(record, child.definition);
    const value = objectiveOf(job, child, objective.MetricName!);
    const status = job?.TrainingJobStatus ?? 'InProgress';
    const finished = status === 'Completed' || status === 'Stopped' || status === 'Failed';
    const summary: HyperParameterTrainingJobSummary = {
      TrainingJobDefinitionName: record.describe.TrainingJobDefinitions?.[child.definition]?.DefinitionName,
      TrainingJobName: child.name,
      TrainingJobArn: job?.TrainingJobArn,
      TuningJobName: tuningName,
      CreationTime: job?.CreationTime,
      TrainingStartTime: job?.TrainingStartTime,
      TrainingEndTime: job?.TrainingEndTime,
      TrainingJobStatus: status,
      TunedHyperParameters: child.assignment,
      FailureReason: job?.FailureReason,
      FinalHyperParameterTuningJobObjectiveMetric:
        value !== undefined && status !== 'Failed' ? { Type: objective.Type, MetricName: objective.MetricName, Value: value } : undefined,
      ObjectiveStatus: !finished ? 'Pending' : value !== undefined && status !== 'Failed' ? 'Succeeded' : 'Failed',
    };
    return { child, job, summary };
  });
}

export function counters(views: ChildView[]): { training: Required<TrainingJobStatusCounters>; objective: Required<ObjectiveStatusCounters> } {
  const training = { Completed: 0, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 };
  const objective = { Succeeded: 0, Pending: 0, Failed: 0 };
  for (const v of views) {
    const s = v.summary.TrainingJobStatus;
    if (s === 'Completed') training.Completed++;
    else if (s === 'Stopped') training.Stopped++;
    else if (s === 'Failed') training[isRetryable(v.job) ? 'RetryableError' : 'NonRetryableError']++;
    else training.InProgress++;
    objective[v.summary.ObjectiveStatus as keyof typeof objective]++;
  }
  return { training, objective };
}

/** True when a is a better objective value than b for this direction. */
export function better(type: string | undefined, a: number, b: number): boolean {
  return type === 'Maximize' ? a > b : a < b;
}

export function bestSummary(summaries: HyperParameterTrainingJobSummary[]): HyperParameterTrainingJobSummary | undefined {
  let best: HyperParameterTrainingJobSummary | undefined;
  for (const s of summaries) {
    const m = s.FinalHyperParameterTuningJobObjectiveMetric;
    if (s.ObjectiveStatus !== 'Succeeded' || m?.Value === undefined) continue;
    if (!best || better(m.Type, m.Value, best.FinalHyperParameterTuningJobObjectiveMetric!.Value!)) best = s;
  }
  return best;
}

/** The best of a tuning job and, through its warm-start parents, of its whole lineage. */
function lineageSummaries(db: Database, scope: Scope, record: TuningRecord, depth: number): HyperParameterTrainingJobSummary[] {
  const own = childViews(db, scope, record).map((v) => v.summary);
  if (depth <= 0) return own;
  const parents = record.describe.WarmStartConfig?.ParentHyperParameterTuningJobs ?? [];
  return [
    ...own,
    ...parents.flatMap((p) => {
      const parent = db.get<TuningRecord>(scope, TUNING_KIND, p.HyperParameterTuningJobName!)?.data;
      return parent ? lineageSummaries(db, scope, parent, depth - 1) : [];
    }),
  ];
}

export function describeTuning(db: Database, scope: Scope, record: TuningRecord, now: number): DescribeHyperParameterTuningJobResponse {
  const views = childViews(db, scope, record);
  const { training, objective } = counters(views);
  const best = bestSummary(views.map((v) => v.summary));
  const d = record.describe;
  const running = d.HyperParameterTuningJobStatus === 'InProgress' || d.HyperParameterTuningJobStatus === 'Stopping';
  const consumedMs = record.consumedBefore + (running ? now - record.runningSince : 0);
  const out: DescribeHyperParameterTuningJobResponse = {
    ...d,
    TrainingJobStatusCounters: training,
    ObjectiveStatusCounters: objective,
    BestTrainingJob: best,
    ConsumedResources: { RuntimeInSeconds: Math.round(consumedMs / 1000) },
  };
  if (d.WarmStartConfig) out.OverallBestTrainingJob = bestSummary(lineageSummaries(db, scope, record, 5));
  return out;
}
