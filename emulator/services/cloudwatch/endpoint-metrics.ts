import { ScaledClock, type Clock } from '../../../core/clock.js';
import { INSTANCE_TYPES } from '../../../core/instance-types.js';
import type { Scope } from '../../storage/database.js';
import type { InvocationOutcome, InvocationRecorder } from '../runtime/invocation-recorder.js';
import type { EndpointService } from '../sagemaker/endpoints.js';
import { ENDPOINT_CONFIG_KIND, type EndpointConfigRecord } from '../sagemaker/endpoint-configs.js';
import type { Database } from '../../storage/database.js';
import { ComponentMetrics } from './component-metrics.js';
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
  /** The minute being recorded, summed here and folded into the store when read or when it ends. */
  pending: Pending;
}

interface Pending {
  minute: number;
  n: number;
  perInstance: number;
  perInstanceMin: number;
  perInstanceMax: number;
  modelSum: number;
  modelMin: number;
  modelMax: number;
  overSum: number;
  overMin: number;
  overMax: number;
  e4xx: number;
  e5xx: number;
  busy: number;
}

const emptyPending = (minute: number): Pending => ({
  minute,
  n: 0,
  perInstance: 0,
  perInstanceMin: Infinity,
  perInstanceMax: -Infinity,
  modelSum: 0,
  modelMin: Infinity,
  modelMax: -Infinity,
  overSum: 0,
  overMin: Infinity,
  overMax: -Infinity,
  e4xx: 0,
  e5xx: 0,
  busy: 0,
});

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
  /** By endpoint name; a short list per name, matched by variant, account and region without building a key. */
  private readonly byEndpoint = new Map<string, VariantMetrics[]>();
  private readonly variants = new Set<VariantMetrics>();
  private readonly clockFactor: number;
  private cancel: (() => void) | undefined;
  private readonly components: ComponentMetrics;

  constructor(
    private readonly store: MetricStore,
    private readonly clock: Clock,
    private readonly endpoints: EndpointService,
    private readonly db: Database,
  ) {
    this.clockFactor = clock instanceof ScaledClock ? clock.factor : 1;
    this.components = new ComponentMetrics(store, clock);
    // Whoever reads the store first gets the minute in progress folded in.
    store.beforeRead(() => {
      for (const v of this.variants.values()) this.fold(v);
    });
  }

  record(scope: Scope, endpointName: string, variantName: string, outcome: InvocationOutcome): void {
    let list = this.byEndpoint.get(endpointName);
    if (!list) this.byEndpoint.set(endpointName, (list = []));
    let v: VariantMetrics | undefined;
    for (const x of list) {
      if (x.variantName === variantName && x.scope.accountId === scope.accountId && x.scope.region === scope.region) {
        v = x;
        break;
      }
    }
    if (!v) {
      v = this.create({ accountId: scope.accountId, region: scope.region }, endpointName, variantName);
      list.push(v);
      this.variants.add(v);
    }
    const now = this.clock.now();
    if (now - v.instancesReadAt > 1000) {
      // In-service instance count, re-read at most once an emulator second (not per request).
      v.instances = this.endpoints.peek(scope, endpointName)?.ProductionVariants?.find((p) => p.VariantName === variantName)?.CurrentInstanceCount ?? 1;
      v.instancesReadAt = now;
    }
    const minute = now - (now % MINUTE_MS);
    if (minute !== v.pending.minute) this.fold(v, minute);
    // The hot path only adds to plain numbers; the store sees them at the next read or minute.
    const p = v.pending;
    const model = outcome.modelLatencyUs;
    const over = outcome.overheadLatencyUs;
    p.n++;
    const share = 1 / (v.instances > 1 ? v.instances : 1);
    p.perInstance += share;
    if (share < p.perInstanceMin) p.perInstanceMin = share;
    if (share > p.perInstanceMax) p.perInstanceMax = share;
    p.modelSum += model;
    if (model < p.modelMin) p.modelMin = model;
    if (model > p.modelMax) p.modelMax = model;
    p.overSum += over;
    if (over < p.overMin) p.overMin = over;
    if (over > p.overMax) p.overMax = over;
    if (outcome.status >= 500) p.e5xx++;
    else if (outcome.status >= 400) p.e4xx++;
    p.busy += model + over;
  }

  recordComponent(scope: Scope, componentName: string, copies: number, outcome: InvocationOutcome): void {
    this.components.record(scope, componentName, copies, outcome);
  }

  /** Moves the pending sums of a variant into the store (and starts `next` minute, if given). */
  private fold(v: VariantMetrics, next = v.pending.minute): void {
    const p = v.pending;
    if (p.n > 0) {
      const s = this.store;
      const m = p.minute;
      s.add(v.invocations, m, p.n, p.n, 1, 1);
      // Each invocation adds 1 / instances: one sample per invocation, as AWS counts it.
      s.add(v.perInstance, m, p.perInstance, p.n, p.perInstanceMin, p.perInstanceMax);
      s.add(v.modelLatency, m, p.modelSum, p.n, p.modelMin, p.modelMax);
      s.add(v.overheadLatency, m, p.overSum, p.n, p.overMin, p.overMax);
      s.add(v.errors4xx, m, p.e4xx, p.n, p.e4xx === p.n ? 1 : 0, p.e4xx > 0 ? 1 : 0);
      s.add(v.errors5xx, m, p.e5xx, p.n, p.e5xx === p.n ? 1 : 0, p.e5xx > 0 ? 1 : 0);
      v.busyUs.set(m, (v.busyUs.get(m) ?? 0) + p.busy);
    }
    v.pending = emptyPending(next);
  }

  /** Publishes the instance metrics of every minute as it ends, on the emulator's clock. */
  start(): void {
    // Each minute is published for the minute that ended, not for "a minute before whenever the
    // timer ran": under --clock-scale a timer a few real milliseconds late is emulator seconds
    // late, and on a loaded machine more than a minute late, which used to skip a minute (and
    // drop its CPU time). Every minute that ended meanwhile is published, in order.
    const now = this.clock.now();
    let next = now - (now % MINUTE_MS) + MINUTE_MS;
    const arm = () => {
      this.cancel = this.clock.schedule(next - this.clock.now(), () => {
        const at = this.clock.now();
        for (; next <= at; next += MINUTE_MS) this.publishInstanceMetrics(next - MINUTE_MS);
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
      if (v.pending.minute <= minute) this.fold(v);
      const ep = this.endpoints.peek(v.scope, v.endpointName);
      const variant = ep?.ProductionVariants?.find((p) => p.VariantName === v.variantName);
      if (!ep || !variant) continue;
      const instances = Math.max(1, variant.CurrentInstanceCount ?? 1);
      const busy = (v.busyUs.get(minute) ?? 0) * this.clockFactor;
      for (const m of [...v.busyUs.keys()]) if (m <= minute) v.busyUs.delete(m);
      const config = this.db.get<EndpointConfigRecord>(v.scope, ENDPOINT_CONFIG_KIND, ep.EndpointConfigName!)?.data;
      const type = config?.ProductionVariants?.find((p) => p.VariantName === v.variantName)?.InstanceType;
      const profile = type ? INSTANCE_TYPES[type] : undefined;
      // Percent summed over the instance's cores, as SageMaker reports it (4 vCPUs: up to 400 %).
      const cpu = Math.min(100 * (profile?.vcpu ?? 1), (busy / (60e6 * instances)) * 100);
      this.store.add(v.cpu, minute, cpu);
      const memoryGiB = profile?.memoryGiB ?? 4;
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
      pending: emptyPending(0),
    };
  }
}
