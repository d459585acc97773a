import type {
  CreateAutoMLJobRequest,
  CreateAutoMLJobV2Request,
  ListAutoMLJobsRequest,
  ListCandidatesForAutoMLJobRequest,
} from '@aws-sdk/client-sagemaker';
import type { ContainerRuntime } from '../../../containers/index.js';
import { AwsError, resourceNotFound, validation } from '../../../protocol/errors.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { pageByOffset } from '../../page-token.js';
import { invalidNextToken, jobRecordFields, listPage } from '../listing.js';
import { scopeOf } from '../scope.js';
import type { TrainingJobService } from '../training-jobs.js';
import { seedOf, type ProblemType } from './data.js';
import { BestCandidateDeployer } from './deploy.js';
import { PARQUET_CONTENT_TYPE } from './parquet.js';
import { candidateViews, commonView } from './describe.js';
import { AUTOML_KIND, automlArn, type AutoMLRecord, type AutoMLSpec } from './record.js';
import { AutoMLRunner } from './runner.js';

const notFound = (name: string) => resourceNotFound(`Amazon SageMaker can't find an AutoML job called ${name}.`);

/** AutoML (Autopilot) jobs, V1 and V2 APIs, tabular: candidates are real training jobs. */
export class AutoMLService {
  private readonly runner: AutoMLRunner;

  constructor(
    private readonly deps: ServiceDeps,
    training: TrainingJobService,
    containers: ContainerRuntime,
    /** The finished operation table: the one-click deployment calls CreateModel and CreateEndpoint through it. */
    operations: () => Record<string, OperationHandler>,
  ) {
    this.runner = new AutoMLRunner(deps, training, containers, new BestCandidateDeployer(deps, operations));
  }

  operations(): Record<string, OperationHandler> {
    return {
      CreateAutoMLJob: (i, c) => this.createV1(i as CreateAutoMLJobRequest, c),
      CreateAutoMLJobV2: (i, c) => this.createV2(i as CreateAutoMLJobV2Request, c),
      DescribeAutoMLJob: (i, c) => this.describeV1((i as { AutoMLJobName: string }).AutoMLJobName, c),
      DescribeAutoMLJobV2: (i, c) => this.describeV2((i as { AutoMLJobName: string }).AutoMLJobName, c),
      ListAutoMLJobs: (i, c) => this.list(i as ListAutoMLJobsRequest, c),
      ListCandidatesForAutoMLJob: (i, c) => this.listCandidates(i as ListCandidatesForAutoMLJobRequest, c),
      StopAutoMLJob: (i, c) => this.stop((i as { AutoMLJobName: string }).AutoMLJobName, c),
    };
  }

  private createV1(req: CreateAutoMLJobRequest, ctx: RequestContext) {
    const channels = req.InputDataConfig ?? [];
    const training = channels.filter((c) => (c.ChannelType ?? 'training') === 'training');
    const validationChannels = channels.filter((c) => c.ChannelType === 'validation');
    if (training.length !== 1 || validationChannels.length > 1) {
      throw validation('InputDataConfig needs exactly one channel of type training and at most one of type validation.');
    }
    if (new Set(channels.map((c) => c.TargetAttributeName)).size > 1) throw validation('The TargetAttributeName must be the same in every channel.');
    const config = req.AutoMLJobConfig ?? {};
    const spec: AutoMLSpec = {
      problemConfig: 'Tabular',
      training: training[0].DataSource!.S3DataSource!.S3Uri!,
      validation: validationChannels[0]?.DataSource?.S3DataSource?.S3Uri,
      target: training[0].TargetAttributeName!,
      problemType: req.ProblemType as ProblemType | undefined,
      objective: req.AutoMLJobObjective?.MetricName,
      maxCandidates: config.CompletionCriteria?.MaxCandidates,
      maxRuntimePerTrainingJob: config.CompletionCriteria?.MaxRuntimePerTrainingJobInSeconds,
      maxJobRuntime: config.CompletionCriteria?.MaxAutoMLJobRuntimeInSeconds,
      algorithms: config.CandidateGenerationConfig?.AlgorithmsConfig?.flatMap((a) => a.AutoMLAlgorithms ?? []),
      validationFraction: config.DataSplitConfig?.ValidationFraction,
      definitionsOnly: req.GenerateCandidateDefinitionsOnly ?? false,
      outputPath: req.OutputDataConfig!.S3OutputPath!,
      roleArn: req.RoleArn!,
      parquet: channels.some((c) => c.ContentType === PARQUET_CONTENT_TYPE),
      unsupported: unsupportedInput(channels),
      deploy: deployTarget(req.AutoMLJobName!, req.ModelDeployConfig),
    };
    return this.create(scopeOf(ctx), 1, req.AutoMLJobName!, req, spec, req.Tags);
  }

  private createV2(req: CreateAutoMLJobV2Request, ctx: RequestContext) {
    const problem: NonNullable<CreateAutoMLJobV2Request['AutoMLProblemTypeConfig']> = req.AutoMLProblemTypeConfig ?? ({} as never);
    const kind = Object.keys(problem).find((k) => problem[k as keyof typeof problem]);
    if (!kind) throw validation('AutoMLProblemTypeConfig must name one problem type configuration.');
    const channels = req.AutoMLJobInputDataConfig ?? [];
    const training = channels.filter((c) => (c.ChannelType ?? 'training') === 'training');
    const validationChannels = channels.filter((c) => c.ChannelType === 'validation');
    if (training.length !== 1 || validationChannels.length > 1) {
      throw validation('AutoMLJobInputDataConfig needs exactly one channel of type training and at most one of type validation.');
    }
    const tabular = problem.TabularJobConfig;
    const spec: AutoMLSpec = {
      problemConfig: tabular ? 'Tabular' : kind.replace(/JobConfig$/, ''),
      training: training[0].DataSource!.S3DataSource!.S3Uri!,
      validation: validationChannels[0]?.DataSource?.S3DataSource?.S3Uri,
      target: tabular?.TargetAttributeName ?? '',
      problemType: tabular?.ProblemType as ProblemType | undefined,
      objective: req.AutoMLJobObjective?.MetricName,
      maxCandidates: tabular?.CompletionCriteria?.MaxCandidates,
      maxRuntimePerTrainingJob: tabular?.CompletionCriteria?.MaxRuntimePerTrainingJobInSeconds,
      maxJobRuntime: tabular?.CompletionCriteria?.MaxAutoMLJobRuntimeInSeconds,
      algorithms: tabular?.CandidateGenerationConfig?.AlgorithmsConfig?.flatMap((a) => a.AutoMLAlgorithms ?? []),
      validationFraction: req.DataSplitConfig?.ValidationFraction,
      definitionsOnly: tabular?.GenerateCandidateDefinitionsOnly ?? false,
      outputPath: req.OutputDataConfig!.S3OutputPath!,
      roleArn: req.RoleArn!,
      parquet: channels.some((c) => c.ContentType === PARQUET_CONTENT_TYPE),
      unsupported: unsupportedInput(channels),
      deploy: deployTarget(req.AutoMLJobName!, req.ModelDeployConfig),
    };
    return this.create(scopeOf(ctx), 2, req.AutoMLJobName!, req, spec, req.Tags);
  }

  private create(scope: Scope, version: 1 | 2, name: string, req: object, spec: AutoMLSpec, tags?: { Key?: string; Value?: string }[]) {
    // API reference (ProblemType, TabularJobConfig.ProblemType): both or neither.
    if (spec.problemConfig === 'Tabular' && !spec.problemType !== !spec.objective) {
      throw validation('You must either provide both the AutoMLJobObjective and the ProblemType, or none at all.');
    }
    if (spec.problemType && spec.objective && (spec.problemType === 'Regression') !== REGRESSION_METRICS.includes(spec.objective)) {
      throw validation(`The objective metric ${spec.objective} is not valid for problem type ${spec.problemType}.`);
    }
    const arn = automlArn(scope, name);
    const now = new Date(this.deps.clock.now()).toISOString();
    const { Tags: _tags, ...request } = req as Record<string, unknown>;
    const record: AutoMLRecord = { version, name, arn, request, spec, status: 'InProgress', secondary: 'Starting', created: now, modified: now, candidates: [] };
    if (!this.deps.db.insert(scope, AUTOML_KIND, name, arn, record)) throw new AwsError('ResourceInUse', `Job with name ${name} already exists.`);
    if (tags?.length) this.deps.db.addTags(arn, tags);
    this.runner.run(scope, name);
    return { AutoMLJobArn: arn };
  }

  private get(scope: Scope, name: string): AutoMLRecord {
    const r = this.deps.db.get<AutoMLRecord>(scope, AUTOML_KIND, name);
    if (!r) throw notFound(name);
    return r.data;
  }

  private describeV1(name: string, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const r = this.get(scope, name);
    const { CompletionCriteria, ...common } = commonView(this.deps.db, scope, r);
    const req = r.request as Partial<CreateAutoMLJobRequest & CreateAutoMLJobV2Request>;
    const tabular = req.AutoMLProblemTypeConfig?.TabularJobConfig;
    return {
      ...common,
      InputDataConfig: req.InputDataConfig ?? req.AutoMLJobInputDataConfig?.map((c) => ({ ...c, TargetAttributeName: r.spec.target })),
      ProblemType: r.resolved?.problemType ?? r.spec.problemType,
      AutoMLJobConfig: req.AutoMLJobConfig ?? (tabular && { CompletionCriteria: tabular.CompletionCriteria, Mode: tabular.Mode, DataSplitConfig: req.DataSplitConfig }),
      GenerateCandidateDefinitionsOnly: r.spec.definitionsOnly,
      ResolvedAttributes: r.resolved && { AutoMLJobObjective: { MetricName: r.resolved.objective }, ProblemType: r.resolved.problemType, CompletionCriteria },
      ModelDeployConfig: req.ModelDeployConfig,
    };
  }

  private describeV2(name: string, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const r = this.get(scope, name);
    const { CompletionCriteria, ...common } = commonView(this.deps.db, scope, r);
    const req = r.request as Partial<CreateAutoMLJobRequest & CreateAutoMLJobV2Request>;
    const problemConfig = req.AutoMLProblemTypeConfig ?? {
      TabularJobConfig: {
        TargetAttributeName: r.spec.target,
        ProblemType: req.ProblemType,
        CompletionCriteria: req.AutoMLJobConfig?.CompletionCriteria,
        Mode: req.AutoMLJobConfig?.Mode,
        GenerateCandidateDefinitionsOnly: r.spec.definitionsOnly,
        CandidateGenerationConfig: req.AutoMLJobConfig?.CandidateGenerationConfig,
      },
    };
    return {
      ...common,
      AutoMLJobInputDataConfig:
        req.AutoMLJobInputDataConfig ?? req.InputDataConfig?.map((c) => ({ ChannelType: c.ChannelType, ContentType: c.ContentType, CompressionType: c.CompressionType, DataSource: c.DataSource })),
      AutoMLProblemTypeConfig: problemConfig,
      AutoMLProblemTypeConfigName: r.spec.problemConfig,
      ResolvedAttributes: r.resolved && {
        AutoMLJobObjective: { MetricName: r.resolved.objective },
        CompletionCriteria,
        AutoMLProblemTypeResolvedAttributes: { TabularResolvedAttributes: { ProblemType: r.resolved.problemType } },
      },
      DataSplitConfig: req.DataSplitConfig ?? req.AutoMLJobConfig?.DataSplitConfig,
      SecurityConfig: req.SecurityConfig,
      ModelDeployConfig: req.ModelDeployConfig,
    };
  }

  private list(req: ListAutoMLJobsRequest, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const rows = this.deps.db.list<AutoMLRecord>(scope, AUTOML_KIND).map((x) => x.data);
    // API reference: SortBy defaults to Name, SortOrder to Descending.
    const { page, NextToken } = listPage(rows, { ...req, SortBy: req.SortBy ?? 'Name' }, jobRecordFields<AutoMLRecord>());
    return {
      AutoMLJobSummaries: page.map((r) => {
        const v = commonView(this.deps.db, scope, r);
        return {
          AutoMLJobName: v.AutoMLJobName,
          AutoMLJobArn: v.AutoMLJobArn,
          AutoMLJobStatus: v.AutoMLJobStatus,
          AutoMLJobSecondaryStatus: v.AutoMLJobSecondaryStatus,
          CreationTime: v.CreationTime,
          EndTime: v.EndTime,
          LastModifiedTime: v.LastModifiedTime,
          FailureReason: v.FailureReason,
          PartialFailureReasons: v.PartialFailureReasons,
        };
      }),
      NextToken,
    };
  }

  private listCandidates(req: ListCandidatesForAutoMLJobRequest, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const r = this.get(scope, req.AutoMLJobName!);
    let rows = candidateViews(this.deps.db, scope, r);
    if (req.StatusEquals) rows = rows.filter((c) => c.CandidateStatus === req.StatusEquals);
    if (req.CandidateNameEquals) rows = rows.filter((c) => c.CandidateName === req.CandidateNameEquals);
    // API reference: SortOrder defaults to Ascending; without SortBy, creation order.
    const by = req.SortBy ?? 'CreationTime';
    if (by === 'FinalObjectiveMetricValue') rows = rows.filter((c) => c.ObjectiveStatus === 'Succeeded');
    const key = (c: (typeof rows)[number]): number | string =>
      by === 'Status' ? c.CandidateStatus! : by === 'FinalObjectiveMetricValue' ? c.FinalAutoMLJobObjectiveMetric!.Value! : c.CreationTime!.getTime();
    const dir = (req.SortOrder ?? 'Ascending') === 'Descending' ? -1 : 1;
    rows = rows.map((c, i) => ({ c, i })).sort((a, b) => (key(a.c) < key(b.c) ? -1 : key(a.c) > key(b.c) ? 1 : 0) * dir || a.i - b.i).map((x) => x.c);
    const { items, nextToken } = pageByOffset(rows, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    return { Candidates: items, NextToken: nextToken };
  }

  private stop(name: string, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const r = this.get(scope, name);
    if (r.status !== 'InProgress') throw validation(`The AutoML job ${r.name} is in status ${r.status} and cannot be stopped.`);
    this.runner.stop(scope, r.name);
    return {};
  }

  recover(): void {
    for (const r of this.deps.db.listEverywhere<AutoMLRecord>(AUTOML_KIND)) {
      if (r.data.status === 'InProgress' || r.data.status === 'Stopping') this.runner.run(r.scope, r.name);
    }
  }

  shutdown(): void {
    this.runner.shutdown();
  }
}

/**
 * ModelDeployConfig (API reference): AutoGenerateEndpointName true without EndpointName, or an
 * EndpointName with it false (its default); anything else is a 400.
 */
function deployTarget(job: string, config?: { AutoGenerateEndpointName?: boolean; EndpointName?: string }): AutoMLSpec['deploy'] {
  if (!config) return undefined;
  if (config.AutoGenerateEndpointName && config.EndpointName) throw validation('Specify EndpointName only when AutoGenerateEndpointName is False.');
  if (!config.AutoGenerateEndpointName && !config.EndpointName) throw validation('Specify EndpointName when AutoGenerateEndpointName is False.');
  // A generated name: the job's, with a suffix derived from it (the same after a restart).
  return { endpointName: config.EndpointName ?? `${job}-${seedOf(job).toString(16).padStart(8, '0')}` };
}

/** The metrics of a regression problem; the others are classification metrics. */
const REGRESSION_METRICS = ['MSE', 'RMSE', 'MAE', 'R2', 'MAPE', 'MASE', 'WAPE', 'AverageWeightedQuantileLoss'];

/** Input localsage cannot read, as the reason the job will fail with (AWS accepts it). */
function unsupportedInput(channels: { ContentType?: string; CompressionType?: string; DataSource?: { S3DataSource?: { S3DataType?: string } } }[]): string | undefined {
  for (const c of channels) {
    if (c.DataSource?.S3DataSource?.S3DataType && c.DataSource.S3DataSource.S3DataType !== 'S3Prefix') {
      return `localsage reads S3Prefix data sources only, not ${c.DataSource.S3DataSource.S3DataType}.`;
    }
    if (c.ContentType && !/^text\/csv/.test(c.ContentType) && c.ContentType !== PARQUET_CONTENT_TYPE) {
      return `localsage reads CSV with a header row and Parquet only, not ${c.ContentType}.`;
    }
    if (c.CompressionType && c.CompressionType !== 'None') return `localsage reads uncompressed input only, not ${c.CompressionType}.`;
  }
  if (new Set(channels.map((c) => c.ContentType === PARQUET_CONTENT_TYPE)).size > 1) return 'The training and validation channels must have the same content type.';
  return undefined;
}
