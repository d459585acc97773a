import type {
  ContainerDefinition,
  CreateInferenceRecommendationsJobRequest,
  InferenceRecommendation,
  InferenceRecommendationsJobStep,
  ListInferenceRecommendationsJobStepsRequest,
  ListInferenceRecommendationsJobsRequest,
} from '@aws-sdk/client-sagemaker';
import { INSTANCE_TYPES } from '../../../../core/instance-types.js';
import type { ContainerRuntime } from '../../../containers/index.js';
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { AwsError, resourceNotFound, validation } from '../../../protocol/errors.js';
import type { Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { pageByOffset } from '../../page-token.js';
import { invalidNextToken, jobRecordFields, listPage } from '../listing.js';
import { scopeOf } from '../scope.js';
import { BenchmarkError, measureLatency, samplePayloads } from './benchmark.js';
import { MODEL_KIND, pipelineContainers, type ModelRecord } from '../models.js';
import { defaultThreshold, estimate, knownInstanceType, type Estimate, type Threshold } from './estimate.js';

const KIND = 'inference-recommendations-job';
type Status = 'PENDING' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'STOPPING' | 'STOPPED';

interface Step {
  instanceType: string;
  status: Status;
  estimate?: Estimate;
  failureReason?: string;
  start?: string;
  end?: string;
}

interface RecommendationRecord {
  name: string;
  arn: string;
  request: Omit<CreateInferenceRecommendationsJobRequest, 'Tags'>;
  status: Status;
  created: string;
  modified: string;
  completed?: string;
  failureReason?: string;
  steps: Step[];
}

const notFound = (name: string) => resourceNotFound(`Amazon SageMaker can't find an inference recommendations job called ${name}.`);
/** The instance types a Default job tries when neither the model package nor the request names any: the CPU profiles. */
const DEFAULT_TYPES = Object.values(INSTANCE_TYPES).filter((p) => !p.accelerator).map((p) => p.name);

/**
 * Inference Recommender, estimated offline: the model's latency is measured for real on the
 * emulator with the sample payloads, and each candidate instance type's throughput, latency and
 * cost come from the what-if simulator over the instance profiles (estimate.ts).
 */
export class InferenceRecommenderService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly containers: ContainerRuntime,
  ) {}

  operations(): Record<string, OperationHandler> {
    return {
      CreateInferenceRecommendationsJob: (i, c) => this.create(i as CreateInferenceRecommendationsJobRequest, c),
      DescribeInferenceRecommendationsJob: (i, c) => this.describe(scopeOf(c), (i as { JobName: string }).JobName),
      ListInferenceRecommendationsJobs: (i, c) => this.list(i as ListInferenceRecommendationsJobsRequest, c),
      ListInferenceRecommendationsJobSteps: (i, c) => this.listSteps(i as ListInferenceRecommendationsJobStepsRequest, c),
      StopInferenceRecommendationsJob: (i, c) => this.stop(scopeOf(c), (i as { JobName: string }).JobName),
    };
  }

  private create(req: CreateInferenceRecommendationsJobRequest, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const input = req.InputConfig ?? {};
    if (!input.ModelPackageVersionArn && !input.ModelName) throw validation('InputConfig needs a ModelPackageVersionArn or a ModelName.');
    if (input.ModelPackageVersionArn && input.ModelName) throw validation('Give either ModelPackageVersionArn or ModelName in InputConfig, not both.');
    if (req.JobType === 'Advanced' && !input.EndpointConfigurations?.length) throw validation('An Advanced job needs EndpointConfigurations.');
    const name = req.JobName!;
    const arn = `arn:aws:sagemaker:${scope.region}:${scope.accountId}:inference-recommendations-job/${name.toLowerCase()}`;
    const now = new Date(this.deps.clock.now()).toISOString();
    const { Tags, ...request } = req;
    const record: RecommendationRecord = { name, arn, request, status: 'PENDING', created: now, modified: now, steps: [] };
    if (!this.deps.db.insert(scope, KIND, name, arn, record)) throw new AwsError('ResourceInUse', `An inference recommendations job with the name ${name} already exists.`);
    if (Tags?.length) this.deps.db.addTags(arn, Tags);
    this.deps.clock.schedule(this.deps.timing.controlPlaneTransition, () => {
      this.run(scope, name).catch((e) => this.finish(scope, name, 'FAILED', `InternalServerError: ${(e as Error).message}`));
    });
    return { JobArn: arn };
  }

  private load(scope: Scope, name: string): RecommendationRecord | undefined {
    return this.deps.db.get<RecommendationRecord>(scope, KIND, name)?.data;
  }

  private save(scope: Scope, r: RecommendationRecord): void {
    r.modified = new Date(this.deps.clock.now()).toISOString();
    this.deps.db.update(scope, KIND, r.name, r);
  }

  private finish(scope: Scope, name: string, status: Status, reason?: string): void {
    const r = this.load(scope, name);
    if (!r || ['COMPLETED', 'FAILED', 'STOPPED'].includes(r.status)) return;
    r.status = status;
    if (reason) r.failureReason = reason;
    r.completed = new Date(this.deps.clock.now()).toISOString();
    for (const s of r.steps) if (s.status === 'PENDING' || s.status === 'IN_PROGRESS') s.status = 'STOPPED';
    this.save(scope, r);
  }

  private async run(scope: Scope, name: string): Promise<void> {
    const r = this.load(scope, name);
    if (!r || r.status !== 'PENDING') return this.finish(scope, name, 'STOPPED');
    r.status = 'IN_PROGRESS';
    this.save(scope, r);
    const input = r.request.InputConfig!;
    let model: { container: ContainerDefinition; pipeline?: ContainerDefinition[]; types?: string[]; payloadUrl?: string; contentTypes?: string[] };
    let samples: number[];
    let contentType: string;
    try {
      model = this.resolveModel(scope, r);
      const payload = input.ContainerConfig?.PayloadConfig?.SamplePayloadUrl ?? model.payloadUrl;
      if (!payload) throw new BenchmarkError('No sample payload: give InputConfig.ContainerConfig.PayloadConfig.SamplePayloadUrl (or SamplePayloadUrl on the model package).');
      contentType = input.ContainerConfig?.PayloadConfig?.SupportedContentTypes?.[0] ?? model.contentTypes?.[0] ?? 'text/csv';
      const payloads = await samplePayloads(this.deps.store, payload);
      samples = await measureLatency(scope, this.deps.store, this.containers, name, model.container, payloads, contentType, model.pipeline);
    } catch (e) {
      if (e instanceof BenchmarkError) return this.finish(scope, name, 'FAILED', `ClientError: ${e.message}`);
      throw e;
    }
    const types = (input.EndpointConfigurations?.map((c) => c.InstanceType!).filter(Boolean) ?? []).length
      ? input.EndpointConfigurations!.map((c) => c.InstanceType!).filter(Boolean)
      : (model.types ?? input.ContainerConfig?.SupportedInstanceTypes ?? DEFAULT_TYPES);
    const limited = [...new Set(types)].slice(0, input.ResourceLimit?.MaxNumberOfTests ?? Infinity);
    const current = this.load(scope, name)!;
    if (current.status !== 'IN_PROGRESS') return this.finish(scope, name, 'STOPPED');
    current.steps = limited.map((t) => ({ instanceType: t, status: 'PENDING' }));
    this.save(scope, current);
    const threshold = thresholdOf(r.request, samples);
    for (let i = 0; i < limited.length; i++) {
      // One instance type per turn of the event loop: the simulation is synchronous.
      await new Promise((ok) => setImmediate(ok));
      const now = this.load(scope, name)!;
      if (now.status !== 'IN_PROGRESS') return this.finish(scope, name, 'STOPPED');
      const step = now.steps[i];
      step.start = new Date(this.deps.clock.now()).toISOString();
      if (!knownInstanceType(step.instanceType)) {
        step.status = 'FAILED';
        step.failureReason = `localsage has no instance profile for ${step.instanceType} (known: ${Object.keys(INSTANCE_TYPES).join(', ')}).`;
      } else {
        const result = await estimate(step.instanceType, { samples }, threshold, r.request.StoppingConditions?.MaxInvocations);
        // A Stop that came while the load tests ran wins.
        if (this.load(scope, name)!.status !== 'IN_PROGRESS') return this.finish(scope, name, 'STOPPED');
        step.estimate = result;
        step.status = 'COMPLETED';
      }
      step.end = new Date(this.deps.clock.now()).toISOString();
      this.save(scope, now);
    }
    const done = this.load(scope, name)!;
    if (!done.steps.some((s) => s.status === 'COMPLETED')) return this.finish(scope, name, 'FAILED', `ClientError: No benchmark completed: ${done.steps[0]?.failureReason ?? 'no instance types to test'}`);
    this.finish(scope, name, 'COMPLETED');
  }

  /** The container to benchmark, and what the model package says about payloads and instance types. */
  private resolveModel(scope: Scope, r: RecommendationRecord) {
    const input = r.request.InputConfig!;
    if (input.ModelName) {
      const m = this.deps.db.get<ModelRecord>(scope, MODEL_KIND, input.ModelName)?.data;
      if (!m) throw new BenchmarkError(`Could not find model "${input.ModelName}".`);
      const container = m.PrimaryContainer ?? m.Containers?.[0];
      if (!container?.Image) throw new BenchmarkError(`The model ${input.ModelName} has no container to benchmark.`);
      return { container, pipeline: pipelineContainers(this.deps.db, scope, m) };
    }
    const pkg = this.deps.db
      .list<{ arn: string; input: Record<string, any> }>(scope, 'engine:ModelPackage')
      .find((p) => p.data.arn === input.ModelPackageVersionArn)?.data;
    if (!pkg) throw new BenchmarkError(`Could not find model package ${input.ModelPackageVersionArn}.`);
    const spec = pkg.input.InferenceSpecification;
    const container = spec?.Containers?.[0] as ContainerDefinition | undefined;
    if (!container?.Image) throw new BenchmarkError(`The model package ${input.ModelPackageVersionArn} has no inference container.`);
    return {
      container,
      types: spec.SupportedRealtimeInferenceInstanceTypes as string[] | undefined,
      payloadUrl: pkg.input.SamplePayloadUrl as string | undefined,
      contentTypes: spec.SupportedContentTypes as string[] | undefined,
    };
  }

  private get(scope: Scope, name: string): RecommendationRecord {
    const r = this.load(scope, name);
    if (!r) throw notFound(name);
    return r;
  }

  private describe(scope: Scope, name: string) {
    const r = this.get(scope, name);
    const completed = r.steps.filter((s) => s.status === 'COMPLETED');
    return {
      JobName: r.name,
      JobDescription: r.request.JobDescription,
      JobType: r.request.JobType,
      JobArn: r.arn,
      RoleArn: r.request.RoleArn,
      Status: r.status,
      CreationTime: new Date(r.created),
      CompletionTime: r.completed ? new Date(r.completed) : undefined,
      LastModifiedTime: new Date(r.modified),
      FailureReason: r.failureReason,
      InputConfig: r.request.InputConfig,
      StoppingConditions: r.request.StoppingConditions,
      InferenceRecommendations: completed.length ? completed.map((s, i) => recommendation(r, s, i)) : undefined,
    };
  }

  private list(req: ListInferenceRecommendationsJobsRequest, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    let rows = this.deps.db.list<RecommendationRecord>(scope, KIND).map((x) => x.data);
    if (req.ModelNameEquals) rows = rows.filter((r) => r.request.InputConfig?.ModelName === req.ModelNameEquals);
    if (req.ModelPackageVersionArnEquals) rows = rows.filter((r) => r.request.InputConfig?.ModelPackageVersionArn === req.ModelPackageVersionArnEquals);
    const { page, NextToken } = listPage(rows, { ...req, SortBy: req.SortBy ?? 'CreationTime' }, jobRecordFields<RecommendationRecord>());
    return {
      InferenceRecommendationsJobs: page.map((r) => ({
        JobName: r.name,
        JobDescription: r.request.JobDescription ?? '',
        JobType: r.request.JobType,
        JobArn: r.arn,
        Status: r.status,
        CreationTime: new Date(r.created),
        CompletionTime: r.completed ? new Date(r.completed) : undefined,
        RoleArn: r.request.RoleArn,
        LastModifiedTime: new Date(r.modified),
        FailureReason: r.failureReason,
        ModelName: r.request.InputConfig?.ModelName,
        SamplePayloadUrl: r.request.InputConfig?.ContainerConfig?.PayloadConfig?.SamplePayloadUrl,
        ModelPackageVersionArn: r.request.InputConfig?.ModelPackageVersionArn,
      })),
      NextToken,
    };
  }

  private listSteps(req: ListInferenceRecommendationsJobStepsRequest, ctx: RequestContext) {
    const r = this.get(scopeOf(ctx), req.JobName!);
    let steps: InferenceRecommendationsJobStep[] = r.steps.map((s, i) => ({
      StepType: 'BENCHMARK',
      JobName: r.name,
      Status: s.status,
      InferenceBenchmark: {
        Metrics: s.estimate && metrics(s.estimate),
        EndpointMetrics: s.estimate && { MaxInvocations: s.estimate.maxInvocationsPerMinute, ModelLatency: Math.ceil(s.estimate.modelLatencyMs) },
        EndpointConfiguration: endpointOf(r, s, i),
        ModelConfiguration: {},
        FailureReason: s.failureReason,
        InvocationStartTime: s.start ? new Date(s.start) : undefined,
        InvocationEndTime: s.end ? new Date(s.end) : undefined,
      },
    }));
    if (req.Status) steps = steps.filter((s) => s.Status === req.Status);
    if (req.StepType) steps = steps.filter((s) => s.StepType === req.StepType);
    const { items, nextToken } = pageByOffset(steps, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    return { Steps: items, NextToken: nextToken };
  }

  private stop(scope: Scope, name: string) {
    const r = this.get(scope, name);
    if (r.status !== 'PENDING' && r.status !== 'IN_PROGRESS') throw validation(`The inference recommendations job ${r.name} is in status ${r.status} and cannot be stopped.`);
    r.status = 'STOPPING';
    this.save(scope, r);
    return {};
  }

  /** Jobs a restart interrupted end as AWS ends an interrupted load test: failed, with the reason. */
  recover(): void {
    for (const r of this.deps.db.listEverywhere<RecommendationRecord>(KIND)) {
      if (r.data.status === 'STOPPING') this.finish(r.scope, r.name, 'STOPPED');
      else if (r.data.status === 'PENDING' || r.data.status === 'IN_PROGRESS') {
        this.finish(r.scope, r.name, 'FAILED', 'InternalServerError: The job was interrupted because the localsage emulator restarted while it was running.');
      }
    }
  }
}

function thresholdOf(req: CreateInferenceRecommendationsJobRequest, samples: number[]): Threshold {
  const t = req.StoppingConditions?.ModelLatencyThresholds?.[0];
  const p = t?.Percentile?.toUpperCase();
  if (t?.ValueInMilliseconds !== undefined && (p === 'P50' || p === 'P90' || p === 'P95' || p === 'P99')) return { percentile: p, ms: t.ValueInMilliseconds };
  return defaultThreshold({ samples });
}

function metrics(e: Estimate) {
  return {
    CostPerHour: e.costPerHour,
    CostPerInference: e.costPerInference,
    MaxInvocations: e.maxInvocationsPerMinute,
    ModelLatency: Math.ceil(e.modelLatencyMs),
    CpuUtilization: e.cpuUtilization,
  };
}

/** AWS names the endpoints its load tests create; here no endpoint is created, the name says which test. */
function endpointOf(r: RecommendationRecord, s: Step, i: number) {
  return { EndpointName: `sm-epc-${r.name}-${i + 1}`.slice(0, 63), VariantName: 'AllTraffic', InstanceType: s.instanceType as never, InitialInstanceCount: 1 };
}

function recommendation(r: RecommendationRecord, s: Step, i: number): InferenceRecommendation {
  return {
    RecommendationId: `${r.name}/${s.instanceType}`,
    Metrics: metrics(s.estimate!),
    EndpointConfiguration: endpointOf(r, s, r.steps.indexOf(s) >= 0 ? r.steps.indexOf(s) : i),
    ModelConfiguration: {},
    InvocationStartTime: s.start ? new Date(s.start) : undefined,
    InvocationEndTime: s.end ? new Date(s.end) : undefined,
  };
}
