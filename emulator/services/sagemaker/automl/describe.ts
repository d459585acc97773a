import type { AutoMLCandidate, DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import type { Database, Scope } from '../../../storage/database.js';
import { candidateMetrics, DEFAULT_MAX_CANDIDATES, objectiveType } from './candidates.js';
import type { AutoMLRecord, CandidateRecord } from './record.js';

/** The candidates and the best one, read from the candidates' training jobs as they are now. */

type Job = DescribeTrainingJobResponse;
const date = (s?: string) => (s ? new Date(s) : undefined);

export function candidateView(db: Database, scope: Scope, r: AutoMLRecord, c: CandidateRecord): AutoMLCandidate {
  const job = db.get<Job>(scope, 'training-job', c.name)?.data;
  const status = job?.TrainingJobStatus ?? 'Failed';
  const final = Object.fromEntries((job?.FinalMetricDataList ?? []).map((m) => [m.MetricName!, m.Value!]));
  const resolved = r.resolved!;
  const metrics = status === 'Completed' ? candidateMetrics(c.algorithm, resolved.problemType, final, resolved.labelVariance) : [];
  const objective = metrics.find((m) => m.name === resolved.objective);
  const running = status === 'InProgress' || status === 'Stopping';
  return {
    CandidateName: c.name,
    FinalAutoMLJobObjectiveMetric: objective && {
      Type: objectiveType(resolved.objective),
      MetricName: objective.name,
      Value: objective.value,
      StandardMetricName: objective.name,
    },
    ObjectiveStatus: objective ? 'Succeeded' : running ? 'Pending' : 'Failed',
    CandidateSteps: [{ CandidateStepType: 'AWS::SageMaker::TrainingJob', CandidateStepArn: job?.TrainingJobArn, CandidateStepName: c.name }],
    CandidateStatus: status as AutoMLCandidate['CandidateStatus'],
    // The algorithm's own image serves the trained artifact: CreateModel from these and deploy.
    InferenceContainers:
      status === 'Completed' ? [{ Image: c.image, ModelDataUrl: job!.ModelArtifacts!.S3ModelArtifacts!, Environment: {} }] : undefined,
    CreationTime: job?.CreationTime ? new Date(job.CreationTime) : date(r.modified),
    EndTime: job?.TrainingEndTime ? new Date(job.TrainingEndTime) : undefined,
    LastModifiedTime: job?.LastModifiedTime ? new Date(job.LastModifiedTime) : date(r.modified),
    FailureReason: status === 'Failed' ? job?.FailureReason : undefined,
    CandidateProperties: {
      CandidateMetrics: metrics.map((m) => ({ MetricName: m.name, StandardMetricName: m.name, Value: m.value, Set: 'Validation' })),
    },
  };
}

export function candidateViews(db: Database, scope: Scope, r: AutoMLRecord): AutoMLCandidate[] {
  return r.resolved ? r.candidates.map((c) => candidateView(db, scope, r, c)) : [];
}

/** The candidate with the best objective (the earliest among equals). */
export function bestCandidate(views: AutoMLCandidate[], objective: string): AutoMLCandidate | undefined {
  const sign = objectiveType(objective) === 'Maximize' ? 1 : -1;
  let best: AutoMLCandidate | undefined;
  for (const v of views) {
    if (v.ObjectiveStatus !== 'Succeeded') continue;
    if (!best || sign * (v.FinalAutoMLJobObjectiveMetric!.Value! - best.FinalAutoMLJobObjectiveMetric!.Value!) > 0) best = v;
  }
  return best;
}

/** What Describe shows for either API: the status, the times, the best candidate, the partial failures. */
export function commonView(db: Database, scope: Scope, r: AutoMLRecord) {
  const views = candidateViews(db, scope, r);
  const failed = views.filter((v) => v.CandidateStatus === 'Failed');
  const best = r.resolved ? bestCandidate(views, r.resolved.objective) : undefined;
  return {
    AutoMLJobName: r.name,
    AutoMLJobArn: r.arn,
    OutputDataConfig: r.request.OutputDataConfig,
    RoleArn: r.spec.roleArn,
    CreationTime: new Date(r.created),
    EndTime: date(r.ended),
    LastModifiedTime: new Date(r.modified),
    FailureReason: r.failureReason,
    PartialFailureReasons:
      r.status !== 'Failed' && (failed.length || r.deployError)
        ? [...failed.map((v) => ({ PartialFailureMessage: `${v.CandidateName}: ${v.FailureReason ?? 'failed'}` })), ...(r.deployError ? [{ PartialFailureMessage: r.deployError }] : [])]
        : undefined,
    ModelDeployResult: r.deployed ? { EndpointName: r.deployed } : undefined,
    BestCandidate: best,
    AutoMLJobStatus: r.status,
    AutoMLJobSecondaryStatus: r.secondary,
    AutoMLJobObjective: r.resolved ? { MetricName: r.resolved.objective } : r.spec.objective ? { MetricName: r.spec.objective } : undefined,
    CompletionCriteria: {
      MaxCandidates: r.spec.maxCandidates ?? DEFAULT_MAX_CANDIDATES,
      MaxRuntimePerTrainingJobInSeconds: r.spec.maxRuntimePerTrainingJob ?? 86400,
      MaxAutoMLJobRuntimeInSeconds: r.spec.maxJobRuntime ?? 2592000,
    },
  };
}
