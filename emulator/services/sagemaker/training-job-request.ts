import type { CreateTrainingJobRequest, DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import { algorithmForImage, metricDefinitions, type AlgorithmName, type MetricDefinition } from '../../../algorithms/index.js';
import { isImageReference, type ContainerRuntime, type ImageRunner } from '../../containers/index.js';
import { validation } from '../../protocol/errors.js';

const INVALID_IMAGE = 'Invalid training image. Please provide a valid Amazon Elastic Container Registry path of the Docker image to run.';

/**
 * CreateTrainingJob's checks beyond what the service model says, with AWS's wording where it has
 * one; what localsage cannot run is refused here, not failed later. Returns what runs the job
 * (a built-in algorithm or an image's runner) and the metric definitions the service adds.
 */
export function checkTrainingRequest(
  req: CreateTrainingJobRequest,
  containers: ContainerRuntime | undefined,
): { program: AlgorithmName | ImageRunner; serviceMetrics: MetricDefinition[] } {
  const spec = req.AlgorithmSpecification;
  if (!spec) throw validation("1 validation error detected: Value null at 'algorithmSpecification' failed to satisfy constraint: Member must not be null");
  if (!req.ResourceConfig) throw validation("1 validation error detected: Value null at 'resourceConfig' failed to satisfy constraint: Member must not be null");
  // The model allows 0 for heterogeneous clusters (InstanceGroups, which localsage does not run);
  // a homogeneous cluster needs at least one instance.
  if (!req.ResourceConfig.InstanceGroups?.length && (req.ResourceConfig.InstanceCount ?? 1) < 1) {
    throw validation(`1 validation error detected: Value ${req.ResourceConfig.InstanceCount} at 'resourceConfig.instanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  }
  if (req.ResourceConfig.InstanceGroups?.length) throw validation('localsage does not run heterogeneous clusters (ResourceConfig.InstanceGroups); give InstanceType and InstanceCount.');
  if (!req.ResourceConfig.InstanceType) throw validation("1 validation error detected: Value null at 'resourceConfig.instanceType' failed to satisfy constraint: Member must not be null");
  if (!spec.TrainingImage) {
    throw validation(spec.AlgorithmName ? `Could not find algorithm "${spec.AlgorithmName}".` : INVALID_IMAGE);
  }
  const algorithm = algorithmForImage(spec.TrainingImage);
  let runner: ImageRunner | undefined;
  if (!algorithm) {
    if (!containers || !isImageReference(spec.TrainingImage)) throw validation(INVALID_IMAGE);
    try {
      runner = containers.resolve(spec.TrainingImage);
    } catch (e) {
      throw validation((e as Error).message);
    }
  }
  const serviceMetrics = algorithm ? metricDefinitions(algorithm) : containers!.metricDefinitions(runner!, req.HyperParameters ?? {});
  const channelNames = new Set<string>();
  for (const c of req.InputDataConfig ?? []) {
    if (channelNames.has(c.ChannelName!)) throw validation(`Channel names must be unique. Found duplicate channel name: ${c.ChannelName}`);
    channelNames.add(c.ChannelName!);
    if (!c.DataSource?.S3DataSource) throw validation(`Channel ${c.ChannelName}: localsage supports only S3DataSource inputs.`);
  }
  return { program: algorithm ?? runner!, serviceMetrics };
}

/** The new job as DescribeTrainingJob answers it, with AWS's defaults for what the caller left out; `extra` is what only the service sets (TuningJobArn). */
export function trainingJobRecord(
  req: CreateTrainingJobRequest,
  arn: string,
  now: Date,
  serviceMetrics: MetricDefinition[],
  extra: Partial<DescribeTrainingJobResponse>,
): DescribeTrainingJobResponse {
  const spec = req.AlgorithmSpecification!;
  const output = req.OutputDataConfig!.S3OutputPath!.replace(/\/+$/, '');
  return {
    TrainingJobName: req.TrainingJobName,
    TrainingJobArn: arn,
    ModelArtifacts: { S3ModelArtifacts: `${output}/${req.TrainingJobName}/output/model.tar.gz` },
    TrainingJobStatus: 'InProgress',
    SecondaryStatus: 'Starting',
    HyperParameters: req.HyperParameters ?? {},
    AlgorithmSpecification: {
      TrainingImage: spec.TrainingImage,
      TrainingInputMode: spec.TrainingInputMode ?? 'File',
      MetricDefinitions: [...serviceMetrics, ...(spec.MetricDefinitions ?? [])],
      EnableSageMakerMetricsTimeSeries: spec.EnableSageMakerMetricsTimeSeries ?? false,
    },
    RoleArn: req.RoleArn,
    InputDataConfig: req.InputDataConfig,
    OutputDataConfig: { KmsKeyId: '', ...req.OutputDataConfig, S3OutputPath: req.OutputDataConfig!.S3OutputPath! },
    ResourceConfig: { VolumeSizeInGB: 30, ...req.ResourceConfig, InstanceCount: req.ResourceConfig!.InstanceCount ?? 1 },
    StoppingCondition: { MaxRuntimeInSeconds: 86400, ...req.StoppingCondition },
    CreationTime: now,
    LastModifiedTime: now,
    SecondaryStatusTransitions: [{ Status: 'Starting', StartTime: now, StatusMessage: 'Starting the training job.' }],
    EnableNetworkIsolation: req.EnableNetworkIsolation ?? false,
    EnableInterContainerTrafficEncryption: req.EnableInterContainerTrafficEncryption ?? false,
    EnableManagedSpotTraining: req.EnableManagedSpotTraining ?? false,
    Environment: req.Environment,
    VpcConfig: req.VpcConfig,
    CheckpointConfig: req.CheckpointConfig,
    DebugHookConfig: req.DebugHookConfig,
    ExperimentConfig: req.ExperimentConfig,
    RetryStrategy: req.RetryStrategy,
    ...extra,
  };
}
