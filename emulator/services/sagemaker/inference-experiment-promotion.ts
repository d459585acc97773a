import { randomUUID } from 'node:crypto';
import type { ModelVariantAction, ModelVariantConfig, ProductionVariant } from '@aws-sdk/client-sagemaker';
import type { OperationHandler } from '../../protocol/aws-json.js';
import type { RequestContext } from '../../protocol/context.js';
import { validation } from '../../protocol/errors.js';
import type { Scope } from '../../storage/database.js';
import type { EndpointConfigRecord } from './endpoint-configs.js';

/**
 * StopInferenceExperiment's ModelVariantActions: Promote makes the shadow variant a production
 * variant, Remove drops a variant, Retain keeps it as it is. Returns the production variants the
 * endpoint is to serve afterwards, or undefined when it keeps its configuration. The
 * infrastructure of a promoted variant comes from DesiredModelVariants when it names the
 * variant, else from the experiment's ModelVariants.
 */
export function promotionPlan(
  actions: Record<string, ModelVariantAction | string>,
  desired: ModelVariantConfig[] | undefined,
  variants: ModelVariantConfig[],
  source: string,
  shadow: string,
  config: EndpointConfigRecord | undefined,
): ProductionVariant[] | undefined {
  if (actions[source] === 'Promote') throw validation(`The production variant "${source}" cannot be promoted; only the shadow variant "${shadow}" can.`);
  const promote = actions[shadow] === 'Promote';
  const removeSource = actions[source] === 'Remove';
  if (!promote && !removeSource) return undefined;
  if (!promote) throw validation(`Removing the production variant "${source}" leaves the endpoint nothing to serve: promote the shadow variant "${shadow}".`);
  const spec = desired?.find((v) => v.VariantName === shadow) ?? variants.find((v) => v.VariantName === shadow)!;
  const infra = spec.InfrastructureConfig?.RealTimeInferenceConfig;
  const promoted: ProductionVariant = { VariantName: shadow, ModelName: spec.ModelName, InstanceType: infra?.InstanceType, InitialInstanceCount: infra?.InstanceCount ?? 1, InitialVariantWeight: 1 };
  const kept = removeSource ? [] : (config?.ProductionVariants ?? []).filter((v) => v.VariantName === source);
  return [...kept, promoted];
}

/**
 * Applies a promotion through the emulator's own operations, as the service does for the caller:
 * a new endpoint configuration (`<experiment>-promoted`, numbered if taken) and UpdateEndpoint.
 * Returns why it failed, or undefined.
 */
export async function applyPromotion(
  operations: Record<string, OperationHandler>,
  scope: Scope,
  endpointName: string,
  experimentName: string,
  variants: ProductionVariant[],
): Promise<string | undefined> {
  const ctx: RequestContext = { identity: { accessKeyId: 'inference-experiments', region: scope.region, accountId: scope.accountId }, requestId: randomUUID() };
  const base = `${experimentName}-promoted`.slice(0, 60);
  for (let n = 0; n < 100; n++) {
    const name = n ? `${base}-${n}` : base;
    try {
      await operations.DescribeEndpointConfig({ EndpointConfigName: name }, ctx);
      continue;
    } catch {
      // Free: use it.
    }
    try {
      await operations.CreateEndpointConfig({ EndpointConfigName: name, ProductionVariants: variants }, ctx);
      await operations.UpdateEndpoint({ EndpointName: endpointName, EndpointConfigName: name }, ctx);
      return undefined;
    } catch (e) {
      return `Promoting the shadow variant failed: ${(e as Error).message}`;
    }
  }
  return 'Promoting the shadow variant failed: no free endpoint configuration name.';
}
