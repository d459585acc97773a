import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  CreateTrainingJobRequest,
  CreateTrainingJobResponse,
  DescribeTrainingJobResponse,
  SecondaryStatus,
  StopTrainingJobRequest,
  TrainingJobStatus,
} from '@aws-sdk/client-sagemaker';
import { packModelArtifact, type AlgorithmName } from '../../../algorithms/index.js';
import { ContainerClientError, type ContainerRuntime, type ImageRunner } from '../../containers/index.js';
import { AwsError, validation } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';
import { parseS3Uri } from '../../storage/object-store.js';
import { ChannelDataError, downloadChannels } from '../../training/channels.js';
import { AlgorithmClientError, AllReduceHub, startInstance, type InstanceRun } from '../../training/instance-worker.js';
import { MetricScraper } from '../../training/metrics.js';
import { InstanceQuotas } from '../../training/quotas.js';
import { SlotScheduler } from '../../training/slots.js';
import { publishTrainingMetric } from '../cloudwatch/training-metrics.js';
import type { ServiceDeps } from '../deps.js';
import { hideHostPaths } from '../host-paths.js';
import { FamilyRecords, type ServiceFamilyDeclaration } from './engine/layered.js';
import { scopeOf } from './scope.js';
import { checkTrainingRequest, trainingJobRecord } from './training-job-request.js';

type Job = DescribeTrainingJobResponse;

export const TRAINING_LOG_GROUP = '/aws/sagemaker/TrainingJobs';

/**
 * Training jobs on the engine. A missing job is AWS's ValidationException "Requested resource not
 * found."; ListTrainingJobs sorts Ascending by default (its API reference) and filters warm pools
 * and training plans by members nested in the job.
 */
export const TRAINING_JOB_FAMILY: ServiceFamilyDeclaration<Job> = {
  name: 'TrainingJob',
  storageKind: 'training-job',
  notFound: () => validation('Requested resource not found.'),
  inUse: (_name, arn) =>
    new AwsError('ResourceInUse', `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${arn})`),
  list: {
    defaultOrder: 'Ascending',
    filters: {
      WarmPoolStatusEquals: (job, status) => (job.WarmPoolStatus as { Status?: string } | undefined)?.Status === status,
      TrainingPlanArnEquals: (job, arn) => (job.ResourceConfig as { TrainingPlanArn?: string } | undefined)?.TrainingPlanArn === arn,
    },
  },
};

interface Running {
  instances: InstanceRun[];
  /** Set when the job is being ended from outside (stop, max runtime). */
  interruption?: 'Stopped' | 'MaxRuntimeExceeded';
  cancelTimers: (() => void)[];
  /** The job's metrics so far: a job stopped mid-training still reports what it logged. */
  scraper?: MetricScraper;
}

/** What a tuning job needs to follow its child jobs: their primary host's log lines and their end. */
export interface TrainingObserver {
  onLogLine(scope: Scope, name: string, line: string, at: Date): void;
  onFinished(scope: Scope, name: string): void;
}

/**
 * Training jobs: the status / SecondaryStatus state machine, run off the request path with one
 * worker thread per requested instance, and their logs, metrics and artifact.
 */
export class TrainingJobService {
  private readonly running = new Map<string, Running>();
  private readonly observers: TrainingObserver[] = [];
  readonly records: FamilyRecords<Job>;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly containers?: ContainerRuntime,
    /** Shared by every job on this emulator: worker threads never outnumber the cores. */
    readonly slots = new SlotScheduler(),
    /** Per instance type, the instances the account's running jobs may hold together. */
    readonly quotas = new InstanceQuotas(),
  ) {
    this.records = new FamilyRecords(deps, TRAINING_JOB_FAMILY);
  }

  observe(observer: TrainingObserver): void {
    this.observers.push(observer);
  }

  create(req: CreateTrainingJobRequest, ctx: RequestContext): CreateTrainingJobResponse {
    return this.start(scopeOf(ctx), req, {});
  }

  /** Creates and launches a job; `extra` carries what only the service sets (TuningJobArn). */
  start(scope: Scope, req: CreateTrainingJobRequest, extra: Partial<Job>): CreateTrainingJobResponse {
    const { program, serviceMetrics } = checkTrainingRequest(req, this.containers);
    const job = trainingJobRecord(req, this.records.arn(scope, req.TrainingJobName!), new Date(this.deps.clock.now()), serviceMetrics, extra);
    // The instance quota is checked last, so that a refused request reserves nothing.
    const releaseInstances = this.quotas.reserve(scope.accountId, scope.region, req.ResourceConfig!.InstanceType!, req.ResourceConfig!.InstanceCount ?? 1);
    try {
      this.records.insert(scope, req.TrainingJobName!, job, req.Tags);
    } catch (e) {
      releaseInstances();
      throw e;
    }
    this.launch(scope, req.TrainingJobName!, program, releaseInstances);
    return { TrainingJobArn: job.TrainingJobArn };
  }

  /** Stops a job on behalf of the service (a tuning job's early stopping or Stop); false when it already ended. */
  stopJob(scope: Scope, name: string): boolean {
    if (this.records.get(scope, name)?.TrainingJobStatus !== 'InProgress') return false;
    this.interrupt(scope, name, 'Stopped');
    return true;
  }

  stop(req: StopTrainingJobRequest, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const job = this.records.require(scope, req.TrainingJobName!);
    if (job.TrainingJobStatus !== 'InProgress') {
      throw validation(`The request was rejected because the training job is in status ${job.TrainingJobStatus}.`);
    }
    this.interrupt(scope, job.TrainingJobName!, 'Stopped');
    return {};
  }

  /**
   * After a restart, jobs that were running cannot be resumed: their workers are gone. They end
   * Failed with a reason that says why (a stop that was under way completes as Stopped).
   */
  recover(): void {
    for (const r of this.records.everywhere()) {
      const job = r.data;
      if (job.TrainingJobStatus === 'InProgress') {
        this.finish(r.scope, job.TrainingJobName!, 'Failed', 'Failed', {
          FailureReason: 'InternalServerError: The training job was interrupted because the localsage emulator restarted while it was running.',
        });
      } else if (job.TrainingJobStatus === 'Stopping') {
        this.finish(r.scope, job.TrainingJobName!, 'Stopped', 'Stopped', {});
      }
    }
  }

  /** Ends every running job's workers (emulator shutdown). */
  async shutdown(): Promise<void> {
    for (const run of this.running.values()) {
      run.cancelTimers.forEach((c) => c());
      await Promise.all(run.instances.map((i) => i.terminate()));
    }
    this.running.clear();
  }

  private key(scope: Scope, name: string) {
    return `${scope.accountId}/${scope.region}/${name.toLowerCase()}`;
  }

  private load(scope: Scope, name: string): Job {
    return this.records.get(scope, name)!;
  }

  private transition(scope: Scope, name: string, status: SecondaryStatus, message: string, patch: Partial<Job> = {}, now = new Date(this.deps.clock.now())): Job {
    const job = this.load(scope, name);
    const transitions = job.SecondaryStatusTransitions ?? [];
    const last = transitions[transitions.length - 1];
    // Within one status AWS rewrites the message of the open transition rather than adding one.
    if (last && last.Status === status && !last.EndTime) last.StatusMessage = message;
    else {
      if (last && !last.EndTime) last.EndTime = now;
      transitions.push({ Status: status, StartTime: now, StatusMessage: message });
    }
    const updated: Job = { ...job, ...patch, SecondaryStatus: status, SecondaryStatusTransitions: transitions, LastModifiedTime: now };
    this.records.update(scope, name, updated);
    return updated;
  }

  private finish(scope: Scope, name: string, status: TrainingJobStatus, secondary: SecondaryStatus, patch: Partial<Job>): void {
    const job = this.load(scope, name);
    const now = new Date(this.deps.clock.now());
    const messages: Partial<Record<SecondaryStatus, string>> = {
      Completed: 'Training job completed',
      Stopped: 'Training job stopped',
      MaxRuntimeExceeded: 'Training job runtime exceeded MaxRuntimeInSeconds provided',
    };
    const start = job.TrainingStartTime?.getTime();
    const run = this.running.get(this.key(scope, name));
    // A stopped job keeps the metrics it emitted, as on AWS (a tuning job ranks early-stopped jobs by them).
    if (status === 'Stopped' && !job.FinalMetricDataList?.length && run?.scraper) patch = { ...patch, FinalMetricDataList: run.scraper.final() };
    const seconds = start !== undefined ? Math.max(1, Math.round((now.getTime() - start) / 1000)) : undefined;
    const transitions = job.SecondaryStatusTransitions ?? [];
    const last = transitions[transitions.length - 1];
    if (last && !last.EndTime) last.EndTime = now;
    transitions.push({
      Status: secondary,
      StartTime: now,
      EndTime: now,
      StatusMessage: messages[secondary] ?? patch.FailureReason ?? 'Training job failed',
    });
    this.records.update(scope, name, {
      ...job,
      ...patch,
      TrainingJobStatus: status,
      SecondaryStatus: secondary,
      SecondaryStatusTransitions: transitions,
      TrainingEndTime: start !== undefined ? now : undefined,
      LastModifiedTime: now,
      TrainingTimeInSeconds: seconds,
      BillableTimeInSeconds: seconds,
    });
    run?.cancelTimers.forEach((c) => c());
    this.running.delete(this.key(scope, name));
    for (const o of this.observers) o.onFinished(scope, name);
  }

  private interrupt(scope: Scope, name: string, why: 'Stopped' | 'MaxRuntimeExceeded'): void {
    const run = this.running.get(this.key(scope, name));
    if (run) run.interruption = why;
    const job = this.load(scope, name);
    // One instant: the open transition ends exactly when Stopping starts.
    const now = new Date(this.deps.clock.now());
    this.records.update(scope, name, {
      ...job,
      TrainingJobStatus: 'Stopping',
      SecondaryStatus: 'Stopping',
      LastModifiedTime: now,
      SecondaryStatusTransitions: [
        ...(job.SecondaryStatusTransitions ?? []).map((t, i, all) => (i === all.length - 1 && !t.EndTime ? { ...t, EndTime: now } : t)),
        { Status: 'Stopping', StartTime: now, StatusMessage: 'Stopping the training job.' },
      ],
    });
    void Promise.all(run?.instances.map((i) => i.terminate()) ?? []).then(() =>
      this.deps.clock.schedule(this.deps.timing.trainingStopping, () => {
        if (this.load(scope, name).TrainingJobStatus === 'Stopping') this.finish(scope, name, 'Stopped', why, {});
      }),
    );
  }

  private launch(scope: Scope, name: string, algorithm: AlgorithmName | ImageRunner, releaseInstances: () => void): void {
    // finish() runs cancelTimers on every way a job ends: that hands its instances back.
    const run: Running = { instances: [], cancelTimers: [releaseInstances] };
    this.running.set(this.key(scope, name), run);
    this.execute(scope, name, algorithm, run).catch((err: unknown) => {
      if (run.interruption) return;
      const workDir = join(this.deps.dataDir, 'training', scope.accountId, scope.region, name.toLowerCase());
      const message = hideHostPaths((err as Error)?.message ?? String(err), this.deps.dataDir, workDir);
      const reason =
        err instanceof AlgorithmClientError || err instanceof ChannelDataError || err instanceof ContainerClientError
          ? `ClientError: ${message}`
          : `AlgorithmError: ${message}`;
      const status = this.load(scope, name).TrainingJobStatus;
      if (status === 'InProgress') this.finish(scope, name, 'Failed', 'Failed', { FailureReason: reason });
    });
  }

  private async execute(scope: Scope, name: string, algorithm: AlgorithmName | ImageRunner, run: Running): Promise<void> {
    const { clock, timing } = this.deps;
    const alive = () => !run.interruption && this.running.get(this.key(scope, name)) === run;
    await clock.sleep(timing.trainingStarting);
    if (!alive()) return;
    // Wait for capacity: jobs (a tuning job's parallel children too) queue here, first come, first
    // served, not in the OS. A job that has to wait says so the way SageMaker does when EC2 has
    // no capacity for its instances, and stays in Starting until its slots are free.
    const count = this.load(scope, name).ResourceConfig?.InstanceCount ?? 1;
    const release = await this.slots.acquire(count, () => {
      if (alive()) this.transition(scope, name, 'Starting', 'Insufficient capacity error from EC2 while launching instances, retrying!');
    });
    try {
      if (!alive()) return;
      await this.prepareAndTrain(scope, name, algorithm, run, count);
    } finally {
      release();
    }
  }

  private async prepareAndTrain(scope: Scope, name: string, algorithm: AlgorithmName | ImageRunner, run: Running, count: number): Promise<void> {
    const { clock, timing, store, dataDir } = this.deps;
    const alive = () => !run.interruption && this.running.get(this.key(scope, name)) === run;
    this.transition(scope, name, 'Starting', 'Preparing the instances for training.');
    // TrainingStartTime is the instant Downloading starts, not a clock read made just before it.
    const startedAt = new Date(clock.now());
    let job = this.transition(scope, name, 'Downloading', 'Downloading input data', { TrainingStartTime: startedAt }, startedAt);

    // MaxRuntimeInSeconds counts from the start of training (instances provisioned).
    const maxRuntimeMs = (job.StoppingCondition?.MaxRuntimeInSeconds ?? 86400) * 1000;
    run.cancelTimers.push(clock.schedule(startedAt.getTime() + maxRuntimeMs - clock.now(), () => {
      if (alive() && this.load(scope, name).TrainingJobStatus === 'InProgress') this.interrupt(scope, name, 'MaxRuntimeExceeded');
    }));

    const hosts = Array.from({ length: count }, (_, i) => `algo-${i + 1}`);
    const workDir = join(dataDir, 'training', scope.accountId, scope.region, name.toLowerCase());
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    const downloadStart = clock.now();
    const channels = await downloadChannels(store, job.InputDataConfig ?? [], hosts, join(workDir, 'input', 'data'));
    await clock.sleep(Math.max(0, timing.trainingDownloadingMin - (clock.now() - downloadStart)));
    if (!alive()) return;
    await this.train(scope, name, algorithm, run, hosts, channels, workDir);
  }

  private async train(
    scope: Scope,
    name: string,
    algorithm: AlgorithmName | ImageRunner,
    run: Running,
    hosts: string[],
    channels: Awaited<ReturnType<typeof downloadChannels>>,
    workDir: string,
  ): Promise<void> {
    const { clock, timing, store } = this.deps;
    const alive = () => !run.interruption && this.running.get(this.key(scope, name)) === run;
    const job = this.transition(scope, name, 'Training', 'Training image download completed. Training in progress.');
    const jobName = job.TrainingJobName!;
    const scraper = new MetricScraper(
      (job.AlgorithmSpecification?.MetricDefinitions ?? []).map((d) => ({ Name: d.Name!, Regex: d.Regex! })),
      (m) => this.deps.metrics && publishTrainingMetric(this.deps.metrics, scope, jobName, m),
    );
    run.scraper = scraper;
    const epochSeconds = Math.floor(clock.now() / 1000);
    // Data-parallel: the instance workers average their parameters through this hub.
    const hub = new AllReduceHub(hosts.length);
    const models = await Promise.all(
      hosts.map((host) => {
        const stream = `${job.TrainingJobName}/${host}-${epochSeconds}`;
        const onLog = (line: string) => {
          const at = clock.now();
          this.deps.db.appendLogEvents(scope, TRAINING_LOG_GROUP, stream, [{ timestamp: at, message: line }]);
          if (host === 'algo-1') {
            scraper.observe(line, new Date(at));
            for (const o of this.observers) o.onLogLine(scope, name, line, new Date(at));
          }
        };
        const instance =
          typeof algorithm === 'string'
            ? startInstance({ algorithm, hyperParameters: job.HyperParameters ?? {}, channels: channels.get(host)!, host, hosts }, onLog, hub)
            : this.containers!.startTraining(algorithm, containerJob(job, scope.region), host, hosts, channels.get(host)!, workDir, onLog);
        run.instances.push(instance);
        return instance.result;
      }),
    ).catch(async (e: unknown) => {
      // One failed instance fails the job; the others are ended, not left waiting for it.
      await Promise.all(run.instances.map((i) => i.terminate()));
      throw e;
    });
    if (!alive()) return;

    this.transition(scope, name, 'Uploading', 'Uploading generated training model', { FinalMetricDataList: scraper.final() });
    const uploadStart = clock.now();
    // A container's result is already model.tar.gz (its model dir); a built-in's is model_algo-1.
    const artifact = typeof algorithm === 'string' ? await packModelArtifact(models[0]) : models[0];
    const { bucket, key } = parseS3Uri(job.ModelArtifacts!.S3ModelArtifacts!);
    try {
      await store.putObject(bucket, key, artifact, { contentType: 'application/x-tar' });
    } catch (e) {
      throw new ChannelDataError(`Unable to upload the model artifact to s3://${bucket}/${key}: ${(e as Error).message}`);
    }
    await clock.sleep(Math.max(0, timing.trainingUploadingMin - (clock.now() - uploadStart)));
    if (!alive()) return;
    this.finish(scope, name, 'Completed', 'Completed', {});
    await rm(workDir, { recursive: true, force: true });
  }
}

function containerJob(job: Job, region: string) {
  return {
    jobName: job.TrainingJobName!,
    jobArn: job.TrainingJobArn!,
    image: job.AlgorithmSpecification!.TrainingImage!,
    hyperParameters: job.HyperParameters ?? {},
    environment: job.Environment ?? {},
    inputDataConfig: job.InputDataConfig ?? [],
    resourceConfig: job.ResourceConfig!,
    region,
  };
}
