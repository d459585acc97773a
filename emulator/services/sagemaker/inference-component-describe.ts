import type { DescribeInferenceComponentOutput, InferenceComponentSummary } from '@aws-sdk/client-sagemaker';
import type { ComponentRecord } from './inference-components.js';

/** DescribeInferenceComponent's answer for a stored component. */
export function describeOf(c: ComponentRecord): DescribeInferenceComponentOutput {
  const s = c.specification;
  return {
    InferenceComponentName: c.name,
    InferenceComponentArn: c.arn,
    EndpointName: c.endpointName,
    EndpointArn: c.endpointArn,
    VariantName: c.variantName,
    FailureReason: c.failureReason,
    Specification: {
      ModelName: s.ModelName,
      Container: s.Container ? { DeployedImage: c.deployedImage, ArtifactUrl: s.Container.ArtifactUrl, Environment: s.Container.Environment } : undefined,
      StartupParameters: s.StartupParameters,
      ComputeResourceRequirements: s.ComputeResourceRequirements,
      DataCacheConfig: s.DataCacheConfig,
      SchedulingConfig: s.SchedulingConfig,
    },
    RuntimeConfig: { DesiredCopyCount: c.desiredCopies, CurrentCopyCount: c.currentCopies },
    CreationTime: c.created,
    LastModifiedTime: c.modified,
    InferenceComponentStatus: c.status,
    LastDeploymentConfig: c.lastDeploymentConfig,
  };
}

/** ListInferenceComponents' summary of a stored component. */
export function summaryOf(c: ComponentRecord): InferenceComponentSummary {
  return {
    CreationTime: c.created,
    InferenceComponentArn: c.arn,
    InferenceComponentName: c.name,
    EndpointArn: c.endpointArn,
    EndpointName: c.endpointName,
    VariantName: c.variantName,
    InferenceComponentStatus: c.status,
    LastModifiedTime: c.modified,
  };
}
