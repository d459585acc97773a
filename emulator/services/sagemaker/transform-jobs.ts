import type { SlotScheduler } from '../../training/slots.js';
import { defaultTrainingInstanceQuota, InstanceQuotas } from '../../training/quotas.js';
import { hideHostPaths } from '../host-paths.js';
import type {
  ContainerDefinition,
  CreateTransformJobRequest,
  CreateTransformJobResponse,
  DescribeTransformJobResponse,
  StopTransformJobRequest,
  TransformJobStatus,
} from '@aws-sdk/client-sagemaker';
import { algorithmForImage } from '../../../algorithms/index.js';
import { servedInProcess } from '../runtime/inference-pipeline.js';
import { AwsError, validation } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';
import { runTransform, type TransformRun } from '../../transform/run-job.js';
import type { ServiceDeps } from '../deps.js';
import { FamilyRecords, JOB_NAME_ERRORS, type ServiceFamilyDeclaration } from './engine/layered.js';
import { MODEL_KIND, modelNotFound, pipelineContainers, servingContainer, type ModelRecord } from './models.js';
import { scopeOf } from './scope.js';

/** DescribeTransformJob's shape has no LastModifiedTime; the record keeps one for ListTransformJobs' filters and summaries. */
export type TransformJobRecord = DescribeTransformJobResponse & { LastModifiedTime?: Date };

/** Transform jobs on the engine, with AWS's own wording for a missing and a taken name. */
export const TRANSFORM_JOB_FAMILY: ServiceFamilyDeclaration<TransformJobRecord> = {
  name: 'TransformJob',
  storageKind: 'transform-job',
  ...JOB_NAME_ERRORS,
  list: { defaultOrder: 'Descending' },
};

/**
 * Batch transform jobs: InProgress -> Completed | Failed, and Stopping -> Stopped. The work runs
 * off the request path, one worker thread per instance (see emulator/transform/).
 */
export class TransformJobService {
  private readonly running = new Map<string, TransformRun>();

  /** Instances per type the account's running transform jobs may hold ("... for transform job usage"). */
  private readonly quotas = new InstanceQuotas(defaultTrainingInstanceQuota(), 'transform job usage');
  private readonly releases = new Map<string, () => void>();
  readonly records: FamilyRecords<TransformJobRecord>;

  constructor(
    private readonly deps: ServiceDeps,
    /** The training slots: transform instances are worker threads too, and queue with training's. */
    private readonly slots?: SlotScheduler,
  ) {
    this.records = new FamilyRecords(deps, TRANSFORM_JOB_FAMILY);
  }

  create(req: CreateTransformJobRequest, ctx: RequestContext): CreateTransformJobResponse {
    const scope = scopeOf(ctx);
    const name = req.TransformJobName!;
    const model = this.deps.db.get<ModelRecord>(scope, MODEL_KIND, req.ModelName!)?.data;
    if (!model) throw modelNotFound(scope, req.ModelName!);
    let container: ModelRecord['PrimaryContainer'];
    try {
      container = servingContainer(this.deps.db, scope, model);
    } catch (e) {
      throw validation((e as Error).message);
    }
    // A model of several containers transforms as its serial inference pipeline when localsage serves every one in-process.
    const pipeline = pipelineContainers(this.deps.db, scope, model);
    if (pipeline && !pipeline.every((c) => servedInProcess(c) && c.ModelDataUrl)) {
      throw validation(
        `Model "${model.ModelName}" cannot be used for batch transform in localsage: each container of its inference pipeline needs a built-in algorithm image (linear-learner, kmeans) or AutoML's data processing image, and a ModelDataUrl.`,
      );
    }
    if (!pipeline && (!container?.Image || !algorithmForImage(container.Image) || !container.ModelDataUrl)) {
      throw validation(`Model "${model.ModelName}" cannot be used for batch transform in localsage: it needs a built-in algorithm image (linear-learner, kmeans) and a ModelDataUrl.`);
    }
    const maxPayload = req.MaxPayloadInMB ?? 6;
    const concurrency = req.MaxConcurrentTransforms ?? 1;
    if (maxPayload * concurrency > 100) {
      throw validation(`MaxConcurrentTransforms (${concurrency}) * MaxPayloadInMB (${maxPayload}) must not exceed 100 MB.`);
    }
    if (maxPayload === 0) {
      throw validation('MaxPayloadInMB 0 (chunked requests without a size limit) is not supported by the built-in algorithms localsage serves: give a size in MB.');
    }
    // Refused rather than accepted and ignored: localsage does not capture batch transform data.
    if (req.DataCaptureConfig) throw validation('localsage does not implement DataCaptureConfig for batch transform jobs.');
    const split = req.TransformInput!.SplitType ?? 'None';
    if (split === 'TFRecord') throw validation('localsage does not implement SplitType TFRecord: the built-in algorithms it serves read CSV, JSON and RecordIO-protobuf.');
    const dp = req.DataProcessing;
    const processing = (dp?.InputFilter ?? '$') !== '$' || dp?.JoinSource === 'Input' || (dp?.OutputFilter ?? '$') !== '$';
    if (processing && split !== 'Line') {
      throw validation('DataProcessing filters and joins apply to CSV, JSON and JSON Lines records: set TransformInput.SplitType to Line.');
    }
    const arn = this.records.arn(scope, name);
    const now = new Date(this.deps.clock.now());
    const job: TransformJobRecord = {
      TransformJobName: name,
      TransformJobArn: arn,
      TransformJobStatus: 'InProgress',
      ModelName: req.ModelName,
      MaxConcurrentTransforms: concurrency,
      ModelClientConfig: req.ModelClientConfig,
      MaxPayloadInMB: maxPayload,
      BatchStrategy: req.BatchStrategy,
      Environment: req.Environment,
      TransformInput: { CompressionType: 'None', SplitType: 'None', ...req.TransformInput!, DataSource: req.TransformInput!.DataSource },
      TransformOutput: { AssembleWith: 'None', ...req.TransformOutput!, S3OutputPath: req.TransformOutput!.S3OutputPath },
      DataCaptureConfig: req.DataCaptureConfig,
      TransformResources: req.TransformResources,
      DataProcessing: dp ? { InputFilter: '$', JoinSource: 'None', OutputFilter: '$', ...dp } : undefined,
      ExperimentConfig: req.ExperimentConfig,
      CreationTime: now,
      LastModifiedTime: now,
    };
    const release = this.quotas.reserve(scope.accountId, scope.region, String(req.TransformResources?.InstanceType), req.TransformResources?.InstanceCount ?? 1);
    try {
      this.records.insert(scope, name, job, req.Tags);
    } catch (e) {
      release();
      throw e;
    }
    this.releases.set(this.key(scope, name), release);
    this.launch(scope, name, container!.ModelDataUrl!, pipeline);
    return { TransformJobArn: arn };
  }

  stop(req: StopTransformJobRequest, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const job = this.records.require(scope, req.TransformJobName!);
    const status = job.TransformJobStatus;
    // Stopping a job that is already stopping or over is accepted and changes nothing, as on AWS.
    if (status !== 'InProgress') return {};
    this.save(scope, { ...job, TransformJobStatus: 'Stopping', LastModifiedTime: new Date(this.deps.clock.now()) });
    const run = this.running.get(this.key(scope, job.TransformJobName!));
    void (run?.stop() ?? Promise.resolve()).then(() =>
      this.deps.clock.schedule(this.deps.timing.transformStopping, () => {
        if (this.load(scope, req.TransformJobName!)?.TransformJobStatus === 'Stopping') this.finish(scope, req.TransformJobName!, 'Stopped', {});
      }),
    );
    return {};
  }

  /** After a restart, running jobs cannot resume: their workers are gone. */
  recover(): void {
    for (const r of this.records.everywhere()) {
      if (r.data.TransformJobStatus === 'InProgress') {
        this.finish(r.scope, r.data.TransformJobName!, 'Failed', {
          FailureReason: 'InternalServerError: The transform job was interrupted because the localsage emulator restarted while it was running.',
        });
      } else if (r.data.TransformJobStatus === 'Stopping') {
        this.finish(r.scope, r.data.TransformJobName!, 'Stopped', {});
      }
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.stop()));
    this.running.clear();
  }

  private key(scope: Scope, name: string) {
    return `${scope.accountId}/${scope.region}/${name.toLowerCase()}`;
  }

  private load(scope: Scope, name: string): TransformJobRecord | undefined {
    return this.records.get(scope, name);
  }

  private save(scope: Scope, job: TransformJobRecord): void {
    this.records.update(scope, job.TransformJobName!, job);
  }

  private finish(scope: Scope, name: string, status: TransformJobStatus, patch: Partial<TransformJobRecord>): void {
    const job = this.load(scope, name);
    if (!job) return;
    const now = new Date(this.deps.clock.now());
    this.save(scope, { ...job, ...patch, TransformJobStatus: status, TransformEndTime: job.TransformStartTime ? now : undefined, LastModifiedTime: now });
    this.running.delete(this.key(scope, name));
    this.releases.get(this.key(scope, name))?.();
    this.releases.delete(this.key(scope, name));
  }

  private launch(scope: Scope, name: string, modelDataUrl: string, pipeline?: ContainerDefinition[]): void {
    const job = this.load(scope, name)!;
    // The job waits, InProgress, for its instances' slots (first come, first served with training
    // jobs); a job stopped while it waits never starts.
    let inner: TransformRun | undefined;
    let stopped = false;
    const count = Math.max(1, job.TransformResources?.InstanceCount ?? 1);
    const run: TransformRun = {
      done: (this.slots ? this.slots.acquire(count) : Promise.resolve(() => undefined)).then(async (release) => {
        try {
          if (stopped) return;
          inner = runTransform(this.deps, scope, job, modelDataUrl, {
            started: () => {
              const now = this.load(scope, name);
              if (now?.TransformJobStatus === 'InProgress') {
                const startedAt = new Date(this.deps.clock.now()); // one instant for both fields
                this.save(scope, { ...now, TransformStartTime: startedAt, LastModifiedTime: startedAt });
              }
            },
          }, pipeline);
          await inner.done;
        } finally {
          release();
        }
      }),
      stop: async () => {
        stopped = true;
        await inner?.stop();
      },
    };
    this.running.set(this.key(scope, name), run);
    run.done.then(
      () => {
        if (this.load(scope, name)?.TransformJobStatus === 'InProgress') this.finish(scope, name, 'Completed', {});
      },
      (reason: unknown) => {
        const failureReason = hideHostPaths(typeof reason === 'string' ? reason : `InternalServerError: ${(reason as Error)?.message ?? String(reason)}`, this.deps.dataDir);
        if (this.load(scope, name)?.TransformJobStatus === 'InProgress') this.finish(scope, name, 'Failed', { FailureReason: failureReason });
      },
    );
  }
}
