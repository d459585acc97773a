import type { ModelVariantConfig, ShadowModeConfig } from '@aws-sdk/client-sagemaker';
import { algorithmForImage } from '../../../algorithms/index.js';
import { validation } from '../../protocol/errors.js';
import type { Database, Scope } from '../../storage/database.js';
import { ENDPOINT_CONFIG_KIND, isComponentConfig, type EndpointConfigRecord } from './endpoint-configs.js';
import { ENDPOINT_KIND } from './endpoints.js';
import { MODEL_KIND, modelNotFound, type ModelRecord } from './models.js';

/** What CreateInferenceExperiment and UpdateInferenceExperiment check before an experiment is stored. */

const DAY_MS = 86_400_000;

/** Schedule defaults: start now, end seven days later; at most 30 days (CreateInferenceExperiment). */
export function experimentSchedule(s: { StartTime?: Date; EndTime?: Date } | undefined, now: number): { StartTime: Date; EndTime: Date } {
  const start = s?.StartTime ? new Date(s.StartTime) : new Date(now);
  const end = s?.EndTime ? new Date(s.EndTime) : new Date(start.getTime() + 7 * DAY_MS);
  if (end.getTime() <= start.getTime()) throw validation('Schedule.EndTime must be after Schedule.StartTime.');
  if (end.getTime() - start.getTime() > 30 * DAY_MS) throw validation('The maximum duration of an inference experiment is 30 days.');
  return { StartTime: start, EndTime: end };
}

/**
 * ShadowMode: one production variant the endpoint serves with the same model, and one shadow
 * variant of a model localsage can load (a built-in algorithm).
 */
export function checkShadowMode(db: Database, scope: Scope, endpointName: string, variants: ModelVariantConfig[], shadowMode: ShadowModeConfig): void {
  const endpointArn = `arn:aws:sagemaker:${scope.region}:${scope.accountId}:endpoint/${endpointName.toLowerCase()}`;
  const endpoint = db.get<{ EndpointConfigName?: string; EndpointStatus?: string }>(scope, ENDPOINT_KIND, endpointName)?.data;
  if (!endpoint) throw validation(`Could not find endpoint "${endpointArn}".`);
  const config = db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, endpoint.EndpointConfigName!)?.data;
  if (isComponentConfig(config)) throw validation(`Endpoint "${endpointArn}" hosts inference components; an inference experiment shadows a variant that serves a model.`);
  if (config?.ShadowProductionVariants?.length) throw validation(`Endpoint "${endpointArn}" already has a shadow variant in its endpoint configuration.`);
  if (config?.AsyncInferenceConfig || config?.ProductionVariants?.some((p) => p.ServerlessConfig)) {
    throw validation(`Endpoint "${endpointArn}" is asynchronous or serverless; shadow tests run on real-time endpoints.`);
  }
  const source = variants.find((v) => v.VariantName === shadowMode.SourceModelVariantName);
  const shadowName = shadowMode.ShadowModelVariants![0].ShadowModelVariantName;
  const shadow = variants.find((v) => v.VariantName === shadowName);
  if (variants.length !== 2 || !source || !shadow || source === shadow) {
    throw validation('ModelVariants must list exactly the ShadowModeConfig source variant and its shadow variant.');
  }
  for (const v of variants) if (!db.get(scope, MODEL_KIND, v.ModelName!)) throw modelNotFound(scope, v.ModelName!);
  const serving = config?.ProductionVariants?.find((p) => p.VariantName === source.VariantName);
  if (!serving || serving.ModelName !== source.ModelName) {
    throw validation(`The source variant "${source.VariantName}" with model "${source.ModelName}" is not a production variant of endpoint "${endpointArn}".`);
  }
  if (config?.ProductionVariants?.some((p) => p.VariantName === shadowName)) throw validation(`The shadow variant name "${shadowName}" is already a production variant of endpoint "${endpointArn}".`);
  const image = modelContainer(db, scope, shadow.ModelName!)?.Image;
  if (!image || !algorithmForImage(image)) throw validation(`localsage shadows built-in algorithm models (linear-learner, kmeans); the image "${image}" of model "${shadow.ModelName}" is not one.`);
}

export function modelContainer(db: Database, scope: Scope, name: string) {
  const m = db.get<ModelRecord>(scope, MODEL_KIND, name)?.data;
  return m?.PrimaryContainer ?? m?.Containers?.[0];
}
