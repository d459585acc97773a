import type { Clock } from '../../../core/clock.js';
import type { Scope } from '../../storage/database.js';
import type { InvocationOutcome } from '../runtime/invocation-recorder.js';
import type { MetricStore, Series } from './metric-store.js';

interface ComponentSeries {
  invocations: Series;
  perCopy: Series;
  modelLatency: Series;
  overheadLatency: Series;
  errors4xx: Series;
  errors5xx: Series;
}

/**
 * SageMaker's inference component metrics: AWS/SageMaker with the InferenceComponentName
 * dimension, Invocations, InvocationsPerCopy (each request adds 1 / copies in service, the metric
 * target tracking on DesiredCopyCount follows), ModelLatency and OverheadLatency (microseconds),
 * Invocation4XXErrors and Invocation5XXErrors. Only requests that name a component come here,
 * so each is added to the store as it happens.
 */
export class ComponentMetrics {
  private readonly series = new Map<string, ComponentSeries>();

  constructor(
    private readonly store: MetricStore,
    private readonly clock: Clock,
  ) {}

  record(scope: Scope, component: string, copies: number, outcome: InvocationOutcome): void {
    const key = `${scope.accountId}\u0000${scope.region}\u0000${component}`;
    let s = this.series.get(key);
    if (!s) {
      const dims = [{ Name: 'InferenceComponentName', Value: component }];
      const sm = (name: string, unit: string) => this.store.seriesFor(scope, 'AWS/SageMaker', name, dims, unit);
      s = {
        invocations: sm('Invocations', 'None'),
        perCopy: sm('InvocationsPerCopy', 'None'),
        modelLatency: sm('ModelLatency', 'Microseconds'),
        overheadLatency: sm('OverheadLatency', 'Microseconds'),
        errors4xx: sm('Invocation4XXErrors', 'None'),
        errors5xx: sm('Invocation5XXErrors', 'None'),
      };
      this.series.set(key, s);
    }
    const now = this.clock.now();
    this.store.add(s.invocations, now, 1);
    this.store.add(s.perCopy, now, 1 / Math.max(1, copies));
    this.store.add(s.modelLatency, now, outcome.modelLatencyUs);
    this.store.add(s.overheadLatency, now, outcome.overheadLatencyUs);
    this.store.add(s.errors4xx, now, outcome.status >= 400 && outcome.status < 500 ? 1 : 0);
    this.store.add(s.errors5xx, now, outcome.status >= 500 ? 1 : 0);
  }
}
