/**
 * A training or processing job created with an ExperimentConfig gets the trial component SageMaker
 * makes for it (`<job>-aws-training-job`, `<job>-aws-processing-job`), associated with the named
 * trial, whose Source is the job and whose Status, times and parameters follow the job's.
 */
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { ServiceDeps } from '../../deps.js';
import { scopeOf } from '../scope.js';

type Doc = Record<string, unknown>;
/** Storage kind of the link from a job's trial component to its job. */
export const JOB_SOURCE = 'trial-component-source';

interface JobSource {
  kind: 'training' | 'processing';
  jobName: string;
}

const JOBS = {
  training: { create: 'CreateTrainingJob', describe: 'DescribeTrainingJob', key: 'TrainingJobName', suffix: '-aws-training-job', type: 'SageMakerTrainingJob', status: 'TrainingJobStatus', arn: 'TrainingJobArn', start: 'TrainingStartTime', end: 'TrainingEndTime' },
  processing: { create: 'CreateProcessingJob', describe: 'DescribeProcessingJob', key: 'ProcessingJobName', suffix: '-aws-processing-job', type: 'SageMakerProcessingJob', status: 'ProcessingJobStatus', arn: 'ProcessingJobArn', start: 'ProcessingStartTime', end: 'ProcessingEndTime' },
} as const;

export class JobTrialComponents {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly ops: Record<string, OperationHandler>,
    private readonly associate: (req: { TrialName: string; TrialComponentName: string }, ctx: RequestContext) => Promise<unknown>,
  ) {}

  /** Create<Job> that also records the job in its experiment. The trial must exist (checked first). */
  create(kind: 'training' | 'processing'): OperationHandler {
    const j = JOBS[kind];
    return async (req: Doc, ctx: RequestContext) => {
      const trial = (req.ExperimentConfig as Doc | undefined)?.TrialName as string | undefined;
      if (trial) await this.ops.DescribeTrial({ TrialName: trial }, ctx);
      const out = await this.ops[j.create](req, ctx);
      if (!trial) return out;
      const jobName = String(req[j.key]);
      const component = `${jobName}${j.suffix}`;
      const display = (req.ExperimentConfig as Doc).TrialComponentDisplayName as string | undefined;
      const hps = (req.HyperParameters ?? {}) as Record<string, string>;
      const Parameters = Object.fromEntries(Object.entries(hps).map(([k, v]) => [k, v.trim() !== '' && !Number.isNaN(Number(v)) ? { NumberValue: Number(v) } : { StringValue: v }]));
      await this.ops.CreateTrialComponent({ TrialComponentName: component, DisplayName: display ?? component, ...(Object.keys(Parameters).length ? { Parameters } : {}) }, ctx);
      this.deps.db.insert<JobSource>(scopeOf(ctx), JOB_SOURCE, component, component, { kind, jobName });
      await this.associate({ TrialName: trial, TrialComponentName: component }, ctx);
      return out;
    };
  }

  /** DescribeTrialComponent, with Source and the job's Status and times for a job's component. */
  describe(): OperationHandler {
    return async (req: Doc, ctx: RequestContext) => {
      const doc = (await this.ops.DescribeTrialComponent(req, ctx)) as Doc;
      const source = this.deps.db.get<JobSource>(scopeOf(ctx), JOB_SOURCE, String(doc.TrialComponentName))?.data;
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
