import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { MetricAlarm, type AlarmDefinition, type AlarmEvaluation, type ComparisonOperator, type TreatMissingData } from './alarm.js';
import { invalid, objectNotFound } from './errors.js';
import { parseSchedule, type Schedule } from './schedule.js';
import {
  DEFAULT_COOLDOWN_SECONDS,
  DEFAULT_TARGET_TRACKING_ALARMS,
  type CapacityOutcome,
  type CapacityTarget,
  type MetricQuery,
  type MetricSource,
  type NotScaledReason,
  type PutMetricAlarmInput,
  type PutScalingPolicyRequest,
  type PutScalingPolicyResponse,
  type PutScheduledActionRequest,
  type RegisterScalableTargetRequest,
  type ScalingActivity,
  type Statistic,
  type StepAdjustment,
  type TargetTrackingAlarmSettings,
} from './types.js';

/**
 * Application Auto Scaling's semantics for one account and region, with no knowledge of what
 * drives time: it runs on any Clock (the simulator's VirtualClock, or the emulator's RealClock /
 * ScaledClock), reads datapoints from a MetricSource, and changes capacity through a
 * CapacityTarget. The rules (Application Auto Scaling User Guide: target tracking, step scaling
 * and cooldowns; and "Automatically scale Amazon SageMaker models"):
 *
 * - Alarms are evaluated at the end of every period (plus an optional publishing delay); while an
 *   alarm is in ALARM it invokes its policies once per period.
 * - Target tracking: AlarmHigh (metric > target, 3 of 3 one-minute datapoints) scales out,
 *   AlarmLow (metric < 0.9 x target, 15 of 15) scales in, to ceil(capacity x metric / target)
 *   clamped to [Min, Max]. No datapoints -> INSUFFICIENT_DATA -> no scaling.
 * - Scale-out cooldown: after a scale-out from C0, until the cooldown ends the policy computes
 *   from C0, so the capacity it already added counts toward the next computation and only a
 *   larger scale-out raises capacity again (restarting the cooldown, same C0).
 * - Scale-in cooldown: further scale-in by the policy is blocked until it expires; any scale-out
 *   happens at once and ends every scale-in cooldown on the target.
 * - Step scaling: the step whose bounds (relative to the alarm threshold; above it lower bound
 *   inclusive, upper exclusive; below it the reverse) hold the breach; ChangeInCapacity,
 *   PercentChangeInCapacity (with MinAdjustmentMagnitude) or ExactCapacity; one Cooldown, applied
 *   with the same rules as above.
 * - Several policies: the largest capacity wins: scale out to the largest proposal; scale in
 *   only to the largest of the scale-in proposals and of what every other target-tracking policy
 *   wants now. A scaling activity starts the cooldown of every policy that asked for it in that
 *   evaluation (each with its own cooldown length).
 * - Scheduled actions set Min/Max and scale out or in to fit.
 * - No capacity change while the resource is Updating (CapacityTarget.isUpdating), the update a
 *   scale-out started included: the attempt is a Failed activity carrying SageMaker's refusal,
 *   starts no cooldown, and the policy is evaluated again at the next period, when the metric
 *   (InvocationsPerInstance is divided by the instances in service) reflects the fleet then serving.
 */
export interface AutoScalerOptions {
  clock: Clock;
  metrics: MetricSource;
  region?: string;
  account?: string;
  /** Id source for activities, policy ARNs and alarm names (seeded in the simulator). */
  uuid?: () => string;
  targetTrackingAlarms?: Partial<Omit<TargetTrackingAlarmSettings, 'high' | 'low'>> & {
    high?: Partial<TargetTrackingAlarmSettings['high']>;
    low?: Partial<TargetTrackingAlarmSettings['low']>;
  };
  /** Evaluation tick, seconds: alarms are evaluated on tick boundaries that end a period. */
  tickSeconds?: number;
}

interface TargetState {
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

interface PolicyState {
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

interface Proposal {
  policy: PolicyState;
  alarm: MetricAlarm;
  desired: number;
}

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

export class ApplicationAutoScaler {
  private readonly clock: Clock;
  private readonly metrics: MetricSource;
  private readonly region: string;
  private readonly account: string;
  private readonly uuid: () => string;
  private readonly tt: TargetTrackingAlarmSettings;
  private readonly tickMs: number;
  private readonly targets = new Map<string, TargetState>();
  private readonly alarms: { alarm: MetricAlarm; user: boolean }[] = [];
  private readonly activities: ActivityRecord[] = [];
  private readonly notScaled: ActivityRecord[] = [];
  private readonly scheduled: { name: string; key: string; cancel: () => void }[] = [];
  private cancelTick: (() => void) | undefined;

  constructor(opts: AutoScalerOptions) {
    this.clock = opts.clock;
    this.metrics = opts.metrics;
    this.region = opts.region ?? 'us-east-1';
    this.account = opts.account ?? '000000000000';
    this.uuid = opts.uuid ?? randomUUID;
    const t = opts.targetTrackingAlarms ?? {};
    this.tt = {
      periodSeconds: t.periodSeconds ?? DEFAULT_TARGET_TRACKING_ALARMS.periodSeconds,
      evaluationDelaySeconds: t.evaluationDelaySeconds ?? DEFAULT_TARGET_TRACKING_ALARMS.evaluationDelaySeconds,
      high: { ...DEFAULT_TARGET_TRACKING_ALARMS.high, ...t.high },
      low: { ...DEFAULT_TARGET_TRACKING_ALARMS.low, ...t.low },
    };
    this.tickMs = (opts.tickSeconds ?? 10) * 1000;
  }

  // ---- API (request shapes of Application Auto Scaling / CloudWatch) ----

  registerScalableTarget(req: RegisterScalableTargetRequest, resource: CapacityTarget): { ScalableTargetARN: string } {
    const key = targetKey(req);
    let t = this.targets.get(key);
    if (!t) {
      if (req.MinCapacity === undefined || req.MaxCapacity === undefined) {
        throw invalid('MinCapacity and MaxCapacity are required when registering a new scalable target');
      }
      t = {
        key,
        ServiceNamespace: req.ServiceNamespace!,
        ResourceId: req.ResourceId!,
        ScalableDimension: req.ScalableDimension!,
        min: req.MinCapacity,
        max: req.MaxCapacity,
        suspended: { in: false, out: false, scheduled: false },
        resource,
        policies: [],
      };
      this.targets.set(key, t);
    }
    if (req.MinCapacity !== undefined) t.min = req.MinCapacity;
    if (req.MaxCapacity !== undefined) t.max = req.MaxCapacity;
    if (!(Number.isInteger(t.min) && Number.isInteger(t.max) && t.min >= 0 && t.max >= t.min)) {
      throw invalid(`MinCapacity (${t.min}) and MaxCapacity (${t.max}) must be integers with 0 <= Min <= Max`);
    }
    const s = req.SuspendedState;
    if (s) t.suspended = { in: !!s.DynamicScalingInSuspended, out: !!s.DynamicScalingOutSuspended, scheduled: !!s.ScheduledScalingSuspended };
    this.fitToBounds(t, undefined);
    return { ScalableTargetARN: `arn:aws:application-autoscaling:${this.region}:${this.account}:scalable-target/${this.uuid().replace(/-/g, '').slice(0, 28)}` };
  }

  /**
   * Creates a policy, or replaces the one of that name on the target (as AWS updates a policy in
   * place: same ARN, same alarm names). `ids` restores the ARN and alarm names of a stored policy.
   */
  putScalingPolicy(req: PutScalingPolicyRequest, ids?: { PolicyARN?: string; AlarmNames?: string[] }): PutScalingPolicyResponse {
    const t = this.targets.get(targetKey(req));
    if (!t) throw objectNotFound(`No scalable target registered for service namespace: ${req.ServiceNamespace}, resource ID: ${req.ResourceId}, scalable dimension: ${req.ScalableDimension}`);
    if (!req.PolicyName) throw invalid('PolicyName is required');
    const existing = t.policies.find((p) => p.name === req.PolicyName);
    if (existing) {
      ids = {
        PolicyARN: ids?.PolicyARN ?? existing.arn,
        AlarmNames: ids?.AlarmNames ?? [existing.tt?.high.def.AlarmName, existing.tt?.low?.def.AlarmName].filter((n): n is string => !!n),
      };
    }
    const type = req.PolicyType ?? 'StepScaling';
    const arn = ids?.PolicyARN ?? `arn:aws:autoscaling:${this.region}:${this.account}:scalingPolicy:${this.uuid()}:resource/${t.ServiceNamespace}/${t.ResourceId}:policyName/${req.PolicyName}`;
    const p: PolicyState = { name: req.PolicyName, arn, target: t, type: type as PolicyState['type'], outUntil: -Infinity, outBase: 0, inUntil: -Infinity };
    const alarmsOut: { AlarmName: string; AlarmARN: string }[] = [];
    const created: MetricAlarm[] = [];
    if (type === 'TargetTrackingScaling') {
      const c = req.TargetTrackingScalingPolicyConfiguration;
      if (!c || typeof c.TargetValue !== 'number' || !(c.TargetValue > 0)) {
        throw invalid('TargetTrackingScalingPolicyConfiguration.TargetValue must be a number > 0');
      }
      const metric = this.targetMetric(t, c);
      const mk = (which: 'High' | 'Low'): MetricAlarm => {
        const s = which === 'High' ? this.tt.high : this.tt.low;
        const def: AlarmDefinition = {
          AlarmName: ids?.AlarmNames?.find((n) => n.includes(`-Alarm${which}-`)) ?? `TargetTracking-${t.ResourceId}-Alarm${which}-${this.uuid()}`,
          metric,
          Period: this.tt.periodSeconds,
          EvaluationPeriods: s.evaluationPeriods,
          DatapointsToAlarm: s.datapointsToAlarm,
          Threshold: which === 'High' ? c.TargetValue! : c.TargetValue! * this.tt.low.thresholdRatio,
          ComparisonOperator: which === 'High' ? 'GreaterThanThreshold' : 'LessThanThreshold',
          AlarmActions: [arn],
          TreatMissingData: 'missing',
        };
        const a = new MetricAlarm(def);
        created.push(a);
        alarmsOut.push({ AlarmName: def.AlarmName, AlarmARN: `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${def.AlarmName}` });
        return a;
      };
      const high = mk('High');
      // With DisableScaleIn, AWS creates no low alarm.
      const low = c.DisableScaleIn ? undefined : mk('Low');
      p.tt = {
        targetValue: c.TargetValue,
        metric,
        outCooldownMs: (c.ScaleOutCooldown ?? DEFAULT_COOLDOWN_SECONDS) * 1000,
        inCooldownMs: (c.ScaleInCooldown ?? DEFAULT_COOLDOWN_SECONDS) * 1000,
        disableScaleIn: !!c.DisableScaleIn,
        high,
        low,
      };
    } else if (type === 'StepScaling') {
      const c = req.StepScalingPolicyConfiguration;
      if (!c || !c.StepAdjustments?.length) throw invalid('StepScalingPolicyConfiguration.StepAdjustments is required');
      const at = c.AdjustmentType ?? 'ChangeInCapacity';
      if (!['ChangeInCapacity', 'PercentChangeInCapacity', 'ExactCapacity'].includes(at)) throw invalid(`AdjustmentType ${at}`);
      validateSteps(c.StepAdjustments);
      p.step = {
        adjustmentType: at as 'ChangeInCapacity',
        steps: c.StepAdjustments,
        minAdjustmentMagnitude: c.MinAdjustmentMagnitude,
        cooldownMs: (c.Cooldown ?? DEFAULT_COOLDOWN_SECONDS) * 1000,
      };
    } else {
      throw invalid(`PolicyType ${type} is not supported by localsage (TargetTrackingScaling, StepScaling)`);
    }
    if (existing) this.removePolicy(existing);
    for (const a of created) this.alarms.push({ alarm: a, user: false });
    t.policies.push(p);
    return { PolicyARN: arn, Alarms: alarmsOut };
  }

  /** A CloudWatch alarm for step scaling; AlarmActions name policies by ARN or by PolicyName. */
  putMetricAlarm(req: PutMetricAlarmInput): void {
    if (!req.AlarmName || !req.MetricName || !req.Namespace || req.Threshold === undefined || !req.ComparisonOperator) {
      throw invalid('PutMetricAlarm needs AlarmName, MetricName, Namespace, Threshold and ComparisonOperator');
    }
    if (req.Metrics?.length || req.ExtendedStatistic) throw invalid(`alarm ${req.AlarmName}: metric math and extended statistics are not supported by localsage`);
    const op = req.ComparisonOperator as ComparisonOperator;
    if (!['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'].includes(op)) {
      throw invalid(`alarm ${req.AlarmName}: ComparisonOperator ${op} is not supported`);
    }
    const actions = (req.AlarmActions ?? []).map((a) => {
      const p = this.findPolicy(a);
      if (!p) throw invalid(`alarm ${req.AlarmName}: AlarmActions names ${a}, which is no scaling policy`);
      if (p.type !== 'StepScaling') throw invalid(`alarm ${req.AlarmName}: ${a} is not a step scaling policy`);
      return p.arn;
    });
    const periods = req.EvaluationPeriods ?? 1;
    // PutMetricAlarm with an existing name replaces that alarm.
    const old = this.alarms.findIndex((a) => a.alarm.def.AlarmName === req.AlarmName);
    if (old >= 0) this.alarms.splice(old, 1);
    this.alarms.push({
      alarm: new MetricAlarm({
        AlarmName: req.AlarmName,
        metric: {
          Namespace: req.Namespace,
          MetricName: req.MetricName,
          Dimensions: (req.Dimensions ?? []).map((d) => ({ Name: d.Name!, Value: d.Value! })),
          Statistic: (req.Statistic ?? 'Average') as Statistic,
        },
        Period: req.Period ?? 60,
        EvaluationPeriods: periods,
        DatapointsToAlarm: req.DatapointsToAlarm ?? periods,
        Threshold: req.Threshold,
        ComparisonOperator: op,
        AlarmActions: actions,
        TreatMissingData: (req.TreatMissingData ?? 'missing') as TreatMissingData,
      }),
      user: true,
    });
  }

  /** Creates or replaces a scheduled action; `createdMs` restores a stored one's creation time. */
  putScheduledAction(req: PutScheduledActionRequest, opts: { createdMs?: number } = {}): void {
    const t = this.targets.get(targetKey(req));
    if (!t) throw objectNotFound(`No scalable target registered for ${req.ResourceId}`);
    if (!req.Schedule || !req.ScheduledActionName) throw invalid('ScheduledActionName and Schedule are required');
    const sched: Schedule = parseSchedule(req.Schedule, {
      timezone: req.Timezone,
      startMs: req.StartTime ? new Date(req.StartTime).getTime() : undefined,
      endMs: req.EndTime ? new Date(req.EndTime).getTime() : undefined,
      createdMs: opts.createdMs ?? this.clock.now(),
    });
    const name = req.ScheduledActionName;
    const action = req.ScalableTargetAction ?? {};
    this.deleteScheduledAction(req, name, { quiet: true });
    const entry = { name, key: t.key, cancel: () => {} };
    const arm = (from: number) => {
      const at = sched.nextAtOrAfter(from);
      if (at === undefined) return;
      entry.cancel = this.clock.schedule(at - this.clock.now(), () => {
        this.runScheduledAction(t, name, action.MinCapacity, action.MaxCapacity);
        arm(at + 1);
      });
    };
    arm(this.clock.now());
    this.scheduled.push(entry);
  }

  /** Starts periodic alarm evaluation on the clock. */
  start(): void {
    if (this.cancelTick) return;
    const delay = this.tt.evaluationDelaySeconds * 1000;
    // Ticks are evaluated at their own time, not at whenever the timer ran: a RealClock or
    // ScaledClock timer fires a little late (and a busy process can miss whole ticks), which would
    // otherwise never land on a period boundary. Missed ticks are evaluated in order.
    let next = Math.floor((this.clock.now() - delay) / this.tickMs) * this.tickMs + this.tickMs + delay;
    const arm = () => {
      this.cancelTick = this.clock.schedule(next - this.clock.now(), () => {
        const now = this.clock.now();
        for (; next <= now; next += this.tickMs) this.evaluate(next);
        arm();
      });
    };
    arm();
  }

  stop(): void {
    this.cancelTick?.();
    this.cancelTick = undefined;
    for (const s of this.scheduled) s.cancel();
  }

  describeScalingActivities(opts: { IncludeNotScaledActivities?: boolean } = {}): ScalingActivity[] {
    const all = opts.IncludeNotScaledActivities ? [...this.activities, ...this.notScaled] : this.activities;
    // Newest first, as AWS answers; of two started at the same instant, the later-recorded first.
    return all
      .map((a, i) => [a, i] as const)
      .sort((x, y) => y[0].StartTime - x[0].StartTime || y[1] - x[1])
      .map(([a]) => toSdkActivity(a));
  }

  /** Activities oldest first, with epoch-ms times and capacities (for reports). */
  activityRecords(opts: { includeNotScaled?: boolean } = {}): ActivityRecord[] {
    const all = opts.includeNotScaled ? [...this.activities, ...this.notScaled] : [...this.activities];
    return all.sort((a, b) => a.StartTime - b.StartTime);
  }

  /** Alarm state transitions, for reports. */
  alarmHistory(): { AlarmName: string; at: number; state: string; reason: string }[] {
    const out: { AlarmName: string; at: number; state: string; reason: string }[] = [];
    for (const { alarm } of this.alarms) for (const h of alarm.history) out.push({ AlarmName: alarm.def.AlarmName, ...h });
    return out.sort((a, b) => a.at - b.at || a.AlarmName.localeCompare(b.AlarmName));
  }

  bounds(resource: { ServiceNamespace?: string; ResourceId?: string; ScalableDimension?: string }): { min: number; max: number } | undefined {
    const t = this.targets.get(targetKey(resource));
    return t && { min: t.min, max: t.max };
  }

  // ---- lifecycle the live emulator needs (deregistration, deletion, restore after restart) ----

  /** Removes a target with its policies, their alarms and its scheduled actions. */
  deregisterScalableTarget(ids: { ServiceNamespace?: string; ResourceId?: string; ScalableDimension?: string }): void {
    const t = this.targets.get(targetKey(ids));
    if (!t) throw objectNotFound(`No scalable target found for service namespace: ${ids.ServiceNamespace}, resource ID: ${ids.ResourceId}, scalable dimension: ${ids.ScalableDimension}`);
    for (const p of [...t.policies]) this.removePolicy(p);
    for (const s of this.scheduled.filter((x) => x.key === t.key)) this.deleteScheduledAction(ids, s.name, { quiet: true });
    this.targets.delete(t.key);
  }

  deleteScalingPolicy(ids: { ServiceNamespace?: string; ResourceId?: string; ScalableDimension?: string; PolicyName?: string }): void {
    const p = this.targets.get(targetKey(ids))?.policies.find((x) => x.name === ids.PolicyName);
    if (!p) throw objectNotFound(`No scaling policy found for service namespace: ${ids.ServiceNamespace}, resource ID: ${ids.ResourceId}, scalable dimension: ${ids.ScalableDimension}, policy name: ${ids.PolicyName}`);
    this.removePolicy(p);
  }

  deleteScheduledAction(ids: { ServiceNamespace?: string; ResourceId?: string; ScalableDimension?: string }, name: string, opts: { quiet?: boolean } = {}): void {
    const key = targetKey(ids);
    const i = this.scheduled.findIndex((s) => s.key === key && s.name === name);
    if (i < 0) {
      if (opts.quiet) return;
      throw objectNotFound(`No scheduled action found for service namespace: ${ids.ServiceNamespace}, resource ID: ${ids.ResourceId}, scalable dimension: ${ids.ScalableDimension}, scheduled action name: ${name}`);
    }
    this.scheduled[i].cancel();
    this.scheduled.splice(i, 1);
  }

  /** Deletes alarms by name (CloudWatch DeleteAlarms ignores names that do not exist). */
  deleteAlarms(names: string[]): void {
    for (let i = this.alarms.length - 1; i >= 0; i--) if (names.includes(this.alarms[i].alarm.def.AlarmName)) this.alarms.splice(i, 1);
  }

  /** Every alarm with its state and last transition, for DescribeAlarms. */
  alarmList(): { alarm: MetricAlarm; user: boolean }[] {
    return [...this.alarms];
  }

  /** SetAlarmState: the state holds until the next evaluation of the alarm, as on CloudWatch. */
  setAlarmState(name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', reason: string): boolean {
    const a = this.alarms.find((x) => x.alarm.def.AlarmName === name);
    if (!a) return false;
    if (a.alarm.state !== state) a.alarm.history.push({ at: this.clock.now(), state, reason });
    a.alarm.state = state;
    return true;
  }

  /** Puts stored activities back after a restart (oldest first); InProgress ones await completeActivity. */
  restoreActivities(records: ActivityRecord[]): void {
    for (const r of records) (r.NotScaledReasons?.length ? this.notScaled : this.activities).push({ ...r });
  }

  /** Ends an activity whose change was applied while no callback was waiting (after a restart). */
  completeActivity(activityId: string, outcome: CapacityOutcome): void {
    const a = this.activities.find((x) => x.ActivityId === activityId);
    if (!a || a.EndTime !== undefined) return;
    a.EndTime = this.clock.now();
    a.StatusCode = outcome.status;
    a.StatusMessage =
      outcome.message ??
      (outcome.status === 'Successful'
        ? `Successfully set desired instance count to ${a.toCapacity}. Change successfully fulfilled by ${a.ServiceNamespace}.`
        : `Failed to set desired instance count to ${a.toCapacity}.`);
  }

  private removePolicy(p: PolicyState): void {
    const own = [p.tt?.high, p.tt?.low].filter(Boolean);
    for (let i = this.alarms.length - 1; i >= 0; i--) if (own.includes(this.alarms[i].alarm)) this.alarms.splice(i, 1);
    const list = p.target.policies;
    list.splice(list.indexOf(p), 1);
  }

  // ---- evaluation ----

  /** One evaluation round at `now` (a tick time): alarms whose period ends then, then their policies. */
  evaluate(now = this.clock.now()): void {
    const end = now - this.tt.evaluationDelaySeconds * 1000;
    const results = new Map<MetricAlarm, AlarmEvaluation>();
    for (const { alarm } of this.alarms) {
      if (end % (alarm.def.Period * 1000) !== 0) continue;
      results.set(alarm, alarm.evaluate(this.metrics, end));
    }
    if (results.size === 0) return;
    for (const t of this.targets.values()) this.evaluateTarget(t, results, now);
  }

  private evaluateTarget(t: TargetState, results: Map<MetricAlarm, AlarmEvaluation>, now: number): void {
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
        for (const { alarm, user } of this.alarms) {
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
        this.recordNotScaled(t, out, C, to, 'AlreadyAtMaxCapacity', now);
        return;
      }
      // Refused while Updating: no cooldown starts, no scale-in cooldown ends; the alarm is still
      // in ALARM, so the policy tries again next period, against whatever fleet is then in service.
      if (this.refusedWhileUpdating(t, C, to, alarmCause(out), now)) return;
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
      this.setCapacity(t, C, to, alarmCause(out), now);
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
      if (C <= t.min) this.recordNotScaled(t, win, C, to, 'AlreadyAtMinCapacity', now);
      return;
    }
    if (this.refusedWhileUpdating(t, C, to, alarmCause(win), now)) return;
    // Every policy that agreed to scale in now starts its scale-in cooldown.
    for (const i of eligible) {
      i.policy.inUntil = now + (i.policy.tt ? i.policy.tt.inCooldownMs : i.policy.step!.cooldownMs);
      i.policy.lastNotScaled = undefined;
    }
    this.setCapacity(t, C, to, alarmCause(win), now);
  }

  private runScheduledAction(t: TargetState, name: string, min: number | undefined, max: number | undefined): void {
    if (t.suspended.scheduled) return;
    const now = this.clock.now();
    if (min !== undefined) t.min = min;
    if (max !== undefined) t.max = max;
    if (t.max < t.min) t.max = t.min;
    const parts = [min !== undefined ? `min capacity to ${min}` : '', max !== undefined ? `max capacity to ${max}` : ''].filter(Boolean);
    const C = t.resource.desiredCapacity();
    this.activities.push({
      ActivityId: this.uuid(),
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
    this.fitToBounds(t, name);
  }

  /** Scales into [Min, Max] after they changed (registration or a scheduled action). */
  private fitToBounds(t: TargetState, scheduledName: string | undefined): void {
    const C = t.resource.desiredCapacity();
    if (C >= t.min && C <= t.max) return;
    const now = this.clock.now();
    const to = C < t.min ? t.min : t.max;
    const cause = `${C < t.min ? 'minimum' : 'maximum'} capacity was set to ${to}${scheduledName ? ` by scheduled action ${scheduledName}` : ''}`;
    if (this.refusedWhileUpdating(t, C, to, cause, now)) return;
    this.setCapacity(t, C, to, cause, now);
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
  private refusedWhileUpdating(t: TargetState, from: number, to: number, cause: string, now: number): boolean {
    if (!t.resource.isUpdating?.()) return false;
    const endpoint = /^endpoint\/([^/]+)\//.exec(t.ResourceId)?.[1] ?? t.ResourceId;
    const reason =
      t.ServiceNamespace === 'sagemaker'
        ? `Cannot update in-progress endpoint "arn:aws:sagemaker:${this.region}:${this.account}:endpoint/${endpoint.toLowerCase()}". (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: ${this.uuid()})`
        : `the resource is being updated`;
    this.activities.push({
      ActivityId: this.uuid(),
      ServiceNamespace: t.ServiceNamespace,
      ResourceId: t.ResourceId,
      ScalableDimension: t.ScalableDimension,
      Description: `Setting desired instance count to ${to}.`,
      Cause: cause,
      StartTime: now,
      EndTime: now,
      StatusCode: 'Failed',
      StatusMessage: `Failed to set desired instance count to ${to}. Reason: ${reason}`,
      fromCapacity: from,
      toCapacity: from,
    });
    return true;
  }

  private setCapacity(t: TargetState, from: number, to: number, cause: string, now: number): void {
    const a: ActivityRecord = {
      ActivityId: this.uuid(),
      ServiceNamespace: t.ServiceNamespace,
      ResourceId: t.ResourceId,
      ScalableDimension: t.ScalableDimension,
      Description: `Setting desired instance count to ${to}.`,
      Cause: cause,
      StartTime: now,
      StatusCode: 'InProgress',
      StatusMessage: `Waiting for change to be fulfilled by ${t.ServiceNamespace}.`,
      fromCapacity: from,
      toCapacity: to,
    };
    this.activities.push(a);
    t.resource.setDesiredCapacity(to, (o: CapacityOutcome) => {
      if (a.EndTime !== undefined) return;
      a.EndTime = this.clock.now();
      a.StatusCode = o.status;
      a.StatusMessage =
        o.message ??
        (o.status === 'Successful'
          ? `Successfully set desired instance count to ${to}. Change successfully fulfilled by ${t.ServiceNamespace}.`
          : `Failed to set desired instance count to ${to}.`);
    });
  }

  private recordNotScaled(t: TargetState, p: Proposal, C: number, to: number, code: string, now: number): void {
    if (p.policy.lastNotScaled === code) return; // once per streak, not once per minute
    p.policy.lastNotScaled = code;
    this.notScaled.push({
      ActivityId: this.uuid(),
      ServiceNamespace: t.ServiceNamespace,
      ResourceId: t.ResourceId,
      ScalableDimension: t.ScalableDimension,
      Description: `Attempting to set desired instance count to ${p.desired}.`,
      Cause: alarmCause(p),
      StartTime: now,
      EndTime: now,
      StatusCode: 'Failed',
      StatusMessage: `Failed to set desired instance count to ${p.desired}.`,
      NotScaledReasons: [{ Code: code, MinCapacity: t.min, MaxCapacity: t.max, CurrentCapacity: C }],
      fromCapacity: C,
      toCapacity: to,
    });
  }

  private findPolicy(ref: string): PolicyState | undefined {
    for (const t of this.targets.values()) for (const p of t.policies) if (p.arn === ref || p.name === ref) return p;
    return undefined;
  }

  private targetMetric(t: TargetState, c: NonNullable<PutScalingPolicyRequest['TargetTrackingScalingPolicyConfiguration']>): MetricQuery {
    if (c.PredefinedMetricSpecification) {
      const type = c.PredefinedMetricSpecification.PredefinedMetricType;
      if (type !== 'SageMakerVariantInvocationsPerInstance') {
        throw invalid(`PredefinedMetricType ${type} is not supported by localsage (SageMakerVariantInvocationsPerInstance, or a CustomizedMetricSpecification)`);
      }
      return { Namespace: 'AWS/SageMaker', MetricName: 'InvocationsPerInstance', Dimensions: sageMakerDimensions(t.ResourceId), Statistic: 'Sum' };
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
}

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

function validateSteps(steps: StepAdjustment[]): void {
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

function alarmCause(p: Proposal): string {
  return `monitor alarm ${p.alarm.def.AlarmName} in state ALARM triggered policy ${p.policy.name}`;
}

function targetKey(r: { ServiceNamespace?: string; ResourceId?: string; ScalableDimension?: string }): string {
  return `${r.ServiceNamespace}|${r.ResourceId}|${r.ScalableDimension}`;
}

/** endpoint/<e>/variant/<v> -> the EndpointName and VariantName dimensions of AWS/SageMaker metrics. */
export function sageMakerDimensions(resourceId: string): { Name: string; Value: string }[] {
  const m = /^endpoint\/([^/]+)\/variant\/([^/]+)$/.exec(resourceId);
  return m ? [{ Name: 'EndpointName', Value: m[1] }, { Name: 'VariantName', Value: m[2] }] : [];
}

function toSdkActivity(a: ActivityRecord): ScalingActivity {
  const { fromCapacity: _f, toCapacity: _t, StartTime, EndTime, ...rest } = a;
  return {
    ...rest,
    ServiceNamespace: rest.ServiceNamespace as ScalingActivity['ServiceNamespace'],
    ScalableDimension: rest.ScalableDimension as ScalingActivity['ScalableDimension'],
    StartTime: new Date(StartTime),
    ...(EndTime !== undefined ? { EndTime: new Date(EndTime) } : {}),
  };
}
