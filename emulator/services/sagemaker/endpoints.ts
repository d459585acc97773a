import type {
  CreateEndpointInput,
  CreateEndpointOutput,
  DeleteEndpointInput,
  DescribeEndpointInput,
  DescribeEndpointOutput,
  ListEndpointsInput,
  ListEndpointsOutput,
  ProductionVariantSummary,
  UpdateEndpointInput,
  UpdateEndpointOutput,
  UpdateEndpointWeightsAndCapacitiesInput,
  UpdateEndpointWeightsAndCapacitiesOutput,
} from '@aws-sdk/client-sagemaker';
import { algorithmForImage } from '../../../algorithms/index.js';
import { instanceProfile } from '../../../core/instance-types.js';
import { validation } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { captureSettings } from '../runtime/data-capture.js';
import { EndpointLogs, instanceStreams } from '../runtime/endpoint-logs.js';
import { InstancePool, type RoutingStrategy } from '../runtime/capacity.js';
import { ModelLoadError, type EndpointFeatures, type ServingRegistry, type ServingVariant } from '../runtime/serving-registry.js';
import { DEFAULT_ASYNC_CONCURRENCY } from './endpoint-configs.js';
import { sagemakerArn } from './arns.js';
import { ENDPOINT_CONFIG_KIND, endpointConfigNotFound, type EndpointConfigRecord } from './endpoint-configs.js';
import { listPage } from './listing.js';
import { MODEL_KIND, type ModelRecord } from './models.js';
import { scopeOf } from './scope.js';

export const ENDPOINT_KIND = 'endpoint';
type EndpointRecord = DescribeEndpointOutput;

/** The endpoint tag that turns capacity mode on or off for one endpoint (values: on, off). */
export const CAPACITY_MODE_TAG = 'localsage:capacity-mode';

const notFound = (scope: Scope, name: string) => validation(`Could not find endpoint "${sagemakerArn(scope, 'endpoint', name)}".`);

/**
 * Endpoints: Creating -> InService | Failed, Updating -> InService, Deleting -> gone. Deploying
 * loads every variant's model from its artifact into the serving registry.
 */
export class EndpointService {
  private readonly logs: EndpointLogs;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly serving: ServingRegistry,
  ) {
    this.logs = new EndpointLogs(deps.db, deps.clock);
  }

  create(req: CreateEndpointInput, ctx: RequestContext): CreateEndpointOutput {
    const scope = scopeOf(ctx);
    const arn = sagemakerArn(scope, 'endpoint', req.EndpointName!);
    if (this.deps.db.get(scope, ENDPOINT_KIND, req.EndpointName!)) throw validation(`Cannot create already existing endpoint "${arn}".`);
    if (!this.deps.db.get(scope, ENDPOINT_CONFIG_KIND, req.EndpointConfigName!)) throw endpointConfigNotFound(scope, req.EndpointConfigName!);
    const now = new Date(this.deps.clock.now());
    const record: EndpointRecord = {
      EndpointName: req.EndpointName,
      EndpointArn: arn,
      EndpointConfigName: req.EndpointConfigName,
      EndpointStatus: 'Creating',
      CreationTime: now,
      LastModifiedTime: now,
    };
    this.deps.db.insert(scope, ENDPOINT_KIND, req.EndpointName!, arn, record);
    if (req.Tags?.length) this.deps.db.addTags(arn, req.Tags);
    this.scheduleDeploy(scope, req.EndpointName!, req.EndpointConfigName!, this.deps.timing.endpointCreating);
    return { EndpointArn: arn };
  }

  describe(req: DescribeEndpointInput, ctx: RequestContext): DescribeEndpointOutput {
    const scope = scopeOf(ctx);
    const found = this.deps.db.get<EndpointRecord>(scope, ENDPOINT_KIND, req.EndpointName!);
    if (!found) throw notFound(scope, req.EndpointName!);
    return found.data;
  }

  list(req: ListEndpointsInput, ctx: RequestContext): ListEndpointsOutput {
    const endpoints = this.deps.db.list<EndpointRecord>(scopeOf(ctx), ENDPOINT_KIND).map((r) => r.data);
    const { page, NextToken } = listPage(endpoints, req, {
      name: (e) => e.EndpointName!,
      creationTime: (e) => e.CreationTime,
      lastModifiedTime: (e) => e.LastModifiedTime,
      status: (e) => e.EndpointStatus,
      defaultOrder: 'Descending',
    });
    return {
      Endpoints: page.map((e) => ({
        EndpointName: e.EndpointName,
        EndpointArn: e.EndpointArn,
        CreationTime: e.CreationTime,
        LastModifiedTime: e.LastModifiedTime,
        EndpointStatus: e.EndpointStatus,
      })),
      NextToken,
    };
  }

  update(req: UpdateEndpointInput, ctx: RequestContext): UpdateEndpointOutput {
    const scope = scopeOf(ctx);
    const ep = this.requireInService(scope, req.EndpointName!, 'update');
    if (!this.deps.db.get(scope, ENDPOINT_CONFIG_KIND, req.EndpointConfigName!)) throw endpointConfigNotFound(scope, req.EndpointConfigName!);
    this.save(scope, { ...ep, EndpointStatus: 'Updating', LastModifiedTime: new Date(this.deps.clock.now()) });
    this.scheduleDeploy(scope, req.EndpointName!, req.EndpointConfigName!, this.deps.timing.endpointUpdating);
    return { EndpointArn: ep.EndpointArn };
  }

  updateWeightsAndCapacities(req: UpdateEndpointWeightsAndCapacitiesInput, ctx: RequestContext): UpdateEndpointWeightsAndCapacitiesOutput {
    const scope = scopeOf(ctx);
    const ep = this.requireInService(scope, req.EndpointName!, 'update');
    const variants = new Map((ep.ProductionVariants ?? []).map((v) => [v.VariantName!, v]));
    const missing = (req.DesiredWeightsAndCapacities ?? []).filter((d) => !variants.has(d.VariantName!)).map((d) => d.VariantName);
    if (missing.length) throw validation(`The variant(s) "[${missing.join(', ')}]" is/are not present in the endpoint "${ep.EndpointName}".`);
    for (const d of req.DesiredWeightsAndCapacities ?? []) {
      if (d.DesiredWeight === undefined && d.DesiredInstanceCount === undefined) {
        throw validation(`Either DesiredWeight or DesiredInstanceCount must be specified for variant "${d.VariantName}".`);
      }
    }
    const desired: ProductionVariantSummary[] = (ep.ProductionVariants ?? []).map((v) => {
      const d = req.DesiredWeightsAndCapacities!.find((x) => x.VariantName === v.VariantName);
      return d ? { ...v, DesiredWeight: d.DesiredWeight ?? v.DesiredWeight, DesiredInstanceCount: d.DesiredInstanceCount ?? v.DesiredInstanceCount } : v;
    });
    this.save(scope, { ...ep, ProductionVariants: desired, EndpointStatus: 'Updating', LastModifiedTime: new Date(this.deps.clock.now()) });
    // Desired values move at once; current ones when the change has been applied.
    this.deps.clock.schedule(this.deps.timing.endpointUpdating, () => {
      const now = this.deps.db.get<EndpointRecord>(scope, ENDPOINT_KIND, req.EndpointName!)?.data;
      if (!now || now.EndpointStatus !== 'Updating') return;
      const applied = (now.ProductionVariants ?? []).map((v) => ({ ...v, CurrentWeight: v.DesiredWeight, CurrentInstanceCount: v.DesiredInstanceCount }));
      this.serving.setWeights(scope, req.EndpointName!, new Map(applied.map((v) => [v.VariantName!, v.CurrentWeight ?? 0])));
      this.serving.setInstanceCounts(scope, req.EndpointName!, new Map(applied.map((v) => [v.VariantName!, v.CurrentInstanceCount ?? 1])));
      this.followInstanceLogs(scope, now);
      this.save(scope, { ...now, ProductionVariants: applied, EndpointStatus: 'InService', LastModifiedTime: new Date(this.deps.clock.now()) });
    });
    return { EndpointArn: ep.EndpointArn };
  }

  delete(req: DeleteEndpointInput, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const found = this.deps.db.get<EndpointRecord>(scope, ENDPOINT_KIND, req.EndpointName!);
    if (!found) throw notFound(scope, req.EndpointName!);
    this.serving.remove(scope, req.EndpointName!);
    this.save(scope, { ...found.data, EndpointStatus: 'Deleting', LastModifiedTime: new Date(this.deps.clock.now()) });
    this.deps.clock.schedule(this.deps.timing.endpointDeleting, () => this.deps.db.delete(scope, ENDPOINT_KIND, req.EndpointName!));
    return {};
  }

  /** After a restart: InService endpoints serve again; transitions under way carry on. */
  async recover(): Promise<void> {
    for (const r of this.deps.db.listEverywhere<EndpointRecord>(ENDPOINT_KIND)) {
      const ep = r.data;
      if (ep.EndpointStatus === 'InService') {
        try {
          const variants = await this.loadVariants(r.scope, ep, ep.EndpointConfigName!, ep.ProductionVariants);
          this.serving.set(r.scope, ep.EndpointName!, variants.map((v) => v.serving), this.featuresOf(r.scope, ep.EndpointConfigName!));
        } catch (e) {
          this.save(r.scope, { ...ep, EndpointStatus: 'Failed', FailureReason: (e as Error).message });
        }
      } else if (ep.EndpointStatus === 'Creating' || ep.EndpointStatus === 'Updating') {
        this.scheduleDeploy(r.scope, ep.EndpointName!, ep.EndpointConfigName!, 0);
      } else if (ep.EndpointStatus === 'Deleting') {
        this.deps.db.delete(r.scope, ENDPOINT_KIND, ep.EndpointName!);
      }
    }
  }

  private requireInService(scope: Scope, name: string, action: string): EndpointRecord {
    const found = this.deps.db.get<EndpointRecord>(scope, ENDPOINT_KIND, name);
    if (!found) throw notFound(scope, name);
    if (found.data.EndpointStatus !== 'InService') {
      throw validation(`Cannot ${action} in-progress endpoint "${found.arn}".`);
    }
    return found.data;
  }

  private save(scope: Scope, ep: EndpointRecord): void {
    this.deps.db.update(scope, ENDPOINT_KIND, ep.EndpointName!, ep);
  }

  private scheduleDeploy(scope: Scope, name: string, configName: string, delay: number): void {
    const started = this.deps.clock.now();
    // Model loading runs alongside the state's duration rather than after it.
    const endpoint = this.deps.db.get<EndpointRecord>(scope, ENDPOINT_KIND, name)!.data;
    const loading = this.loadVariants(scope, endpoint, configName).then(
      (v) => ({ ok: true as const, v }),
      (e: Error) => ({ ok: false as const, e }),
    );
    void loading.then(async (outcome) => {
      await this.deps.clock.sleep(Math.max(0, delay - (this.deps.clock.now() - started)));
      const ep = this.deps.db.get<EndpointRecord>(scope, ENDPOINT_KIND, name)?.data;
      if (!ep || (ep.EndpointStatus !== 'Creating' && ep.EndpointStatus !== 'Updating')) return;
      const now = new Date(this.deps.clock.now());
      if (!outcome.ok) {
        const reason = outcome.e instanceof ModelLoadError ? outcome.e.message : `Failed to deploy: ${outcome.e.message}`;
        const first = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, configName)?.data.ProductionVariants?.[0];
        if (first) this.logs.failedToStart(scope, name, instanceStreams(ep.EndpointArn!, `${first.VariantName}`, 1, this.deployment(ep, configName))[0], reason);
        // A failed update rolls back to the configuration that was serving.
        if (ep.EndpointStatus === 'Updating') this.save(scope, { ...ep, EndpointStatus: 'InService', FailureReason: reason, LastModifiedTime: now });
        else this.save(scope, { ...ep, EndpointStatus: 'Failed', FailureReason: reason, LastModifiedTime: now });
        return;
      }
      const config = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, configName)?.data;
      const summaries: ProductionVariantSummary[] = (config?.ProductionVariants ?? []).map((v) => {
        const model = this.deps.db.get<ModelRecord>(scope, MODEL_KIND, v.ModelName!)?.data;
        const image = model?.PrimaryContainer?.Image ?? model?.Containers?.[0]?.Image;
        return {
          VariantName: v.VariantName,
          DeployedImages: image ? [{ SpecifiedImage: image, ResolvedImage: image, ResolutionTime: now }] : [],
          CurrentWeight: v.InitialVariantWeight ?? 1,
          DesiredWeight: v.InitialVariantWeight ?? 1,
          CurrentInstanceCount: v.InitialInstanceCount ?? 1,
          DesiredInstanceCount: v.InitialInstanceCount ?? 1,
        };
      });
      this.serving.set(scope, name, outcome.v.map((v) => v.serving), this.featuresOf(scope, configName));
      for (const v of outcome.v) for (const stream of v.serving.streams) this.logs.started(scope, name, stream, v.modelDataUrl, v.serving.model.algorithm);
      this.save(scope, {
        ...ep,
        EndpointConfigName: configName,
        ProductionVariants: summaries,
        EndpointStatus: 'InService',
        FailureReason: undefined,
        LastModifiedTime: now,
      });
    });
  }

  private featuresOf(scope: Scope, configName: string): EndpointFeatures {
    const config = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, configName)?.data;
    const async = config?.AsyncInferenceConfig;
    return {
      capture: captureSettings(config?.DataCaptureConfig),
      async: async && {
        outputPath: async.OutputConfig!.S3OutputPath!,
        failurePath: async.OutputConfig!.S3FailurePath,
        maxConcurrentPerInstance: async.ClientConfig?.MaxConcurrentInvocationsPerInstance ?? DEFAULT_ASYNC_CONCURRENCY,
      },
    };
  }

  /** After a change of instance count: one log stream per instance in service, new ones started. */
  private followInstanceLogs(scope: Scope, ep: EndpointRecord): void {
    for (const v of this.serving.get(scope, ep.EndpointName!)?.variants ?? []) {
      const streams = instanceStreams(ep.EndpointArn!, v.name, v.instanceCount, this.deployment(ep, ep.EndpointConfigName!));
      for (const stream of streams) if (!v.streams.includes(stream)) this.logs.started(scope, ep.EndpointName!, stream, v.modelDataUrl, v.model.algorithm);
      v.streams = streams;
    }
  }

  /** Identifies one deployment of a config on an endpoint, for stable instance ids. */
  private deployment(ep: EndpointRecord, configName: string): string {
    return `${configName}@${ep.CreationTime?.getTime() ?? 0}`;
  }

  private async loadVariants(
    scope: Scope,
    ep: EndpointRecord,
    configName: string,
    current?: ProductionVariantSummary[],
  ): Promise<{ serving: ServingVariant; modelDataUrl: string }[]> {
    const config = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, configName)?.data;
    if (!config) throw new ModelLoadError(`Could not find endpoint configuration "${sagemakerArn(scope, 'endpoint-config', configName)}".`);
    const out: { serving: ServingVariant; modelDataUrl: string }[] = [];
    const capacityMode = this.capacityModeOf(scope, ep.EndpointName!);
    for (const v of config.ProductionVariants ?? []) {
      const model = this.deps.db.get<ModelRecord>(scope, MODEL_KIND, v.ModelName!)?.data;
      if (!model) throw new ModelLoadError(`Could not find model "${sagemakerArn(scope, 'model', v.ModelName!)}".`);
      const container = model.PrimaryContainer ?? model.Containers?.[0];
      if (!container?.Image || !algorithmForImage(container.Image)) {
        throw new ModelLoadError(`The image "${container?.Image}" of model "${model.ModelName}" is not a built-in algorithm image that localsage can serve (linear-learner, kmeans).`);
      }
      if (!container.ModelDataUrl) throw new ModelLoadError(`Model "${model.ModelName}" has no ModelDataUrl; a built-in algorithm needs model data to serve.`);
      const now = current?.find((c) => c.VariantName === v.VariantName);
      const weight = now?.CurrentWeight ?? v.InitialVariantWeight ?? 1;
      const instanceCount = now?.CurrentInstanceCount ?? v.InitialInstanceCount ?? 1;
      const streams = instanceStreams(ep.EndpointArn!, v.VariantName!, instanceCount, this.deployment(ep, configName));
      const capacity = capacityMode
        ? new InstancePool(this.deps.clock, instanceProfile(v.InstanceType), instanceCount, (v.RoutingConfig?.RoutingStrategy as RoutingStrategy | undefined) ?? 'RANDOM')
        : undefined;
      out.push({
        serving: { name: v.VariantName!, weight, model: await this.serving.load(container.ModelDataUrl), modelDataUrl: container.ModelDataUrl, instanceCount, capacity, streams },
        modelDataUrl: container.ModelDataUrl,
      });
    }
    return out;
  }

  /** --capacity-mode, unless the endpoint's CAPACITY_MODE_TAG says otherwise. */
  private capacityModeOf(scope: Scope, endpointName: string): boolean {
    const tag = this.deps.db.tags(sagemakerArn(scope, 'endpoint', endpointName)).find((t) => t.Key === CAPACITY_MODE_TAG)?.Value.toLowerCase();
    if (tag === 'on' || tag === 'true') return true;
    if (tag === 'off' || tag === 'false') return false;
    return this.deps.capacityMode ?? false;
  }
}
