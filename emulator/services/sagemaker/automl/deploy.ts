import { randomUUID } from 'node:crypto';
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { bestCandidate, candidateViews } from './describe.js';
import type { AutoMLRecord } from './record.js';

/** The instance the one-click deployment serves on (AWS chooses one; localsage serves alike on any). */
const DEPLOY_INSTANCE_TYPE = 'ml.m5.large';
const POLL_MS = 100;

/**
 * ModelDeployConfig: once the candidates are trained, the best one is deployed to a real-time
 * endpoint through the same CreateModel, CreateEndpointConfig and CreateEndpoint a client would
 * call (secondary status DeployingModel), and the job completes when the endpoint is InService
 * (ModelDeployResult), or with ModelDeploymentError when it is not.
 */
export class BestCandidateDeployer {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly operations: () => Record<string, OperationHandler>,
  ) {}

  private ctx(scope: Scope): RequestContext {
    return { identity: { accessKeyId: 'automl', region: scope.region, accountId: scope.accountId }, requestId: randomUUID() };
  }

  /** An operation as a client calls it; a handler's synchronous throw becomes a rejection. */
  private async call(scope: Scope, op: string, input: object): Promise<Record<string, any>> {
    return (await this.operations()[op](input as never, this.ctx(scope))) as Record<string, any>;
  }

  /** Creates the model, configuration and endpoint (those that do not exist yet: a restart may resume here). */
  async start(scope: Scope, r: AutoMLRecord): Promise<void> {
    const best = bestCandidate(candidateViews(this.deps.db, scope, r), r.resolved!.objective)!;
    const name = r.spec.deploy!.endpointName;
    const exists = (op: string, key: string) => this.call(scope, op, { [key]: name }).then(() => true, () => false);
    if (!(await exists('DescribeModel', 'ModelName'))) {
      await this.call(scope, 'CreateModel', { ModelName: name, Containers: best.InferenceContainers, ExecutionRoleArn: r.spec.roleArn });
    }
    if (!(await exists('DescribeEndpointConfig', 'EndpointConfigName'))) {
      await this.call(scope, 'CreateEndpointConfig', {
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InitialInstanceCount: 1, InstanceType: DEPLOY_INSTANCE_TYPE }],
      });
    }
    if (!(await exists('DescribeEndpoint', 'EndpointName'))) await this.call(scope, 'CreateEndpoint', { EndpointName: name, EndpointConfigName: name });
  }

  /** Calls back with undefined once the endpoint is InService, or with why it is not. */
  watch(scope: Scope, r: AutoMLRecord, done: (error?: string) => void): () => void {
    const name = r.spec.deploy!.endpointName;
    let cancel = () => {};
    const check = async () => {
      try {
        const d = await this.call(scope, 'DescribeEndpoint', { EndpointName: name });
        if (d.EndpointStatus === 'InService') return done();
        if (d.EndpointStatus === 'Failed') return done(`The endpoint ${name} failed: ${d.FailureReason ?? 'no reason given'}`);
      } catch (e) {
        return done(`The endpoint ${name} could not be created: ${(e as Error).message}`);
      }
      cancel = this.deps.clock.schedule(POLL_MS, check);
    };
    cancel = this.deps.clock.schedule(0, check);
    return () => cancel();
  }
}
