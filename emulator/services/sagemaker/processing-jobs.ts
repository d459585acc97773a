import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  CreateProcessingJobRequest,
  CreateProcessingJobResponse,
  DescribeProcessingJobResponse,
  ProcessingJobStatus,
  StopProcessingJobRequest,
} from '@aws-sdk/client-sagemaker';
import { isImageReference, type ContainerRuntime, type ImageRunner } from '../../containers/index.js';
import { startProcessing, type ProcessingOutcome, type ProcessingRun } from '../../containers/processing.js';
import { AwsError, validation } from '../../protocol/errors.js';
import { listInputs } from '../../containers/processing-io.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { hideHostPaths } from '../host-paths.js';
import { FamilyRecords, JOB_NAME_ERRORS, type ServiceFamilyDeclaration } from './engine/layered.js';
import { checkInputs, checkOutputs } from './processing-request.js';
import { scopeOf } from './scope.js';

type Job = DescribeProcessingJobResponse;
export const PROCESSING_LOG_GROUP = '/aws/sagemaker/ProcessingJobs';

/** Processing jobs on the engine, with AWS's own wording for a missing and a taken name. */
export const PROCESSING_JOB_FAMILY: ServiceFamilyDeclaration<Job> = {
  name: 'ProcessingJob',
  storageKind: 'processing-job',
  ...JOB_NAME_ERRORS,
  list: { defaultOrder: 'Descending' },
};

interface Running {
  /** One run per instance (algo-1..algo-N). */
  runs: ProcessingRun[];
  interruption?: 'Stopped' | 'MaxRuntimeExceeded';
  cancelTimer?: () => void;
}

/**
 * Processing jobs: InProgress -> Completed | Failed, Stopping -> Stopped, running the processing
 * container contract on the local machinery of emulator/containers/ (framework images with their
 * Python environment, images mapped to a local command).
 */
export class ProcessingJobService {
  private readonly running = new Map<string, Running>();
  readonly records: FamilyRecords<Job>;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly containers: ContainerRuntime,
  ) {
    this.records = new FamilyRecords(deps, PROCESSING_JOB_FAMILY);
  }

  create(req: CreateProcessingJobRequest, ctx: RequestContext): CreateProcessingJobResponse {
    const scope = scopeOf(ctx);
    const name = req.ProcessingJobName!;
    const image = req.AppSpecification!.ImageUri!;
    if (!isImageReference(image)) throw validation(`Invalid image URI: ${image}`);
    let runner: ImageRunner;
    try {
      runner = this.containers.resolve(image);
    } catch (e) {
      throw validation((e as Error).message);
    }
    // A Docker-only image runs through `docker run` (the resolver answers `docker` only where a
    // daemon answers or the image config asks for it); every InstanceCount runs, one process each.
    checkInputs(req);
    checkOutputs(req);
    const arn = this.records.arn(scope, name);
    const now = new Date(this.deps.clock.now());
    const job: Job = {
      ProcessingInputs: req.ProcessingInputs?.map((i) => ({ AppManaged: false, ...i, S3Input: { S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated', S3CompressionType: 'None', ...i.S3Input! } })),
      ProcessingOutputConfig: req.ProcessingOutputConfig
        ? { ...req.ProcessingOutputConfig, Outputs: req.ProcessingOutputConfig.Outputs?.map((o) => ({ AppManaged: false, ...o, S3Output: { ...o.S3Output!, S3UploadMode: o.S3Output!.S3UploadMode ?? 'EndOfJob' } })) }
        : undefined,
      ProcessingJobName: name,
      ProcessingResources: req.ProcessingResources,
      StoppingCondition: req.StoppingCondition,
      AppSpecification: req.AppSpecification,
      Environment: req.Environment,
      NetworkConfig: req.NetworkConfig,
      RoleArn: req.RoleArn,
      ExperimentConfig: req.ExperimentConfig,
      ProcessingJobArn: arn,
      ProcessingJobStatus: 'InProgress',
      CreationTime: now,
      LastModifiedTime: now,
    };
    this.records.insert(scope, name, job, req.Tags);
    this.launch(scope, name, runner);
    return { ProcessingJobArn: arn };
  }

  stop(req: StopProcessingJobRequest, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const job = this.records.require(scope, req.ProcessingJobName!);
    if (job.ProcessingJobStatus !== 'InProgress') {
      throw validation(`The request was rejected because the processing job is in status ${job.ProcessingJobStatus}.`);
    }
    this.interrupt(scope, job.ProcessingJobName!, 'Stopped');
    return {};
  }

  /** After a restart, running jobs cannot resume: their processes are gone. */
  recover(): void {
    for (const r of this.records.everywhere()) {
      if (r.data.ProcessingJobStatus === 'InProgress') {
        this.finish(r.scope, r.data.ProcessingJobName!, 'Failed', {
          FailureReason: 'InternalServerError: The processing job was interrupted because the localsage emulator restarted while it was running.',
        });
      } else if (r.data.ProcessingJobStatus === 'Stopping') this.finish(r.scope, r.data.ProcessingJobName!, 'Stopped', {});
    }
  }

  async shutdown(): Promise<void> {
    for (const r of this.running.values()) {
      r.cancelTimer?.();
      await Promise.all(r.runs.map((run) => run.terminate()));
    }
    this.running.clear();
  }

  private key(scope: Scope, name: string) {
    return `${scope.accountId}/${scope.region}/${name.toLowerCase()}`;
  }

  private load(scope: Scope, name: string): Job | undefined {
    return this.records.get(scope, name);
  }

  private finish(scope: Scope, name: string, status: ProcessingJobStatus, patch: Partial<Job>): void {
    const job = this.load(scope, name);
    if (!job) return;
    const now = new Date(this.deps.clock.now());
    this.records.update(scope, name, { ...job, ...patch, ProcessingJobStatus: status, ProcessingEndTime: now, LastModifiedTime: now });
    this.running.get(this.key(scope, name))?.cancelTimer?.();
    this.running.delete(this.key(scope, name));
  }

  private interrupt(scope: Scope, name: string, why: 'Stopped' | 'MaxRuntimeExceeded'): void {
    const running = this.running.get(this.key(scope, name));
    if (running) running.interruption = why;
    const job = this.load(scope, name)!;
    this.records.update(scope, name, { ...job, ProcessingJobStatus: 'Stopping', LastModifiedTime: new Date(this.deps.clock.now()) });
    void Promise.all((running?.runs ?? []).map((run) => run.terminate())).then(() =>
      this.deps.clock.schedule(this.deps.timing.trainingStopping, () => {
        if (this.load(scope, name)?.ProcessingJobStatus !== 'Stopping') return;
        // MaxRuntimeInSeconds ends the job as a Stop does (as for training jobs), FailureReason saying why.
        this.finish(scope, name, 'Stopped', why === 'MaxRuntimeExceeded' ? { FailureReason: 'Processing job exceeded MaxRuntimeInSeconds provided' } : {});
      }),
    );
  }

  private launch(scope: Scope, name: string, runner: ImageRunner): void {
    const running: Running = { runs: [] };
    this.running.set(this.key(scope, name), running);
    const { clock, timing, dataDir, store } = this.deps;
    const alive = () => !running.interruption && this.running.get(this.key(scope, name)) === running;
    const root = join(dataDir, 'processing', scope.accountId, scope.region, name.toLowerCase());
    void (async () => {
      await clock.sleep(timing.trainingStarting);
      if (!alive()) return;
      let job = this.load(scope, name)!;
      const startedAt = new Date(clock.now()); // one instant for both fields
      job = { ...job, ProcessingStartTime: startedAt, LastModifiedTime: startedAt };
      this.records.update(scope, name, job);
      const maxRuntime = job.StoppingCondition?.MaxRuntimeInSeconds;
      // MaxRuntimeInSeconds counts from ProcessingStartTime, not from a later clock read.
      if (maxRuntime) running.cancelTimer = clock.schedule(startedAt.getTime() + maxRuntime * 1000 - clock.now(), () => alive() && this.interrupt(scope, name, 'MaxRuntimeExceeded'));
      await rm(root, { recursive: true, force: true });
      await mkdir(root, { recursive: true });
      const inputs = await listInputs(store, job);
      if (!alive()) return;
      const hosts = Array.from({ length: job.ProcessingResources?.ClusterConfig?.InstanceCount ?? 1 }, (_, i) => `algo-${i + 1}`);
      const epoch = Math.floor(clock.now() / 1000);
      // Each instance has its own tree and its own log stream, as each is its own machine on AWS.
      const outcomes = hosts.map((host) => {
        const stream = `${name}/${host}-${epoch}`;
        const onLog = (line: string) => this.deps.db.appendLogEvents(scope, PROCESSING_LOG_GROUP, stream, [{ timestamp: clock.now(), message: line }]);
        const run = startProcessing(runner, job, { root: join(root, host), host, hosts, inputs, store, clock, onLog });
        running.runs.push(run);
        return run.result;
      });
      // The first instance to fail fails the job, and the others are ended rather than waited for.
      let failure: { host: string; outcome: ProcessingOutcome } | undefined;
      const results = await Promise.all(
        outcomes.map(async (result, i) => {
          const outcome = await result;
          if (outcome.failure && !failure) {
            failure = { host: hosts[i], outcome };
            await Promise.all(running.runs.map((run) => run.terminate()));
          }
          return outcome;
        }),
      );
      if (!alive()) return;
      // Every instance's /opt/ml/output/message, concatenated in host order and cut to 1 KB, as AWS does.
      const ExitMessage = results.map((r) => r.exitMessage ?? '').join('').slice(0, 1024) || undefined;
      if (failure) this.finish(scope, name, 'Failed', { FailureReason: hideHostPaths(failure.outcome.failure!, dataDir, join(root, failure.host)), ExitMessage });
      else this.finish(scope, name, 'Completed', { ExitMessage });
      await rm(root, { recursive: true, force: true });
    })().catch(async (e: unknown) => {
      // An instance that could not start (its data, its upload) ends the others too.
      await Promise.all(running.runs.map((run) => run.terminate()));
      if (!alive()) return;
      const err = e as Error;
      const reason = err?.constructor?.name === 'ChannelDataError' ? `ClientError: ${err.message}` : `InternalServerError: ${err?.message ?? String(e)}`;
      // Any instance's tree (<root>/algo-N) reads as its /opt/ml, as on SageMaker.
      const inside = reason.replace(new RegExp(`${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/algo-\\d+`, 'g'), root);
      if (this.load(scope, name)?.ProcessingJobStatus === 'InProgress') this.finish(scope, name, 'Failed', { FailureReason: hideHostPaths(inside, dataDir, root) });
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
    });
  }
}
