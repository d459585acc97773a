import type {
  ContainerDefinition,
  CreateInferenceComponentInput,
  CreateInferenceComponentOutput,
  DeleteInferenceComponentInput,
  DescribeInferenceComponentInput,
  DescribeInferenceComponentOutput,
  InferenceComponentDeploymentConfig,
  InferenceComponentSpecification,
  InferenceComponentStatus,
  ListInferenceComponentsInput,
  ListInferenceComponentsOutput,
  UpdateInferenceComponentInput,
  UpdateInferenceComponentOutput,
  UpdateInferenceComponentRuntimeConfigInput,
  UpdateInferenceComponentRuntimeConfigOutput,
} from '@aws-sdk/client-sagemaker';
import { algorithmForImage } from '../../../algorithms/index.js';
import type { ContainerRuntime, DeployedVariant } from '../../containers/index.js';
import { validation } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { hideHostPaths } from '../host-paths.js';
import { instanceStreams } from '../runtime/endpoint-logs.js';
import { ModelLoadError, type ServingRegistry, type ServingVariant } from '../runtime/serving-registry.js';
import { sagemakerArn } from './arns.js';
import { ENDPOINT_CONFIG_KIND, isComponentConfig, type EndpointConfigRecord } from './endpoint-configs.js';
import { ENDPOINT_KIND } from './endpoints.js';
import { alarmNames, checkComponentDeploymentConfig, type AlarmWatch } from './deployment-guardrails.js';
import { INFERENCE_COMPONENT_KIND, placementProblem } from './inference-component-placement.js';
import { ComponentRollingUpdates, type ComponentRollingUpdate } from './inference-component-rolling.js';
import { describeOf, summaryOf } from './inference-component-describe.js';
import { listPage } from './listing.js';
import { MODEL_KIND, modelNotFound, type ModelRecord } from './models.js';
import { scopeOf } from './scope.js';

export { INFERENCE_COMPONENT_KIND };

/** What is stored per component: enough to describe it and to load it again after a restart. */
export interface ComponentRecord {
  name: string;
  arn: string;
  endpointName: string;
  endpointArn: string;
  variantName: string;
  specification: InferenceComponentSpecification;
  desiredCopies: number;
  currentCopies: number;
  status: InferenceComponentStatus;
  failureReason?: string;
  created: Date;
  modified: Date;
  deployedImage?: { SpecifiedImage: string; ResolvedImage: string; ResolutionTime: Date };
  lastDeploymentConfig?: InferenceComponentDeploymentConfig;
  /** While a rolling update runs (inference-component-rolling.ts). */
  rolling?: ComponentRollingUpdate;
}

const componentArn = (scope: Scope, name: string) => sagemakerArn(scope, 'inference-component', name);
export const componentNotFound = (scope: Scope, name: string) => validation(`Could not find inference component "${componentArn(scope, name)}".`);

/**
 * Inference components: each hosts one model on a variant of an endpoint whose configuration
 * hosts components (endpoint-configs.ts `isComponentConfig`). Creating -> InService | Failed,
 * Updating -> InService, Deleting -> gone, on the timing profile's endpoint durations. In
 * service, the component's model answers InvokeEndpoint requests that name it in the
 * X-Amzn-SageMaker-Inference-Component header (runtime/component-registry.ts).
 */
export class InferenceComponentService {
  /** Application Auto Scaling deregisters a deleted component's scalable target (set by its hub). */
  componentDeleted: ((scope: Scope, name: string) => void) | undefined;
  /** CloudWatch alarms for AutoRollbackConfiguration (set by the auto scaling hub). */
  alarms: AlarmWatch | undefined;
  private readonly rolling: ComponentRollingUpdates;
  /** Who waits for a copy-count change to be in service (auto scaling's activities), by component. */
  private readonly copyWaiters = new Map<string, ((failure?: string) => void)[]>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly serving: ServingRegistry,
    private readonly containers?: ContainerRuntime,
  ) {
    this.rolling = new ComponentRollingUpdates(deps, {
      get: (scope, name) => this.deps.db.get<ComponentRecord>(scope, INFERENCE_COMPONENT_KIND, name)?.data,
      save: (scope, c) => this.save(scope, c),
      loadModel: (scope, c) => this.loadModel(scope, c, false),
      serving: (scope, name) => this.serving.components.get(scope, name)?.variant,
      place: (scope, c, variant: ServingVariant & { deployed?: DeployedVariant }, copies) => {
        if (variant.deployed) this.containers?.adopt(scope, containerKey(c.name), [variant.deployed]);
        this.place(scope, c, variant, copies);
      },
      discard: (variant: ServingVariant & { deployed?: DeployedVariant }) => void variant.deployed?.stop(),
      problem: (scope, c) => placementProblem(this.deps.db, scope, c),
      image: (scope, c) => c.specification.Container?.Image ?? this.modelContainer(scope, c)?.Image,
      reason: (e) => this.reason(e),
      alarms: () => this.alarms,
    });
  }

  create(req: CreateInferenceComponentInput, ctx: RequestContext): CreateInferenceComponentOutput {
    const scope = scopeOf(ctx);
    const name = req.InferenceComponentName!;
    const arn = componentArn(scope, name);
    if (this.deps.db.get(scope, INFERENCE_COMPONENT_KIND, name)) throw validation(`Cannot create already existing inference component "${arn}".`);
    const endpointArn = sagemakerArn(scope, 'endpoint', req.EndpointName!);
    const endpoint = this.deps.db.get<{ EndpointStatus?: string; EndpointConfigName?: string }>(scope, ENDPOINT_KIND, req.EndpointName!)?.data;
    if (!endpoint) throw validation(`Could not find endpoint "${endpointArn}".`);
    const config = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, endpoint.EndpointConfigName!)?.data;
    if (!isComponentConfig(config)) {
      throw validation(
        `Endpoint "${endpointArn}" does not host inference components: its endpoint configuration must name an ExecutionRoleArn and no ModelName in its production variants.`,
      );
    }
    if (endpoint.EndpointStatus !== 'InService') throw validation(`Cannot create an inference component on endpoint "${endpointArn}" in status ${endpoint.EndpointStatus}.`);
    const variants = config!.ProductionVariants ?? [];
    const variant = req.VariantName ? variants.find((v) => v.VariantName === req.VariantName) : variants.length === 1 ? variants[0] : undefined;
    if (!variant) {
      throw validation(req.VariantName ? `Could not find variant "${req.VariantName}" in endpoint "${endpointArn}".` : `VariantName is required: endpoint "${endpointArn}" has more than one production variant.`);
    }
    const spec = this.checkSpecification(scope, req.Specification, req.Specifications);
    if (!req.RuntimeConfig) throw validation('RuntimeConfig is required for an inference component that is not an adapter.');
    const now = new Date(this.deps.clock.now());
    const record: ComponentRecord = {
      name,
      arn,
      endpointName: req.EndpointName!,
      endpointArn,
      variantName: variant.VariantName!,
      specification: spec,
      desiredCopies: req.RuntimeConfig.CopyCount!,
      currentCopies: 0,
      status: 'Creating',
      created: now,
      modified: now,
    };
    this.deps.db.insert(scope, INFERENCE_COMPONENT_KIND, name, arn, record);
    if (req.Tags?.length) this.deps.db.addTags(arn, req.Tags);
    this.schedulePlacement(scope, name, this.deps.timing.endpointCreating, undefined, now.getTime());
    return { InferenceComponentArn: arn };
  }

  describe(req: DescribeInferenceComponentInput, ctx: RequestContext): DescribeInferenceComponentOutput {
    return describeOf(this.load(scopeOf(ctx), req.InferenceComponentName!));
  }

  list(req: ListInferenceComponentsInput, ctx: RequestContext): ListInferenceComponentsOutput {
    const rows = this.deps.db
      .list<ComponentRecord>(scopeOf(ctx), INFERENCE_COMPONENT_KIND)
      .map((r) => r.data)
      .filter((c) => (req.EndpointNameEquals === undefined || c.endpointName === req.EndpointNameEquals) && (req.VariantNameEquals === undefined || c.variantName === req.VariantNameEquals));
    const { page, NextToken } = listPage(rows, req, {
      name: (c) => c.name,
      creationTime: (c) => c.created,
      lastModifiedTime: (c) => c.modified,
      status: (c) => c.status,
      defaultOrder: 'Descending',
    });
    return {
      InferenceComponents: page.map(summaryOf),
      NextToken,
    };
  }

  update(req: UpdateInferenceComponentInput, ctx: RequestContext): UpdateInferenceComponentOutput {
    const scope = scopeOf(ctx);
    const c = this.requireInService(scope, req.InferenceComponentName!);
    const spec = req.Specification || req.Specifications ? this.checkSpecification(scope, req.Specification, req.Specifications) : c.specification;
    const dc = req.DeploymentConfig;
    if (dc && spec !== c.specification) {
      // A new model or container replaces the copies batch by batch (RollingUpdatePolicy).
      const copies = req.RuntimeConfig?.CopyCount ?? c.desiredCopies;
      const names = alarmNames(dc.AutoRollbackConfiguration);
      checkComponentDeploymentConfig(dc, copies, names.length ? (this.alarms?.missing(scope, names) ?? []) : []);
      this.rolling.start(scope, c, spec, copies, dc);
      return { InferenceComponentArn: c.arn };
    }
    const now = this.deps.clock.now();
    this.save(scope, {
      ...c,
      specification: spec,
      desiredCopies: req.RuntimeConfig?.CopyCount ?? c.desiredCopies,
      lastDeploymentConfig: req.DeploymentConfig ?? c.lastDeploymentConfig,
      status: 'Updating',
      failureReason: undefined,
      modified: new Date(now),
    });
    this.schedulePlacement(scope, c.name, this.deps.timing.endpointUpdating, c, now);
    return { InferenceComponentArn: c.arn };
  }

  updateRuntimeConfig(req: UpdateInferenceComponentRuntimeConfigInput, ctx: RequestContext): UpdateInferenceComponentRuntimeConfigOutput {
    const scope = scopeOf(ctx);
    const c = this.requireInService(scope, req.InferenceComponentName!);
    this.setCopies(scope, c, req.DesiredRuntimeConfig!.CopyCount!);
    return { InferenceComponentArn: c.arn };
  }

  /** The component (undefined when it does not exist), for auto scaling's capacity target. */
  peek(scope: Scope, name: string): { desiredCopies: number; status: InferenceComponentStatus } | undefined {
    return this.deps.db.get<ComponentRecord>(scope, INFERENCE_COMPONENT_KIND, name)?.data;
  }

  /**
   * Auto scaling's UpdateInferenceComponentRuntimeConfig: refused (thrown) unless the component
   * is InService; resolves when the new copy count is in service, or with why the change failed.
   */
  scaleCopies(scope: Scope, name: string, copies: number): Promise<string | undefined> {
    const c = this.requireInService(scope, name);
    return new Promise((resolve) => {
      const key = waiterKey(scope, name);
      this.copyWaiters.set(key, [...(this.copyWaiters.get(key) ?? []), resolve]);
      this.setCopies(scope, c, copies);
    });
  }

  private setCopies(scope: Scope, c: ComponentRecord, copies: number): void {
    const now = this.deps.clock.now();
    this.save(scope, { ...c, desiredCopies: copies, status: 'Updating', modified: new Date(now) });
    this.schedulePlacement(scope, c.name, this.deps.timing.endpointUpdating, c, now);
  }

  private settled(scope: Scope, name: string, failure?: string): void {
    const key = waiterKey(scope, name);
    const waiters = this.copyWaiters.get(key) ?? [];
    this.copyWaiters.delete(key);
    for (const w of waiters) w(failure);
  }

  delete(req: DeleteInferenceComponentInput, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    const c = this.load(scope, req.InferenceComponentName!);
    this.unplace(scope, c.name);
    this.componentDeleted?.(scope, c.name);
    this.save(scope, { ...c, status: 'Deleting', modified: new Date(this.deps.clock.now()) });
    this.deps.clock.schedule(this.deps.timing.endpointDeleting, () => this.deps.db.delete(scope, INFERENCE_COMPONENT_KIND, c.name));
    return {};
  }

  /** DeleteEndpoint: the components on the endpoint stop serving and are removed with it. */
  endpointDeleted(scope: Scope, endpointName: string): void {
    for (const r of this.deps.db.list<ComponentRecord>(scope, INFERENCE_COMPONENT_KIND)) {
      if (r.data.endpointName.toLowerCase() !== endpointName.toLowerCase()) continue;
      this.unplace(scope, r.data.name);
      this.componentDeleted?.(scope, r.data.name);
      this.deps.db.delete(scope, INFERENCE_COMPONENT_KIND, r.data.name);
    }
  }

  /** After a restart (endpoints first): components in service serve again; transitions carry on. */
  async recover(): Promise<void> {
    for (const r of this.deps.db.listEverywhere<ComponentRecord>(INFERENCE_COMPONENT_KIND)) {
      let c = r.data;
      if (c.rolling && c.status === 'Updating') {
        c = this.rolling.interrupted(c);
        this.save(r.scope, c);
      }
      if (c.status === 'InService') {
        try {
          this.place(r.scope, c, await this.loadModel(r.scope, c), c.currentCopies);
        } catch (e) {
          this.save(r.scope, { ...c, status: 'Failed', failureReason: this.reason(e) });
        }
      } else if (c.status === 'Creating' || c.status === 'Updating') {
        this.schedulePlacement(r.scope, c.name, 0);
      } else if (c.status === 'Deleting') {
        this.deps.db.delete(r.scope, INFERENCE_COMPONENT_KIND, c.name);
      }
    }
  }

  /** Exactly one of Specification / Specifications; a model by name or a container; not an adapter. */
  private checkSpecification(scope: Scope, one: InferenceComponentSpecification | undefined, many: InferenceComponentSpecification[] | undefined): InferenceComponentSpecification {
    if (one && many) throw validation('Specify either Specification or Specifications, not both.');
    if (many && many.length > 1) throw validation('localsage places an inference component on one instance type: give one Specification.');
    const spec = one ?? many?.[0];
    if (!spec) throw validation('Specification is required.');
    if (spec.BaseInferenceComponentName) {
      throw validation('localsage does not emulate adapter inference components (BaseInferenceComponentName): adapters load into a base foundation-model container.');
    }
    if (spec.ModelName && spec.Container) throw validation('Specify either ModelName or Container in the Specification, not both.');
    if (!spec.ModelName && !spec.Container) throw validation('Either ModelName or Container must be specified in the Specification.');
    if (spec.ModelName && !this.deps.db.get(scope, MODEL_KIND, spec.ModelName)) throw modelNotFound(scope, spec.ModelName);
    if (spec.Container && !spec.Container.Image) throw validation('Specification.Container.Image is required.');
    if (!spec.ComputeResourceRequirements) throw validation('ComputeResourceRequirements is required for an inference component that is not an adapter.');
    return spec;
  }

  private load(scope: Scope, name: string): ComponentRecord {
    const found = this.deps.db.get<ComponentRecord>(scope, INFERENCE_COMPONENT_KIND, name);
    if (!found) throw componentNotFound(scope, name);
    return found.data;
  }

  private requireInService(scope: Scope, name: string): ComponentRecord {
    const c = this.load(scope, name);
    if (c.status !== 'InService') throw validation(`Cannot update inference component "${c.arn}" in status ${c.status}.`);
    return c;
  }

  private save(scope: Scope, c: ComponentRecord): void {
    this.deps.db.update(scope, INFERENCE_COMPONENT_KIND, c.name, c);
  }

  private reason(e: unknown): string {
    const message = e instanceof ModelLoadError ? e.message : `Failed to deploy: ${(e as Error).message}`;
    return hideHostPaths(message, this.deps.dataDir);
  }

  /**
   * Loads the model alongside the state's duration; at its end the component serves (or fails,
   * or an update rolls back to what `serving` had).
   */
  private schedulePlacement(scope: Scope, name: string, delay: number, serving?: ComponentRecord, started = this.deps.clock.now()): void {
    // `started` is the instant the state began (the stored time), so it lasts `delay` from there.
    const target = this.deps.db.get<ComponentRecord>(scope, INFERENCE_COMPONENT_KIND, name)!.data;
    const loading = this.loadModel(scope, target).then(
      (variant) => ({ ok: true as const, variant }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    void loading.then(async (outcome) => {
      await this.deps.clock.sleep(Math.max(0, delay - (this.deps.clock.now() - started)));
      const c = this.deps.db.get<ComponentRecord>(scope, INFERENCE_COMPONENT_KIND, name)?.data;
      if (!c || (c.status !== 'Creating' && c.status !== 'Updating')) return this.settled(scope, name, 'the inference component was deleted.');
      const now = new Date(this.deps.clock.now());
      const problem = outcome.ok ? placementProblem(this.deps.db, scope, c) : this.reason(outcome.e);
      if (!outcome.ok || problem) {
        // A failed update leaves the component serving as it was, with the reason.
        if (serving) this.save(scope, { ...serving, status: 'InService', failureReason: problem, modified: now });
        else this.save(scope, { ...c, status: 'Failed', failureReason: problem, modified: now });
        this.settled(scope, name, problem);
        return;
      }
      this.place(scope, c, outcome.variant, c.desiredCopies);
      const image = c.specification.Container?.Image ?? this.modelContainer(scope, c)?.Image;
      this.save(scope, {
        ...c,
        status: 'InService',
        currentCopies: c.desiredCopies,
        deployedImage: image ? { SpecifiedImage: image, ResolvedImage: image, ResolutionTime: now } : undefined,
        modified: now,
      });
      this.settled(scope, name);
    });
  }

  private place(scope: Scope, c: ComponentRecord, variant: ServingVariant, copies: number): void {
    variant.instanceCount = copies;
    this.serving.components.set(scope, { name: c.name, endpointName: c.endpointName, variant, copies });
  }

  private unplace(scope: Scope, name: string): void {
    this.serving.components.remove(scope, name);
    this.containers?.adopt(scope, containerKey(name), []);
  }

  private modelContainer(scope: Scope, c: ComponentRecord): ContainerDefinition | undefined {
    if (c.specification.Container) {
      const { Image, ArtifactUrl, Environment } = c.specification.Container;
      return { Image, ModelDataUrl: ArtifactUrl, Environment };
    }
    const model = this.deps.db.get<ModelRecord>(scope, MODEL_KIND, c.specification.ModelName!)?.data;
    return model?.PrimaryContainer ?? model?.Containers?.[0];
  }

  /**
   * The component's model, served as the endpoint variant it is placed on. A container replaces
   * the component's running one at once, unless `adopt` is false (a rolling update, whose old
   * copies serve on until it ends): then the caller adopts or stops `deployed`.
   */
  private async loadModel(scope: Scope, c: ComponentRecord, adopt = true): Promise<ServingVariant & { deployed?: DeployedVariant }> {
    const container = this.modelContainer(scope, c);
    if (!container) throw new ModelLoadError(`Could not find model "${sagemakerArn(scope, 'model', c.specification.ModelName!)}".`);
    const streams = instanceStreams(c.endpointArn, c.variantName, Math.max(1, c.desiredCopies), `${c.name}@${c.created.getTime()}`);
    const base = { name: c.variantName, component: c.name, weight: 1, instanceCount: c.desiredCopies, streams, modelDataUrl: container.ModelDataUrl ?? '' };
    if (container.Image && algorithmForImage(container.Image)) {
      if (!container.ModelDataUrl) throw new ModelLoadError(`Inference component "${c.name}" has no model data (ModelDataUrl or ArtifactUrl); a built-in algorithm needs model data to serve.`);
      return { ...base, model: await this.serving.load(container.ModelDataUrl) };
    }
    if (!this.containers) throw new ModelLoadError(`The image "${container.Image}" is not a built-in algorithm image that localsage can serve.`);
    try {
      const deployed = await this.containers.deploy(scope, c.endpointName, c.name, container, Math.max(1, c.desiredCopies));
      if (adopt) this.containers.adopt(scope, containerKey(c.name), [deployed]);
      return { ...base, model: deployed.model, deployed };
    } catch (e) {
      throw new ModelLoadError((e as Error).message);
    }
  }
}

const waiterKey = (scope: Scope, name: string) => `${scope.accountId}/${scope.region}/${name}`;

/** Container workers of a component are kept apart from the endpoint's own (endpoint names have no '/'). */
const containerKey = (componentName: string) => `inference-component/${componentName}`;
