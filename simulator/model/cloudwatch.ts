import type { MetricQuery, MetricSource } from '../../core/autoscaling/index.js';
import type { Scenario } from '../scenario.js';
import type { Fleet } from './fleet.js';
import type { Recorder } from './recorder.js';

/**
 * The endpoint's CloudWatch metrics, as the autoscaler's alarms read them: AWS/SageMaker
 * Invocations, InvocationsPerInstance (each invocation divided by the instances in service when
 * it arrived), ModelLatency (the instance's part of the path, in microseconds), Invocation5XXErrors
 * and Invocation4XXErrors, and /aws/sagemaker/Endpoints CPUUtilization. Datapoints are whole
 * periods of whole minutes; a period with no invocation publishes nothing (an idle variant).
 */
export class CloudWatchMetrics implements MetricSource {
  private readonly end: number;
  constructor(
    private readonly scenario: Scenario,
    private readonly recorder: Recorder,
    private readonly fleet: Fleet,
  ) {
    this.end = scenario.startMs + scenario.durationMs;
  }

  /** Whether datapoint() can ever answer this query (for validating policies up front). */
  supports(q: MetricQuery): boolean {
    if (!this.dimensionsMatch(q)) return false;
    if (q.Namespace === 'AWS/SageMaker') return ['Invocations', 'InvocationsPerInstance', 'ModelLatency', 'Invocation5XXErrors', 'Invocation4XXErrors'].includes(q.MetricName);
    if (q.Namespace === '/aws/sagemaker/Endpoints') return q.MetricName === 'CPUUtilization';
    return false;
  }

  private dimensionsMatch(q: MetricQuery): boolean {
    const d = new Map(q.Dimensions.map((x) => [x.Name, x.Value]));
    return d.size === 2 && d.get('EndpointName') === this.scenario.endpointName && d.get('VariantName') === this.scenario.variantName;
  }

  datapoint(q: MetricQuery, startMs: number, periodSeconds: number): number | undefined {
    if (!this.dimensionsMatch(q)) return undefined;
    const rec = this.recorder;
    const m0 = (startMs - this.scenario.startMs) / 60_000;
    const k = periodSeconds / 60;
    if (!Number.isInteger(m0) || !Number.isInteger(k) || m0 < 0 || m0 + k > rec.minutes) return undefined;
    const sum = (a: Float64Array) => {
      let s = 0;
      for (let i = m0; i < m0 + k; i++) s += a[i];
      return s;
    };
    if (q.Namespace === 'AWS/SageMaker') {
      const inv = sum(rec.perMinuteInvocations);
      if (inv === 0) return undefined;
      if (q.MetricName === 'Invocations') return statistic(q.Statistic, inv, inv, 1, 1);
      if (q.MetricName === 'InvocationsPerInstance') return statistic(q.Statistic, sum(rec.perMinuteInvocationsPerInstance), inv, NaN, NaN);
      if (q.MetricName === 'Invocation5XXErrors' || q.MetricName === 'Invocation4XXErrors') {
        const e = q.MetricName === 'Invocation5XXErrors' ? sum(rec.perMinute5xx) : 0;
        return statistic(q.Statistic, e, inv, e < inv ? 0 : 1, e > 0 ? 1 : 0);
      }
      if (q.MetricName === 'ModelLatency') {
        const n = sum(rec.perMinuteModelLatencyCount);
        if (n === 0) return undefined;
        let lo = Infinity;
        let hi = 0;
        for (let i = m0; i < m0 + k; i++) {
          lo = Math.min(lo, rec.perMinuteModelLatencyMin[i]);
          hi = Math.max(hi, rec.perMinuteModelLatencyMax[i]);
        }
        // Microseconds, as CloudWatch publishes ModelLatency.
        return statistic(q.Statistic, sum(rec.perMinuteModelLatencySum) * 1000, n, lo * 1000, hi * 1000);
      }
      return undefined;
    }
    if (q.Namespace === '/aws/sagemaker/Endpoints' && q.MetricName === 'CPUUtilization') {
      const from = startMs;
      const to = startMs + periodSeconds * 1000;
      let total = 0;
      let n = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (const inst of this.fleet.instances) {
        const v = this.fleet.instanceCpu(inst, from, to, this.end);
        if (v === undefined) continue;
        total += v;
        n++;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      return n === 0 ? undefined : statistic(q.Statistic, total, n, lo, hi);
    }
    return undefined;
  }
}

/** A CloudWatch statistic from a sum, a sample count, a minimum and a maximum. */
function statistic(s: string, sum: number, count: number, min: number, max: number): number | undefined {
  switch (s) {
    case 'Sum':
      return sum;
    case 'SampleCount':
      return count;
    case 'Average':
      return count > 0 ? sum / count : undefined;
    case 'Minimum':
      return Number.isNaN(min) ? undefined : min;
    case 'Maximum':
      return Number.isNaN(max) ? undefined : max;
    default:
      return undefined;
  }
}
