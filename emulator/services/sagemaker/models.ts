import type {
  ContainerDefinition,
  CreateModelInput,
  CreateModelOutput,
  DeleteModelInput,
  DescribeModelOutput,
} from '@aws-sdk/client-sagemaker';
import { algorithmForImage, isProcessingImage } from '../../../algorithms/index.js';
import type { ContainerRuntime } from '../../containers/index.js';
import { validation } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Database, Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { sagemakerArn } from './arns.js';
import { notFoundError } from './engine/engine.js';
import { FamilyRecords, serviceFamily, type ServiceFamilyDeclaration } from './engine/layered.js';
import { modelPackageContainers } from './engine/model-registry.js';
import { scopeOf } from './scope.js';

export const MODEL_KIND = 'model';
export type ModelRecord = DescribeModelOutput;

/** Models on the engine: ListModels newest first (AWS's default SortOrder for it is Descending). */
export const MODEL_FAMILY: ServiceFamilyDeclaration<ModelRecord> = { name: 'Model', storageKind: MODEL_KIND, list: { defaultOrder: 'Descending' } };

/** `Could not find model "<arn>".` (ValidationException), as the engine says it. */
export const modelNotFound = (scope: Scope, name: string) => notFoundError(serviceFamily('Model'), sagemakerArn(scope, 'model', name));

/**
 * The container a model serves with: its PrimaryContainer (or first of Containers). A container
 * that names a ModelPackageName (a model from the model registry) is the package's first inference
 * container (Image, ModelDataUrl, Environment), with the model's own Environment on top of the
 * package's. Read when the model is deployed, so a package deleted since fails there.
 */
export function servingContainer(db: Database, scope: Scope, model: ModelRecord): ContainerDefinition | undefined {
  const container = model.PrimaryContainer ?? model.Containers?.[0];
  if (!container?.ModelPackageName) return container;
  const [first] = modelPackageContainers(db, scope, container.ModelPackageName) ?? [];
  if (!first) throw new Error(`Model "${model.ModelName}" names model package ${container.ModelPackageName}, which does not exist (any more) or has no inference container.`);
  const { ModelPackageName: _package, Environment, ...rest } = container;
  const pkg = first as ContainerDefinition;
  return { ...rest, Image: pkg.Image, ModelDataUrl: pkg.ModelDataUrl, ModelDataSource: pkg.ModelDataSource, Environment: { ...pkg.Environment, ...Environment } };
}

/**
 * The containers a model chains as a serial inference pipeline: several Containers in Mode Serial
 * (InferenceExecutionConfig; Serial is AWS's default), a registered model package with several
 * inference containers (the model's Environment on top of each), or AutoML's data processing
 * container alone (served in-process like a one-stage pipeline). Undefined for any other model,
 * which serves its first container (Mode Direct reaches the others by TargetContainerHostname,
 * which localsage does not model).
 */
export function pipelineContainers(db: Database, scope: Scope, model: ModelRecord): ContainerDefinition[] | undefined {
  if ((model.Containers?.length ?? 0) > 1) return model.InferenceExecutionConfig?.Mode === 'Direct' ? undefined : model.Containers;
  const only = model.PrimaryContainer ?? model.Containers?.[0];
  if (only?.ModelPackageName) {
    const pkg = (modelPackageContainers(db, scope, only.ModelPackageName) ?? []) as ContainerDefinition[];
    if (pkg.length < 2) return undefined;
    return pkg.map((c) => ({ Image: c.Image, ModelDataUrl: c.ModelDataUrl, Environment: { ...c.Environment, ...only.Environment } }));
  }
  return only && isProcessingImage(only.Image) ? [only] : undefined;
}

/** CreateModel's checks: the engine keeps the record; DescribeModel and ListModels are the engine's. */
export class ModelService {
  readonly records: FamilyRecords<ModelRecord>;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly containers?: ContainerRuntime,
  ) {
    this.records = new FamilyRecords(deps, MODEL_FAMILY);
  }

  create(req: CreateModelInput, ctx: RequestContext): CreateModelOutput {
    const scope = scopeOf(ctx);
    if (!req.PrimaryContainer && !req.Containers?.length) {
      throw validation('Either PrimaryContainer or Containers must be specified.');
    }
    // An image that cannot be run fails here, saying what to configure, never later at deploy.
    for (const c of [req.PrimaryContainer, ...(req.Containers ?? [])]) {
      let image = c?.Image;
      if (c?.ModelPackageName) {
        const containers = modelPackageContainers(this.deps.db, scope, c.ModelPackageName);
        if (!containers) throw validation(`ModelPackage ${c.ModelPackageName} does not exist.`);
        if (!containers.length) throw validation(`ModelPackage ${c.ModelPackageName} has no InferenceSpecification containers to create a model from.`);
        image = containers[0]?.Image as string | undefined;
      }
      // AutoML's data processing image is served in-process, like the built-in algorithms.
      if (!image || algorithmForImage(image) || isProcessingImage(image) || !this.containers) continue;
      try {
        this.containers.resolve(image);
      } catch (e) {
        throw validation((e as Error).message);
      }
    }
    const model: ModelRecord = {
      ModelName: req.ModelName,
      ModelArn: this.records.arn(scope, req.ModelName!),
      PrimaryContainer: req.PrimaryContainer,
      Containers: req.Containers,
      InferenceExecutionConfig: req.InferenceExecutionConfig,
      ExecutionRoleArn: req.ExecutionRoleArn,
      VpcConfig: req.VpcConfig,
      EnableNetworkIsolation: req.EnableNetworkIsolation ?? false,
      CreationTime: new Date(this.deps.clock.now()),
    };
    return { ModelArn: this.records.insert(scope, req.ModelName!, model, req.Tags) };
  }

  delete(req: DeleteModelInput, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    if (!this.records.delete(scope, req.ModelName!)) throw this.records.notFound(scope, req.ModelName!);
    return {};
  }
}
