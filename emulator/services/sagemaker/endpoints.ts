import type {
  CreateEndpointInput,
  CreateEndpointOutput,
  DeleteEndpointInput,
  DescribeEndpointOutput,
  ProductionVariantSummary,
  UpdateEndpointInput,
  UpdateEndpointOutput,
  UpdateEndpointWeightsAndCapacitiesInput,
  UpdateEndpointWeightsAndCapacitiesOutput,
} from '@aws-sdk/client-sagemaker';
import { Rng, STREAM } from '../../../core/random.js';
import type { ContainerRuntime } from '../../containers/index.js';
import { validation } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { hideHostPaths } from '../host-paths.js';
import { EndpointLogs, instanceStreams } from '../runtime/endpoint-logs.js';
import { ModelLoadError, type ServingRegistry } from '../runtime/serving-registry.js';
import { ENDPOINT_CONFIG_KIND, endpointConfigNotFound, type EndpointConfigRecord } from './endpoint-configs.js';
import { deployedVariantSummary, VariantDeployer, type LoadedVariants } from './endpoint-deploy.js';
import { GuardedEndpointDeployments, pendingSummary, type GuardedDeployment } from './endpoint-guardrails.js';
import { alarmNames, checkEndpointDeploymentConfig, withExclusions, type AlarmWatch } from './deployment-guardrails.js';
import { FamilyRecords, type ServiceFamilyDeclaration } from './engine/layered.js';
import { MODEL_KIND, servingContainer, type ModelRecord } from './models.js';
import { EndpointShadows } from './endpoint-shadows.js';
import { scopeOf } from './scope.js';

export { CAPACITY_MODE_TAG } from './endpoint-deploy.js';

/**
 * The stored endpoint: DescribeEndpoint's shape, plus (while a capacity change is under way) when
 * it completes, so that a restart finishes it instead of redeploying the configuration, and
 * (while a guarded UpdateEndpoint runs) that deployment. The output shape keeps both from
 * reaching a client.
 */
export type EndpointRecord = DescribeEndpointOutput & { CapacityChangeDoneAt?: number; GuardedDeployment?: GuardedDeployment };

export const ENDPOINT_KIND = 'endpoint';

/** Endpoints on the engine: the generic not-found and in-use errors are AWS's; ListEndpoints newest first. */
export const ENDPOINT_FAMILY: ServiceFamilyDeclaration<EndpointRecord> = { name: 'Endpoint', storageKind: ENDPOINT_KIND, list: { defaultOrder: 'Descending' } };

/** What auto scaling needs to hear from endpoints, and may refuse (set by Application Auto Scaling). */
export interface EndpointScalingHooks {
  /** Variants of the endpoint registered as scalable targets. */
  registeredVariants(scope: Scope, endpointName: string): string[];
  /** DeleteEndpoint quietly deregisters the endpoint's scalable targets. */
  endpointDeleted(scope: Scope, endpointName: string): void;
}

/**
 * Endpoints: Creating -> InService | Failed, Updating -> InService, Deleting -> gone. Deploying
 * loads every variant's model from its artifact into the serving registry.
 */
export class EndpointService {
  scaling: EndpointScalingHooks | undefined;
  /** CloudWatch alarms for AutoRollbackConfiguration (set by the auto scaling hub, which holds them). */
  alarms: AlarmWatch | undefined;
  /** Told of each DeleteEndpoint: the inference components on it go too, a shadow test on it is cancelled. */
  readonly onDelete: ((scope: Scope, endpointName: string) => void)[] = [];
  /** Warm-up draws: one stream of the project's PRNG, seeded per process. */
  private readonly warmupRng = new Rng(Date.now() >>> 0, STREAM.warmup);
  private readonly capacityWaiters = new Map<string, ((doneAt: number) => void)[]>();
  private readonly logs: EndpointLogs;
  private readonly deployer: VariantDeployer;
  readonly records: FamilyRecords<EndpointRecord>;
  private readonly shadows: EndpointShadows;
  private readonly guarded: GuardedEndpointDeployments;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly serving: ServingRegistry,
    private readonly containers?: ContainerRuntime,
  ) {
    this.logs = new EndpointLogs(deps.db, deps.clock);
    this.shadows = new EndpointShadows(deps, serving);
    this.deployer = new VariantDeployer(deps, serving, containers, this.shadows);
    this.records = new FamilyRecords(deps, ENDPOINT_FAMILY);
    this.guarded = new GuardedEndpointDeployments(deps, serving, {
      get: (scope, name) => this.records.get(scope, name),
      save: (scope, ep) => this.save(scope, ep),
      load: (scope, ep, configName) => this.deployer.loadVariants(scope, ep, configName),
      commit: (scope, ep, configName, loaded) => this.commit(scope, ep, configName, loaded, new Date(this.deps.clock.now())),
      reason: (e) => this.failureReason(e),
      warmup: () => this.warmup(),
      alarms: () => this.alarms,
    });
  }

  create(req: CreateEndpointInput, ctx: RequestContext): CreateEndpointOutput {
    const scope = scopeOf(ctx);
    if (this.records.get(scope, req.EndpointName!)) throw this.records.inUse(scope, req.EndpointName!);
    if (!this.deps.db.get(scope, ENDPOINT_CONFIG_KIND, req.EndpointConfigName!)) throw endpointConfigNotFound(scope, req.EndpointConfigName!);
    const now = new Date(this.deps.clock.now());
    const record: EndpointRecord = {
      EndpointName: req.EndpointName,
      EndpointArn: this.records.arn(scope, req.EndpointName!),
      EndpointConfigName: req.EndpointConfigName,
      EndpointStatus: 'Creating',
      CreationTime: now,
      LastModifiedTime: now,
    };
    const arn = this.records.insert(scope, req.EndpointName!, record, req.Tags);
    this.scheduleDeploy(scope, req.EndpointName!, req.EndpointConfigName!, this.deps.timing.endpointCreating, now.getTime());
    return { EndpointArn: arn };
  }

  /** The stored endpoint (undefined when it does not exist), for auto scaling's capacity target. */
  peek(scope: Scope, name: string): DescribeEndpointOutput | undefined {
    return this.records.get(scope, name);
  }

  update(req: UpdateEndpointInput, ctx: RequestContext): UpdateEndpointOutput {
    const scope = scopeOf(ctx);
    const ep = this.requireInService(scope, req.EndpointName!, 'update');
    const config = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, req.EndpointConfigName!)?.data;
    if (!config) throw endpointConfigNotFound(scope, req.EndpointConfigName!);
    this.refuseScaledVariantChanges(scope, ep, config);
    // RetainDeploymentConfig reuses the last deployment configuration when none is given.
    const dc = req.DeploymentConfig ?? (req.RetainDeploymentConfig ? ep.LastDeploymentConfig : undefined);
    if (dc) {
      const current = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, ep.EndpointConfigName!)?.data.ProductionVariants ?? [];
      const next = config.ProductionVariants ?? [];
      const names = alarmNames(dc.AutoRollbackConfiguration);
      checkEndpointDeploymentConfig(dc, current, next, names.length ? (this.alarms?.missing(scope, names) ?? []) : []);
      this.guarded.start(scope, ep, req.EndpointConfigName!, config, dc, withExclusions(dc, next));
      return { EndpointArn: ep.EndpointArn };
    }
    // SageMaker's default: a blue/green deployment, all at once; the new fleet shows as pending until it serves.
    const now = this.deps.clock.now();
    const pending = pendingSummary(req.EndpointConfigName!, config, 'Creating', now, () => 0, new Date(now));
    this.save(scope, { ...ep, EndpointStatus: 'Updating', LastModifiedTime: new Date(now), PendingDeploymentSummary: pending });
    this.scheduleDeploy(scope, req.EndpointName!, req.EndpointConfigName!, this.deps.timing.endpointUpdating, now);
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
    this.applyDesired(scope, ep, desired);
    return { EndpointArn: ep.EndpointArn };
  }

  /**
   * Auto scaling's UpdateEndpointWeightsAndCapacities for one variant: refused (thrown) unless
   * the endpoint is InService; resolves when the new capacity is in service.
   */
  /** Resolves with the instant the change was in service (the endpoint's LastModifiedTime then). */
  setVariantCapacity(scope: Scope, endpointName: string, variantName: string, count: number): Promise<number> {
    const ep = this.requireInService(scope, endpointName, 'update');
    if (!ep.ProductionVariants?.some((v) => v.VariantName === variantName)) {
      throw validation(`The variant(s) "[${variantName}]" is/are not present in the endpoint "${ep.EndpointName}".`);
    }
    const desired = ep.ProductionVariants.map((v) => (v.VariantName === variantName ? { ...v, DesiredInstanceCount: count } : v));
    return new Promise((resolve) => {
      const key = `${scope.accountId}/${scope.region}/${endpointName}`;
      this.capacityWaiters.set(key, [...(this.capacityWaiters.get(key) ?? []), resolve]);
      this.applyDesired(scope, ep, desired);
    });
  }

  /**
   * Desired weights and counts move at once and the endpoint is Updating; current ones move when
   * the change is applied: after an instance warm-up when instances are added, else after the
   * usual update time.
   */
  private applyDesired(scope: Scope, ep: EndpointRecord, desired: ProductionVariantSummary[]): void {
    const grows = desired.some((v) => (v.DesiredInstanceCount ?? 0) > (v.CurrentInstanceCount ?? 0));
    const duration = grows ? this.warmup() : this.deps.timing.endpointUpdating;
    const now = this.deps.clock.now();
    this.save(scope, { ...ep, ProductionVariants: desired, EndpointStatus: 'Updating', LastModifiedTime: new Date(now), CapacityChangeDoneAt: now + duration });
    // Due at the stored CapacityChangeDoneAt, not `duration` after a clock read made after the store write.
    this.scheduleCapacityDone(scope, ep.EndpointName!, now + duration - this.deps.clock.now());
  }

  /** One instance start-up, drawn from the timing profile's warm-up range. */
  private warmup(): number {
    const t = this.deps.timing;
    return t.instanceWarmupMin + (t.instanceWarmupMax - t.instanceWarmupMin) * this.warmupRng.next();
  }

  private failureReason(e: unknown): string {
    const err = e as Error;
    return hideHostPaths(err instanceof ModelLoadError ? err.message : `Failed to deploy: ${err.message}`, this.deps.dataDir);
  }

  private scheduleCapacityDone(scope: Scope, name: string, delay: number): void {
    this.deps.clock.schedule(delay, () => {
      const now = this.records.get(scope, name);
      const key = `${scope.accountId}/${scope.region}/${name}`;
      const waiters = this.capacityWaiters.get(key) ?? [];
      this.capacityWaiters.delete(key);
      // One instant for the endpoint's LastModifiedTime and the waiters (auto scaling's activity EndTime).
      const doneAt = this.deps.clock.now();
      if (now && now.EndpointStatus === 'Updating') {
        const applied = (now.ProductionVariants ?? []).map((v) => ({ ...v, CurrentWeight: v.DesiredWeight, CurrentInstanceCount: v.DesiredInstanceCount }));
        this.serving.setWeights(scope, name, new Map(applied.map((v) => [v.VariantName!, v.CurrentWeight ?? 0])));
        this.serving.setInstanceCounts(scope, name, new Map(applied.map((v) => [v.VariantName!, v.CurrentInstanceCount ?? 1])));
        this.followInstanceLogs(scope, now);
        this.save(scope, { ...now, ProductionVariants: applied, EndpointStatus: 'InService', LastModifiedTime: new Date(doneAt), CapacityChangeDoneAt: undefined });
      }
      for (const w of waiters) w(doneAt);
    });
  }

  /** SageMaker refuses an update that changes the instance type of, or removes, a variant under auto scaling. */
  private refuseScaledVariantChanges(scope: Scope, ep: EndpointRecord, config: EndpointConfigRecord): void {
    const registered = this.scaling?.registeredVariants(scope, ep.EndpointName!) ?? [];
    if (!registered.length) return;
    const current = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, ep.EndpointConfigName!)?.data;
    const changed = registered.filter((name) => {
      const next = config.ProductionVariants?.find((v) => v.VariantName === name);
      const before = current?.ProductionVariants?.find((v) => v.VariantName === name);
      return !next || (before?.InstanceType !== undefined && next.InstanceType !== before.InstanceType);
    });
    if (changed.length) {
      throw validation(
        `The variant(s) "[${changed.join(', ')}]" of endpoint "${ep.EndpointName}" are registered as scalable targets with Application Auto Scaling. Deregister them before you remove them or change their instance type.`,
      );
    }
  }

  delete(req: DeleteEndpointInput, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const found = this.records.require(scope, req.EndpointName!);
    this.serving.remove(scope, req.EndpointName!);
    this.scaling?.endpointDeleted(scope, req.EndpointName!);
    for (const hook of this.onDelete) hook(scope, req.EndpointName!);
    this.containers?.adopt(scope, req.EndpointName!, []);
    this.save(scope, { ...found, EndpointStatus: 'Deleting', LastModifiedTime: new Date(this.deps.clock.now()) });
    this.deps.clock.schedule(this.deps.timing.endpointDeleting, () => this.records.delete(scope, req.EndpointName!));
    return {};
  }

  /** After a restart: InService endpoints serve again; transitions under way carry on. */
  async recover(): Promise<void> {
    for (const r of this.records.everywhere()) {
      let ep = r.data;
      // A guarded deployment the restart cut short rolls back (endpoint-guardrails.ts says why).
      if (ep.GuardedDeployment && ep.EndpointStatus === 'Updating') {
        ep = this.guarded.interrupted(ep);
        this.save(r.scope, ep);
      }
      if (ep.EndpointStatus === 'InService') {
        try {
          const loaded = await this.deployer.loadVariants(r.scope, ep, ep.EndpointConfigName!, ep.ProductionVariants);
          this.serving.set(r.scope, ep.EndpointName!, loaded.variants, this.deployer.featuresOf(r.scope, ep.EndpointConfigName!));
          this.shadows.apply(r.scope, ep.EndpointName!, loaded.shadow);
          this.containers?.adopt(r.scope, ep.EndpointName!, loaded.deployed);
        } catch (e) {
          this.save(r.scope, { ...ep, EndpointStatus: 'Failed', FailureReason: hideHostPaths((e as Error).message, this.deps.dataDir) });
        }
      } else if (ep.EndpointStatus === 'Updating' && ep.CapacityChangeDoneAt !== undefined) {
        // A capacity change under way finishes when it would have, on the serving variants.
        try {
          const loaded = await this.deployer.loadVariants(r.scope, ep, ep.EndpointConfigName!, ep.ProductionVariants);
          this.serving.set(r.scope, ep.EndpointName!, loaded.variants, this.deployer.featuresOf(r.scope, ep.EndpointConfigName!));
          this.shadows.apply(r.scope, ep.EndpointName!, loaded.shadow);
          this.containers?.adopt(r.scope, ep.EndpointName!, loaded.deployed);
        } catch (e) {
          this.save(r.scope, { ...ep, EndpointStatus: 'Failed', FailureReason: hideHostPaths((e as Error).message, this.deps.dataDir) });
          continue;
        }
        this.scheduleCapacityDone(r.scope, ep.EndpointName!, Math.max(0, ep.CapacityChangeDoneAt - this.deps.clock.now()));
      } else if (ep.EndpointStatus === 'Creating' || ep.EndpointStatus === 'Updating') {
        this.scheduleDeploy(r.scope, ep.EndpointName!, ep.EndpointConfigName!, 0, this.deps.clock.now());
      } else if (ep.EndpointStatus === 'Deleting') {
        this.records.delete(r.scope, ep.EndpointName!);
      }
    }
  }

  private requireInService(scope: Scope, name: string, action: string): EndpointRecord {
    const found = this.records.require(scope, name);
    if (found.EndpointStatus !== 'InService') {
      throw validation(`Cannot ${action} in-progress endpoint "${found.EndpointArn}".`);
    }
    return found;
  }

  private save(scope: Scope, ep: EndpointRecord): void {
    this.records.update(scope, ep.EndpointName!, ep);
  }

  /** `started` is the instant Creating/Updating began (the stored time): the state lasts `delay` from there. */
  private scheduleDeploy(scope: Scope, name: string, configName: string, delay: number, started: number): void {
    // Model loading runs alongside the state's duration rather than after it.
    const endpoint = this.records.get(scope, name)!;
    const loading = this.deployer.loadVariants(scope, endpoint, configName).then(
      (v) => ({ ok: true as const, v }),
      (e: Error) => ({ ok: false as const, e }),
    );
    void loading.then(async (outcome) => {
      await this.deps.clock.sleep(Math.max(0, delay - (this.deps.clock.now() - started)));
      const ep = this.records.get(scope, name);
      if (!ep || (ep.EndpointStatus !== 'Creating' && ep.EndpointStatus !== 'Updating')) {
        if (outcome.ok) for (const d of outcome.v.deployed) void d.stop();
        return;
      }
      const now = new Date(this.deps.clock.now());
      if (!outcome.ok) {
        const reason = this.failureReason(outcome.e);
        const first = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, configName)?.data.ProductionVariants?.[0];
        if (first) this.logs.failedToStart(scope, name, instanceStreams(ep.EndpointArn!, `${first.VariantName}`, 1, this.deployer.deployment(ep, configName))[0], reason);
        // A failed update rolls back to the configuration that was serving.
        if (ep.EndpointStatus === 'Updating') this.save(scope, { ...ep, EndpointStatus: 'InService', FailureReason: reason, PendingDeploymentSummary: undefined, LastModifiedTime: now });
        else this.save(scope, { ...ep, EndpointStatus: 'Failed', FailureReason: reason, LastModifiedTime: now });
        return;
      }
      this.save(scope, this.commit(scope, ep, configName, outcome.v, now));
    });
  }

  /** Serves a loaded configuration on the endpoint; returns the record InService on it, for the caller to save. */
  private commit(scope: Scope, ep: EndpointRecord, configName: string, loaded: LoadedVariants, now: Date): EndpointRecord {
    const name = ep.EndpointName!;
    const config = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, configName)?.data;
    const summaries: ProductionVariantSummary[] = (config?.ProductionVariants ?? []).map((v) => {
      // A variant that hosts inference components has no model of its own.
      const model = v.ModelName ? this.deps.db.get<ModelRecord>(scope, MODEL_KIND, v.ModelName)?.data : undefined;
      let image: string | undefined;
      try {
        image = model && servingContainer(this.deps.db, scope, model)?.Image;
      } catch {
        image = undefined;
      }
      return { ...deployedVariantSummary(v, image, now), ManagedInstanceScaling: v.ManagedInstanceScaling, RoutingConfig: v.RoutingConfig };
    });
    this.serving.set(scope, name, loaded.variants, this.deployer.featuresOf(scope, configName));
    this.shadows.apply(scope, name, loaded.shadow);
    this.containers?.adopt(scope, name, loaded.deployed);
    for (const v of loaded.variants) for (const stream of v.streams) this.logs.started(scope, name, stream, v.modelDataUrl, v.model.algorithm);
    return {
      ...ep,
      EndpointConfigName: configName,
      ProductionVariants: summaries,
      ShadowProductionVariants: this.shadows.summaries(scope, config, now),
      EndpointStatus: 'InService',
      FailureReason: undefined,
      PendingDeploymentSummary: undefined,
      LastModifiedTime: now,
    };
  }

  /** After a change of instance count: one log stream per instance in service, new ones started. */
  private followInstanceLogs(scope: Scope, ep: EndpointRecord): void {
    for (const v of this.serving.get(scope, ep.EndpointName!)?.variants ?? []) {
      const streams = instanceStreams(ep.EndpointArn!, v.name, v.instanceCount, this.deployer.deployment(ep, ep.EndpointConfigName!));
      for (const stream of streams) if (!v.streams.includes(stream)) this.logs.started(scope, ep.EndpointName!, stream, v.modelDataUrl, v.model.algorithm);
      v.streams = streams;
    }
  }

}
