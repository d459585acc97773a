import { ScaledClock, type Clock } from '../../../core/clock.js';
import { INSTANCE_TYPES } from '../../../core/instance-types.js';
import type { Scope } from '../../storage/database.js';
import type { InvocationOutcome, InvocationRecorder } from '../runtime/invocation-recorder.js';
import type { EndpointService } from '../sagemaker/endpoints.js';
import { ENDPOINT_CONFIG_KIND, type EndpointConfigRecord } from '../sagemaker/endpoint-configs.js';
import type { Database } from '../../storage/database.js';
import { MINUTE_MS, type MetricStore, type Series } from './metric-store.js';

interface VariantMetrics {
  scope: Scope;
  endpointName: string;
  variantName: string;
  invocations: Series;
  perInstance: Series;
  modelLatency: Series;
  overheadLatency: Series;
  errors4xx: Series;
  errors5xx: Series;
  cpu: Series;
  memory: Series;
  /** Busy time (model + overhead) per minute, wall-clock microseconds. */
  busyUs: Map<number, number>;
  instances: number;
  instancesReadAt: number;
}

/**
 * SageMaker's endpoint metrics, recorded from the invoke path. AWS/SageMaker (EndpointName,
 * VariantName): Invocations, InvocationsPerInstance (each request adds 1 / instances in service),
 * ModelLatency and OverheadLatency (microseconds), Invocation4XXErrors and Invocation5XXErrors
 * (one sample per invocation, 0 or 1, so Sum counts errors and Average is the error rate).
 *
 * /aws/sagemaker/Endpoints, published once a minute per variant that has been invoked:
 * CPUUtilization = measured busy time (model + overhead latency of every request in the minute,
 * converted to emulator time when --clock-scale speeds the clock up) / (60 s x instances in
 * service) x 100: the share of one core each instance would have been busy with its even share of
 * the requests. MemoryUtilization = this process's resident memory / the instance type's memory x
 * 100: every emulated instance holds the same loaded model, so each would use what this process uses.
 */
export class EndpointMetricsRecorder implements InvocationRecorder {
  private readonly variants = new Map<string, VariantMetrics>();
  private readonly clockFactor: number;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly store: MetricStore,
    private readonly clock: Clock,
    private readonly endpoints: EndpointService,
    private readonly db: Database,
  ) {
    this.clockFactor = clock instanceof ScaledClock ? clock.factor : 1;
  }

  record(scope: Scope, endpointName: string, variantName: string, outcome: InvocationOutcome): void {
    const key = `${scope.accountId}/${scope.region}/${endpointName}/${variantName}`;
    let v = this.variants.get(key);
    if (!v) {
      v = this.create(scope, endpointName, variantName);
      this.variants.set(key, v);
    }
    const now = this.clock.now();
    const wall = Date.now();
    if (wall - v.instancesReadAt > 1000) {
      // In-service instance count, re-read at most once a second (not per request).
      v.instances = this.endpoints.peek(scope, endpointName)?.ProductionVariants?.find((p) => p.VariantName === variantName)?.CurrentInstanceCount ?? 1;
      v.instancesReadAt = wall;
    }
    const s = this.store;
    s.add(v.invocations, now, 1);
    s.add(v.perInstance, now, 1 / Math.max(1, v.instances));
    s.add(v.modelLatency, now, outcome.modelLatencyUs);
    s.add(v.overheadLatency, now, outcome.overheadLatencyUs);
    s.add(v.errors4xx, now, outcome.status >= 400 && outcome.status < 500 ? 1 : 0);
    s.add(v.errors5xx, now, outcome.status >= 500 ? 1 : 0);
    const minute = now - (now % MINUTE_MS);
    v.busyUs.set(minute, (v.busyUs.get(minute) ?? 0) + outcome.modelLatencyUs + outcome.overheadLatencyUs);
  }

  /** Publishes the instance metrics of every minute as it ends, on the emulator's clock. */
  start(): void {
    const arm = () => {
      const now = this.clock.now();
      this.cancel = this.clock.schedule(MINUTE_MS - (now % MINUTE_MS), () => {
        this.publishInstanceMetrics(this.clock.now() - MINUTE_MS);
        arm();
      });
    };
    arm();
  }

  stop(): void {
    this.cancel?.();
  }

  private publishInstanceMetrics(minuteStart: number): void {
    const minute = minuteStart - (minuteStart % MINUTE_MS);
    for (const v of this.variants.values()) {
      const ep = this.endpoints.peek(v.scope, v.endpointName);
      const variant = ep?.ProductionVariants?.find((p) => p.VariantName === v.variantName);
      if (!ep || !variant) continue;
      const instances = Math.max(1, variant.CurrentInstanceCount ?? 1);
      const busy = (v.busyUs.get(minute) ?? 0) * this.clockFactor;
      for (const m of [...v.busyUs.keys()]) if (m <= minute) v.busyUs.delete(m);
      const cpu = Math.min(100, (busy / (60e6 * instances)) * 100);
      this.store.add(v.cpu, minute, cpu);
      const config = this.db.get<EndpointConfigRecord>(v.scope, ENDPOINT_CONFIG_KIND, ep.EndpointConfigName!)?.data;
      const type = config?.ProductionVariants?.find((p) => p.VariantName === v.variantName)?.InstanceType;
      const memoryGiB = (type && INSTANCE_TYPES[type]?.memoryGiB) || 4;
      this.store.add(v.memory, minute, Math.min(100, (process.memoryUsage().rss / (memoryGiB * 2 ** 30)) * 100));
    }
  }

  private create(scope: Scope, endpointName: string, variantName: string): VariantMetrics {
    const dims = [
      { Name: 'EndpointName', Value: endpointName },
      { Name: 'VariantName', Value: variantName },
    ];
    const sm = (name: string, unit: string) => this.store.seriesFor(scope, 'AWS/SageMaker', name, dims, unit);
    const host = (name: string) => this.store.seriesFor(scope, '/aws/sagemaker/Endpoints', name, dims, 'Percent');
    return {
      scope,
      endpointName,
      variantName,
      invocations: sm('Invocations', 'None'),
      perInstance: sm('InvocationsPerInstance', 'None'),
      modelLatency: sm('ModelLatency', 'Microseconds'),
      overheadLatency: sm('OverheadLatency', 'Microseconds'),
      errors4xx: sm('Invocation4XXErrors', 'None'),
      errors5xx: sm('Invocation5XXErrors', 'None'),
      cpu: host('CPUUtilization'),
      memory: host('MemoryUtilization'),
      busyUs: new Map(),
      instances: 1,
      instancesReadAt: -Infinity,
    };
  }
}
