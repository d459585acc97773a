import type { Clock } from '../clock.js';
import type { AlarmEvaluation, MetricAlarm } from './alarm.js';
import type { ActivityRecord } from './activities.js';
import { applyAdjustment, proportional, stepAdjustment } from './policies.js';
import { alarmCause, capacityNoun, type Proposal, type TargetState } from './state.js';
import type { CapacityOutcome } from './types.js';

/**
 * The rules applied at each evaluation and when bounds change (the class comment of
 * ApplicationAutoScaler, core/autoscaling/autoscaler.ts, states them): which policies ask for what,
 * which proposal wins, cooldowns, the refusal while the resource is Updating, and the activities
 * each outcome records. The autoscaler owns the registry; these functions act on it through a
 * ScalerContext.
 */

/** What the rules read and append to: the autoscaler's clock, ids, alarms and activity logs. */
export interface ScalerContext {
  clock: Clock;
  region: string;
  account: string;
  uuid: () => string;
  alarms: { alarm: MetricAlarm; user: boolean }[];
  activities: ActivityRecord[];
  notScaled: ActivityRecord[];
}

export function evaluateTarget(ctx: ScalerContext, t: TargetState, results: Map<MetricAlarm, AlarmEvaluation>, now: number): void {
  const C = t.resource.desiredCapacity();
  const outs: Proposal[] = [];
  const ins: Proposal[] = [];
  for (const p of t.policies) {
    if (p.tt) {
      const hi = results.get(p.tt.high);
      const lo = p.tt.low && results.get(p.tt.low);
      const latest = hi?.latest ?? lo?.latest;
      if (hi || lo) p.tt.lastMetric = latest;
      if (hi?.state === 'ALARM' && hi.latest !== undefined) {
        const base = now < p.outUntil ? p.outBase : C;
        outs.push({ policy: p, alarm: p.tt.high, desired: proportional(base, hi.latest, p.tt.targetValue) });
      }
      if (p.tt.low && lo?.state === 'ALARM' && lo.latest !== undefined) {
        ins.push({ policy: p, alarm: p.tt.low, desired: proportional(C, lo.latest, p.tt.targetValue) });
      }
    } else if (p.step) {
      for (const { alarm, user } of ctx.alarms) {
        if (!user || !alarm.def.AlarmActions.includes(p.arn)) continue;
        const r = results.get(alarm);
        if (r?.state !== 'ALARM' || r.latest === undefined) continue;
        const adj = stepAdjustment(p.step.steps, r.latest - alarm.def.Threshold, alarm.def.ComparisonOperator);
        if (adj === undefined) continue;
        // The direction is the step's, not the result's: a scale-out step computed from the
        // cooldown's base may land at or below the current capacity, which means "nothing".
        const growing = p.step.adjustmentType === 'ExactCapacity' ? adj > C : adj > 0;
        const base = growing && now < p.outUntil ? p.outBase : C;
        const desired = applyAdjustment(p.step.adjustmentType, base, adj, p.step.minAdjustmentMagnitude);
        (growing ? outs : ins).push({ policy: p, alarm, desired });
      }
    }
  }

  // Scale out: the largest proposal wins, at once, whatever scale-in cooldown is running.
  const out = outs.filter((o) => o.desired > C).reduce<Proposal | undefined>((a, b) => (a && a.desired >= b.desired ? a : b), undefined);
  if (out) {
    if (t.suspended.out) return;
    const to = Math.min(Math.max(out.desired, t.min), t.max);
    if (to <= C) {
      recordNotScaled(ctx, t, out, C, to, 'AlreadyAtMaxCapacity', now);
      return;
    }
    // Refused while Updating: no cooldown starts, no scale-in cooldown ends; the alarm is still
    // in ALARM, so the policy tries again next period, against whatever fleet is then in service.
    if (refusedWhileUpdating(ctx, t, C, to, alarmCause(out), now)) return;
    // The activity starts (or continues) the scale-out cooldown of every policy that asked for
    // more capacity in this evaluation, and ends every scale-in cooldown on the target.
    for (const o of outs) {
      if (!(o.desired > C)) continue;
      const p = o.policy;
      if (!(now < p.outUntil)) p.outBase = C;
      p.outUntil = now + (p.tt ? p.tt.outCooldownMs : p.step!.cooldownMs);
      p.lastNotScaled = undefined;
    }
    for (const q of t.policies) q.inUntil = -Infinity;
    setCapacity(ctx, t, C, to, alarmCause(out), now);
    return;
  }

  // Scale in: only the policies out of their scale-in cooldown, never below what any other
  // target-tracking policy wants now (the largest capacity wins).
  const eligible = ins.filter((i) => i.desired < C && now >= i.policy.inUntil && !(i.policy.tt?.disableScaleIn));
  if (!eligible.length || t.suspended.in) return;
  const win = eligible.reduce((a, b) => (a.desired >= b.desired ? a : b));
  let floor = win.desired;
  for (const q of t.policies) {
    if (!q.tt || q === win.policy || q.tt.lastMetric === undefined) continue;
    floor = Math.max(floor, proportional(C, q.tt.lastMetric, q.tt.targetValue));
  }
  const to = Math.min(Math.max(floor, t.min), t.max);
  if (to >= C) {
    if (C <= t.min) recordNotScaled(ctx, t, win, C, to, 'AlreadyAtMinCapacity', now);
    return;
  }
  if (refusedWhileUpdating(ctx, t, C, to, alarmCause(win), now)) return;
  // Every policy that agreed to scale in now starts its scale-in cooldown.
  for (const i of eligible) {
    i.policy.inUntil = now + (i.policy.tt ? i.policy.tt.inCooldownMs : i.policy.step!.cooldownMs);
    i.policy.lastNotScaled = undefined;
  }
  setCapacity(ctx, t, C, to, alarmCause(win), now);
}

export function runScheduledAction(ctx: ScalerContext, t: TargetState, name: string, min: number | undefined, max: number | undefined): void {
  if (t.suspended.scheduled) return;
  const now = ctx.clock.now();
  if (min !== undefined) t.min = min;
  if (max !== undefined) t.max = max;
  if (t.max < t.min) t.max = t.min;
  const parts = [min !== undefined ? `min capacity to ${min}` : '', max !== undefined ? `max capacity to ${max}` : ''].filter(Boolean);
  const C = t.resource.desiredCapacity();
  ctx.activities.push({
    ActivityId: ctx.uuid(),
    ServiceNamespace: t.ServiceNamespace,
    ResourceId: t.ResourceId,
    ScalableDimension: t.ScalableDimension,
    Description: `Setting ${parts.join(' and ')}.`,
    Cause: `scheduled action name ${name} was triggered`,
    StartTime: now,
    EndTime: now,
    StatusCode: 'Successful',
    StatusMessage: `Successfully set ${parts.join(' and ')}.`,
    fromCapacity: C,
    toCapacity: C,
  });
  // The scale to fit is part of the same action: one instant for both activities.
  fitToBounds(ctx, t, name, now);
}

/** Scales into [Min, Max] after they changed (registration or a scheduled action). */
export function fitToBounds(ctx: ScalerContext, t: TargetState, scheduledName: string | undefined, now = ctx.clock.now()): void {
  const C = t.resource.desiredCapacity();
  if (C >= t.min && C <= t.max) return;
  const to = C < t.min ? t.min : t.max;
  const cause = `${C < t.min ? 'minimum' : 'maximum'} capacity was set to ${to}${scheduledName ? ` by scheduled action ${scheduledName}` : ''}`;
  if (refusedWhileUpdating(ctx, t, C, to, cause, now)) return;
  setCapacity(ctx, t, C, to, cause, now);
}

/**
 * SageMaker refuses UpdateEndpointWeightsAndCapacities while the endpoint is not InService
 * (ValidationException "Cannot update in-progress endpoint"), and that includes the Updating a
 * scale-out itself started: until the instances it added are in service, no further capacity is
 * applied (SageMaker Developer Guide, "Update endpoints that use auto scaling": auto scaling is
 * blocked while an update is in progress). Application Auto Scaling records the refused call
 * as a Failed activity whose StatusMessage carries the service's answer, in the form
 * "Failed to set desired instance count to N. Reason: <message> (Service: ...; Status Code: ...;
 * Error Code: ...; Request ID: ...)" (Developer Guide, "Check the status of a scaling activity
 * by describing scaling activities"). Returns true when the change was refused.
 */
function refusedWhileUpdating(ctx: ScalerContext, t: TargetState, from: number, to: number, cause: string, now: number): boolean {
  if (!t.resource.isUpdating?.()) return false;
  const endpoint = /^endpoint\/([^/]+)\//.exec(t.ResourceId)?.[1] ?? t.ResourceId;
  const component = /^inference-component\/([^/]+)$/.exec(t.ResourceId)?.[1];
  const reason =
    t.ServiceNamespace === 'sagemaker' && component !== undefined
      ? `Cannot update inference component "arn:aws:sagemaker:${ctx.region}:${ctx.account}:inference-component/${component.toLowerCase()}" in status Updating. (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: ${ctx.uuid()})`
      : t.ServiceNamespace === 'sagemaker'
      ? `Cannot update in-progress endpoint "arn:aws:sagemaker:${ctx.region}:${ctx.account}:endpoint/${endpoint.toLowerCase()}". (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: ${ctx.uuid()})`
      : `the resource is being updated`;
  ctx.activities.push({
    ...capacityActivity(ctx, t, to, cause, now),
    EndTime: now,
    StatusCode: 'Failed',
    StatusMessage: `Failed to set desired ${capacityNoun(t.ScalableDimension)} to ${to}. Reason: ${reason}`,
    fromCapacity: from,
    toCapacity: from,
  });
  return true;
}

/** What every "Setting desired instance count" activity starts with (its ActivityId drawn here). */
function capacityActivity(ctx: ScalerContext, t: TargetState, to: number, cause: string, now: number) {
  return {
    ActivityId: ctx.uuid(),
    ServiceNamespace: t.ServiceNamespace,
    ResourceId: t.ResourceId,
    ScalableDimension: t.ScalableDimension,
    Description: `Setting desired ${capacityNoun(t.ScalableDimension)} to ${to}.`,
    Cause: cause,
    StartTime: now,
  };
}

function setCapacity(ctx: ScalerContext, t: TargetState, from: number, to: number, cause: string, now: number): void {
  const a: ActivityRecord = {
    ...capacityActivity(ctx, t, to, cause, now),
    StatusCode: 'InProgress',
    StatusMessage: `Waiting for change to be fulfilled by ${t.ServiceNamespace}.`,
    fromCapacity: from,
    toCapacity: to,
  };
  ctx.activities.push(a);
  t.resource.setDesiredCapacity(to, (o: CapacityOutcome) => {
    if (a.EndTime !== undefined) return;
    a.EndTime = o.at ?? ctx.clock.now();
    a.StatusCode = o.status;
    a.StatusMessage =
      o.message ??
      (o.status === 'Successful'
        ? `Successfully set desired ${capacityNoun(t.ScalableDimension)} to ${to}. Change successfully fulfilled by ${t.ServiceNamespace}.`
        : `Failed to set desired ${capacityNoun(t.ScalableDimension)} to ${to}.`);
  });
}

function recordNotScaled(ctx: ScalerContext, t: TargetState, p: Proposal, C: number, to: number, code: string, now: number): void {
  if (p.policy.lastNotScaled === code) return; // once per streak, not once per minute
  p.policy.lastNotScaled = code;
  ctx.notScaled.push({
    ActivityId: ctx.uuid(),
    ServiceNamespace: t.ServiceNamespace,
    ResourceId: t.ResourceId,
    ScalableDimension: t.ScalableDimension,
    Description: `Attempting to set desired ${capacityNoun(t.ScalableDimension)} to ${p.desired}.`,
    Cause: alarmCause(p),
    StartTime: now,
    EndTime: now,
    StatusCode: 'Failed',
    StatusMessage: `Failed to set desired ${capacityNoun(t.ScalableDimension)} to ${p.desired}.`,
    NotScaledReasons: [{ Code: code, MinCapacity: t.min, MaxCapacity: t.max, CurrentCapacity: C }],
    fromCapacity: C,
    toCapacity: to,
  });
}
