import type { ProductionVariantSummary } from '@aws-sdk/client-sagemaker';
import { algorithmForImage } from '../../../algorithms/index.js';
import { instanceProfile } from '../../../core/instance-types.js';
import type { ContainerRuntime, DeployedVariant } from '../../containers/index.js';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { captureSettings } from '../runtime/data-capture.js';
import { instanceStreams } from '../runtime/endpoint-logs.js';
import { InstancePool, type RoutingStrategy } from '../runtime/capacity.js';
import { loadPipeline } from '../runtime/inference-pipeline.js';
import { ModelLoadError, type EndpointFeatures, type ServingRegistry, type ServingVariant, type ShadowSettings } from '../runtime/serving-registry.js';
import { sagemakerArn } from './arns.js';
import { DEFAULT_ASYNC_CONCURRENCY, ENDPOINT_CONFIG_KIND, isComponentConfig, type EndpointConfigRecord } from './endpoint-configs.js';
import type { EndpointShadows } from './endpoint-shadows.js';
import { MODEL_KIND, pipelineContainers, servingContainer, type ModelRecord } from './models.js';
import type { EndpointRecord } from './endpoints.js';

/**
 * A variant as DescribeEndpoint shows it once deployed: the configuration's weight and instance
 * count, and the image it runs (production and shadow variants alike).
 */
export function deployedVariantSummary(
  v: { VariantName?: string; InitialVariantWeight?: number; InitialInstanceCount?: number },
  image: string | undefined,
  now: Date,
): ProductionVariantSummary {
  return {
    VariantName: v.VariantName,
    DeployedImages: image ? [{ SpecifiedImage: image, ResolvedImage: image, ResolutionTime: now }] : [],
    CurrentWeight: v.InitialVariantWeight ?? 1,
    DesiredWeight: v.InitialVariantWeight ?? 1,
    CurrentInstanceCount: v.InitialInstanceCount ?? 1,
    DesiredInstanceCount: v.InitialInstanceCount ?? 1,
  };
}

/** A configuration's variants loaded and ready to serve (and the containers started for them). */
export interface LoadedVariants {
  variants: ServingVariant[];
  deployed: DeployedVariant[];
  shadow?: ShadowSettings;
}

/** The endpoint tag that turns capacity mode on or off for one endpoint (values: on, off). */
export const CAPACITY_MODE_TAG = 'localsage:capacity-mode';

/**
 * Deploying an endpoint configuration: each variant's model loaded from its artifact (built-in
 * algorithms) or its container started (any other image), with the instances' log streams and
 * the configuration's features. The endpoint service decides when; this does the loading.
 */
export class VariantDeployer {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly serving: ServingRegistry,
    private readonly containers: ContainerRuntime | undefined,
    /** Loads a configuration's shadow variant (ShadowProductionVariants). */
    private readonly shadows: EndpointShadows,
  ) {}

  /** What the endpoint's configuration turns on besides serving: data capture, asynchronous inference. */
  featuresOf(scope: Scope, configName: string): EndpointFeatures {
    const config = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, configName)?.data;
    const async = config?.AsyncInferenceConfig;
    return {
      componentBased: isComponentConfig(config),
      capture: captureSettings(config?.DataCaptureConfig),
      async: async && {
        outputPath: async.OutputConfig!.S3OutputPath!,
        failurePath: async.OutputConfig!.S3FailurePath,
        maxConcurrentPerInstance: async.ClientConfig?.MaxConcurrentInvocationsPerInstance ?? DEFAULT_ASYNC_CONCURRENCY,
      },
    };
  }

  /** Identifies one deployment of a config on an endpoint, for stable instance ids. */
  deployment(ep: EndpointRecord, configName: string): string {
    return `${configName}@${ep.CreationTime?.getTime() ?? 0}`;
  }

  /** Every variant of the configuration, loaded (built-in models) or started (containers); all or none. */
  async loadVariants(
    scope: Scope,
    ep: EndpointRecord,
    configName: string,
    current?: ProductionVariantSummary[],
  ): Promise<LoadedVariants> {
    const config = this.deps.db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, configName)?.data;
    if (!config) throw new ModelLoadError(`Could not find endpoint configuration "${sagemakerArn(scope, 'endpoint-config', configName)}".`);
    const out: ServingVariant[] = [];
    const deployed: DeployedVariant[] = [];
    const endpointName = ep.EndpointName!;
    // Inference components bring their own models (inference-components.ts): the variants load none.
    if (isComponentConfig(config)) return { variants: [], deployed: [] };
    const capacityMode = this.capacityModeOf(scope, endpointName);
    const deployment = this.deployment(ep, configName);
    try {
      for (const v of config.ProductionVariants ?? []) {
        const model = this.deps.db.get<ModelRecord>(scope, MODEL_KIND, v.ModelName!)?.data;
        if (!model) throw new ModelLoadError(`Could not find model "${sagemakerArn(scope, 'model', v.ModelName!)}".`);
        // Several containers (or AutoML's data processing container alone) serve as a serial inference pipeline.
        const pipeline = pipelineContainers(this.deps.db, scope, model);
        if (pipeline) {
          out.push(await this.loadPipelineVariant(scope, ep, deployment, model, pipeline, v, current, deployed, capacityMode));
          continue;
        }
        let container: ModelRecord['PrimaryContainer'];
        try {
          container = servingContainer(this.deps.db, scope, model);
        } catch (e) {
          throw new ModelLoadError((e as Error).message);
        }
        if (container?.Image && !algorithmForImage(container.Image) && this.containers) {
          // Any other image runs as a supervised worker per instance (emulator/containers).
          const weight = current?.find((c) => c.VariantName === v.VariantName)?.CurrentWeight ?? v.InitialVariantWeight ?? 1;
          try {
            const d = await this.containers.deploy(scope, endpointName, v.VariantName!, container, v.InitialInstanceCount ?? 1);
            deployed.push(d);
            const instanceCount = v.InitialInstanceCount ?? 1;
            const streams = instanceStreams(ep.EndpointArn!, v.VariantName!, instanceCount, deployment);
            out.push({ name: v.VariantName!, weight, model: d.model, modelDataUrl: container.ModelDataUrl ?? '', instanceCount, streams });
          } catch (e) {
            throw new ModelLoadError((e as Error).message);
          }
          continue;
        }
        out.push(await this.loadBuiltIn(ep, deployment, model, container, v, current, capacityMode));
      }
      return { variants: out, deployed, shadow: await this.shadows.load(scope, ep.EndpointArn!, config) };
    } catch (e) {
      await Promise.all(deployed.map((d) => d.stop()));
      throw e;
    }
  }

  private async loadBuiltIn(
    ep: EndpointRecord,
    deployment: string,
    model: ModelRecord,
    container: ModelRecord['PrimaryContainer'],
    v: NonNullable<EndpointConfigRecord['ProductionVariants']>[number],
    current: ProductionVariantSummary[] | undefined,
    capacityMode: boolean,
  ): Promise<ServingVariant> {
    if (!container?.Image || !algorithmForImage(container.Image)) {
      throw new ModelLoadError(`The image "${container?.Image}" of model "${model.ModelName}" is not a built-in algorithm image that localsage can serve (linear-learner, kmeans).`);
    }
    if (!container.ModelDataUrl) throw new ModelLoadError(`Model "${model.ModelName}" has no ModelDataUrl; a built-in algorithm needs model data to serve.`);
    const weight = current?.find((c) => c.VariantName === v.VariantName)?.CurrentWeight ?? v.InitialVariantWeight ?? 1;
    const instanceCount = current?.find((c) => c.VariantName === v.VariantName)?.CurrentInstanceCount ?? v.InitialInstanceCount ?? 1;
    const capacity = capacityMode
      ? new InstancePool(this.deps.clock, instanceProfile(v.InstanceType), instanceCount, (v.RoutingConfig?.RoutingStrategy as RoutingStrategy | undefined) ?? 'RANDOM')
      : undefined;
    const streams = instanceStreams(ep.EndpointArn!, v.VariantName!, instanceCount, deployment);
    return { name: v.VariantName!, weight, model: await this.serving.load(container.ModelDataUrl), modelDataUrl: container.ModelDataUrl, instanceCount, capacity, streams };
  }

  /** A model of several containers: one serial inference pipeline per variant (inference-pipeline.ts). */
  private async loadPipelineVariant(
    scope: Scope,
    ep: EndpointRecord,
    deployment: string,
    model: ModelRecord,
    containers: NonNullable<ModelRecord['Containers']>,
    v: NonNullable<EndpointConfigRecord['ProductionVariants']>[number],
    current: ProductionVariantSummary[] | undefined,
    deployed: DeployedVariant[],
    capacityMode: boolean,
  ): Promise<ServingVariant> {
    const instanceCount = current?.find((c) => c.VariantName === v.VariantName)?.CurrentInstanceCount ?? v.InitialInstanceCount ?? 1;
    let pipeline;
    try {
      pipeline = await loadPipeline(
        containers,
        (url, environment) => this.serving.load(url, environment),
        (container) => {
          if (!this.containers) throw new Error(`The image "${container.Image}" of model "${model.ModelName}" is not one localsage serves in-process, and no container runtime is configured.`);
          return this.containers.deploy(scope, ep.EndpointName!, v.VariantName!, container, instanceCount);
        },
      );
    } catch (e) {
      throw e instanceof ModelLoadError ? e : new ModelLoadError((e as Error).message);
    }
    deployed.push(...pipeline.deployed);
    const weight = current?.find((c) => c.VariantName === v.VariantName)?.CurrentWeight ?? v.InitialVariantWeight ?? 1;
    const streams = instanceStreams(ep.EndpointArn!, v.VariantName!, instanceCount, deployment);
    // In capacity mode an in-process pipeline queues on the variant's instances like a built-in model.
    const capacity =
      capacityMode && !pipeline.deployed.length
        ? new InstancePool(this.deps.clock, instanceProfile(v.InstanceType), instanceCount, (v.RoutingConfig?.RoutingStrategy as RoutingStrategy | undefined) ?? 'RANDOM')
        : undefined;
    return { name: v.VariantName!, weight, model: pipeline.model, modelDataUrl: containers[0].ModelDataUrl ?? '', pipeline: containers, instanceCount, capacity, streams };
  }

  /** --capacity-mode, unless the endpoint's CAPACITY_MODE_TAG says otherwise. */
  private capacityModeOf(scope: Scope, endpointName: string): boolean {
    const tag = this.deps.db.tags(sagemakerArn(scope, 'endpoint', endpointName)).find((t) => t.Key === CAPACITY_MODE_TAG)?.Value.toLowerCase();
    if (tag === 'on' || tag === 'true') return true;
    if (tag === 'off' || tag === 'false') return false;
    return this.deps.capacityMode ?? false;
  }
}
