import { ApplicationAutoScaler, type ActivityRecord, type RegisterScalableTargetRequest, type CapacityTarget, type PutMetricAlarmInput, type PutScalingPolicyRequest, type PutScheduledActionRequest } from '../../../core/autoscaling/index.js';
import type { Scope } from '../../storage/database.js';
import type { MetricStore } from '../cloudwatch/metric-store.js';
import type { ServiceDeps } from '../deps.js';
import type { AlarmWatch } from '../sagemaker/deployment-guardrails.js';
import type { EndpointService } from '../sagemaker/endpoints.js';
import type { InferenceComponentService } from '../sagemaker/inference-components.js';

export const TARGET_KIND = 'autoscaling-target';
export const POLICY_KIND = 'autoscaling-policy';
export const SCHEDULED_KIND = 'autoscaling-scheduled-action';
export const ACTIVITY_KIND = 'autoscaling-activity';
export const ALARM_KIND = 'cloudwatch-alarm';

export const SAGEMAKER_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
export const COMPONENT_DIMENSION = 'sagemaker:inference-component:DesiredCopyCount';

export interface TargetIds {
  ServiceNamespace?: string;
  ResourceId?: string;
  ScalableDimension?: string;
}

export interface StoredTarget {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  SuspendedState?: { DynamicScalingInSuspended?: boolean; DynamicScalingOutSuspended?: boolean; ScheduledScalingSuspended?: boolean };
  CreationTime: Date;
  ScalableTargetARN: string;
}

export type StoredPolicy = PutScalingPolicyRequest & { PolicyARN: string; Alarms: { AlarmName: string; AlarmARN: string }[]; CreationTime: Date };
export type StoredScheduledAction = PutScheduledActionRequest & { ScheduledActionARN: string; CreationTime: Date };
export type StoredAlarm = PutMetricAlarmInput & { AlarmArn: string; AlarmConfigurationUpdatedTimestamp: Date };

export const targetName = (ids: TargetIds) => `${ids.ServiceNamespace}|${ids.ResourceId}|${ids.ScalableDimension}`;
const scopeKey = (s: Scope) => `${s.accountId}/${s.region}`;
const VARIANT_RESOURCE = /^endpoint\/([^/]+)\/variant\/([^/]+)$/;
export const COMPONENT_RESOURCE = /^inference-component\/([^/]+)$/;

/**
 * The live side of Application Auto Scaling: one core ApplicationAutoScaler per account and
 * region, on the emulator's clock (real or --clock-scale), reading the CloudWatch metric store
 * and acting on SageMaker variants through UpdateEndpointWeightsAndCapacities. What it decides
 * (activities, bounds moved by scheduled actions) is written to SQLite by sync(); recover()
 * rebuilds every scaler from the stored targets, policies, alarms, actions and activities.
 */
export class AutoScalingHub {
  private readonly scalers = new Map<string, ApplicationAutoScaler>();
  private readonly saved = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly metrics: MetricStore,
    private readonly endpoints: EndpointService,
    readonly components?: InferenceComponentService,
  ) {
    if (components) {
      components.componentDeleted = (scope, name) => {
        for (const r of this.deps.db.list<StoredTarget>(scope, TARGET_KIND)) if (r.data.ResourceId === `inference-component/${name}`) this.deregister(scope, r.data);
      };
    }
    // Deployment guardrails watch the same alarms (AutoRollbackConfiguration).
    const alarms: AlarmWatch = {
      missing: (scope, names) => {
        const known = new Set(this.scaler(scope).alarmList().map((a) => a.alarm.def.AlarmName));
        return names.filter((n) => !known.has(n));
      },
      tripped: (scope, names, sinceMs) =>
        this.scaler(scope)
          .alarmList()
          .filter(({ alarm }) => names.includes(alarm.def.AlarmName) && (alarm.state === 'ALARM' || alarm.history.some((h) => h.state === 'ALARM' && h.at >= sinceMs)))
          .map(({ alarm }) => alarm.def.AlarmName),
    };
    endpoints.alarms = alarms;
    if (components) components.alarms = alarms;
    endpoints.scaling = {
      registeredVariants: (scope, endpointName) =>
        this.deps.db
          .list<StoredTarget>(scope, TARGET_KIND)
          .map((r) => VARIANT_RESOURCE.exec(r.data.ResourceId))
          .filter((m): m is RegExpExecArray => !!m && m[1] === endpointName)
          .map((m) => m[2]),
      endpointDeleted: (scope, endpointName) => this.endpointDeleted(scope, endpointName),
    };
    // Activities change inside the scaler (a capacity change completing); write them out often.
    this.timer = setInterval(() => this.sync(), 1000);
    this.timer.unref();
  }

  scaler(scope: Scope): ApplicationAutoScaler {
    let s = this.scalers.get(scopeKey(scope));
    if (!s) {
      s = new ApplicationAutoScaler({ clock: this.deps.clock, metrics: this.metrics.sourceFor(scope), region: scope.region, account: scope.accountId });
      s.start();
      this.scalers.set(scopeKey(scope), s);
    }
    return s;
  }

  /** A SageMaker variant as a scalable resource: its DesiredInstanceCount, moved the way SageMaker moves it. */
  capacityTarget(scope: Scope, resourceId: string): CapacityTarget {
    const component = COMPONENT_RESOURCE.exec(resourceId)?.[1];
    if (component !== undefined && this.components) return this.componentTarget(scope, this.components, component);
    const [, endpointName, variantName] = VARIANT_RESOURCE.exec(resourceId) ?? [];
    const variant = () => this.endpoints.peek(scope, endpointName)?.ProductionVariants?.find((v) => v.VariantName === variantName);
    return {
      desiredCapacity: () => variant()?.DesiredInstanceCount ?? 0,
      // Any status but InService refuses UpdateEndpointWeightsAndCapacities, the scale-out's own update included.
      isUpdating: () => {
        const status = this.endpoints.peek(scope, endpointName)?.EndpointStatus;
        return status !== undefined && status !== 'InService';
      },
      setDesiredCapacity: (count, done) => {
        // The scaler has just recorded the activity: store it before any request can see it.
        queueMicrotask(() => this.sync());
        try {
          void this.endpoints.setVariantCapacity(scope, endpointName, variantName, count).then((at) => {
            // The activity ends at the instant the endpoint went InService, not a later read.
            done({ status: 'Successful', at });
            this.sync();
          });
        } catch (e) {
          done({ status: 'Failed', message: `Failed to set desired instance count to ${count}. Reason: ${(e as Error).message}` });
        }
      },
    };
  }

  /** An inference component as a scalable resource: its DesiredCopyCount, moved by UpdateInferenceComponentRuntimeConfig. */
  private componentTarget(scope: Scope, components: InferenceComponentService, name: string): CapacityTarget {
    return {
      desiredCapacity: () => components.peek(scope, name)?.desiredCopies ?? 0,
      isUpdating: () => {
        const status = components.peek(scope, name)?.status;
        return status !== undefined && status !== 'InService';
      },
      setDesiredCapacity: (count, done) => {
        queueMicrotask(() => this.sync());
        const failed = (reason: string) => done({ status: 'Failed', message: `Failed to set desired copy count to ${count}. Reason: ${reason}` });
        try {
          void components.scaleCopies(scope, name, count).then((failure) => {
            if (failure) failed(failure);
            else done({ status: 'Successful' });
            this.sync();
          });
        } catch (e) {
          failed((e as Error).message);
        }
      },
    };
  }

  /** Writes activities that changed and bounds that scheduled actions moved. */
  sync(): void {
    for (const [key, scaler] of this.scalers) {
      const [accountId, region] = key.split('/');
      const scope = { accountId, region };
      for (const a of scaler.activityRecords({ includeNotScaled: true })) {
        const json = JSON.stringify(a);
        if (this.saved.get(a.ActivityId) === json) continue;
        if (!this.deps.db.insert(scope, ACTIVITY_KIND, a.ActivityId, `localsage:activity:${a.ActivityId}`, a)) this.deps.db.update(scope, ACTIVITY_KIND, a.ActivityId, a);
        this.saved.set(a.ActivityId, json);
      }
      for (const r of this.deps.db.list<StoredTarget>(scope, TARGET_KIND)) {
        const b = scaler.bounds(r.data);
        if (b && (b.min !== r.data.MinCapacity || b.max !== r.data.MaxCapacity)) {
          this.deps.db.update(scope, TARGET_KIND, r.name, { ...r.data, MinCapacity: b.min, MaxCapacity: b.max });
        }
      }
    }
  }

  /** DeleteEndpoint: its targets go, with their policies, alarms and scheduled actions. */
  endpointDeleted(scope: Scope, endpointName: string): void {
    for (const r of this.deps.db.list<StoredTarget>(scope, TARGET_KIND)) {
      if (VARIANT_RESOURCE.exec(r.data.ResourceId)?.[1] === endpointName) this.deregister(scope, r.data);
    }
  }

  /** Removes a target and everything stored under it (the caller has checked that it exists). */
  deregister(scope: Scope, ids: TargetIds): void {
    const name = targetName(ids);
    try {
      this.scaler(scope).deregisterScalableTarget(ids);
    } catch {
      // Already gone from the scaler (e.g. it failed to restore): the stored records still go.
    }
    for (const p of this.deps.db.list<StoredPolicy>(scope, POLICY_KIND)) if (targetName(p.data) === name) this.deps.db.delete(scope, POLICY_KIND, p.name);
    for (const a of this.deps.db.list<StoredScheduledAction>(scope, SCHEDULED_KIND)) if (targetName(a.data) === name) this.deps.db.delete(scope, SCHEDULED_KIND, a.name);
    this.deps.db.delete(scope, TARGET_KIND, name);
  }

  /** After a restart: every scaler as it was, and capacity changes under way followed to their end. */
  recover(): void {
    const restore = (what: string, f: () => void) => {
      try {
        f();
      } catch (e) {
        this.deps.log(`auto scaling: could not restore ${what}: ${(e as Error).message}`);
      }
    };
    for (const r of this.deps.db.listEverywhere<StoredTarget>(TARGET_KIND)) {
      const t = r.data;
      restore(t.ResourceId, () => this.scaler(r.scope).registerScalableTarget({ ...t } as RegisterScalableTargetRequest, this.capacityTarget(r.scope, t.ResourceId)));
    }
    for (const r of this.deps.db.listEverywhere<StoredPolicy>(POLICY_KIND)) {
      const { PolicyARN, Alarms, CreationTime: _c, ...req } = r.data;
      restore(r.data.PolicyName!, () => this.scaler(r.scope).putScalingPolicy(req, { PolicyARN, AlarmNames: Alarms.map((a) => a.AlarmName) }));
    }
    for (const r of this.deps.db.listEverywhere<StoredAlarm>(ALARM_KIND)) {
      restore(r.name, () => this.scaler(r.scope).putMetricAlarm(scalingActionsOnly(r.data)));
    }
    for (const r of this.deps.db.listEverywhere<StoredScheduledAction>(SCHEDULED_KIND)) {
      const { ScheduledActionARN: _a, CreationTime, ...req } = r.data;
      restore(r.name, () => this.scaler(r.scope).putScheduledAction(req, { createdMs: new Date(CreationTime).getTime() }));
    }
    const byScope = new Map<string, { scope: Scope; records: ActivityRecord[] }>();
    for (const r of this.deps.db.listEverywhere<ActivityRecord>(ACTIVITY_KIND)) {
      const k = scopeKey(r.scope);
      if (!byScope.has(k)) byScope.set(k, { scope: r.scope, records: [] });
      byScope.get(k)!.records.push(r.data);
      this.saved.set(r.data.ActivityId, JSON.stringify(r.data));
    }
    for (const { scope, records } of byScope.values()) {
      records.sort((a, b) => a.StartTime - b.StartTime);
      this.scaler(scope).restoreActivities(records);
      for (const a of records) if (a.EndTime === undefined) this.follow(scope, a);
    }
  }

  /** An activity whose capacity change outlived the process: done when its endpoint is InService again. */
  private follow(scope: Scope, a: ActivityRecord): void {
    const component = COMPONENT_RESOURCE.exec(a.ResourceId)?.[1];
    if (component !== undefined) {
      // A copy-count change the restart cut short is re-placed by the component's own recovery.
      const check = () => {
        const c = this.components?.peek(scope, component);
        if (!c) this.scaler(scope).completeActivity(a.ActivityId, { status: 'Failed', message: `Failed to set desired copy count to ${a.toCapacity}. Reason: the inference component was deleted.` });
        else if (c.status !== 'Updating') this.scaler(scope).completeActivity(a.ActivityId, { status: 'Successful' });
        else return void this.deps.clock.schedule(5_000, check);
        this.sync();
      };
      return check();
    }
    const endpointName = VARIANT_RESOURCE.exec(a.ResourceId)?.[1] ?? '';
    const check = () => {
      const ep = this.endpoints.peek(scope, endpointName);
      if (!ep) this.scaler(scope).completeActivity(a.ActivityId, { status: 'Failed', message: `Failed to set desired instance count to ${a.toCapacity}. Reason: the endpoint was deleted.` });
      else if (ep.EndpointStatus === 'InService') this.scaler(scope).completeActivity(a.ActivityId, { status: 'Successful' });
      else return void this.deps.clock.schedule(5_000, check);
      this.sync();
    };
    check();
  }

  close(): void {
    clearInterval(this.timer);
    for (const s of this.scalers.values()) s.stop();
    this.sync();
  }
}

/** A CloudWatch alarm as the scaler sees it: only actions that name scaling policies matter to it. */
export function scalingActionsOnly(a: PutMetricAlarmInput): PutMetricAlarmInput {
  return { ...a, AlarmActions: (a.AlarmActions ?? []).filter((arn) => arn.startsWith('arn:aws:autoscaling:')) };
}
