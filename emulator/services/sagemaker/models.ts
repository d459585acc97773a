import type {
  CreateModelInput,
  CreateModelOutput,
  DeleteModelInput,
  DescribeModelOutput,
} from '@aws-sdk/client-sagemaker';
import { algorithmForImage } from '../../../algorithms/index.js';
import type { ContainerRuntime } from '../../containers/index.js';
import { validation } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { sagemakerArn } from './arns.js';
import { notFoundError } from './engine/engine.js';
import { FamilyRecords, serviceFamily, type ServiceFamilyDeclaration } from './engine/layered.js';
import { scopeOf } from './scope.js';

export const MODEL_KIND = 'model';
export type ModelRecord = DescribeModelOutput;

/** Models on the engine: ListModels newest first (AWS's default SortOrder for it is Descending). */
export const MODEL_FAMILY: ServiceFamilyDeclaration<ModelRecord> = { name: 'Model', storageKind: MODEL_KIND, list: { defaultOrder: 'Descending' } };

/** `Could not find model "<arn>".` (ValidationException), as the engine says it. */
export const modelNotFound = (scope: Scope, name: string) => notFoundError(serviceFamily('Model'), sagemakerArn(scope, 'model', name));

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
      if (!c?.Image || algorithmForImage(c.Image) || !this.containers) continue;
      try {
        this.containers.resolve(c.Image);
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
