import { randomInt } from 'node:crypto';
import type {
  CreateHyperParameterTuningJobRequest,
  CreateHyperParameterTuningJobResponse,
  DeleteHyperParameterTuningJobRequest,
  HyperParameterTrainingJobSummary,
  ListTrainingJobsForHyperParameterTuningJobRequest,
  ListTrainingJobsForHyperParameterTuningJobResponse,
  StopHyperParameterTuningJobRequest,
} from '@aws-sdk/client-sagemaker';
import { metricDefinitions } from '../../../../algorithms/index.js';
import { AwsError, resourceNotFound, validation } from '../../../protocol/errors.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { FamilyRecords, type ServiceFamilyDeclaration } from '../engine/layered.js';
import { listPage } from '../listing.js';
import { scopeOf } from '../scope.js';
import type { TrainingJobService } from '../training-jobs.js';
import { childViews, describeTuning } from './describe.js';
import { TUNING_KIND, type TuningRecord } from './record.js';
import { TuningRunner } from './runner.js';
import { planTuningJob, resourceConfigOf } from './validate.js';

/**
 * Tuning jobs on the engine. Describe shows counters and the best job derived from the children
 * when read; ListHyperParameterTuningJobs sorts by Name by default (its API reference) and its
 * entry takes Strategy and ResourceLimits from the job's config.
 */
function tuningFamily(deps: ServiceDeps): ServiceFamilyDeclaration<TuningRecord> {
  return {
    name: 'HyperParameterTuningJob',
    storageKind: TUNING_KIND,
    notFound: (name) => resourceNotFound(`Amazon SageMaker can't find a tuning job with name ${name}`),
    inUse: (name) => new AwsError('ResourceInUse', `A hyperparameter tuning job with the name, ${name}, already exists. Choose a different name.`),
    view: (record, scope) => describeTuning(deps.db, scope, record, deps.clock.now()),
    list: {
      defaultSortBy: 'Name',
      defaultOrder: 'Ascending',
      summary: (d) => {
        const config = d.HyperParameterTuningJobConfig as { Strategy?: string; ResourceLimits?: unknown } | undefined;
        return { ...d, Strategy: config?.Strategy, ResourceLimits: config?.ResourceLimits };
      },
    },
  };
}

/** The hyperparameter tuning job operations; the runner does the work off the request path. */
export class TuningJobService {
  private readonly runner: TuningRunner;
  readonly records: FamilyRecords<TuningRecord>;

  constructor(
    private readonly deps: ServiceDeps,
    training: TrainingJobService,
  ) {
    this.runner = new TuningRunner(deps, training);
    this.records = new FamilyRecords(deps, tuningFamily(deps));
  }

  create(req: CreateHyperParameterTuningJobRequest, ctx: RequestContext): CreateHyperParameterTuningJobResponse {
    const scope = scopeOf(ctx);
    const name = req.HyperParameterTuningJobName!;
    const plans = planTuningJob(req);
    if (req.WarmStartConfig) this.checkWarmStart(scope, req, plans.map((p) => p.definition));
    const arn = this.records.arn(scope, name);
    const now = this.deps.clock.now();
    const config = req.HyperParameterTuningJobConfig!;
    // SageMaker adds the objective to each definition's static hyperparameters, and Describe shows
    // it (the Python SDK's attach deletes it from there unconditionally).
    const withObjective = (d: (typeof plans)[number]) => ({
      ...d.definition,
      ResourceConfig: resourceConfigOf(d.definition),
      // As DescribeTrainingJob does, the built-in algorithm's metric definitions are filled in.
      AlgorithmSpecification: {
        TrainingInputMode: 'File' as const,
        ...d.definition.AlgorithmSpecification,
        MetricDefinitions: d.definition.AlgorithmSpecification?.MetricDefinitions ?? metricDefinitions(d.algorithm),
      },
      StaticHyperParameters: { ...d.definition.StaticHyperParameters, _tuning_objective_metric: d.objective.MetricName! },
    });
    const record: TuningRecord = {
      describe: {
        HyperParameterTuningJobName: name,
        HyperParameterTuningJobArn: arn,
        HyperParameterTuningJobConfig: { TrainingJobEarlyStoppingType: 'Off', ...config },
        TrainingJobDefinition: req.TrainingJobDefinition && withObjective(plans[0]),
        TrainingJobDefinitions: req.TrainingJobDefinitions && plans.map(withObjective),
        WarmStartConfig: req.WarmStartConfig,
        Autotune: req.Autotune,
        HyperParameterTuningJobStatus: 'InProgress',
        CreationTime: new Date(now),
        LastModifiedTime: new Date(now),
        TrainingJobStatusCounters: { Completed: 0, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 },
        ObjectiveStatusCounters: { Succeeded: 0, Pending: 0, Failed: 0 },
      },
      // No RandomSeed: draw one from entropy and keep it, so a restart suggests the same values.
      seed: config.RandomSeed ?? randomInt(2 ** 31 - 1),
      children: [],
      consumedBefore: 0,
      runningSince: now,
    };
    this.records.insert(scope, name, record, req.Tags);
    this.runner.run(scope, name);
    return { HyperParameterTuningJobArn: arn };
  }

  /** SortBy FinalObjectiveMetricValue lists only the jobs that reported the objective (API reference). */
  listTrainingJobs(req: ListTrainingJobsForHyperParameterTuningJobRequest, ctx: RequestContext): ListTrainingJobsForHyperParameterTuningJobResponse {
    const scope = scopeOf(ctx);
    const record = this.get(scope, req.HyperParameterTuningJobName!);
    const value = (s: HyperParameterTrainingJobSummary) => s.FinalHyperParameterTuningJobObjectiveMetric?.Value;
    let rows = childViews(this.deps.db, scope, record).map((v) => v.summary);
    if ((req.SortBy ?? 'Name') === 'FinalObjectiveMetricValue') rows = rows.filter((s) => s.ObjectiveStatus === 'Succeeded' && value(s) !== undefined);
    const { page, NextToken } = listPage(rows, { StatusEquals: req.StatusEquals, SortBy: req.SortBy ?? 'Name', SortOrder: req.SortOrder, MaxResults: req.MaxResults, NextToken: req.NextToken }, {
      name: (s) => s.TrainingJobName!,
      creationTime: (s) => s.CreationTime,
      status: (s) => s.TrainingJobStatus,
      sortKeys: { FinalObjectiveMetricValue: (s) => value(s)! },
      defaultOrder: 'Ascending',
    });
    return { TrainingJobSummaries: page, NextToken };
  }

  stop(req: StopHyperParameterTuningJobRequest, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const record = this.get(scope, req.HyperParameterTuningJobName!);
    const status = record.describe.HyperParameterTuningJobStatus;
    if (status !== 'InProgress') {
      throw validation(`The request was rejected because the hyperparameter tuning job is in status ${status}.`);
    }
    this.runner.stop(scope, req.HyperParameterTuningJobName!);
    return {};
  }

  delete(req: DeleteHyperParameterTuningJobRequest, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const record = this.get(scope, req.HyperParameterTuningJobName!);
    const status = record.describe.HyperParameterTuningJobStatus;
    if (status === 'InProgress' || status === 'Stopping') {
      throw validation(`The hyperparameter tuning job ${record.describe.HyperParameterTuningJobName} is in status ${status}. Stop it before deleting it.`);
    }
    // Like AWS, only the tuning job goes: its training jobs stay.
    this.records.delete(scope, req.HyperParameterTuningJobName!);
    return {};
  }

  /** Tuning jobs that a restart interrupted resume; one that was stopping ends Stopped. */
  recover(): void {
    const now = this.deps.clock.now();
    for (const r of this.records.everywhere()) {
      const status = r.data.describe.HyperParameterTuningJobStatus;
      if (status !== 'InProgress' && status !== 'Stopping') continue;
      // The downtime is not runtime: consumed resources count what ran before.
      const record = r.data;
      record.consumedBefore += Math.max(0, this.lastAlive(r.scope, record) - record.runningSince);
      record.runningSince = now;
      this.records.update(r.scope, r.name, record);
      try {
        this.runner.run(r.scope, r.name);
      } catch (e) {
        this.deps.log(`tuning job ${r.name} could not resume: ${(e as Error).message}`);
      }
    }
  }

  shutdown(): void {
    this.runner.shutdown();
  }

  private lastAlive(_scope: Scope, record: TuningRecord): number {
    return record.describe.LastModifiedTime?.getTime() ?? record.runningSince;
  }

  private get(scope: Scope, name: string): TuningRecord {
    return this.records.require(scope, name);
  }

  private checkWarmStart(scope: Scope, req: CreateHyperParameterTuningJobRequest, definitions: NonNullable<CreateHyperParameterTuningJobRequest['TrainingJobDefinitions']>): void {
    const ws = req.WarmStartConfig!;
    const names = (d: (typeof definitions)[number], ranges = d.HyperParameterRanges ?? req.HyperParameterTuningJobConfig?.ParameterRanges) =>
      new Set([
        ...Object.keys(d.StaticHyperParameters ?? {}).filter((k) => k !== '_tuning_objective_metric'),
        ...Object.values(ranges ?? {}).flatMap((list) => (list as { Name?: string }[]).map((r) => r.Name!)),
      ]);
    const mine = names(definitions[0]);
    for (const p of ws.ParentHyperParameterTuningJobs ?? []) {
      const parent = this.records.get(scope, p.HyperParameterTuningJobName!);
      if (!parent) throw validation(`The parent tuning job ${p.HyperParameterTuningJobName} does not exist.`);
      const status = parent.describe.HyperParameterTuningJobStatus;
      if (status === 'InProgress' || status === 'Stopping') {
        throw validation(`The parent tuning job ${p.HyperParameterTuningJobName} is in status ${status}. A parent of a warm start must have finished.`);
      }
      const pd = parent.describe.TrainingJobDefinition ?? parent.describe.TrainingJobDefinitions?.[0];
      if (!pd) continue;
      const theirs = names(pd, pd.HyperParameterRanges ?? parent.describe.HyperParameterTuningJobConfig?.ParameterRanges);
      if (theirs.size !== mine.size || [...mine].some((n) => !theirs.has(n))) {
        throw validation(
          'The set of tunable plus static HyperParameter names is not the same across current and parent tuning jobs. Please ensure this set is constant when warm starting. Note that previously static HyperParameters can be tuned in warm start jobs and vice versa.',
        );
      }
      if (ws.WarmStartType === 'IdenticalDataAndAlgorithm' && pd.AlgorithmSpecification?.TrainingImage !== definitions[0].AlgorithmSpecification?.TrainingImage) {
        throw validation('A warm start of type IdenticalDataAndAlgorithm needs the same training image as its parent tuning jobs.');
      }
    }
  }
}

