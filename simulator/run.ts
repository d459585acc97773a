import { ApplicationAutoScaler, type ActivityRecord } from '../core/autoscaling/index.js';
import { Simulation } from './engine/simulation.js';
import { SystemModel } from './model/system.js';
import { Rng, STREAM } from '../core/random.js';
import type { Scenario } from './scenario.js';
import { ScenarioError } from './units.js';

export interface RunResult {
  scenario: Scenario;
  model: SystemModel;
  activities: ActivityRecord[];
  notScaled: ActivityRecord[];
  /**
   * Alarm history: state changes (CloudWatch's StateUpdate items) and, as Action items, each
   * policy invocation whose scaling activity SageMaker refused (the endpoint was Updating).
   */
  alarmHistory: { AlarmName: string; at: number; state: string; reason: string; historyItemType: 'StateUpdate' | 'Action' }[];
  policyArns: { PolicyName: string; PolicyARN: string; Alarms: string[] }[];
  fastEvents: number;
  slowEvents: number;
  /** Wall-clock time of the simulation itself (never written to report files: they must be reproducible). */
  wallMs: number;
}

/** Runs one scenario to its end. Deterministic: same scenario and seed, same result. */
export function runScenario(scenario: Scenario): RunResult {
  const t0 = performance.now();
  const sim = new Simulation(scenario.startMs);
  const model = new SystemModel(scenario, sim);
  model.start();
  let scaler: ApplicationAutoScaler | undefined;
  const policyArns: RunResult['policyArns'] = [];
  const sc = scenario.scaling;
  if (sc) {
    const ids = new Rng(scenario.seed, STREAM.ids);
    scaler = new ApplicationAutoScaler({ clock: sim.clock, metrics: model.metrics, uuid: () => ids.uuid(), targetTrackingAlarms: sc.targetTrackingAlarms });
    wrap('scaling.scalableTarget', () => scaler!.registerScalableTarget(sc.scalableTarget, model.fleet));
    sc.policies.forEach((p, i) => {
      const r = wrap(`scaling.policies[${i}]`, () => scaler!.putScalingPolicy(p));
      policyArns.push({ PolicyName: p.PolicyName!, PolicyARN: r.PolicyARN!, Alarms: (r.Alarms ?? []).map((a) => a.AlarmName!) });
    });
    sc.alarms.forEach((a, i) => wrap(`scaling.alarms[${i}]`, () => scaler!.putMetricAlarm(a)));
    sc.scheduledActions.forEach((a, i) => wrap(`scaling.scheduledActions[${i}]`, () => scaler!.putScheduledAction(a)));
    // A policy on a metric the model never publishes would silently never scale: refuse it.
    for (const [i, p] of sc.policies.entries()) {
      const m = p.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification;
      if (!m) continue;
      const q = { Namespace: m.Namespace ?? '', MetricName: m.MetricName ?? '', Dimensions: (m.Dimensions ?? []).map((d) => ({ Name: d.Name!, Value: d.Value! })), Statistic: (m.Statistic ?? 'Average') as 'Average' };
      if (!model.metrics.supports(q)) {
        throw new ScenarioError(
          `scaling.policies[${i}].TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification`,
          `the simulator publishes AWS/SageMaker Invocations, InvocationsPerInstance, ModelLatency, Invocation5XXErrors and /aws/sagemaker/Endpoints CPUUtilization, with dimensions EndpointName=${scenario.endpointName} and VariantName=${scenario.variantName}`,
        );
      }
    }
    for (const [i, a] of sc.alarms.entries()) {
      const q = { Namespace: a.Namespace ?? '', MetricName: a.MetricName ?? '', Dimensions: (a.Dimensions ?? []).map((d) => ({ Name: d.Name!, Value: d.Value! })), Statistic: (a.Statistic ?? 'Average') as 'Average' };
      if (!model.metrics.supports(q)) {
        throw new ScenarioError(
          `scaling.alarms[${i}]`,
          `the simulator publishes AWS/SageMaker Invocations, InvocationsPerInstance, ModelLatency, Invocation5XXErrors and /aws/sagemaker/Endpoints CPUUtilization, with dimensions EndpointName=${scenario.endpointName} and VariantName=${scenario.variantName}`,
        );
      }
    }
    scaler.start();
  }
  const end = scenario.startMs + scenario.durationMs;
  sim.run(end, model);
  model.finish();
  scaler?.stop();
  return {
    scenario,
    model,
    activities: scaler?.activityRecords() ?? [],
    notScaled: scaler ? scaler.activityRecords({ includeNotScaled: true }).filter((a) => a.NotScaledReasons) : [],
    alarmHistory: scaler ? withRefusedActions(scaler.alarmHistory(), scaler.activityRecords()) : [],
    policyArns,
    fastEvents: sim.fastEvents,
    slowEvents: sim.slowEvents,
    wallMs: performance.now() - t0,
  };
}

function wrap<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    throw new ScenarioError(where, (e as Error).message);
  }
}

/** Interleaves the refused scaling attempts into the alarm history, under the alarm that invoked the policy. */
function withRefusedActions(history: { AlarmName: string; at: number; state: string; reason: string }[], activities: ActivityRecord[]): RunResult['alarmHistory'] {
  const out: RunResult['alarmHistory'] = history.map((h) => ({ ...h, historyItemType: 'StateUpdate' as const }));
  for (const a of activities) {
    if (a.StatusCode !== 'Failed') continue;
    const m = /^monitor alarm (\S+) in state ALARM triggered policy (.+)$/.exec(a.Cause);
    if (!m) continue;
    out.push({ AlarmName: m[1], at: a.StartTime, state: 'ALARM', reason: `Action: invoked policy ${m[2]}; the scaling activity failed: ${a.StatusMessage ?? ''}`, historyItemType: 'Action' });
  }
  return out.sort((x, y) => x.at - y.at || x.AlarmName.localeCompare(y.AlarmName));
}
