import type { Scope } from '../../storage/database.js';

export type SageMakerResourceType = 'training-job' | 'model' | 'endpoint-config' | 'endpoint' | 'hyper-parameter-tuning-job' | 'transform-job' | 'pipeline' | 'processing-job' | 'inference-component';

/** AWS lower-cases the resource name in SageMaker ARNs: endpoint/demo-ep for DEMO-ep. */
export function sagemakerArn(scope: Scope, type: SageMakerResourceType, name: string): string {
  return `arn:aws:sagemaker:${scope.region}:${scope.accountId}:${type}/${name.toLowerCase()}`;
}
