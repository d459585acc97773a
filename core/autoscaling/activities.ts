import type { NotScaledReason, ScalingActivity } from './types.js';

/** Scaling activities: the record the autoscaler keeps, and the SDK shape DescribeScalingActivities answers with. */
/** Activity with epoch-ms times; turned into the SDK shape (Dates) by describeScalingActivities. */
export interface ActivityRecord {
  ActivityId: string;
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  Description: string;
  Cause: string;
  StartTime: number;
  EndTime?: number;
  StatusCode: 'Pending' | 'InProgress' | 'Successful' | 'Overridden' | 'Unfulfilled' | 'Failed';
  StatusMessage?: string;
  Details?: string;
  NotScaledReasons?: NotScaledReason[];
  /** Not part of the AWS shape: capacity before and after, for reports. */
  fromCapacity: number;
  toCapacity: number;
}

/** An activity in DescribeScalingActivities' shape (Dates, no capacities). */
export function toSdkActivity(a: ActivityRecord): ScalingActivity {
  const { fromCapacity: _f, toCapacity: _t, StartTime, EndTime, ...rest } = a;
  return {
    ...rest,
    ServiceNamespace: rest.ServiceNamespace as ScalingActivity['ServiceNamespace'],
    ScalableDimension: rest.ScalableDimension as ScalingActivity['ScalableDimension'],
    StartTime: new Date(StartTime),
    ...(EndTime !== undefined ? { EndTime: new Date(EndTime) } : {}),
  };
}
