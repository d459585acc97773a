import type { AutoMLCandidate, AutoMLContainerDefinition, DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import { processingImageUri } from '../../../../algorithms/index.js';
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
    InferenceContainers: status === 'Completed' ? inferenceContainers(scope, r, c, job!.ModelArtifacts!.S3ModelArtifacts!) : undefined,
    CreationTime: job?.CreationTime ? new Date(job.CreationTime) : date(r.modified),
    EndTime: job?.TrainingEndTime ? new Date(job.TrainingEndTime) : undefined,
    LastModifiedTime: job?.LastModifiedTime ? new Date(job.LastModifiedTime) : date(r.modified),
    FailureReason: status === 'Failed' ? job?.FailureReason : undefined,
    CandidateProperties: {
      CandidateMetrics: metrics.map((m) => ({ MetricName: m.name, StandardMetricName: m.name, Value: m.value, Set: 'Validation' })),
    },
  };
}

/**
 * The serial inference pipeline a candidate deploys as (HPO mode, as documented for Autopilot's
 * generated containers): the data processing container (raw rows in, encoded features out), the
 * algorithm's own container with the trained artifact, and for classification the data processing
 * container again, inverting the label encoding. SAGEMAKER_INFERENCE_SUPPORTED names the response
 * keys the SDKs may ask for (inference_response_keys sets SAGEMAKER_INFERENCE_OUTPUT/INPUT).
 */
function inferenceContainers(scope: Scope, r: AutoMLRecord, c: CandidateRecord, artifact: string): AutoMLContainerDefinition[] {
  const resolved = r.resolved!;
  // A job analysed before localsage modelled the processing container trained on raw numeric columns.
  if (!resolved.processingModelUri) return [{ Image: c.image, ModelDataUrl: artifact, Environment: {} }];
  const classification = resolved.problemType !== 'Regression';
  const processing = (mode: string, extra: Record<string, string>): AutoMLContainerDefinition => ({
    Image: processingImageUri(scope.region),
    ModelDataUrl: resolved.processingModelUri!,
    Environment: { AUTOML_TRANSFORM_MODE: mode, SAGEMAKER_PROGRAM: 'sagemaker_serve', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code', ...extra },
  });
  return [
    processing('feature-transform', { SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv' }),
    {
      Image: c.image,
      ModelDataUrl: artifact,
      Environment: {
        MAX_CONTENT_LENGTH: '20971520',
        // The algorithm's scores go on to the inverse label transform as JSON; a regressor's answer is the pipeline's.
        SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: classification ? 'application/json' : 'text/csv',
        ...(classification ? { SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label', SAGEMAKER_INFERENCE_SUPPORTED: 'predicted_label,probability,probabilities' } : {}),
      },
    },
    ...(classification
      ? [
          processing('inverse-label-transform', {
            SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv',
            SAGEMAKER_INFERENCE_INPUT: 'predicted_label',
            SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label',
            SAGEMAKER_INFERENCE_SUPPORTED: 'predicted_label,probability,labels,probabilities',
          }),
        ]
      : []),
  ];
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
