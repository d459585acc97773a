import type { ComparisonOperator } from './alarm.js';
import { invalid } from './errors.js';
import { sageMakerDimensions } from './state.js';
import type { MetricQuery, PutScalingPolicyRequest, Statistic, StepAdjustment } from './types.js';

/**
 * The capacity arithmetic of the two policy types (Application Auto Scaling User Guide: target
 * tracking and step scaling policies): what capacity a policy asks for, given a metric value.
 */
/** ceil(capacity x metric / target), with a little slack so that 2.0000000001 is still 2. */
export function proportional(capacity: number, metric: number, target: number): number {
  return Math.ceil((capacity * metric) / target - 1e-9);
}

/** The adjustment of the step holding `breach` (metric - threshold), or undefined. */
export function stepAdjustment(steps: StepAdjustment[], breach: number, op: ComparisonOperator): number | undefined {
  const above = op.startsWith('Greater');
  for (const s of steps) {
    const lo = s.MetricIntervalLowerBound ?? -Infinity;
    const hi = s.MetricIntervalUpperBound ?? Infinity;
    const inside = above ? breach >= lo && breach < hi : breach > lo && breach <= hi;
    if (inside) return s.ScalingAdjustment;
  }
  return undefined;
}

/** New capacity from an adjustment, with AWS's rounding for percentages. */
export function applyAdjustment(type: 'ChangeInCapacity' | 'PercentChangeInCapacity' | 'ExactCapacity', capacity: number, adj: number, minMagnitude?: number): number {
  if (type === 'ExactCapacity') return adj;
  if (type === 'ChangeInCapacity') return capacity + adj;
  let change = (capacity * adj) / 100;
  // Above 1: round down; between 0 and 1: 1; between -1 and 0: -1; below -1: round up (toward 0).
  if (change > 1) change = Math.floor(change);
  else if (change > 0) change = 1;
  else if (change < -1) change = Math.ceil(change);
  else if (change < 0) change = -1;
  if (minMagnitude !== undefined && change !== 0 && Math.abs(change) < minMagnitude) change = Math.sign(change) * minMagnitude;
  return capacity + change;
}

/** PutScalingPolicy's checks on StepAdjustments: well-formed, ordered, no overlap, no gap. */
export function validateSteps(steps: StepAdjustment[]): void {
  for (const s of steps) {
    if (typeof s.ScalingAdjustment !== 'number') throw invalid('each step needs ScalingAdjustment');
    if (s.MetricIntervalLowerBound === undefined && s.MetricIntervalUpperBound === undefined && steps.length > 1) {
      throw invalid('only a single step may leave both bounds open');
    }
  }
  const sorted = steps.map((s) => [s.MetricIntervalLowerBound ?? -Infinity, s.MetricIntervalUpperBound ?? Infinity]).sort((a, b) => a[0] - b[0]);
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i][1] <= sorted[i][0]) throw invalid('a step upper bound must be greater than its lower bound');
    if (i > 0 && sorted[i][0] !== sorted[i - 1][1]) throw invalid('step intervals must not overlap or leave gaps');
  }
}

/** The metric a target tracking policy follows: the predefined SageMaker one, or the customized metric as given. */
export function targetTrackingMetric(resourceId: string, c: NonNullable<PutScalingPolicyRequest['TargetTrackingScalingPolicyConfiguration']>): MetricQuery {
  if (c.PredefinedMetricSpecification) {
    const type = c.PredefinedMetricSpecification.PredefinedMetricType;
    const metric = { SageMakerVariantInvocationsPerInstance: 'InvocationsPerInstance', SageMakerInferenceComponentInvocationsPerCopy: 'InvocationsPerCopy' }[type as string];
    if (!metric) {
      throw invalid(
        `PredefinedMetricType ${type} is not supported by localsage (SageMakerVariantInvocationsPerInstance, SageMakerInferenceComponentInvocationsPerCopy, or a CustomizedMetricSpecification)`,
      );
    }
    return { Namespace: 'AWS/SageMaker', MetricName: metric, Dimensions: sageMakerDimensions(resourceId), Statistic: 'Sum' };
  }
  const m = c.CustomizedMetricSpecification;
  if (!m) throw invalid('a target tracking policy needs PredefinedMetricSpecification or CustomizedMetricSpecification');
  if (m.Metrics?.length) throw invalid('metric math in CustomizedMetricSpecification is not supported by localsage');
  if (!m.MetricName || !m.Namespace) throw invalid('CustomizedMetricSpecification needs MetricName and Namespace');
  return {
    Namespace: m.Namespace,
    MetricName: m.MetricName,
    Dimensions: (m.Dimensions ?? []).map((d) => ({ Name: d.Name!, Value: d.Value! })),
    Statistic: (m.Statistic ?? 'Average') as Statistic,
  };
}
