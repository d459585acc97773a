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
import { MODEL_KIND, modelNotFound } from './models.js';
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
    for (const v of req.ProductionVariants ?? []) {
      if (names.has(v.VariantName!.toLowerCase())) throw validation(`The variant name "${v.VariantName}" is used more than once.`);
      names.add(v.VariantName!.toLowerCase());
      if (!v.ModelName) throw validation(`ModelName is required for variant "${v.VariantName}".`);
      if (!this.deps.db.get(scope, MODEL_KIND, v.ModelName)) throw modelNotFound(scope, v.ModelName);
      if (!v.ServerlessConfig && (v.InitialInstanceCount === undefined || !v.InstanceType)) {
        throw validation(`Invalid ProductionVariant "${v.VariantName}": InstanceType and InitialInstanceCount are required unless ServerlessConfig is given.`);
      }
    }
    checkAsyncConfig(req);
    const record: EndpointConfigRecord = {
      EndpointConfigName: req.EndpointConfigName,
      EndpointConfigArn: arn,
      ProductionVariants: (req.ProductionVariants ?? []).map((v) => ({ ...v, InitialVariantWeight: v.InitialVariantWeight ?? 1 })),
      DataCaptureConfig: req.DataCaptureConfig,
      KmsKeyId: req.KmsKeyId,
      AsyncInferenceConfig: req.AsyncInferenceConfig,
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
