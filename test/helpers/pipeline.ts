import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  waitUntilEndpointInService,
  waitUntilTrainingJobCompletedOrStopped,
  type Channel,
  type DescribeTrainingJobCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { LINEAR_LEARNER_IMAGE, ROLE } from './clients.js';
import { separableBinary, toCsv } from './data.js';

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if ((e as Error).name !== 'BucketAlreadyOwnedByYou') throw e;
  }
}

export async function upload(s3: S3Client, bucket: string, key: string, body: string | Uint8Array): Promise<string> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return `s3://${bucket}/${key}`;
}

export function channel(name: string, s3Uri: string, contentType?: string, extra: Partial<Channel> = {}): Channel {
  return {
    ChannelName: name,
    ContentType: contentType,
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: s3Uri, S3DataDistributionType: 'FullyReplicated' } },
    ...extra,
  };
}

/** CreateTrainingJob and wait with the SDK's own waiter, polling fast. */
export async function trainAndWait(
  sm: SageMakerClient,
  opts: { name: string; image: string; hyperParameters: Record<string, string>; channels: Channel[]; output: string; instanceCount?: number; maxRuntime?: number },
): Promise<DescribeTrainingJobCommandOutput> {
  await sm.send(
    new CreateTrainingJobCommand({
      TrainingJobName: opts.name,
      AlgorithmSpecification: { TrainingImage: opts.image, TrainingInputMode: 'File' },
      RoleArn: ROLE,
      InputDataConfig: opts.channels,
      OutputDataConfig: { S3OutputPath: opts.output },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: opts.instanceCount ?? 1, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: opts.maxRuntime ?? 3600 },
      HyperParameters: opts.hyperParameters,
    }),
  );
  await waitUntilTrainingJobCompletedOrStopped({ client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 1 }, { TrainingJobName: opts.name }).catch(() => undefined);
  return sm.send(new DescribeTrainingJobCommand({ TrainingJobName: opts.name }));
}

/** CreateModel, CreateEndpointConfig, CreateEndpoint, and wait for InService. */
export async function deploy(sm: SageMakerClient, name: string, image: string, modelDataUrl: string, variants = [{ name: 'AllTraffic', weight: 1 }]): Promise<void> {
  await sm.send(new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: image, ModelDataUrl: modelDataUrl }, ExecutionRoleArn: ROLE }));
  await sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: variants.map((v) => ({ VariantName: v.name, ModelName: name, InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: v.weight })),
    }),
  );
  await sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  await waitUntilEndpointInService({ client: sm, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: name });
}

/**
 * The common set-up of many tests: a separable binary CSV set in its own bucket, and a
 * linear-learner job trained on it. Returns the data and the finished job.
 */
export async function trainBinaryOnSeparableData(
  c: { s3: S3Client; sagemaker: SageMakerClient },
  opts: { bucket: string; name: string; rows: number; features: number; seed: number; hyperParameters?: Record<string, string>; instanceCount?: number },
) {
  await ensureBucket(c.s3, opts.bucket);
  const data = separableBinary(opts.rows, opts.features, opts.seed);
  const uri = await upload(c.s3, opts.bucket, 'train/data.csv', toCsv(data.x, data.y));
  const job = await trainAndWait(c.sagemaker, {
    name: opts.name,
    image: LINEAR_LEARNER_IMAGE,
    instanceCount: opts.instanceCount,
    hyperParameters: { predictor_type: 'binary_classifier', feature_dim: String(opts.features), ...opts.hyperParameters },
    channels: [channel('train', uri, 'text/csv')],
    output: `s3://${opts.bucket}/out`,
  });
  return { data, job };
}
