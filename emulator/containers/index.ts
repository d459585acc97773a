/** Images other than the built-in algorithms: one interface for the control plane. */
import type { ContainerDefinition } from '@aws-sdk/client-sagemaker';
import type { ChannelFiles } from '../../algorithms/index.js';
import type { ServiceDeps } from '../services/deps.js';
import type { Scope } from '../storage/database.js';
import { dockerAvailable } from './docker.js';
import { ImageResolver, type ImageRunner } from './images.js';
import { ContainerServing, type DeployedVariant } from './serving.js';
import { startContainerInstance, type ContainerInstance, type ContainerJob } from './training.js';

export { UnrunnableImageError, isImageReference, type ImageRunner } from './images.js';
export { ClientError as ContainerClientError } from './training.js';
export { ContainerLoadError, ContainerResponseError, type ContainerModel, type DeployedVariant } from './serving.js';
export type { ContainerJob } from './training.js';

/** Metric definitions of the XGBoost algorithm (documented; lines look like `[3]#011train-rmse:0.41`). */
const XGBOOST_METRICS = ['rmse', 'mae', 'logloss', 'error', 'auc', 'merror', 'mlogloss', 'aucpr', 'ndcg', 'map', 'mse', 'rmsle', 'mape', 'poisson-nloglik'].flatMap((m) =>
  ['train', 'validation'].map((ch) => ({ Name: `${ch}:${m}`, Regex: `.*\\[[0-9]+\\].*#011${ch}-${m}:([-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?).*` })),
);

export class ContainerRuntime {
  readonly resolver: ImageResolver;
  private readonly serving: ContainerServing;
  private readonly deployed = new Map<string, DeployedVariant[]>();

  constructor(private readonly deps: ServiceDeps) {
    this.resolver = new ImageResolver(deps.imageConfig, dockerAvailable);
    this.serving = new ContainerServing({ store: deps.store, db: deps.db, clock: deps.clock, dataDir: deps.dataDir, resolver: this.resolver });
  }

  /** How a job or model with this image will run; UnrunnableImageError says what to configure. */
  resolve(image: string): ImageRunner {
    return this.resolver.resolve(image);
  }

  /** The metric definitions the service adds for this image (the XGBoost algorithm's). */
  metricDefinitions(runner: ImageRunner, hyperParameters: Record<string, string>): { Name: string; Regex: string }[] {
    return runner.kind === 'framework' && runner.framework === 'xgboost' && !hyperParameters.sagemaker_program ? XGBOOST_METRICS : [];
  }

  startTraining(runner: ImageRunner, job: ContainerJob, host: string, hosts: string[], channels: ChannelFiles[], workDir: string, onLog: (line: string) => void): ContainerInstance {
    return startContainerInstance(runner, job, host, hosts, channels, workDir, this.deps.store, onLog);
  }

  deploy(scope: Scope, endpointName: string, variantName: string, container: ContainerDefinition, instanceCount: number): Promise<DeployedVariant> {
    return this.serving.deploy(scope, endpointName, variantName, container, instanceCount);
  }

  private key(scope: Scope, name: string) {
    return `${scope.accountId}/${scope.region}/${name.toLowerCase()}`;
  }

  /** The endpoint now serves `variants`; the workers it served before are stopped. */
  adopt(scope: Scope, endpointName: string, variants: DeployedVariant[]): void {
    const key = this.key(scope, endpointName);
    const before = this.deployed.get(key) ?? [];
    if (variants.length) this.deployed.set(key, variants);
    else this.deployed.delete(key);
    for (const v of before) if (!variants.includes(v)) void v.stop();
  }

  async shutdown(): Promise<void> {
    const all = [...this.deployed.values()].flat();
    this.deployed.clear();
    await Promise.all(all.map((v) => v.stop()));
  }
}
