import { randomUUID } from 'node:crypto';
import type * as AAS from '@aws-sdk/client-application-auto-scaling';
import { AutoScalingError } from '../../../core/autoscaling/index.js';
import type { OperationHandler } from '../../protocol/aws-json.js';
import type { RequestContext } from '../../protocol/context.js';
import { AwsError } from '../../protocol/errors.js';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { pageByOffset } from '../page-token.js';
import { scopeOf } from '../sagemaker/scope.js';
import type { EndpointService } from '../sagemaker/endpoints.js';
import {
  COMPONENT_DIMENSION,
  COMPONENT_RESOURCE,
  POLICY_KIND,
  SAGEMAKER_DIMENSION,
  SCHEDULED_KIND,
  TARGET_KIND,
  targetName,
  type AutoScalingHub,
  type StoredPolicy,
  type StoredScheduledAction,
  type StoredTarget,
  type TargetIds,
} from './hub.js';

const validation = (m: string) => new AwsError('ValidationException', m);
const objectNotFound = (m: string) => new AwsError('ObjectNotFoundException', m);
const invalidToken = () => new AwsError('InvalidNextTokenException', 'Invalid token');
const describeTarget = (ids: TargetIds) =>
  `service namespace: ${ids.ServiceNamespace}, resource ID: ${ids.ResourceId}, scalable dimension: ${ids.ScalableDimension}`;

/** The core's typed refusals become the wire error with the same code, at this edge. */
function edge<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof AutoScalingError) throw new AwsError(e.code, e.message);
    throw e;
  }
}

function page<T>(items: T[], req: { NextToken?: string; MaxResults?: number }) {
  // The model leaves MaxResults unbounded; the service documents and enforces 1-50.
  const m = req.MaxResults;
  if (m !== undefined && (m < 1 || m > 50)) {
    throw validation(`1 validation error detected: Value '${m}' at 'maxResults' failed to satisfy constraint: Member must have value ${m < 1 ? 'greater than or equal to 1' : 'less than or equal to 50'}`);
  }
  const { items: out, nextToken } = pageByOffset(items, req.NextToken, req.MaxResults ?? 50, invalidToken);
  return { out, NextToken: nextToken };
}

/**
 * Application Auto Scaling for SageMaker variants: targets, policies, scheduled actions and tags
 * are stored in SQLite; the hub's scaler does the scaling.
 */
export function createApplicationAutoScaling(deps: ServiceDeps, hub: AutoScalingHub, endpoints: EndpointService): Record<string, OperationHandler> {
  const db = deps.db;
  const now = () => new Date(deps.clock.now());

  function requireTarget(scope: Scope, ids: TargetIds): StoredTarget {
    const t = db.get<StoredTarget>(scope, TARGET_KIND, targetName(ids))?.data;
    if (!t) throw objectNotFound(`No scalable target registered for ${describeTarget(ids)}`);
    return t;
  }

  function checkSageMakerTarget(scope: Scope, ids: TargetIds): void {
    if (ids.ServiceNamespace !== 'sagemaker') {
      throw validation(`localsage scales SageMaker endpoint variants and inference components only; service namespace ${ids.ServiceNamespace} is not emulated.`);
    }
    const component = COMPONENT_RESOURCE.exec(ids.ResourceId ?? '')?.[1];
    if (component !== undefined && ids.ScalableDimension === COMPONENT_DIMENSION) {
      if (!hub.components?.peek(scope, component)) {
        throw validation(`The target resource 'inference-component/${component}' does not exist or is not in a state that allows registration.`);
      }
      return;
    }
    const m = /^endpoint\/([^/]+)\/variant\/([^/]+)$/.exec(ids.ResourceId ?? '');
    if (!m || ids.ScalableDimension !== SAGEMAKER_DIMENSION) {
      throw validation(`Unsupported service namespace, resource type or scalable dimension`);
    }
    const ep = endpoints.peek(scope, m[1]);
    if (!ep?.ProductionVariants?.some((v) => v.VariantName === m[2])) {
      throw validation(`The target resource 'endpoint/${m[1]}/variant/${m[2]}' does not exist or is not in a state that allows registration.`);
    }
  }

  const policiesOf = (scope: Scope, ids: TargetIds) => db.list<StoredPolicy>(scope, POLICY_KIND).filter((p) => targetName(p.data) === targetName(ids));

  return {
    RegisterScalableTarget: (req: AAS.RegisterScalableTargetRequest, ctx: RequestContext): AAS.RegisterScalableTargetResponse => {
      const scope = scopeOf(ctx);
      const name = targetName(req);
      const existing = db.get<StoredTarget>(scope, TARGET_KIND, name)?.data;
      if (existing && req.Tags && Object.keys(req.Tags).length) {
        throw validation('The scalable target that you tried to tag already exists. To update tags on an existing scalable target, use the TagResource API.');
      }
      if (!existing) checkSageMakerTarget(scope, req);
      const min = req.MinCapacity ?? existing?.MinCapacity;
      const max = req.MaxCapacity ?? existing?.MaxCapacity;
      if (min !== undefined && max !== undefined && min > max) throw validation('Minimum capacity cannot be greater than maximum capacity');
      edge(() => hub.scaler(scope).registerScalableTarget(req, hub.capacityTarget(scope, req.ResourceId!)));
      const stored: StoredTarget = {
        ServiceNamespace: req.ServiceNamespace!,
        ResourceId: req.ResourceId!,
        ScalableDimension: req.ScalableDimension!,
        MinCapacity: min!,
        MaxCapacity: max!,
        RoleARN: req.RoleARN ?? `arn:aws:iam::${scope.accountId}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
        SuspendedState: req.SuspendedState ?? existing?.SuspendedState ?? { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
        CreationTime: existing?.CreationTime ?? now(),
        ScalableTargetARN: existing?.ScalableTargetARN ?? `arn:aws:application-autoscaling:${scope.region}:${scope.accountId}:scalable-target/${randomUUID().replace(/-/g, '').slice(0, 28)}`,
      };
      if (existing) db.update(scope, TARGET_KIND, name, stored);
      else db.insert(scope, TARGET_KIND, name, stored.ScalableTargetARN, stored);
      if (req.Tags) db.addTags(stored.ScalableTargetARN, Object.entries(req.Tags).map(([Key, Value]) => ({ Key, Value })));
      hub.sync();
      return { ScalableTargetARN: stored.ScalableTargetARN };
    },

    DescribeScalableTargets: (req: AAS.DescribeScalableTargetsRequest, ctx: RequestContext): AAS.DescribeScalableTargetsResponse => {
      const scope = scopeOf(ctx);
      const scaler = hub.scaler(scope);
      const all = db
        .list<StoredTarget>(scope, TARGET_KIND)
        // Bounds a scheduled action has just moved, as the scaler holds them: the stored copy is
        // written by the hub's periodic sync, and Describe must not show the old minimum next to
        // the activity that says it was raised.
        .map((r) => {
          const b = scaler.bounds(r.data);
          return b ? { ...r.data, MinCapacity: b.min, MaxCapacity: b.max } : r.data;
        })
        .filter((t) => t.ServiceNamespace === req.ServiceNamespace && (!req.ResourceIds?.length || req.ResourceIds.includes(t.ResourceId)) && (!req.ScalableDimension || t.ScalableDimension === req.ScalableDimension));
      const { out, NextToken } = page(all, req);
      return { ScalableTargets: out as AAS.ScalableTarget[], NextToken };
    },

    DeregisterScalableTarget: (req: AAS.DeregisterScalableTargetRequest, ctx: RequestContext) => {
      const scope = scopeOf(ctx);
      if (!db.get(scope, TARGET_KIND, targetName(req))) throw objectNotFound(`No scalable target found for ${describeTarget(req)}`);
      hub.deregister(scope, req);
      return {};
    },

    PutScalingPolicy: (req: AAS.PutScalingPolicyRequest, ctx: RequestContext): AAS.PutScalingPolicyResponse => {
      const scope = scopeOf(ctx);
      requireTarget(scope, req);
      const key = `${targetName(req)}|${req.PolicyName}`;
      const existing = db.get<StoredPolicy>(scope, POLICY_KIND, key)?.data;
      const type = req.PolicyType ?? 'StepScaling';
      if (type === 'TargetTrackingScaling' && !req.TargetTrackingScalingPolicyConfiguration) throw validation('TargetTrackingScalingPolicyConfiguration is required for target tracking policies.');
      if (type === 'StepScaling' && !req.StepScalingPolicyConfiguration) throw validation('StepScalingPolicyConfiguration is required for step scaling policies.');
      if (type !== 'TargetTrackingScaling' && type !== 'StepScaling') throw validation(`Unsupported policy type ${type} for SageMaker variants.`);
      const out = edge(() => hub.scaler(scope).putScalingPolicy({ ...req, PolicyType: type }));
      const stored: StoredPolicy = {
        ...req,
        PolicyType: type,
        PolicyARN: out.PolicyARN!,
        Alarms: (out.Alarms ?? []).map((a) => ({ AlarmName: a.AlarmName!, AlarmARN: a.AlarmARN! })),
        CreationTime: existing?.CreationTime ?? now(),
      };
      if (existing) db.update(scope, POLICY_KIND, key, stored);
      else db.insert(scope, POLICY_KIND, key, stored.PolicyARN, stored);
      return type === 'TargetTrackingScaling' ? { PolicyARN: stored.PolicyARN, Alarms: stored.Alarms } : { PolicyARN: stored.PolicyARN };
    },

    DescribeScalingPolicies: (req: AAS.DescribeScalingPoliciesRequest, ctx: RequestContext): AAS.DescribeScalingPoliciesResponse => {
      const all = db
        .list<StoredPolicy>(scopeOf(ctx), POLICY_KIND)
        .map((r) => r.data)
        .filter(
          (p) =>
            p.ServiceNamespace === req.ServiceNamespace &&
            (!req.ResourceId || p.ResourceId === req.ResourceId) &&
            (!req.ScalableDimension || p.ScalableDimension === req.ScalableDimension) &&
            (!req.PolicyNames?.length || req.PolicyNames.includes(p.PolicyName!)),
        );
      const { out, NextToken } = page(all, req);
      return { ScalingPolicies: out as AAS.ScalingPolicy[], NextToken };
    },

    DeleteScalingPolicy: (req: AAS.DeleteScalingPolicyRequest, ctx: RequestContext) => {
      const scope = scopeOf(ctx);
      const key = `${targetName(req)}|${req.PolicyName}`;
      if (!db.get(scope, POLICY_KIND, key)) throw objectNotFound(`No scaling policy found for ${describeTarget(req)}, policy name: ${req.PolicyName}`);
      edge(() => hub.scaler(scope).deleteScalingPolicy(req));
      db.delete(scope, POLICY_KIND, key);
      return {};
    },

    DescribeScalingActivities: (req: AAS.DescribeScalingActivitiesRequest, ctx: RequestContext): AAS.DescribeScalingActivitiesResponse => {
      const scope = scopeOf(ctx);
      const all = hub
        .scaler(scope)
        .describeScalingActivities({ IncludeNotScaledActivities: req.IncludeNotScaledActivities })
        .filter((a) => a.ServiceNamespace === req.ServiceNamespace && (!req.ResourceId || a.ResourceId === req.ResourceId) && (!req.ScalableDimension || a.ScalableDimension === req.ScalableDimension));
      const { out, NextToken } = page(all, req);
      return { ScalingActivities: out, NextToken };
    },

    PutScheduledAction: (req: AAS.PutScheduledActionRequest, ctx: RequestContext) => {
      const scope = scopeOf(ctx);
      requireTarget(scope, req);
      const key = `${targetName(req)}|${req.ScheduledActionName}`;
      const existing = db.get<StoredScheduledAction>(scope, SCHEDULED_KIND, key)?.data;
      // PutScheduledAction updates an existing action: what is not given stays as it was.
      const merged: AAS.PutScheduledActionRequest = existing ? { ...stripStored(existing), ...definedOnly(req) } : req;
      if (!merged.Schedule) throw validation('Schedule is required when creating a scheduled action.');
      // One instant for both the stored CreationTime and the schedule's origin: a rate() action
      // first runs one interval after the CreationTime that Describe shows, not a few scaled
      // milliseconds before it.
      const requestTime = now();
      const creationTime = existing ? new Date(existing.CreationTime) : requestTime;
      edge(() => hub.scaler(scope).putScheduledAction(merged, { createdMs: creationTime.getTime(), nowMs: requestTime.getTime() }));
      const stored: StoredScheduledAction = {
        ...merged,
        ScheduledActionARN:
          existing?.ScheduledActionARN ??
          `arn:aws:autoscaling:${scope.region}:${scope.accountId}:scheduledAction:${randomUUID()}:resource/${req.ServiceNamespace}/${req.ResourceId}:scheduledActionName/${req.ScheduledActionName}`,
        CreationTime: creationTime,
      };
      if (existing) db.update(scope, SCHEDULED_KIND, key, stored);
      else db.insert(scope, SCHEDULED_KIND, key, stored.ScheduledActionARN, stored);
      return {};
    },

    DescribeScheduledActions: (req: AAS.DescribeScheduledActionsRequest, ctx: RequestContext): AAS.DescribeScheduledActionsResponse => {
      const all = db
        .list<StoredScheduledAction>(scopeOf(ctx), SCHEDULED_KIND)
        .map((r) => r.data)
        .filter(
          (a) =>
            a.ServiceNamespace === req.ServiceNamespace &&
            (!req.ResourceId || a.ResourceId === req.ResourceId) &&
            (!req.ScalableDimension || a.ScalableDimension === req.ScalableDimension) &&
            (!req.ScheduledActionNames?.length || req.ScheduledActionNames.includes(a.ScheduledActionName!)),
        );
      const { out, NextToken } = page(all, req);
      return { ScheduledActions: out as AAS.ScheduledAction[], NextToken };
    },

    DeleteScheduledAction: (req: AAS.DeleteScheduledActionRequest, ctx: RequestContext) => {
      const scope = scopeOf(ctx);
      const key = `${targetName(req)}|${req.ScheduledActionName}`;
      if (!db.get(scope, SCHEDULED_KIND, key)) throw objectNotFound(`No scheduled action found for ${describeTarget(req)}, scheduled action name: ${req.ScheduledActionName}`);
      edge(() => hub.scaler(scope).deleteScheduledAction(req, req.ScheduledActionName!, { quiet: true }));
      db.delete(scope, SCHEDULED_KIND, key);
      return {};
    },

    TagResource: (req: AAS.TagResourceRequest) => {
      requireTaggable(req.ResourceARN!);
      db.addTags(req.ResourceARN!, Object.entries(req.Tags ?? {}).map(([Key, Value]) => ({ Key, Value })));
      return {};
    },
    UntagResource: (req: AAS.UntagResourceRequest) => {
      requireTaggable(req.ResourceARN!);
      db.deleteTags(req.ResourceARN!, req.TagKeys ?? []);
      return {};
    },
    ListTagsForResource: (req: AAS.ListTagsForResourceRequest): AAS.ListTagsForResourceResponse => {
      requireTaggable(req.ResourceARN!);
      return { Tags: Object.fromEntries(db.tags(req.ResourceARN!).map((t) => [t.Key, t.Value])) };
    },
  };

  function requireTaggable(arn: string): void {
    const found = db.byArn(arn);
    if (!found || found.kind !== TARGET_KIND) {
      throw new AwsError('ResourceNotFoundException', `No scalable target found for ARN ${arn}.`, 400, { ResourceName: arn });
    }
  }
}

function stripStored(a: StoredScheduledAction): AAS.PutScheduledActionRequest {
  const { ScheduledActionARN: _a, CreationTime: _c, ...req } = a;
  return req;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
