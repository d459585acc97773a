import type {
  CreateInferenceExperimentRequest,
  DeleteInferenceExperimentRequest,
  DescribeInferenceExperimentRequest,
  DescribeInferenceExperimentResponse,
  InferenceExperimentStatus,
  ListInferenceExperimentsRequest,
  ListInferenceExperimentsResponse,
  ModelVariantConfig,
  ModelVariantStatus,
  ProductionVariant,
  StartInferenceExperimentRequest,
  StopInferenceExperimentRequest,
  UpdateInferenceExperimentRequest,
} from '@aws-sdk/client-sagemaker';
import { AwsError, validation } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { instanceStreams } from '../runtime/endpoint-logs.js';
import type { ServingRegistry, ServingVariant } from '../runtime/serving-registry.js';
import type { OperationHandler } from '../../protocol/aws-json.js';
import { checkShadowMode, experimentSchedule, modelContainer } from './inference-experiment-checks.js';
import { applyPromotion, promotionPlan } from './inference-experiment-promotion.js';
import { ENDPOINT_CONFIG_KIND, type EndpointConfigRecord } from './endpoint-configs.js';
import { ENDPOINT_KIND } from './endpoints.js';
import { listPage } from './listing.js';
import { scopeOf } from './scope.js';

const KIND = 'inference-experiment';

/** The stored experiment: DescribeInferenceExperiment's members, plus the shadow's status and a timer generation. */
interface ExperimentRecord {
  Name: string;
  Arn: string;
  Type: string;
  Schedule: { StartTime: Date; EndTime: Date };
  Status: InferenceExperimentStatus;
  StatusReason?: string;
  Description?: string;
  CreationTime: Date;
  CompletionTime?: Date;
  LastModifiedTime: Date;
  RoleArn?: string;
  EndpointName: string;
  ModelVariants: ModelVariantConfig[];
  ShadowModeConfig: NonNullable<CreateInferenceExperimentRequest['ShadowModeConfig']>;
  KmsKey?: string;
  shadowStatus: ModelVariantStatus;
  /** Where Stop leads (Completed unless the caller asks for Cancelled). */
  stopTo?: InferenceExperimentStatus;
  /** While Updating: the status the experiment returns to (Created or Running). */
  resumeTo?: InferenceExperimentStatus;
  /** Set by Stop with Promote / Remove: the production variants the endpoint serves once stopped. */
  promotion?: ProductionVariant[];
  /** Variants a Stop removed (Deleted), and whether the shadow was promoted (InService). */
  removed?: string[];
  promoted?: boolean;
  /** Bumped on each change of course: a timer armed for an older one does nothing. */
  generation: number;
}

const arnOf = (scope: Scope, name: string) => `arn:aws:sagemaker:${scope.region}:${scope.accountId}:inference-experiment/${name.toLowerCase()}`;
const notFound = (scope: Scope, name: string) => new AwsError('ResourceNotFound', `Inference experiment ${arnOf(scope, name)} does not exist.`);
const conflict = (e: ExperimentRecord, action: string, allowed: string[]) =>
  new AwsError('ConflictException', `Cannot ${action} inference experiment "${e.Arn}" in status ${e.Status}; it must be ${allowed.join(' or ')}.`);

/**
 * Inference experiments (shadow tests), with their lifecycle on the emulator clock: Creating ->
 * Created, Starting at Schedule.StartTime (or StartInferenceExperiment), Running until
 * Schedule.EndTime (or StopInferenceExperiment), then Stopping -> Completed | Cancelled. While
 * Running, the shadow variant's model is loaded and gets a sampled copy of every request the
 * source production variant answers (runtime/shadow-mirror.ts); its answers are discarded and
 * counted in CloudWatch under its VariantName. The endpoint's configuration is not rewritten
 * (DescribeEndpoint does not list the shadow variant).
 */
/** An experiment as ListInferenceExperiments shows it; DescribeInferenceExperiment adds to it. */
function experimentSummary(e: ExperimentRecord) {
  return {
    Name: e.Name,
    Type: e.Type as 'ShadowMode',
    Schedule: e.Schedule,
    Status: e.Status,
    StatusReason: e.StatusReason,
    Description: e.Description,
    CreationTime: e.CreationTime,
    CompletionTime: e.CompletionTime,
    LastModifiedTime: e.LastModifiedTime,
    RoleArn: e.RoleArn,
  };
}

export class InferenceExperimentService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly serving: ServingRegistry,
    /** The finished operation table: a promotion creates an endpoint configuration and updates the endpoint. */
    private readonly operations?: () => Record<string, OperationHandler>,
  ) {}

  create(req: CreateInferenceExperimentRequest, ctx: RequestContext): { InferenceExperimentArn: string } {
    const scope = scopeOf(ctx);
    const arn = arnOf(scope, req.Name!);
    if (this.deps.db.get(scope, KIND, req.Name!)) throw new AwsError('ResourceInUse', `Cannot create already existing inference experiment "${arn}".`);
    if (req.DataStorageConfig) throw validation('localsage does not capture inference experiment data: remove DataStorageConfig.');
    checkShadowMode(this.deps.db, scope, req.EndpointName!, req.ModelVariants!, req.ShadowModeConfig!);
    const active = this.deps.db
      .list<ExperimentRecord>(scope, KIND)
      .find((r) => r.data.EndpointName === req.EndpointName && !['Completed', 'Cancelled'].includes(r.data.Status));
    if (active) throw new AwsError('ResourceInUse', `Endpoint "${req.EndpointName}" already has an inference experiment that has not finished: "${active.data.Arn}".`);
    const now = this.deps.clock.now();
    const record: ExperimentRecord = {
      Name: req.Name!,
      Arn: arn,
      Type: req.Type!,
      Schedule: experimentSchedule(req.Schedule, now),
      Status: 'Creating',
      Description: req.Description,
      CreationTime: new Date(now),
      LastModifiedTime: new Date(now),
      RoleArn: req.RoleArn,
      EndpointName: req.EndpointName!,
      ModelVariants: req.ModelVariants!,
      ShadowModeConfig: req.ShadowModeConfig!,
      KmsKey: req.KmsKey,
      shadowStatus: 'Creating',
      generation: 0,
    };
    this.deps.db.insert(scope, KIND, req.Name!, arn, record);
    if (req.Tags?.length) this.deps.db.addTags(arn, req.Tags);
    this.arm(scope, record);
    return { InferenceExperimentArn: arn };
  }

  describe(req: DescribeInferenceExperimentRequest, ctx: RequestContext): DescribeInferenceExperimentResponse {
    const scope = scopeOf(ctx);
    const e = this.load(scope, req.Name!);
    const endpoint = this.deps.db.get<{ EndpointConfigName?: string; EndpointStatus?: string; FailureReason?: string }>(scope, ENDPOINT_KIND, e.EndpointName)?.data;
    const shadowName = e.ShadowModeConfig.ShadowModelVariants![0].ShadowModelVariantName;
    return {
      Arn: e.Arn,
      ...experimentSummary(e),
      EndpointMetadata: { EndpointName: e.EndpointName, EndpointConfigName: endpoint?.EndpointConfigName, EndpointStatus: endpoint?.EndpointStatus as 'InService', FailureReason: endpoint?.FailureReason },
      ModelVariants: e.ModelVariants.map((v) => ({ ...v, Status: e.removed?.includes(v.VariantName!) && e.Status !== 'Stopping' ? 'Deleted' : v.VariantName === shadowName ? e.shadowStatus : 'InService' })),
      ShadowModeConfig: e.ShadowModeConfig,
      KmsKey: e.KmsKey,
    };
  }

  list(req: ListInferenceExperimentsRequest, ctx: RequestContext): ListInferenceExperimentsResponse {
    const rows = this.deps.db
      .list<ExperimentRecord>(scopeOf(ctx), KIND)
      .map((r) => r.data)
      .filter((e) => req.Type === undefined || e.Type === req.Type);
    const { page, NextToken } = listPage(rows, req, {
      name: (e) => e.Name,
      creationTime: (e) => e.CreationTime,
      lastModifiedTime: (e) => e.LastModifiedTime,
      status: (e) => e.Status,
      defaultOrder: 'Descending',
    });
    return {
      InferenceExperiments: page.map(experimentSummary),
      NextToken,
    };
  }

  update(req: UpdateInferenceExperimentRequest, ctx: RequestContext): { InferenceExperimentArn: string } {
    const scope = scopeOf(ctx);
    const e = this.load(scope, req.Name!);
    if (e.Status !== 'Created' && e.Status !== 'Running') throw conflict(e, 'update', ['Created', 'Running']);
    if (req.DataStorageConfig) throw validation('localsage does not capture inference experiment data: remove DataStorageConfig.');
    const variants = req.ModelVariants ?? e.ModelVariants;
    const shadowMode = req.ShadowModeConfig ?? e.ShadowModeConfig;
    if (req.ModelVariants || req.ShadowModeConfig) {
      if (e.Status === 'Running' && req.ModelVariants) throw validation('ModelVariants cannot change while the inference experiment is Running.');
      checkShadowMode(this.deps.db, scope, e.EndpointName, variants, shadowMode);
    }
    let schedule = e.Schedule;
    const now = this.deps.clock.now();
    if (req.Schedule) {
      // A running experiment keeps its start; only its end may move.
      const start = e.Status === 'Running' ? e.Schedule.StartTime : (req.Schedule.StartTime ?? e.Schedule.StartTime);
      schedule = experimentSchedule({ StartTime: start, EndTime: req.Schedule.EndTime ?? e.Schedule.EndTime }, now);
    }
    // Updating for the control plane's transition time, then back where it was.
    const next = {
      ...e,
      Description: req.Description ?? e.Description,
      ModelVariants: variants,
      ShadowModeConfig: shadowMode,
      Schedule: schedule,
      Status: 'Updating' as const,
      resumeTo: e.Status,
      LastModifiedTime: new Date(now),
      generation: e.generation + 1,
    };
    this.save(scope, next);
    // A new sampling percentage applies to the running shadow at once.
    const shadow = this.serving.get(scope, e.EndpointName)?.shadow;
    if (e.Status === 'Running' && shadow) shadow.samplingPercentage = shadowMode.ShadowModelVariants![0].SamplingPercentage!;
    this.arm(scope, next);
    return { InferenceExperimentArn: e.Arn };
  }

  start(req: StartInferenceExperimentRequest, ctx: RequestContext): { InferenceExperimentArn: string } {
    const scope = scopeOf(ctx);
    const e = this.load(scope, req.Name!);
    if (e.Status !== 'Created') throw conflict(e, 'start', ['Created']);
    const now = this.deps.clock.now();
    const started = { ...e, Schedule: { ...e.Schedule, StartTime: new Date(now) }, generation: e.generation + 1 };
    this.save(scope, started);
    // Starting begins at the StartTime just stored, not at a later clock read.
    this.begin(scope, started, now);
    return { InferenceExperimentArn: e.Arn };
  }

  stop(req: StopInferenceExperimentRequest, ctx: RequestContext): { InferenceExperimentArn: string } {
    const scope = scopeOf(ctx);
    const e = this.load(scope, req.Name!);
    if (e.Status !== 'Running' && e.Status !== 'Created') throw conflict(e, 'stop', ['Created', 'Running']);
    const names = new Set(e.ModelVariants.map((v) => v.VariantName));
    const actions = req.ModelVariantActions ?? {};
    for (const variant of Object.keys(actions)) {
      if (!names.has(variant)) throw validation(`The variant "${variant}" in ModelVariantActions is not a model variant of inference experiment "${e.Arn}".`);
    }
    const endpoint = this.deps.db.get<{ EndpointConfigName?: string }>(scope, ENDPOINT_KIND, e.EndpointName)?.data;
    const config = endpoint && this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, endpoint.EndpointConfigName!)?.data;
    const { config: shadowConfig } = this.shadowOf(scope, e);
    const source = e.ShadowModeConfig.SourceModelVariantName!;
    const promotion = promotionPlan(actions, req.DesiredModelVariants, e.ModelVariants, source, shadowConfig.ShadowModelVariantName!, config);
    const removed = Object.entries(actions).filter(([, a]) => a === 'Remove').map(([v]) => v);
    this.finish(scope, { ...e, StatusReason: req.Reason ?? e.StatusReason, promotion, removed, promoted: !!promotion }, req.DesiredState ?? 'Completed');
    return { InferenceExperimentArn: e.Arn };
  }

  delete(req: DeleteInferenceExperimentRequest, ctx: RequestContext): { InferenceExperimentArn: string } {
    const scope = scopeOf(ctx);
    const e = this.load(scope, req.Name!);
    if (['Starting', 'Running', 'Stopping', 'Updating'].includes(e.Status)) throw conflict(e, 'delete', ['Created', 'Completed', 'Cancelled']);
    this.deps.db.delete(scope, KIND, e.Name);
    return { InferenceExperimentArn: e.Arn };
  }

  /** DeleteEndpoint: an unfinished experiment on the endpoint is cancelled, saying why. */
  endpointDeleted(scope: Scope, endpointName: string): void {
    for (const r of this.deps.db.list<ExperimentRecord>(scope, KIND)) {
      const e = r.data;
      if (e.EndpointName.toLowerCase() !== endpointName.toLowerCase() || ['Completed', 'Cancelled'].includes(e.Status)) continue;
      this.settle(scope, { ...e, StatusReason: `The endpoint "${e.EndpointName}" was deleted.`, stopTo: 'Cancelled' });
    }
  }

  /** After a restart (endpoints first): every experiment picks up its course where the clock now is. */
  recover(): void {
    for (const r of this.deps.db.listEverywhere<ExperimentRecord>(KIND)) {
      const e = r.data;
      if (e.Status === 'Starting') this.begin(r.scope, e);
      else if (e.Status === 'Running' || (e.Status === 'Updating' && e.resumeTo === 'Running')) {
        // The shadow serves again as soon as its model is loaded; the experiment stays Running.
        void this.serving.load(this.shadowOf(r.scope, e).url).then(
          (model) => this.shadowServes(r.scope, e, model),
          (err: Error) => this.settle(r.scope, { ...e, StatusReason: err.message, stopTo: 'Cancelled' }),
        );
        this.arm(r.scope, e);
      } else this.arm(r.scope, e);
    }
  }

  private load(scope: Scope, name: string): ExperimentRecord {
    const found = this.deps.db.get<ExperimentRecord>(scope, KIND, name);
    if (!found) throw notFound(scope, name);
    return found.data;
  }

  private save(scope: Scope, e: ExperimentRecord): void {
    this.deps.db.update(scope, KIND, e.Name, e);
  }

  /** Runs `fn` after `ms` if the experiment is still on the same course. */
  private after(scope: Scope, e: ExperimentRecord, ms: number, fn: (current: ExperimentRecord) => void): void {
    this.deps.clock.schedule(Math.max(0, ms), () => {
      const now = this.deps.db.get<ExperimentRecord>(scope, KIND, e.Name)?.data;
      if (now && now.generation === e.generation && now.Status === e.Status) fn(now);
    });
  }

  /** The next step from a settled status: Creating -> Created, Created -> Starting at StartTime, Running -> Stopping at EndTime. */
  private arm(scope: Scope, e: ExperimentRecord): void {
    const now = this.deps.clock.now();
    if (e.Status === 'Creating') {
      this.after(scope, e, e.CreationTime.getTime() + this.deps.timing.controlPlaneTransition - now, (cur) => {
        const created = { ...cur, Status: 'Created' as const, LastModifiedTime: new Date(this.deps.clock.now()) };
        this.save(scope, created);
        this.arm(scope, created);
      });
    } else if (e.Status === 'Created') {
      this.after(scope, e, new Date(e.Schedule.StartTime).getTime() - now, (cur) => this.begin(scope, cur));
    } else if (e.Status === 'Running') {
      this.after(scope, e, new Date(e.Schedule.EndTime).getTime() - now, (cur) => this.finish(scope, cur, 'Completed'));
    } else if (e.Status === 'Updating') {
      this.after(scope, e, this.deps.timing.controlPlaneTransition, (cur) => {
        const resumed = { ...cur, Status: cur.resumeTo ?? 'Created', resumeTo: undefined, generation: cur.generation + 1 };
        this.save(scope, resumed);
        this.arm(scope, resumed);
      });
    } else if (e.Status === 'Stopping') {
      this.after(scope, e, this.deps.timing.endpointUpdating, (cur) => this.settle(scope, cur));
    }
  }

  /** Starting: the shadow model loads during the endpoint update time, then the experiment runs. */
  private begin(scope: Scope, e: ExperimentRecord, began = this.deps.clock.now()): void {
    const starting = { ...e, Status: 'Starting' as const, shadowStatus: 'Creating' as const, LastModifiedTime: new Date(began), generation: e.generation + 1 };
    this.save(scope, starting);
    void this.serving.load(this.shadowOf(scope, e).url).then(
      async (model) => {
        await this.deps.clock.sleep(Math.max(0, this.deps.timing.endpointUpdating - (this.deps.clock.now() - began)));
        const cur = this.deps.db.get<ExperimentRecord>(scope, KIND, e.Name)?.data;
        if (!cur || cur.generation !== starting.generation || cur.Status !== 'Starting') return;
        this.shadowServes(scope, cur, model);
        const running = { ...cur, Status: 'Running' as const, shadowStatus: 'InService' as const, LastModifiedTime: new Date(this.deps.clock.now()), generation: cur.generation + 1 };
        this.save(scope, running);
        this.arm(scope, running);
      },
      (err: Error) => {
        const cur = this.deps.db.get<ExperimentRecord>(scope, KIND, e.Name)?.data;
        if (cur?.generation !== starting.generation) return;
        this.settle(scope, { ...cur, StatusReason: err.message, stopTo: 'Cancelled' });
      },
    );
  }

  private shadowOf(scope: Scope, e: ExperimentRecord) {
    const config = e.ShadowModeConfig.ShadowModelVariants![0];
    const variant = e.ModelVariants.find((v) => v.VariantName === config.ShadowModelVariantName)!;
    return { config, variant, url: modelContainer(this.deps.db, scope, variant.ModelName!)?.ModelDataUrl ?? '' };
  }

  /** The shadow variant's loaded model starts getting copies of the source variant's requests. */
  private shadowServes(scope: Scope, e: ExperimentRecord, model: ServingVariant['model']): void {
    const { config, variant, url } = this.shadowOf(scope, e);
    const count = variant.InfrastructureConfig?.RealTimeInferenceConfig?.InstanceCount ?? 1;
    const endpointArn = `arn:aws:sagemaker:${scope.region}:${scope.accountId}:endpoint/${e.EndpointName.toLowerCase()}`;
    this.serving.setShadow(scope, e.EndpointName, {
      source: e.ShadowModeConfig.SourceModelVariantName!,
      samplingPercentage: config.SamplingPercentage!,
      variant: { name: variant.VariantName!, weight: 0, model, modelDataUrl: url, instanceCount: count, streams: instanceStreams(endpointArn, variant.VariantName!, count, e.Arn) },
    });
  }

  /** Stopping: the shadow stops getting copies at once; the status settles after the endpoint update time. */
  private finish(scope: Scope, e: ExperimentRecord, to: InferenceExperimentStatus): void {
    this.serving.setShadow(scope, e.EndpointName, undefined);
    const stopping = { ...e, Status: 'Stopping' as const, shadowStatus: 'Deleting' as const, stopTo: to, LastModifiedTime: new Date(this.deps.clock.now()), generation: e.generation + 1 };
    this.save(scope, stopping);
    this.arm(scope, stopping);
  }

  private settle(scope: Scope, e: ExperimentRecord): void {
    this.serving.setShadow(scope, e.EndpointName, undefined);
    const now = new Date(this.deps.clock.now());
    const settled = { ...e, Status: e.stopTo ?? 'Completed', shadowStatus: e.promoted ? 'InService' : 'Deleted', CompletionTime: now, LastModifiedTime: now, promotion: undefined, generation: e.generation + 1 } as ExperimentRecord;
    this.save(scope, settled);
    const table = this.operations?.();
    if (!e.promotion || !table) return;
    void applyPromotion(table, scope, e.EndpointName, e.Name, e.promotion).then((failure) => {
      if (failure) this.save(scope, { ...settled, StatusReason: failure, promoted: false, shadowStatus: 'Deleted' });
    });
  }
}
