import type { DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import { Rng } from '../../../../core/random.js';
import type { ContainerRuntime } from '../../../containers/index.js';
import { parseS3Uri } from '../../../storage/object-store.js';
import type { Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import type { TrainingJobService, TrainingObserver } from '../training-jobs.js';
import { candidateMetrics, DEFAULT_MAX_CANDIDATES, DEFAULT_OBJECTIVE, nextCandidate, rankable, supportedObjectives, xgboostImage, type CandidateAlgorithm, type CandidatePlan } from './candidates.js';
import { encodedWidth, encodeRow, type ProcessingSpec } from '../../../../algorithms/automl-processing.js';
import { packModelArtifact } from '../../../../algorithms/index.js';
import { fitProcessing } from './features.js';
import { DataError, parseTable, readChannel, readCsvFiles, seedOf, split, toCsv, variance } from './data.js';
import { readParquetFiles } from './parquet.js';
import type { BestCandidateDeployer } from './deploy.js';
import { AUTOML_KIND, type AutoMLRecord } from './record.js';

const TRAINING_KIND = 'training-job';
/** Candidates trained at once: the machine's training slots are shared with everything else. */
const PARALLEL_CANDIDATES = 2;
/** The share of the rows held out for validation when the caller names none (AWS's default, AutoMLDataSplitConfig). */
const DEFAULT_VALIDATION_FRACTION = 0.2;

type Job = DescribeTrainingJobResponse;
const RUNNING = new Set(['InProgress', 'Stopping']);
/** The training service fails a job an emulator restart interrupted with an InternalServerError. */
const killedByRestart = (job: Job | undefined) => job?.TrainingJobStatus === 'Failed' && /^InternalServerError/.test(job.FailureReason ?? '');

/**
 * Runs AutoML jobs through AWS's secondary statuses: Starting, AnalyzingData (read the CSV, find
 * the target, infer the problem type, split), FeatureEngineering (write the algorithms' layout),
 * ModelTuning (train the candidates as real training jobs, two at a time), then Completed or
 * MaxCandidatesReached. State lives in SQLite; a restarted emulator resumes each job.
 */
export class AutoMLRunner implements TrainingObserver {
  /** Child training job -> its AutoML job, per scope. */
  private readonly owners = new Map<string, { scope: Scope; name: string }>();
  private readonly timers = new Map<string, (() => void)[]>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly training: TrainingJobService,
    private readonly containers: ContainerRuntime,
    private readonly deployer: BestCandidateDeployer,
  ) {
    training.observe(this);
  }

  private key(scope: Scope, name: string) {
    return `${scope.accountId}/${scope.region}/${name.toLowerCase()}`;
  }

  private load(scope: Scope, name: string): AutoMLRecord | undefined {
    return this.deps.db.get<AutoMLRecord>(scope, AUTOML_KIND, name)?.data;
  }

  private save(scope: Scope, r: AutoMLRecord): void {
    r.modified = new Date(this.deps.clock.now()).toISOString();
    this.deps.db.update(scope, AUTOML_KIND, r.name, r);
  }

  private later(scope: Scope, name: string, fn: () => void | Promise<void>): void {
    const list = this.timers.get(this.key(scope, name)) ?? [];
    list.push(
      this.deps.clock.schedule(this.deps.timing.controlPlaneTransition, () => {
        Promise.resolve(fn()).catch((e) => this.fail(scope, name, `InternalServerError: ${(e as Error).message}`));
      }),
    );
    this.timers.set(this.key(scope, name), list);
  }

  /** Starts (or after a restart resumes) a stored job from the phase it was in. */
  run(scope: Scope, name: string): void {
    const r = this.load(scope, name)!;
    for (const c of r.candidates) this.owners.set(this.key(scope, c.name), { scope, name });
    if (r.spec.maxJobRuntime !== undefined) {
      const left = r.spec.maxJobRuntime * 1000 - (this.deps.clock.now() - Date.parse(r.created));
      const list = this.timers.get(this.key(scope, name)) ?? [];
      list.push(this.deps.clock.schedule(Math.max(0, left), () => this.runtimeReached(scope, name)));
      this.timers.set(this.key(scope, name), list);
    }
    if (r.status === 'Stopping' || r.secondary === 'ModelTuning') return this.pump(scope, name);
    if (r.secondary === 'DeployingModel') return void this.deploy(scope, name);
    // Before tuning nothing is kept but the request: analysis is redone from the start.
    this.later(scope, name, () => this.analyze(scope, name));
  }

  stop(scope: Scope, name: string): void {
    this.end(scope, name, { status: 'Stopped', secondary: 'Stopped' });
  }

  onLogLine(): void {}

  onFinished(scope: Scope, child: string): void {
    const owner = this.owners.get(this.key(scope, child));
    if (owner) queueMicrotask(() => this.pump(owner.scope, owner.name));
  }

  shutdown(): void {
    for (const list of this.timers.values()) list.forEach((c) => c());
    this.timers.clear();
  }

  private inProgress(scope: Scope, name: string): AutoMLRecord | undefined {
    const r = this.load(scope, name);
    return r && r.status === 'InProgress' && !r.ending ? r : undefined;
  }

  private setSecondary(scope: Scope, name: string, secondary: string): AutoMLRecord | undefined {
    const r = this.inProgress(scope, name);
    if (!r) {
      this.pump(scope, name);
      return undefined;
    }
    r.secondary = secondary;
    this.save(scope, r);
    return r;
  }

  private async analyze(scope: Scope, name: string): Promise<void> {
    const r = this.setSecondary(scope, name, 'AnalyzingData');
    if (!r) return;
    const spec = r.spec;
    if (spec.problemConfig !== 'Tabular') {
      return this.fail(scope, name, `localsage runs tabular AutoML only (TabularJobConfig), not ${spec.problemConfig}: it has no models for that problem type.`);
    }
    if (spec.unsupported) return this.fail(scope, name, `ClientError: ${spec.unsupported}`);
    try {
      const read = async (uri: string) => {
        const files = await readChannel(this.deps.store, uri);
        return spec.parquet ? readParquetFiles(files) : readCsvFiles(files);
      };
      const table = parseTable(await read(spec.training), spec.target, spec.problemType);
      const objective = spec.objective ?? DEFAULT_OBJECTIVE[table.problemType];
      if (!supportedObjectives(table.problemType).includes(objective)) {
        throw new DataError(
          `The objective metric ${objective} cannot be measured for ${table.problemType} by localsage's candidates (Linear Learner, XGBoost); use one of ${supportedObjectives(table.problemType).join(', ')}.`,
        );
      }
      const rows = table.cells.map((cells, i) => ({ cells, label: table.labels[i] }));
      let trainRows = rows;
      let validationRows: typeof rows;
      if (spec.validation) {
        const v = parseTable(await read(spec.validation), spec.target, table.problemType, table);
        validationRows = v.cells.map((cells, i) => ({ cells, label: v.labels[i] }));
      } else {
        const parts = split(rows, spec.validationFraction ?? DEFAULT_VALIDATION_FRACTION, seedOf(name));
        trainRows = parts.train;
        validationRows = parts.validation;
      }
      // The feature processing is fitted on the training split only, as Autopilot's data processing is.
      const processing = fitProcessing(table.features, trainRows.map((r) => r.cells), table.problemType, table.classes);
      const encode = (list: typeof rows) => list.map((r) => [r.label, ...encodeRow(processing, r.cells)]);
      const current = this.inProgress(scope, name);
      if (!current) return this.pump(scope, name);
      const root = `${spec.outputPath.replace(/\/+$/, '')}/${name}`;
      const base = `${root}/preprocessed-data`;
      current.resolved = {
        problemType: table.problemType,
        objective,
        features: table.features,
        classes: table.classes,
        encodedFeatures: processing.columns.reduce((n, c) => n + encodedWidth(c), 0),
        processingModelUri: `${root}/data-processor-models/${name}-dpp0/output/model.tar.gz`,
        labelVariance: variance(validationRows.map((row) => row.label)),
        trainUri: `${base}/train/`,
        validationUri: `${base}/validation/`,
        algorithms: rankable(this.algorithms(scope, spec.algorithms), table.problemType, objective),
      };
      if (!current.resolved.algorithms.length) {
        throw new DataError(`None of the algorithms localsage trains (${spec.algorithms?.join(', ') ?? 'linear-learner, xgboost'}) can be ranked by ${objective}.`);
      }
      this.save(scope, current);
      this.later(scope, name, () => this.engineer(scope, name, processing, encode(trainRows), encode(validationRows)));
    } catch (e) {
      if (e instanceof DataError) return this.fail(scope, name, `ClientError: ${e.message}`);
      throw e;
    }
  }

  /** The allowed algorithms localsage can train: XGBoost only where its environment resolves. */
  private algorithms(scope: Scope, allowed?: string[]): CandidateAlgorithm[] {
    const out: CandidateAlgorithm[] = [];
    if (!allowed || allowed.includes('linear-learner')) out.push('linear-learner');
    if (!allowed || allowed.includes('xgboost')) {
      try {
        this.containers.resolve(xgboostImage(scope.region));
        out.push('xgboost');
      } catch {
        // Not installed (`localsage frameworks install xgboost`): Linear Learner alone.
      }
    }
    return out;
  }

  private async engineer(scope: Scope, name: string, processing: ProcessingSpec, train: number[][], validation: number[][]): Promise<void> {
    const r = this.setSecondary(scope, name, 'FeatureEngineering');
    if (!r) return;
    const model = await packModelArtifact(Buffer.from(JSON.stringify(processing)));
    const outputs: [string, Buffer, string][] = [
      [r.resolved!.processingModelUri!, model, 'application/x-tar'],
      [`${r.resolved!.trainUri}data.csv`, Buffer.from(toCsv(train)), 'text/csv'],
      [`${r.resolved!.validationUri}data.csv`, Buffer.from(toCsv(validation)), 'text/csv'],
    ];
    for (const [uri, body, contentType] of outputs) {
      const { bucket, key } = parseS3Uri(uri);
      try {
        await this.deps.store.putObject(bucket, key, body, { contentType });
      } catch (e) {
        return this.fail(scope, name, `ClientError: Could not write to the output location ${r.spec.outputPath}: ${(e as Error).message}`);
      }
    }
    if (r.spec.definitionsOnly) return this.finish(scope, name, 'Completed', 'CandidateDefinitionsGenerated');
    this.later(scope, name, () => {
      if (this.setSecondary(scope, name, 'ModelTuning')) this.pump(scope, name);
    });
  }

  private runtimeReached(scope: Scope, name: string): void {
    this.end(scope, name, { status: 'Completed', secondary: 'MaxAutoMLJobRuntimeReached' });
  }

  private end(scope: Scope, name: string, ending: NonNullable<AutoMLRecord['ending']>): void {
    const r = this.load(scope, name);
    if (!r || r.status !== 'InProgress' || r.ending) return;
    r.ending = ending;
    if (ending.status === 'Stopped') (r.status = 'Stopping'), (r.secondary = 'Stopping');
    this.save(scope, r);
    for (const c of r.candidates) this.training.stopJob(scope, c.name);
    this.pump(scope, name);
  }

  private fail(scope: Scope, name: string, reason: string): void {
    const r = this.load(scope, name);
    if (!r || (r.status !== 'InProgress' && r.status !== 'Stopping')) return;
    this.finish(scope, name, 'Failed', 'Failed', reason);
  }

  private finish(scope: Scope, name: string, status: 'Completed' | 'Stopped' | 'Failed', secondary: string, reason?: string): void {
    const r = this.load(scope, name)!;
    r.status = status;
    r.secondary = secondary;
    if (reason) r.failureReason = reason;
    r.ended = new Date(this.deps.clock.now()).toISOString();
    delete r.ending;
    this.save(scope, r);
    this.timers.get(this.key(scope, name))?.forEach((c) => c());
    this.timers.delete(this.key(scope, name));
    for (const c of r.candidates) this.owners.delete(this.key(scope, c.name));
  }

  private job(scope: Scope, child: string): Job | undefined {
    return this.deps.db.get<Job>(scope, TRAINING_KIND, child)?.data;
  }

  /** One step: end, or launch the next candidates while slots and budget remain. */
  private pump(scope: Scope, name: string): void {
    const r = this.load(scope, name);
    if (!r || (r.status !== 'InProgress' && r.status !== 'Stopping')) return;
    const jobs = r.candidates.map((c) => this.job(scope, c.name));
    const running = jobs.filter((j) => RUNNING.has(j?.TrainingJobStatus ?? '')).length;
    const completed = jobs.filter((j) => j?.TrainingJobStatus === 'Completed').length;
    if (r.ending) {
      if (running) return;
      const ending = r.ending;
      // Out of time with nothing trained is a failure, not a completion.
      if (ending.status === 'Completed' && !completed) return this.finish(scope, name, 'Failed', 'Failed', 'The AutoML job reached MaxAutoMLJobRuntimeInSeconds before any candidate completed.');
      if (ending.status === 'Completed') return this.complete(scope, name, ending.secondary);
      return this.finish(scope, name, ending.status, ending.secondary, ending.reason);
    }
    if (r.secondary !== 'ModelTuning' || !r.resolved) return;
    const resolved = r.resolved;
    const budget = r.spec.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
    let launched = 0;
    // Candidates a restart killed are re-run first, with the same configuration.
    for (const [i, c] of r.candidates.entries()) {
      if (running + launched >= PARALLEL_CANDIDATES) break;
      if (!killedByRestart(jobs[i]) || r.candidates.some((x) => x.retryOf === c.name)) continue;
      if (!this.launch(scope, r, c, c.name)) return;
      launched++;
    }
    const planned = () => r.candidates.filter((c) => !c.retryOf).length;
    while (running + launched < PARALLEL_CANDIDATES && planned() < budget) {
      // What each earlier candidate reached informs the search (those launched just now are running).
      const tried = r.candidates.map((c) => {
        const job = this.job(scope, c.name);
        const final = Object.fromEntries((job?.FinalMetricDataList ?? []).map((m) => [m.MetricName!, m.Value!]));
        const objective =
          job?.TrainingJobStatus === 'Completed'
            ? candidateMetrics(c.algorithm, resolved.problemType, final, resolved.labelVariance).find((m) => m.name === resolved.objective)?.value
            : undefined;
        return { algorithm: c.algorithm, hyperParameters: c.hyperParameters, objective, running: !job || RUNNING.has(job.TrainingJobStatus ?? '') };
      });
      const problem = { problemType: resolved.problemType, objective: resolved.objective, features: resolved.encodedFeatures ?? resolved.features.length, classes: resolved.classes?.length ?? 0, region: scope.region };
      if (!this.launch(scope, r, nextCandidate(planned(), resolved.algorithms, tried, problem, seedOf(r.name)))) return;
      launched++;
    }
    if (running + launched > 0) return;
    if (!completed) {
      const failed = jobs.find((j) => j?.TrainingJobStatus === 'Failed');
      return this.finish(scope, name, 'Failed', 'Failed', `All ${jobs.length} candidates failed. For example, ${failed?.TrainingJobName}: ${failed?.FailureReason ?? 'no reason given'}`);
    }
    // The search never runs dry: a job that trained its budget ends MaxCandidatesReached.
    this.complete(scope, name, 'MaxCandidatesReached');
  }

  /** Candidates trained: done, or first the one-click deployment ModelDeployConfig asks for. */
  private complete(scope: Scope, name: string, secondary: string): void {
    const r = this.load(scope, name)!;
    if (!r.spec.deploy) return this.finish(scope, name, 'Completed', secondary);
    r.secondary = 'DeployingModel';
    delete r.ending;
    this.save(scope, r);
    void this.deploy(scope, name);
  }

  private async deploy(scope: Scope, name: string): Promise<void> {
    const deploying = () => {
      const r = this.load(scope, name);
      return r?.status === 'InProgress' && r.secondary === 'DeployingModel' ? r : undefined;
    };
    const failed = (reason: string) => {
      const r = deploying();
      if (!r) return;
      r.deployError = `The best candidate could not be deployed: ${reason}`;
      this.save(scope, r);
      this.finish(scope, name, 'Completed', 'ModelDeploymentError');
    };
    try {
      await this.deployer.start(scope, deploying()!);
    } catch (e) {
      return failed((e as Error).message);
    }
    const cancel = this.deployer.watch(scope, this.load(scope, name)!, (error) => {
      if (error) return failed(error);
      const r = deploying();
      if (!r) return;
      r.deployed = r.spec.deploy!.endpointName;
      this.save(scope, r);
      this.finish(scope, name, 'Completed', 'Completed');
    });
    const list = this.timers.get(this.key(scope, name)) ?? [];
    list.push(cancel);
    this.timers.set(this.key(scope, name), list);
  }

  private launch(scope: Scope, r: AutoMLRecord, plan: CandidatePlan, retryOf?: string): boolean {
    const seq = r.candidates.length + 1;
    const hex = new Rng((seedOf(r.name) + seq) >>> 0).u32().toString(16).padStart(8, '0');
    const child = `${r.name}-${plan.algorithm === 'xgboost' ? 'xgb' : 'll'}-${String(seq).padStart(3, '0')}-${hex}`;
    r.candidates.push({ algorithm: plan.algorithm, image: plan.image, hyperParameters: plan.hyperParameters, name: child, retryOf });
    this.save(scope, r);
    this.owners.set(this.key(scope, child), { scope, name: r.name });
    try {
      this.training.start(
        scope,
        {
          TrainingJobName: child,
          AlgorithmSpecification: { TrainingImage: plan.image, TrainingInputMode: 'File' },
          RoleArn: r.spec.roleArn,
          InputDataConfig: (['train', 'validation'] as const).map((ch) => ({
            ChannelName: ch,
            ContentType: 'text/csv',
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: ch === 'train' ? r.resolved!.trainUri : r.resolved!.validationUri, S3DataDistributionType: 'FullyReplicated' } },
          })),
          OutputDataConfig: { S3OutputPath: `${r.spec.outputPath.replace(/\/+$/, '')}/${r.name}/tuning` },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
          StoppingCondition: { MaxRuntimeInSeconds: r.spec.maxRuntimePerTrainingJob ?? 86400 },
          HyperParameters: plan.hyperParameters,
        },
        { AutoMLJobArn: r.arn },
      );
      return true;
    } catch (e) {
      r.candidates.pop();
      this.save(scope, r);
      this.owners.delete(this.key(scope, child));
      this.fail(scope, r.name, `InternalServerError: Could not start candidate ${child}: ${(e as Error).message}`);
      return false;
    }
  }
}
