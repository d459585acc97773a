import type { MetricAlarm } from './alarm.js';
import type { CapacityTarget, MetricQuery, StepAdjustment } from './types.js';

/**
 * What the autoscaler keeps per scalable target and per policy (core/autoscaling/autoscaler.ts
 * holds them in its registry), and the keys and causes derived from them.
 */
export interface TargetState {
  key: string;
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  min: number;
  max: number;
  suspended: { in: boolean; out: boolean; scheduled: boolean };
  resource: CapacityTarget;
  policies: PolicyState[];
}

export interface PolicyState {
  name: string;
  arn: string;
  target: TargetState;
  type: 'TargetTrackingScaling' | 'StepScaling';
  tt?: {
    targetValue: number;
    metric: MetricQuery;
    outCooldownMs: number;
    inCooldownMs: number;
    disableScaleIn: boolean;
    high: MetricAlarm;
    low?: MetricAlarm;
    /** Latest datapoint any of its alarms saw, for the "largest capacity wins" check on scale-in. */
    lastMetric?: number;
  };
  step?: {
    adjustmentType: 'ChangeInCapacity' | 'PercentChangeInCapacity' | 'ExactCapacity';
    steps: StepAdjustment[];
    minAdjustmentMagnitude?: number;
    cooldownMs: number;
  };
  /** Scale-out cooldown: until when, and the capacity the chain of scale-outs started from. */
  outUntil: number;
  outBase: number;
  /** Scale-in blocked until. */
  inUntil: number;
  lastNotScaled?: string;
}

/** A policy's wish for a capacity in one evaluation, and the alarm that carried it. */
export interface Proposal {
  policy: PolicyState;
  alarm: MetricAlarm;
  desired: number;
}

export function targetKey(r: { ServiceNamespace?: string; ResourceId?: string; ScalableDimension?: string }): string {
  return `${r.ServiceNamespace}|${r.ResourceId}|${r.ScalableDimension}`;
}

/** endpoint/<e>/variant/<v> -> the EndpointName and VariantName dimensions of AWS/SageMaker metrics. */
/** What a scalable dimension counts, in activity messages: an inference component's copies, else instances. */
export function capacityNoun(scalableDimension: string | undefined): string {
  return scalableDimension === 'sagemaker:inference-component:DesiredCopyCount' ? 'copy count' : 'instance count';
}

export function sageMakerDimensions(resourceId: string): { Name: string; Value: string }[] {
  const m = /^endpoint\/([^/]+)\/variant\/([^/]+)$/.exec(resourceId);
  if (m) return [{ Name: 'EndpointName', Value: m[1] }, { Name: 'VariantName', Value: m[2] }];
  // An inference component (resource ID inference-component/<name>) has metrics of its own.
  const component = /^inference-component\/([^/]+)$/.exec(resourceId);
  return component ? [{ Name: 'InferenceComponentName', Value: component[1] }] : [];
}

/** The Cause of a policy-driven activity, as AWS words it. */
export function alarmCause(p: Proposal): string {
  return `monitor alarm ${p.alarm.def.AlarmName} in state ALARM triggered policy ${p.policy.name}`;
}
