import { loadModel, unpackModelArtifact, type LoadedModel } from '../../../algorithms/index.js';
import type { ContainerDefinition } from '@aws-sdk/client-sagemaker';
import type { ContainerModel } from '../../containers/index.js';
import type { InstancePool } from './capacity.js';
import { ComponentRegistry } from './component-registry.js';
import type { Scope } from '../../storage/database.js';
import { parseS3Uri, readObject, type ObjectStore } from '../../storage/object-store.js';
import type { CaptureSettings } from './data-capture.js';
import type { FleetShift } from './fleet-shift.js';

export interface ServingVariant {
  name: string;
  weight: number;
  /** A built-in algorithm answers synchronously; a container (emulator/containers) asynchronously. */
  model: LoadedModel | ContainerModel;
  /** Where the model came from (asynchronous inference loads it into worker threads). */
  modelDataUrl: string;
  /** One CloudWatch Logs stream per instance, `<variant>/<instance-id>`; requests go round-robin. */
  streams: string[];
  /** CurrentInstanceCount: the instances in service. */
  instanceCount: number;
  /** In capacity mode: the variant's instances, with their workers and queues. */
  capacity?: InstancePool;
  /** A model of several containers: the serial inference pipeline `model` chains (worker threads load it from these). */
  pipeline?: ContainerDefinition[];
  /** Set when this is an inference component's model: its name (instanceCount is then its copy count). */
  component?: string;
  /**
   * While a deployment guardrail shifts traffic (a blue/green or rolling update): this variant is
   * the old (blue) fleet and `shift.green` the new one, which gets `greenShare` of the requests.
   */
  shift?: FleetShift;
}

export interface ServingEndpoint {
  name: string;
  variants: ServingVariant[];
  totalWeight: number;
  /** DataCaptureConfig, when the endpoint captures. */
  capture?: CaptureSettings;
  /** AsyncInferenceConfig, on an asynchronous endpoint. */
  async?: AsyncSettings;
  /** The endpoint hosts inference components (its variants have no model of their own). */
  componentBased?: boolean;
  /** While an inference experiment runs: the shadow variant that gets copies of the source variant's requests. */
  shadow?: ShadowSettings;
}

export interface ShadowSettings {
  /** The production variant whose requests are copied. */
  source: string;
  variant: ServingVariant;
  samplingPercentage: number;
  /** Deployed from the endpoint configuration's ShadowProductionVariants (else by an inference experiment). */
  fromConfig?: boolean;
}

/** What an endpoint serves besides its variants: from its endpoint configuration. */
export interface EndpointFeatures {
  capture?: CaptureSettings;
  async?: AsyncSettings;
  componentBased?: boolean;
}

export interface AsyncSettings {
  outputPath: string;
  failurePath?: string;
  maxConcurrentPerInstance: number;
}

/** The model data could not be loaded: the endpoint fails with this reason, as on AWS. */
export class ModelLoadError extends Error {}

/**
 * Downloads and unpacks a container's ModelDataUrl into the bytes of `model_algo-1`, failing with
 * the messages SageMaker gives for a missing object or a bad archive.
 */
export async function fetchModelFile(store: ObjectStore, modelDataUrl: string): Promise<Buffer> {
  let artifact: Buffer;
  try {
    const { bucket, key } = parseS3Uri(modelDataUrl);
    artifact = await readObject(store, bucket, key);
  } catch {
    throw new ModelLoadError(
      `Failed to download model data for container "container_1" from URL: "${modelDataUrl}". Please ensure that there is an object located at the URL and that the role passed to CreateModel has permissions to download the object.`,
    );
  }
  try {
    return await unpackModelArtifact(artifact);
  } catch (e) {
    throw new ModelLoadError(`Failed to extract model data archive from URL "${modelDataUrl}". Please ensure that the object located at the URL is a valid tar.gz archive: ${(e as Error).message}`);
  }
}

/** The model files of an in-process serial inference pipeline, for a worker thread (batch transform, asynchronous inference). */
export async function fetchPipelineFiles(store: ObjectStore, containers: ContainerDefinition[]): Promise<{ stages: { model: Buffer; environment: Record<string, string>; accept: string }[] }> {
  const stages = [];
  for (const c of containers) {
    stages.push({ model: await fetchModelFile(store, c.ModelDataUrl ?? ''), environment: c.Environment ?? {}, accept: c.Environment?.SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT ?? 'text/csv' });
  }
  return { stages };
}

/**
 * What each InService endpoint serves, in memory, so that InvokeEndpoint touches neither SQLite
 * nor the object store on its hot path.
 */
export class ServingRegistry {
  private readonly endpoints = new Map<string, ServingEndpoint>();
  private readonly models = new Map<string, LoadedModel>();
  /** Inference components in service, for requests that name one. */
  readonly components = new ComponentRegistry();
  /** Shadow variants of running inference experiments, kept across redeploys of their endpoint. */
  private readonly shadows = new Map<string, ShadowSettings>();

  constructor(private readonly store: ObjectStore) {}

  private key(scope: Scope, name: string): string {
    return `${scope.accountId}\u0000${scope.region}\u0000${name.toLowerCase()}`;
  }

  /**
   * The endpoint found last and how it was asked for: invocations name the same endpoint again
   * and again, and this spares each one building the lowercased key. Forgotten on every change.
   */
  private last?: { accountId: string; region: string; name: string; endpoint: ServingEndpoint };

  get(scope: Scope, name: string): ServingEndpoint | undefined {
    const last = this.last;
    if (last && last.name === name && last.accountId === scope.accountId && last.region === scope.region) return last.endpoint;
    const endpoint = this.endpoints.get(this.key(scope, name));
    if (endpoint) this.last = { accountId: scope.accountId, region: scope.region, name, endpoint };
    return endpoint;
  }

  set(scope: Scope, name: string, variants: ServingVariant[], features: EndpointFeatures = {}): void {
    this.last = undefined;
    const key = this.key(scope, name);
    this.endpoints.set(key, { name, variants, totalWeight: variants.reduce((s, v) => s + v.weight, 0), ...features, shadow: this.shadows.get(key) });
  }

  /** An inference experiment starts (or stops, with undefined) copying the endpoint's requests to a shadow variant. */
  setShadow(scope: Scope, name: string, shadow: ShadowSettings | undefined): void {
    const key = this.key(scope, name);
    if (shadow) this.shadows.set(key, shadow);
    else this.shadows.delete(key);
    const ep = this.endpoints.get(key);
    if (ep) ep.shadow = shadow;
  }

  setWeights(scope: Scope, name: string, weights: Map<string, number>): void {
    const ep = this.get(scope, name);
    if (!ep) return;
    this.set(scope, name, ep.variants.map((v) => ({ ...v, weight: weights.get(v.name) ?? v.weight })), { capture: ep.capture, async: ep.async, componentBased: ep.componentBased });
  }

  /**
   * Follows a change of CurrentInstanceCount (the endpoint service calls it whenever one
   * changes): capacity mode routes over exactly the instances in service.
   */
  setInstanceCounts(scope: Scope, name: string, counts: Map<string, number>): void {
    const ep = this.get(scope, name);
    if (!ep) return;
    for (const v of ep.variants) {
      const n = counts.get(v.name);
      if (n === undefined) continue;
      v.instanceCount = n;
      v.capacity?.setInstanceCount(n);
    }
  }

  remove(scope: Scope, name: string): void {
    this.last = undefined;
    this.endpoints.delete(this.key(scope, name));
  }

  /**
   * Loads (once per artifact) the model a container's ModelDataUrl points at. The environment
   * matters to AutoML's data processing model alone: its mode and response keys.
   */
  async load(modelDataUrl: string, environment?: Record<string, string>): Promise<LoadedModel> {
    const mode = environment?.AUTOML_TRANSFORM_MODE;
    const key = mode ? `${modelDataUrl}\u0000${mode}\u0000${environment?.SAGEMAKER_INFERENCE_OUTPUT ?? ''}` : modelDataUrl;
    const cached = this.models.get(key);
    if (cached) return cached;
    const file = await fetchModelFile(this.store, modelDataUrl);
    let model: LoadedModel;
    try {
      model = loadModel(file, environment);
    } catch (e) {
      throw new ModelLoadError(`Failed to extract model data archive from URL "${modelDataUrl}". Please ensure that the object located at the URL is a valid tar.gz archive: ${(e as Error).message}`);
    }
    this.models.set(key, model);
    return model;
  }
}
