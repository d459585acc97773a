/**
 * Every training, processing and transform job gets the trial component SageMaker makes for it
 * (`<job>-aws-training-job`, `-aws-processing-job`, `-aws-transform-job`): AWS documents "a
 * trial component for and associated with each SageMaker AI job" (Amazon SageMaker AI–Created
 * Tracking Entities). With an ExperimentConfig naming a trial it is also associated with that
 * trial. Its Source is the job, and its Status, times and parameters follow the job's.
 */
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { ServiceDeps } from '../../deps.js';
import { scopeOf } from '../scope.js';

type Doc = Record<string, unknown>;
/** Storage kind of the link from a job's trial component to its job. */
export const JOB_SOURCE = 'trial-component-source';

export type JobKind = 'training' | 'processing' | 'transform';

interface JobSource {
  kind: JobKind;
  jobName: string;
}

export const JOBS = {
  training: { create: 'CreateTrainingJob', describe: 'DescribeTrainingJob', key: 'TrainingJobName', suffix: '-aws-training-job', type: 'SageMakerTrainingJob', status: 'TrainingJobStatus', arn: 'TrainingJobArn', start: 'TrainingStartTime', end: 'TrainingEndTime' },
  processing: { create: 'CreateProcessingJob', describe: 'DescribeProcessingJob', key: 'ProcessingJobName', suffix: '-aws-processing-job', type: 'SageMakerProcessingJob', status: 'ProcessingJobStatus', arn: 'ProcessingJobArn', start: 'ProcessingStartTime', end: 'ProcessingEndTime' },
  transform: { create: 'CreateTransformJob', describe: 'DescribeTransformJob', key: 'TransformJobName', suffix: '-aws-transform-job', type: 'SageMakerTransformJob', status: 'TransformJobStatus', arn: 'TransformJobArn', start: 'TransformStartTime', end: 'TransformEndTime' },
} as const;

/** The trial component SageMaker names for a job. */
export const jobComponentName = (kind: JobKind, jobName: string): string => `${jobName}${JOBS[kind].suffix}`;

/** The job a trial component was made for, if SageMaker made it for one. */
export function jobOfComponent(deps: ServiceDeps, scope: { accountId: string; region: string }, component: string): JobSource | undefined {
  return deps.db.get<JobSource>(scope, JOB_SOURCE, component)?.data;
}

export class JobTrialComponents {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly ops: Record<string, OperationHandler>,
    private readonly associate: (req: { TrialName: string; TrialComponentName: string }, ctx: RequestContext) => Promise<unknown>,
  ) {}

  /** Create<Job> that also makes the job's trial component. A named trial must exist (checked first). */
  create(kind: JobKind, after?: (req: Doc, ctx: RequestContext) => Promise<void>): OperationHandler {
    const j = JOBS[kind];
    return async (req: Doc, ctx: RequestContext) => {
      const trial = (req.ExperimentConfig as Doc | undefined)?.TrialName as string | undefined;
      if (trial) await this.ops.DescribeTrial({ TrialName: trial }, ctx);
      const out = await this.ops[j.create](req, ctx);
      const jobName = String(req[j.key]);
      const display = (req.ExperimentConfig as Doc | undefined)?.TrialComponentDisplayName as string | undefined;
      // The job exists now: a component that cannot be made is logged, not the caller's failure.
      const component = await this.ensure(kind, jobName, req, ctx, display).catch((e: Error) => void this.deps.log(`trial component of ${jobName}: ${e.message}`));
      if (trial && component) await this.associate({ TrialName: trial, TrialComponentName: component }, ctx);
      await after?.(req, ctx);
      return out;
    };
  }

  /**
   * The job's trial component, made if it is not there yet (a tuning job's training jobs are
   * started by the service, not through CreateTrainingJob, and get theirs when they end).
   */
  async ensure(kind: JobKind, jobName: string, req: Doc, ctx: RequestContext, display?: string): Promise<string> {
    const component = jobComponentName(kind, jobName);
    if (jobOfComponent(this.deps, scopeOf(ctx), component)) return component;
    const hps = (req.HyperParameters ?? {}) as Record<string, string>;
    const Parameters = Object.fromEntries(Object.entries(hps).map(([k, v]) => [k, v.trim() !== '' && !Number.isNaN(Number(v)) ? { NumberValue: Number(v) } : { StringValue: v }]));
    try {
      await this.ops.CreateTrialComponent({ TrialComponentName: component, DisplayName: display ?? component, ...(Object.keys(Parameters).length ? { Parameters } : {}) }, ctx);
    } catch (e) {
      // One of that name made beforehand (by hand) becomes the job's; any other failure stands.
      const existing = await (async () => this.ops.DescribeTrialComponent({ TrialComponentName: component }, ctx))().catch(() => undefined);
      if (!existing) throw e;
    }
    this.deps.db.insert<JobSource>(scopeOf(ctx), JOB_SOURCE, component, component, { kind, jobName });
    return component;
  }

  /** DescribeTrialComponent, with Source and the job's Status and times for a job's component. */
  describe(): OperationHandler {
    return async (req: Doc, ctx: RequestContext) => {
      const doc = (await this.ops.DescribeTrialComponent(req, ctx)) as Doc;
      const source = jobOfComponent(this.deps, scopeOf(ctx), String(doc.TrialComponentName));
      if (!source) return doc;
      const j = JOBS[source.kind];
      const job = (await Promise.resolve(this.ops[j.describe]({ [j.key]: source.jobName }, ctx)).catch(() => undefined)) as Doc | undefined;
      if (!job) return doc;
      return {
        ...doc,
        Source: { SourceArn: job[j.arn], SourceType: j.type },
        Status: { PrimaryStatus: job[j.status], ...(job.FailureReason ? { Message: job.FailureReason } : {}) },
        ...(job[j.start] ? { StartTime: job[j.start] } : {}),
        ...(job[j.end] ? { EndTime: job[j.end] } : {}),
      };
    };
  }
}
