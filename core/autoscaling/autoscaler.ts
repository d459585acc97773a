import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { toSdkActivity, type ActivityRecord } from './activities.js';
import { alarmDefinitionFromRequest, MetricAlarm, type AlarmDefinition, type AlarmEvaluation } from './alarm.js';
import { invalid, objectNotFound } from './errors.js';
import { evaluateTarget, fitToBounds, runScheduledAction, type ScalerContext } from './evaluation.js';
import { targetTrackingMetric, validateSteps } from './policies.js';
import { parseSchedule, type Schedule } from './schedule.js';
import { capacityNoun, targetKey, type PolicyState, type TargetState } from './state.js';
import {
  DEFAULT_COOLDOWN_SECONDS,
  DEFAULT_TARGET_TRACKING_ALARMS,
  type CapacityOutcome,
  type CapacityTarget,
  type MetricSource,
  type PutMetricAlarmInput,
  type PutScalingPolicyRequest,
  type PutScalingPolicyResponse,
  type PutScheduledActionRequest,
  type RegisterScalableTargetRequest,
  type ScalingActivity,
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
  /** The registry as the evaluation rules (evaluation.ts) see it; the arrays are shared, not copied. */
  private readonly ctx: ScalerContext;

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
    this.ctx = { clock: this.clock, region: this.region, account: this.account, uuid: this.uuid, alarms: this.alarms, activities: this.activities, notScaled: this.notScaled };
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
    fitToBounds(this.ctx, t, undefined);
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
      const metric = targetTrackingMetric(t.ResourceId, c);
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
    const def = alarmDefinitionFromRequest(req, (a) => {
      const p = this.findPolicy(a);
      if (!p) throw invalid(`alarm ${req.AlarmName}: AlarmActions names ${a}, which is no scaling policy`);
      if (p.type !== 'StepScaling') throw invalid(`alarm ${req.AlarmName}: ${a} is not a step scaling policy`);
      return p.arn;
    });
    // PutMetricAlarm with an existing name replaces that alarm.
    const old = this.alarms.findIndex((a) => a.alarm.def.AlarmName === req.AlarmName);
    if (old >= 0) this.alarms.splice(old, 1);
    this.alarms.push({ alarm: new MetricAlarm(def), user: true });
  }

  /** Creates or replaces a scheduled action; `createdMs` restores a stored one's creation time, `nowMs` is the request's instant (armed from). */
  putScheduledAction(req: PutScheduledActionRequest, opts: { createdMs?: number; nowMs?: number } = {}): void {
    const t = this.targets.get(targetKey(req));
    if (!t) throw objectNotFound(`No scalable target registered for ${req.ResourceId}`);
    if (!req.Schedule || !req.ScheduledActionName) throw invalid('ScheduledActionName and Schedule are required');
    const sched: Schedule = parseSchedule(req.Schedule, {
      timezone: req.Timezone,
      startMs: req.StartTime ? new Date(req.StartTime).getTime() : undefined,
      endMs: req.EndTime ? new Date(req.EndTime).getTime() : undefined,
      createdMs: opts.createdMs ?? opts.nowMs ?? this.clock.now(),
    });
    const name = req.ScheduledActionName;
    const action = req.ScalableTargetAction ?? {};
    this.deleteScheduledAction(req, name, { quiet: true });
    const entry = { name, key: t.key, cancel: () => {} };
    const arm = (from: number) => {
      const at = sched.nextAtOrAfter(from);
      if (at === undefined) return;
      entry.cancel = this.clock.schedule(at - this.clock.now(), () => {
        runScheduledAction(this.ctx, t, name, action.MinCapacity, action.MaxCapacity);
        arm(at + 1);
      });
    };
    arm(opts.nowMs ?? this.clock.now());
    this.scheduled.push(entry);
  }

  /** Starts periodic alarm evaluation on the clock. */
  start(): void {
    if (this.cancelTick) return;
    const delay = this.tt.evaluationDelaySeconds * 1000;
    // Alarms read the periods ending at each tick, not at whenever the (late) timer ran; missed
    // ticks are evaluated in order. What they decide is stamped now: it reads the resource as it is
    // now (Updating or not), so a past tick's stamp could precede the update it waited for.
    let next = Math.floor((this.clock.now() - delay) / this.tickMs) * this.tickMs + this.tickMs + delay;
    const arm = () => {
      this.cancelTick = this.clock.schedule(next - this.clock.now(), () => {
        const now = this.clock.now();
        for (; next <= now; next += this.tickMs) this.evaluate(next, now);
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
        ? `Successfully set desired ${capacityNoun(a.ScalableDimension)} to ${a.toCapacity}. Change successfully fulfilled by ${a.ServiceNamespace}.`
        : `Failed to set desired ${capacityNoun(a.ScalableDimension)} to ${a.toCapacity}.`);
  }

  private removePolicy(p: PolicyState): void {
    const own = [p.tt?.high, p.tt?.low].filter(Boolean);
    for (let i = this.alarms.length - 1; i >= 0; i--) if (own.includes(this.alarms[i].alarm)) this.alarms.splice(i, 1);
    const list = p.target.policies;
    list.splice(list.indexOf(p), 1);
  }

  // ---- evaluation ----

  /** One round for the tick at `tick` (alarms whose period ends then, then their policies), acting at `now`. */
  evaluate(tick = this.clock.now(), now = tick): void {
    const end = tick - this.tt.evaluationDelaySeconds * 1000;
    const results = new Map<MetricAlarm, AlarmEvaluation>();
    for (const { alarm } of this.alarms) {
      if (end % (alarm.def.Period * 1000) !== 0) continue;
      results.set(alarm, alarm.evaluate(this.metrics, end));
    }
    if (results.size === 0) return;
    for (const t of this.targets.values()) evaluateTarget(this.ctx, t, results, now);
  }

  private findPolicy(ref: string): PolicyState | undefined {
    for (const t of this.targets.values()) for (const p of t.policies) if (p.arn === ref || p.name === ref) return p;
    return undefined;
  }
}
