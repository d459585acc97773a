import type { S3Client } from '@aws-sdk/client-s3';
import {
  CreateHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  type CreateHyperParameterTuningJobRequest,
  type DescribeHyperParameterTuningJobCommandOutput,
  type HyperParameterTrainingJobDefinition,
  type HyperParameterTrainingJobSummary,
  type HyperParameterTuningJobConfig,
  type SageMakerClient,
  type TrainingJobSortByOptions,
} from '@aws-sdk/client-sagemaker';
import { LINEAR_LEARNER_IMAGE, ROLE } from './clients.js';
import { separableBinary, toCsv } from './data.js';
import { channel, ensureBucket, upload } from './pipeline.js';

/** A small binary set split into train and validation channels; returns the channel URIs. */
export async function uploadBinarySplit(s3: S3Client, bucket: string, rows = 400, features = 4, seed = 5) {
  await ensureBucket(s3, bucket);
  const data = separableBinary(rows, features, seed);
  const cut = Math.floor(rows * 0.75);
  const train = await upload(s3, bucket, 'train/data.csv', toCsv(data.x.slice(0, cut), data.y.slice(0, cut)));
  const validation = await upload(s3, bucket, 'validation/data.csv', toCsv(data.x.slice(cut), data.y.slice(cut)));
  return { train, validation, features };
}

/** A linear-learner training job definition over the split. */
export function linearLearnerDefinition(
  bucket: string,
  uris: { train: string; validation: string; features: number },
  statics: Record<string, string> = {},
  extra: Partial<HyperParameterTrainingJobDefinition> = {},
): HyperParameterTrainingJobDefinition {
  return {
    AlgorithmSpecification: { TrainingImage: LINEAR_LEARNER_IMAGE, TrainingInputMode: 'File' },
    RoleArn: ROLE,
    InputDataConfig: [channel('train', uris.train, 'text/csv'), channel('validation', uris.validation, 'text/csv')],
    OutputDataConfig: { S3OutputPath: `s3://${bucket}/tuning-out` },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    StaticHyperParameters: { predictor_type: 'binary_classifier', feature_dim: String(uris.features), epochs: '3', ...statics },
    ...extra,
  };
}

export function tuningConfig(overrides: Partial<HyperParameterTuningJobConfig> = {}): HyperParameterTuningJobConfig {
  return {
    Strategy: 'Random',
    HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'validation:objective_loss' },
    ResourceLimits: { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 2 },
    ParameterRanges: { ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.001', MaxValue: '0.5', ScalingType: 'Logarithmic' }] },
    RandomSeed: 7,
    ...overrides,
  };
}

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

/** Polls Describe (botocore has no tuning waiter; neither has the JS SDK) until the job ends. */
export async function waitForTuning(sm: SageMakerClient, name: string, timeoutMs = 240_000): Promise<DescribeHyperParameterTuningJobCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
    if (TERMINAL.has(d.HyperParameterTuningJobStatus!)) return d;
    if (Date.now() > deadline) throw new Error(`tuning job ${name} still ${d.HyperParameterTuningJobStatus} after ${timeoutMs} ms: ${JSON.stringify(d.TrainingJobStatusCounters)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function tuneAndWait(sm: SageMakerClient, req: CreateHyperParameterTuningJobRequest) {
  await sm.send(new CreateHyperParameterTuningJobCommand(req));
  return waitForTuning(sm, req.HyperParameterTuningJobName!);
}

/** The tuning job's training jobs (one page of up to 100: every suite stays under that). */
export async function listTuningChildren(sm: SageMakerClient, name: string, sortBy?: TrainingJobSortByOptions): Promise<HyperParameterTrainingJobSummary[]> {
  const r = await sm.send(new ListTrainingJobsForHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name, MaxResults: 100, SortBy: sortBy }));
  return r.TrainingJobSummaries!;
}
