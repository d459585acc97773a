import type {
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
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { sagemakerArn } from './arns.js';
import { listPage } from './listing.js';
import { scopeOf } from './scope.js';

export const MODEL_KIND = 'model';
export type ModelRecord = DescribeModelOutput;

export const modelNotFound = (scope: Scope, name: string) =>
  validation(`Could not find model "${sagemakerArn(scope, 'model', name)}".`);

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
      if (!c?.Image || algorithmForImage(c.Image) || !this.containers) continue;
      try {
        this.containers.resolve(c.Image);
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
