import type {
  ContainerDefinition,
  CreateModelInput,
  CreateModelOutput,
  DeleteModelInput,
  DescribeModelInput,
  DescribeModelOutput,
  ListModelsInput,
  ListModelsOutput,
} from '@aws-sdk/client-sagemaker';
import { algorithmForImage } from '../../../algorithms/index.js';
import type { ContainerRuntime } from '../../containers/index.js';
import { validation } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Database, Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { sagemakerArn } from './arns.js';
import { listPage } from './listing.js';
import { modelPackageContainers } from './engine/model-registry.js';
import { scopeOf } from './scope.js';

export const MODEL_KIND = 'model';
export type ModelRecord = DescribeModelOutput;

export const modelNotFound = (scope: Scope, name: string) =>
  validation(`Could not find model "${sagemakerArn(scope, 'model', name)}".`);

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

export class ModelService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly containers?: ContainerRuntime,
  ) {}

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
      if (!image || algorithmForImage(image) || !this.containers) continue;
      try {
        this.containers.resolve(image);
      } catch (e) {
        throw validation((e as Error).message);
      }
    }
    const arn = sagemakerArn(scope, 'model', req.ModelName!);
    const model: ModelRecord = {
      ModelName: req.ModelName,
      ModelArn: arn,
      PrimaryContainer: req.PrimaryContainer,
      Containers: req.Containers,
      InferenceExecutionConfig: req.InferenceExecutionConfig,
      ExecutionRoleArn: req.ExecutionRoleArn,
      VpcConfig: req.VpcConfig,
      EnableNetworkIsolation: req.EnableNetworkIsolation ?? false,
      CreationTime: new Date(this.deps.clock.now()),
    };
    if (!this.deps.db.insert(scope, MODEL_KIND, req.ModelName!, arn, model)) {
      throw validation(`Cannot create already existing model "${arn}".`);
    }
    if (req.Tags?.length) this.deps.db.addTags(arn, req.Tags);
    return { ModelArn: arn };
  }

  describe(req: DescribeModelInput, ctx: RequestContext): DescribeModelOutput {
    const scope = scopeOf(ctx);
    const found = this.deps.db.get<ModelRecord>(scope, MODEL_KIND, req.ModelName!);
    if (!found) throw modelNotFound(scope, req.ModelName!);
    return found.data;
  }

  list(req: ListModelsInput, ctx: RequestContext): ListModelsOutput {
    const models = this.deps.db.list<ModelRecord>(scopeOf(ctx), MODEL_KIND).map((r) => r.data);
    const { page, NextToken } = listPage(models, req, {
      name: (m) => m.ModelName!,
      creationTime: (m) => m.CreationTime,
      defaultOrder: 'Descending',
    });
    return { Models: page.map((m) => ({ ModelName: m.ModelName, ModelArn: m.ModelArn, CreationTime: m.CreationTime })), NextToken };
  }

  delete(req: DeleteModelInput, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    if (!this.deps.db.delete(scope, MODEL_KIND, req.ModelName!)) throw modelNotFound(scope, req.ModelName!);
    return {};
  }
}
