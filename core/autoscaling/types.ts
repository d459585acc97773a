/**
 * The shapes the autoscaler speaks are Application Auto Scaling's and CloudWatch's own, from the
 * official SDK packages, so a real policy pastes into a scenario (or an emulator request) as is.
 */
export type {
  RegisterScalableTargetRequest,
  PutScalingPolicyRequest,
  PutScalingPolicyResponse,
  PutScheduledActionRequest,
  ScalingActivity,
  NotScaledReason,
  StepAdjustment,
  StepScalingPolicyConfiguration,
  TargetTrackingScalingPolicyConfiguration,
  CustomizedMetricSpecification,
  Alarm,
} from '@aws-sdk/client-application-auto-scaling';
export type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';

export type Statistic = 'Average' | 'Sum' | 'Minimum' | 'Maximum' | 'SampleCount';

/** One CloudWatch metric and the statistic an alarm reads from it. */
export interface MetricQuery {
  Namespace: string;
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Statistic: Statistic;
}

/**
 * Where datapoints come from: the simulator's per-minute aggregates, or (later) the emulator's
 * CloudWatch store. Returns the statistic over [startMs, startMs + periodSeconds), or undefined
 * when no datapoint was published for that period (an idle SageMaker variant publishes none).
 */
export interface MetricSource {
  datapoint(query: MetricQuery, startMs: number, periodSeconds: number): number | undefined;
}

/**
 * How a scaling activity ended, as the resource reports it; `at` is when it happened, where the
 * resource knows it (else the activity ends when it is told).
 */
export type CapacityOutcome = { status: 'Successful' | 'Failed' | 'Overridden'; message?: string; at?: number };

/**
 * The scalable resource: a SageMaker production variant. Its desired capacity is the variant's
 * DesiredInstanceCount; setting it is UpdateEndpointWeightsAndCapacities. `done` is called once,
 * when the new capacity is in service (or the change failed or was overridden by a later one).
 */
export interface CapacityTarget {
  desiredCapacity(): number;
  /**
   * True while the resource cannot take a capacity change: a SageMaker endpoint that is Updating
   * (a scale-out it started included) refuses UpdateEndpointWeightsAndCapacities, so auto scaling
   * is blocked until it is InService again. Absent means never blocked.
   */
  isUpdating?(): boolean;
  setDesiredCapacity(capacity: number, done: (outcome: CapacityOutcome) => void): void;
}

/** Target-tracking alarm settings: the observed AWS defaults, configurable for what-if runs. */
export interface TargetTrackingAlarmSettings {
  /** Period of both alarms, seconds. */
  periodSeconds: number;
  high: { evaluationPeriods: number; datapointsToAlarm: number };
  low: { evaluationPeriods: number; datapointsToAlarm: number; thresholdRatio: number };
  /** How long after a period ends its datapoint is evaluated (CloudWatch publishing delay), seconds. */
  evaluationDelaySeconds: number;
}

export const DEFAULT_TARGET_TRACKING_ALARMS: TargetTrackingAlarmSettings = {
  periodSeconds: 60,
  high: { evaluationPeriods: 3, datapointsToAlarm: 3 },
  low: { evaluationPeriods: 15, datapointsToAlarm: 15, thresholdRatio: 0.9 },
  evaluationDelaySeconds: 0,
};

/** SageMaker's default cooldowns, seconds. */
export const DEFAULT_COOLDOWN_SECONDS = 300;
