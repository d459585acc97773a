import type * as CW from '@aws-sdk/client-cloudwatch';
import { AutoScalingError, type MetricAlarm } from '../../../core/autoscaling/index.js';
import type { OperationHandler } from '../../protocol/aws-json.js';
import type { RequestContext } from '../../protocol/context.js';
import { AwsError } from '../../protocol/errors.js';
import type { Scope } from '../../storage/database.js';
import { ALARM_KIND, POLICY_KIND, scalingActionsOnly, type AutoScalingHub, type StoredAlarm, type StoredPolicy } from '../autoscaling/hub.js';
import type { ServiceDeps } from '../deps.js';
import { pageByOffset } from '../page-token.js';
import { scopeOf } from '../sagemaker/scope.js';

const alarmArn = (scope: Scope, name: string) => `arn:aws:cloudwatch:${scope.region}:${scope.accountId}:alarm:${name}`;

/**
 * CloudWatch metric alarms. Every alarm, the user's and target tracking's own AlarmHigh/AlarmLow,
 * lives in the account's auto scaler, which evaluates it each period on the emulator's clock; an
 * alarm whose AlarmActions name a step scaling policy ARN drives that policy.
 */
export function createCloudWatchAlarms(deps: ServiceDeps, hub: AutoScalingHub): Record<string, OperationHandler> {
  const db = deps.db;

  function describe(scope: Scope, entry: { alarm: MetricAlarm; user: boolean }, policies: Map<string, StoredPolicy>): CW.MetricAlarm {
    const d = entry.alarm.def;
    const stored = entry.user ? db.get<StoredAlarm>(scope, ALARM_KIND, d.AlarmName)?.data : undefined;
    const policy = entry.user ? undefined : policies.get(d.AlarmActions[0]);
    const last = entry.alarm.history[entry.alarm.history.length - 1];
    const configured = stored?.AlarmConfigurationUpdatedTimestamp ?? policy?.CreationTime;
    return {
      AlarmName: d.AlarmName,
      AlarmArn: alarmArn(scope, d.AlarmName),
      AlarmDescription: stored ? stored.AlarmDescription : `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${d.AlarmActions[0]}.`,
      AlarmConfigurationUpdatedTimestamp: configured && new Date(configured),
      ActionsEnabled: stored?.ActionsEnabled ?? true,
      OKActions: stored?.OKActions ?? [],
      AlarmActions: stored?.AlarmActions ?? d.AlarmActions,
      InsufficientDataActions: stored?.InsufficientDataActions ?? [],
      StateValue: entry.alarm.state,
      StateReason: last?.reason ?? 'Unchecked: Initial alarm creation',
      StateUpdatedTimestamp: new Date(last?.at ?? (configured ? new Date(configured).getTime() : deps.clock.now())),
      MetricName: d.metric.MetricName,
      Namespace: d.metric.Namespace,
      Statistic: d.metric.Statistic,
      Dimensions: d.metric.Dimensions,
      Period: d.Period,
      Unit: stored?.Unit,
      EvaluationPeriods: d.EvaluationPeriods,
      DatapointsToAlarm: d.DatapointsToAlarm,
      Threshold: d.Threshold,
      ComparisonOperator: d.ComparisonOperator,
      TreatMissingData: d.TreatMissingData,
    };
  }

  return {
    PutMetricAlarm: (req: CW.PutMetricAlarmInput, ctx: RequestContext) => {
      const scope = scopeOf(ctx);
      if (req.Metrics?.length) throw new AwsError('InvalidParameterValue', 'localsage does not evaluate metric math alarms (Metrics); give MetricName, Namespace and Statistic.');
      if (!req.MetricName || !req.Namespace) throw new AwsError('ValidationError', 'MetricName and Namespace must be specified.');
      if (!req.Statistic && !req.ExtendedStatistic) throw new AwsError('ValidationError', 'Either Statistic or ExtendedStatistic must be specified.');
      if (req.ExtendedStatistic) throw new AwsError('InvalidParameterValue', 'localsage keeps no percentiles: ExtendedStatistic alarms are not emulated.');
      try {
        hub.scaler(scope).putMetricAlarm(scalingActionsOnly(req));
      } catch (e) {
        if (e instanceof AutoScalingError) throw new AwsError('ValidationError', e.message);
        throw e;
      }
      const stored: StoredAlarm = { ...req, AlarmArn: alarmArn(scope, req.AlarmName!), AlarmConfigurationUpdatedTimestamp: new Date(deps.clock.now()) };
      if (!db.insert(scope, ALARM_KIND, req.AlarmName!, stored.AlarmArn, stored)) db.update(scope, ALARM_KIND, req.AlarmName!, stored);
      if (req.Tags?.length) db.addTags(stored.AlarmArn, req.Tags);
      return {};
    },

    DescribeAlarms: (req: CW.DescribeAlarmsInput, ctx: RequestContext): CW.DescribeAlarmsOutput => {
      const scope = scopeOf(ctx);
      if (req.AlarmNames?.length && req.AlarmNamePrefix) throw new AwsError('InvalidParameterCombination', 'AlarmNames and AlarmNamePrefix cannot be specified together.');
      const policies = new Map(db.list<StoredPolicy>(scope, POLICY_KIND).map((p) => [p.data.PolicyARN, p.data]));
      const wantsMetric = !req.AlarmTypes?.length || req.AlarmTypes.includes('MetricAlarm');
      const alarms = hub
        .scaler(scope)
        .alarmList()
        .filter(({ alarm }) => {
          const d = alarm.def;
          return (
            wantsMetric &&
            (!req.AlarmNames?.length || req.AlarmNames.includes(d.AlarmName)) &&
            (!req.AlarmNamePrefix || d.AlarmName.startsWith(req.AlarmNamePrefix)) &&
            (!req.StateValue || alarm.state === req.StateValue) &&
            (!req.ActionPrefix || d.AlarmActions.some((a) => a.startsWith(req.ActionPrefix!)))
          );
        })
        .sort((a, b) => (a.alarm.def.AlarmName < b.alarm.def.AlarmName ? -1 : 1))
        .map((e) => describe(scope, e, policies));
      const { items, nextToken } = pageByOffset(alarms, req.NextToken, req.MaxRecords ?? 50, () => new AwsError('InvalidNextToken', 'The service cannot process the NextToken.'));
      return { MetricAlarms: items, CompositeAlarms: [], NextToken: nextToken };
    },

    DeleteAlarms: (req: CW.DeleteAlarmsInput, ctx: RequestContext) => {
      const scope = scopeOf(ctx);
      const names = req.AlarmNames ?? [];
      const known = new Set(hub.scaler(scope).alarmList().map((a) => a.alarm.def.AlarmName));
      const missing = names.filter((n) => !known.has(n));
      if (missing.length) throw new AwsError('ResourceNotFound', `${missing.join(', ')} not found`, 404);
      hub.scaler(scope).deleteAlarms(names);
      for (const n of names) db.delete(scope, ALARM_KIND, n);
      return {};
    },

    SetAlarmState: (req: CW.SetAlarmStateInput, ctx: RequestContext) => {
      if (!hub.scaler(scopeOf(ctx)).setAlarmState(req.AlarmName!, req.StateValue as 'OK', req.StateReason!)) {
        throw new AwsError('ResourceNotFound', `Alarm ${req.AlarmName} not found`, 404);
      }
      return {};
    },
  };
}
