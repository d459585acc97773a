import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { STSClient } from '@aws-sdk/client-sts';

/** Real AWS SDK v3 clients pointed at the emulator, with throwaway credentials. */
export function clients(endpoint: string, opts: { accessKeyId?: string; region?: string } = {}) {
  const config = {
    endpoint,
    region: opts.region ?? 'us-east-1',
    credentials: { accessKeyId: opts.accessKeyId ?? 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sagemaker: new SageMakerClient(config),
    runtime: new SageMakerRuntimeClient(config),
    sts: new STSClient(config),
  };
}

export const LINEAR_LEARNER_IMAGE = '382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1';
export const KMEANS_IMAGE = '382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1';
export const ROLE = 'arn:aws:iam::000000000000:role/SageMakerRole';

/** An SDK call that must fail: returns the service exception (name, $metadata, modeled members) for the test to check. */
export async function rejection(p: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number }; [k: string]: any }> {
  try {
    await p;
  } catch (e) {
    return e as any;
  }
  throw new Error('expected the call to fail');
}
