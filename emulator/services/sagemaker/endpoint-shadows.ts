import { deployedVariantSummary } from './endpoint-deploy.js';
import type { ProductionVariantSummary } from '@aws-sdk/client-sagemaker';
import type { ServiceDeps } from '../deps.js';
import type { Scope } from '../../storage/database.js';
import { instanceStreams } from '../runtime/endpoint-logs.js';
import type { ServingRegistry, ShadowSettings } from '../runtime/serving-registry.js';
import type { EndpointConfigRecord } from './endpoint-configs.js';
import { MODEL_KIND, type ModelRecord } from './models.js';

/**
 * An endpoint configuration's ShadowProductionVariants (one production variant, one shadow):
 * the shadow's model is loaded with the endpoint and gets a copy of the production variant's
 * requests (runtime/shadow-mirror.ts). The share copied is the shadow's InitialVariantWeight over
 * the production variant's, at most all of them.
 */
export class EndpointShadows {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly serving: ServingRegistry,
  ) {}

  /** The shadow the configuration deploys (undefined when it has none). */
  async load(scope: Scope, endpointArn: string, config: EndpointConfigRecord): Promise<ShadowSettings | undefined> {
    const shadow = config.ShadowProductionVariants?.[0];
    const production = config.ProductionVariants?.[0];
    if (!shadow || !production) return undefined;
    const model = this.deps.db.get<ModelRecord>(scope, MODEL_KIND, shadow.ModelName!)?.data;
    const url = (model?.PrimaryContainer ?? model?.Containers?.[0])?.ModelDataUrl ?? '';
    const count = shadow.InitialInstanceCount ?? 1;
    const share = ((shadow.InitialVariantWeight ?? 1) / (production.InitialVariantWeight ?? 1)) * 100;
    return {
      source: production.VariantName!,
      samplingPercentage: Math.min(100, share),
      fromConfig: true,
      variant: { name: shadow.VariantName!, weight: 0, model: await this.serving.load(url), modelDataUrl: url, instanceCount: count, streams: instanceStreams(endpointArn, shadow.VariantName!, count, config.EndpointConfigName!) },
    };
  }

  /** The endpoint now serves `shadow`; a configuration's shadow no longer deployed stops (an inference experiment's stays). */
  apply(scope: Scope, endpointName: string, shadow: ShadowSettings | undefined): void {
    if (shadow || this.serving.get(scope, endpointName)?.shadow?.fromConfig) this.serving.setShadow(scope, endpointName, shadow);
  }

  /** DescribeEndpoint's ShadowProductionVariants. */
  summaries(scope: Scope, config: EndpointConfigRecord | undefined, now: Date): ProductionVariantSummary[] | undefined {
    return config?.ShadowProductionVariants?.map((v) => {
      const model = this.deps.db.get<ModelRecord>(scope, MODEL_KIND, v.ModelName!)?.data;
      return deployedVariantSummary(v, (model?.PrimaryContainer ?? model?.Containers?.[0])?.Image, now);
    });
  }
}
