import { randomBytes } from 'node:crypto';
import { AwsError } from '../../../protocol/errors.js';

/** Calls one SageMaker operation of this emulator, validated against the service model like a request. */
export type Call = (operation: string, input: Record<string, unknown>) => Promise<any>;

/** What a step left after its launch: metadata for ListPipelineExecutionSteps and, for a job, how to follow it. */
export interface Launch {
  metadata: Record<string, unknown>;
  /** Properties, for steps that finish at once (Model, RegisterModel). */
  properties?: unknown;
  job?: string;
}

/** A step's failure, with the retry policy exception type it counts as. */
export class StepFailure extends Error {
  constructor(message: string, readonly failureType?: string) {
    super(message);
  }
}

interface JobKind {
  create: string;
  describe: string;
  stop: string;
  nameField: string;
  statusField: string;
  maxName: number;
  metadataKey: string;
  arnField: string;
}

/** The job-running step types, and the operations behind them. */
export const JOB_STEPS: Record<string, JobKind> = {
  Training: { create: 'CreateTrainingJob', describe: 'DescribeTrainingJob', stop: 'StopTrainingJob', nameField: 'TrainingJobName', statusField: 'TrainingJobStatus', maxName: 63, metadataKey: 'TrainingJob', arnField: 'TrainingJobArn' },
  Tuning: { create: 'CreateHyperParameterTuningJob', describe: 'DescribeHyperParameterTuningJob', stop: 'StopHyperParameterTuningJob', nameField: 'HyperParameterTuningJobName', statusField: 'HyperParameterTuningJobStatus', maxName: 32, metadataKey: 'TuningJob', arnField: 'HyperParameterTuningJobArn' },
  Transform: { create: 'CreateTransformJob', describe: 'DescribeTransformJob', stop: 'StopTransformJob', nameField: 'TransformJobName', statusField: 'TransformJobStatus', maxName: 63, metadataKey: 'TransformJob', arnField: 'TransformJobArn' },
  Processing: { create: 'CreateProcessingJob', describe: 'DescribeProcessingJob', stop: 'StopProcessingJob', nameField: 'ProcessingJobName', statusField: 'ProcessingJobStatus', maxName: 63, metadataKey: 'ProcessingJob', arnField: 'ProcessingJobArn' },
};

/** A job name the way Pipelines makes them: pipelines-<execution id>-<step>-<random>, within the job's limit. */
export function jobName(kind: JobKind, executionId: string, step: string): string {
  const suffix = randomBytes(5).toString('hex');
  const clean = step.replace(/[^a-zA-Z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'step';
  const head = kind.maxName < 40 ? `${clean}` : `pipelines-${executionId}-${clean}`;
  return `${head.slice(0, kind.maxName - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}

/** How a service error counts for RetryPolicies (https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-retry-policy.html). */
export function failureFromError(e: unknown): StepFailure {
  if (e instanceof StepFailure) return e;
  if (e instanceof AwsError) {
    const type =
      e.code === 'ResourceLimitExceeded' ? 'SageMaker.RESOURCE_LIMIT'
      : e.code === 'ThrottlingException' ? 'Step.THROTTLING'
      : e.status >= 500 ? 'Step.SERVICE_FAULT'
      : undefined;
    return new StepFailure(`ClientError: ${e.message}`, type);
  }
  return new StepFailure(`InternalServerError: ${(e as Error)?.message ?? String(e)}`, 'Step.SERVICE_FAULT');
}

/** How a job's FailureReason counts for RetryPolicies. */
export function failureTypeOfJob(reason: string): string | undefined {
  if (/^InternalServerError/i.test(reason)) return 'SageMaker.JOB_INTERNAL_ERROR';
  if (/^CapacityError/i.test(reason)) return 'SageMaker.CAPACITY_ERROR';
  return undefined;
}

/** Starts a step (or, for Model and RegisterModel, runs it to the end). */
export async function launchStep(call: Call, hasOperation: (op: string) => boolean, type: string, args: any, executionId: string, step: string): Promise<Launch> {
  const kind = JOB_STEPS[type];
  if (kind) {
    if (!hasOperation(kind.create)) {
      throw new StepFailure(`${type} steps cannot run: ${kind.create} (${type.toLowerCase()} jobs) is not served by localsage yet.`);
    }
    const name = jobName(kind, executionId, step);
    const out = await call(kind.create, { ...args, [kind.nameField]: name }).catch((e) => Promise.reject(failureFromError(e)));
    return { metadata: { [kind.metadataKey]: { Arn: out[kind.arnField] } }, job: name };
  }
  if (type === 'Model' || type === 'CreateModel') {
    const name = jobName({ maxName: 63 } as JobKind, executionId, step);
    const out = await call('CreateModel', { ...args, ModelName: name }).catch((e) => Promise.reject(failureFromError(e)));
    const properties = await call('DescribeModel', { ModelName: name });
    return { metadata: { Model: { Arn: out.ModelArn } }, properties };
  }
  if (type === 'RegisterModel') {
    const group = args?.ModelPackageGroupName;
    // As on AWS, registering into a group that does not exist yet creates the group.
    if (typeof group === 'string' && !group.startsWith('arn:')) {
      await call('CreateModelPackageGroup', { ModelPackageGroupName: group }).catch(() => undefined);
    }
    const out = await call('CreateModelPackage', args).catch((e) => Promise.reject(failureFromError(e)));
    const properties = await call('DescribeModelPackage', { ModelPackageName: out.ModelPackageArn });
    return { metadata: { RegisterModel: { Arn: out.ModelPackageArn } }, properties };
  }
  throw new StepFailure(`${type} steps are not served by localsage yet.`);
}

/** The state of a step's job: still running, or its end with the job's Describe output as the step's properties. */
export async function pollJob(call: Call, type: string, name: string): Promise<{ status: 'running' | 'Succeeded' | 'Failed' | 'Stopped'; properties: any; reason?: string }> {
  const kind = JOB_STEPS[type]!;
  const out = await call(kind.describe, { [kind.nameField]: name });
  const status = String(out[kind.statusField]);
  if (status === 'Completed') return { status: 'Succeeded', properties: out };
  if (status === 'Failed') return { status: 'Failed', properties: out, reason: String(out.FailureReason ?? `${type} job ${name} failed.`) };
  if (status === 'Stopped') return { status: 'Stopped', properties: out };
  return { status: 'running', properties: out };
}

export async function stopJob(call: Call, type: string, name: string): Promise<void> {
  const kind = JOB_STEPS[type];
  if (kind) await call(kind.stop, { [kind.nameField]: name }).catch(() => undefined);
}

/** ISO 8601 durations as CacheConfig.ExpireAfter uses them (P30D, PT1H, P1DT12H, P2W). */
export function durationMs(iso: string | undefined): number | undefined {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso ?? '');
  if (!m || iso === 'P' || iso?.endsWith('T')) return undefined;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  return ((((y! * 365 + mo! * 30 + w! * 7 + d!) * 24 + h!) * 60 + mi!) * 60 + s!) * 1000;
}
