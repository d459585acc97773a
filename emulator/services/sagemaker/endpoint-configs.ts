import type {
  CreateEndpointConfigInput,
  CreateEndpointConfigOutput,
  DeleteEndpointConfigInput,
  DescribeEndpointConfigOutput,
} from '@aws-sdk/client-sagemaker';
import { validation } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { sagemakerArn } from './arns.js';
import { notFoundError } from './engine/engine.js';
import { FamilyRecords, serviceFamily, type ServiceFamilyDeclaration } from './engine/layered.js';
import { MODEL_KIND, modelNotFound, type ModelRecord } from './models.js';
import { algorithmForImage } from '../../../algorithms/index.js';
import { scopeOf } from './scope.js';

export const ENDPOINT_CONFIG_KIND = 'endpoint-config';
export type EndpointConfigRecord = DescribeEndpointConfigOutput;

/** Endpoint configurations on the engine; AWS calls them "endpoint configuration" in its messages. */
export const ENDPOINT_CONFIG_FAMILY: ServiceFamilyDeclaration<EndpointConfigRecord> = {
  name: 'EndpointConfig',
  storageKind: ENDPOINT_CONFIG_KIND,
  readable: 'endpoint configuration',
  list: { defaultOrder: 'Descending' },
};

/** `Could not find endpoint configuration "<arn>".` (ValidationException). */
export const endpointConfigNotFound = (scope: Scope, name: string) =>
  notFoundError({ ...serviceFamily('EndpointConfig'), readable: ENDPOINT_CONFIG_FAMILY.readable! }, sagemakerArn(scope, 'endpoint-config', name));

/** MaxConcurrentInvocationsPerInstance when the config names none (AWS picks one; we pick 4). */
export const DEFAULT_ASYNC_CONCURRENCY = 4;

/**
 * Refuses an AsyncInferenceConfig that localsage could not honour, rather than accepting it and
 * ignoring part of it: SNS notifications and KMS encryption of the results are not emulated.
 */
function checkAsyncConfig(req: CreateEndpointConfigInput): void {
  const a = req.AsyncInferenceConfig;
  if (!a) return;
  if (!a.OutputConfig?.S3OutputPath) throw validation('AsyncInferenceConfig.OutputConfig.S3OutputPath is required.');
  if (a.OutputConfig.NotificationConfig) {
    throw validation('localsage does not implement SNS notifications for asynchronous inference: remove AsyncInferenceConfig.OutputConfig.NotificationConfig.');
  }
  if (a.OutputConfig.KmsKeyId) throw validation('localsage does not encrypt asynchronous inference results with KMS: remove AsyncInferenceConfig.OutputConfig.KmsKeyId.');
  if ((req.ProductionVariants ?? []).length !== 1) throw validation('An endpoint configuration with AsyncInferenceConfig must have exactly one production variant.');
  if (req.ProductionVariants![0].ServerlessConfig) throw validation('AsyncInferenceConfig is not supported with ServerlessConfig.');
}

/**
 * An endpoint that hosts inference components rather than models: its configuration names an
 * ExecutionRoleArn and no variant names a ModelName (the rule the SageMaker Python SDK's
 * `is_inference_component_based_endpoint` applies).
 */
export function isComponentConfig(config: Pick<EndpointConfigRecord, 'ExecutionRoleArn' | 'ProductionVariants'> | undefined): boolean {
  const variants = config?.ProductionVariants ?? [];
  return !!config?.ExecutionRoleArn && variants.length > 0 && variants.every((v) => !v.ModelName);
}

/**
 * Variants that will host inference components carry no model; they need instances (an
 * InstanceType and InitialInstanceCount) for the components' copies to be placed on, so
 * serverless variants, asynchronous inference and shadow variants are refused for them.
 */
function checkComponentConfig(req: CreateEndpointConfigInput): void {
  for (const v of req.ProductionVariants ?? []) {
    if (v.ServerlessConfig) throw validation(`Invalid ProductionVariant "${v.VariantName}": ServerlessConfig is not supported for endpoints that host inference components.`);
    if (!v.InstanceType || v.InitialInstanceCount === undefined) {
      throw validation(`Invalid ProductionVariant "${v.VariantName}": InstanceType and InitialInstanceCount are required unless ServerlessConfig is given.`);
    }
  }
  if (req.AsyncInferenceConfig) throw validation('AsyncInferenceConfig is not supported for endpoints that host inference components.');
  if (req.ShadowProductionVariants?.length) throw validation('ShadowProductionVariants are not supported for endpoints that host inference components.');
}

/**
 * ShadowProductionVariants: one production variant and one shadow (CreateEndpointConfig API
 * reference), each with its model and instances. localsage mirrors requests onto a shadow whose
 * model is a built-in algorithm (endpoint-shadows.ts).
 */
function checkShadowVariants(req: CreateEndpointConfigInput, scope: Scope, hasModel: (name: string) => ModelRecord | undefined): void {
  const shadows = req.ShadowProductionVariants ?? [];
  if (!shadows.length) return;
  if (shadows.length !== 1 || (req.ProductionVariants ?? []).length !== 1) {
    throw validation('If you use ShadowProductionVariants, you can only specify one variant for ProductionVariants and one variant for ShadowProductionVariants.');
  }
  if (req.AsyncInferenceConfig) throw validation('ShadowProductionVariants are not supported with AsyncInferenceConfig.');
  const v = shadows[0];
  if (v.VariantName!.toLowerCase() === req.ProductionVariants![0].VariantName!.toLowerCase()) throw validation(`The variant name "${v.VariantName}" is used more than once.`);
  if (!v.ModelName) throw validation(`ModelName is required for variant "${v.VariantName}".`);
  const model = hasModel(v.ModelName);
  if (!model) throw modelNotFound(scope, v.ModelName);
  if (v.InitialInstanceCount === undefined || !v.InstanceType) {
    throw validation(`Invalid ProductionVariant "${v.VariantName}": InstanceType and InitialInstanceCount are required unless ServerlessConfig is given.`);
  }
  const image = (model.PrimaryContainer ?? model.Containers?.[0])?.Image;
  if (!image || !algorithmForImage(image)) throw validation(`localsage shadows built-in algorithm models (linear-learner, kmeans); the image "${image}" of model "${v.ModelName}" is not one.`);
}

/** CreateEndpointConfig's checks: the engine keeps the record; Describe and List are the engine's. */
export class EndpointConfigService {
  readonly records: FamilyRecords<EndpointConfigRecord>;

  constructor(private readonly deps: ServiceDeps) {
    this.records = new FamilyRecords(deps, ENDPOINT_CONFIG_FAMILY);
  }

  create(req: CreateEndpointConfigInput, ctx: RequestContext): CreateEndpointConfigOutput {
    const scope = scopeOf(ctx);
    const arn = this.records.arn(scope, req.EndpointConfigName!);
    // A taken name is refused before the variants are checked, as AWS does.
    if (this.records.get(scope, req.EndpointConfigName!)) throw this.records.inUse(scope, req.EndpointConfigName!);
    const names = new Set<string>();
    const forComponents = isComponentConfig(req);
    for (const v of req.ProductionVariants ?? []) {
      if (names.has(v.VariantName!.toLowerCase())) throw validation(`The variant name "${v.VariantName}" is used more than once.`);
      names.add(v.VariantName!.toLowerCase());
      if (forComponents) continue;
      if (!v.ModelName) throw validation(`ModelName is required for variant "${v.VariantName}".`);
      if (!this.deps.db.get(scope, MODEL_KIND, v.ModelName)) throw modelNotFound(scope, v.ModelName);
      if (!v.ServerlessConfig && (v.InitialInstanceCount === undefined || !v.InstanceType)) {
        throw validation(`Invalid ProductionVariant "${v.VariantName}": InstanceType and InitialInstanceCount are required unless ServerlessConfig is given.`);
      }
    }
    if (forComponents) checkComponentConfig(req);
    else {
      checkAsyncConfig(req);
      checkShadowVariants(req, scope, (name) => this.deps.db.get<ModelRecord>(scope, MODEL_KIND, name)?.data);
    }
    const record: EndpointConfigRecord = {
      EndpointConfigName: req.EndpointConfigName,
      EndpointConfigArn: arn,
      ProductionVariants: (req.ProductionVariants ?? []).map((v) => ({ ...v, InitialVariantWeight: v.InitialVariantWeight ?? 1 })),
      DataCaptureConfig: req.DataCaptureConfig,
      KmsKeyId: req.KmsKeyId,
      AsyncInferenceConfig: req.AsyncInferenceConfig,
      ShadowProductionVariants: req.ShadowProductionVariants?.map((v) => ({ ...v, InitialVariantWeight: v.InitialVariantWeight ?? 1 })),
      ExecutionRoleArn: req.ExecutionRoleArn,
      VpcConfig: req.VpcConfig,
      EnableNetworkIsolation: req.EnableNetworkIsolation,
      CreationTime: new Date(this.deps.clock.now()),
    };
    return { EndpointConfigArn: this.records.insert(scope, req.EndpointConfigName!, record, req.Tags) };
  }

  delete(req: DeleteEndpointConfigInput, ctx: RequestContext): Record<string, never> {
    const scope = scopeOf(ctx);
    if (!this.records.delete(scope, req.EndpointConfigName!)) throw this.records.notFound(scope, req.EndpointConfigName!);
    return {};
  }
}
