import type {
  AutoRollbackConfig,
  CapacitySize,
  DeploymentConfig,
  InferenceComponentCapacitySize,
  InferenceComponentDeploymentConfig,
  ProductionVariant,
  TrafficRoutingConfig,
} from '@aws-sdk/client-sagemaker';
import { validation } from '../../protocol/errors.js';
import type { Clock } from '../../../core/clock.js';
import type { Scope } from '../../storage/database.js';

/**
 * Deployment guardrails (SageMaker developer guide, "Deployment guardrails for updating models in
 * production"): the rules shared by UpdateEndpoint's blue/green and rolling deployments and
 * UpdateInferenceComponent's rolling deployment. The service model's own constraints (ranges,
 * enums, required members) are checked by the protocol layer; what is here is what the service
 * refuses on top of them, and the traffic steps each policy makes.
 */

/** What the guardrails need from CloudWatch alarms (the emulator's own; set by the auto scaling hub). */
export interface AlarmWatch {
  /** The names among `names` that no alarm of the account and region has. */
  missing(scope: Scope, names: string[]): string[];
  /** The alarms among `names` that are in ALARM now, or went into ALARM at or after `sinceMs`. */
  tripped(scope: Scope, names: string[], sinceMs: number): string[];
}

/** How often a baking period looks at its alarms, in emulator time (a transition in between is still seen, from the alarm's history). */
export const ALARM_POLL_MS = 10_000;

export const alarmNames = (rollback: AutoRollbackConfig | undefined): string[] => (rollback?.Alarms ?? []).map((a) => a.AlarmName!);

/** Instances (or copies) in one step of `size` out of `total`: at least one, at most all. */
export function stepCount(size: CapacitySize | InferenceComponentCapacitySize | undefined, total: number): number {
  if (!size) return total;
  const n = size.Type === 'CAPACITY_PERCENT' ? Math.ceil((total * size.Value!) / 100) : size.Value!;
  return Math.max(1, Math.min(total, n));
}

/** A step size as a share of `total`, in percent (what the documented 5-50% / 10-50% bounds are about). */
function percentOf(size: CapacitySize | InferenceComponentCapacitySize, total: number): number {
  return size.Type === 'CAPACITY_PERCENT' ? size.Value! : (100 * size.Value!) / Math.max(1, total);
}

/**
 * The green fleet's share of the traffic after each step of a blue/green deployment: one step for
 * ALL_AT_ONCE, the canary then the rest for CANARY, equal steps for LINEAR. Each step is followed
 * by a baking period of WaitIntervalInSeconds (the last one is the final baking period).
 */
export function trafficSteps(routing: TrafficRoutingConfig, greenInstances: number): number[] {
  const share = (size: CapacitySize) => Math.min(1, size.Type === 'CAPACITY_PERCENT' ? size.Value! / 100 : size.Value! / Math.max(1, greenInstances));
  if (routing.Type === 'CANARY') {
    const canary = share(routing.CanarySize!);
    return canary < 1 ? [canary, 1] : [1];
  }
  if (routing.Type === 'LINEAR') {
    const step = share(routing.LinearStepSize!);
    const steps: number[] = [];
    for (let k = 1; k * step < 1 - 1e-9; k++) steps.push(k * step);
    return [...steps, 1];
  }
  return [1];
}

/**
 * UpdateEndpoint's DeploymentConfig as SageMaker refuses it: one update policy only; the new
 * configuration keeps the variant names (the guide's "Exclusions"); a canary of at most half the
 * green fleet, linear steps of 10-50% of it, rolling batches of 5-50% of the variant; rolling
 * deployments only for a single instance-based variant; alarms that exist; a timeout longer
 * than the waits it has to cover.
 */
export function checkEndpointDeploymentConfig(
  dc: DeploymentConfig,
  current: ProductionVariant[],
  next: ProductionVariant[],
  missingAlarms: string[],
): void {
  const blueGreen = dc.BlueGreenUpdatePolicy;
  const rolling = dc.RollingUpdatePolicy;
  if (blueGreen && rolling) throw validation('Only one update policy can be specified in DeploymentConfig: BlueGreenUpdatePolicy or RollingUpdatePolicy.');
  const names = (vs: ProductionVariant[]) => vs.map((v) => v.VariantName!).sort().join(', ');
  if (names(current) !== names(next)) {
    throw validation(`The new endpoint configuration must have the same variant names as the current one when DeploymentConfig is specified: current [${names(current)}], new [${names(next)}].`);
  }
  if (missingAlarms.length) throw validation(`The following alarm(s) in AutoRollbackConfiguration do not exist: [${missingAlarms.join(', ')}].`);
  if (blueGreen) {
    const routing = blueGreen.TrafficRoutingConfiguration!;
    const { CanarySize: canary, LinearStepSize: linear } = routing;
    if (routing.Type === 'CANARY' && !canary) throw validation('CanarySize must be specified when the traffic routing type is CANARY.');
    if (routing.Type === 'LINEAR' && !linear) throw validation('LinearStepSize must be specified when the traffic routing type is LINEAR.');
    if (routing.Type !== 'CANARY' && canary) throw validation(`CanarySize can only be specified when the traffic routing type is CANARY, not ${routing.Type}.`);
    if (routing.Type !== 'LINEAR' && linear) throw validation(`LinearStepSize can only be specified when the traffic routing type is LINEAR, not ${routing.Type}.`);
    for (const v of next) {
      const count = v.InitialInstanceCount ?? 1;
      if (canary && percentOf(canary, count) > 50) {
        throw validation(`CanarySize must be less than or equal to 50% of the instance count of variant "${v.VariantName}" (${count}).`);
      }
      if (linear && (percentOf(linear, count) < 10 || percentOf(linear, count) > 50)) {
        throw validation(`LinearStepSize must be between 10% and 50% of the instance count of variant "${v.VariantName}" (${count}).`);
      }
    }
    const waits = (blueGreen.TerminationWaitInSeconds ?? 0) + routing.WaitIntervalInSeconds!;
    if (blueGreen.MaximumExecutionTimeoutInSeconds !== undefined && blueGreen.MaximumExecutionTimeoutInSeconds <= waits) {
      throw validation(`MaximumExecutionTimeoutInSeconds (${blueGreen.MaximumExecutionTimeoutInSeconds}) must be larger than the total of TerminationWaitInSeconds and WaitIntervalInSeconds (${waits}).`);
    }
  }
  if (rolling) {
    if (next.length > 1) throw validation('Rolling deployments are not supported for endpoints with multiple production variants.');
    if (next.some((v) => v.ServerlessConfig)) throw validation('Rolling deployments are not supported for serverless endpoints.');
    const count = next[0].InitialInstanceCount ?? 1;
    const pct = percentOf(rolling.MaximumBatchSize!, count);
    if (pct < 5 || pct > 50) throw validation(`MaximumBatchSize must be between 5% and 50% of the instance count of variant "${next[0].VariantName}" (${count}).`);
    if (rolling.MaximumExecutionTimeoutInSeconds !== undefined && rolling.MaximumExecutionTimeoutInSeconds <= rolling.WaitIntervalInSeconds!) {
      throw validation(`MaximumExecutionTimeoutInSeconds (${rolling.MaximumExecutionTimeoutInSeconds}) must be larger than WaitIntervalInSeconds (${rolling.WaitIntervalInSeconds}).`);
    }
  }
}

/** UpdateInferenceComponent's DeploymentConfig: a batch of 5-50% of the copies, alarms that exist. */
export function checkComponentDeploymentConfig(dc: InferenceComponentDeploymentConfig, copies: number, missingAlarms: string[]): void {
  if (missingAlarms.length) throw validation(`The following alarm(s) in AutoRollbackConfiguration do not exist: [${missingAlarms.join(', ')}].`);
  const rolling = dc.RollingUpdatePolicy!;
  const pct = percentOf(rolling.MaximumBatchSize!, copies);
  if (pct < 5 || pct > 50) throw validation(`MaximumBatchSize must be between 5% and 50% of the copy count of the inference component (${copies}).`);
  if (rolling.MaximumExecutionTimeoutInSeconds !== undefined && rolling.MaximumExecutionTimeoutInSeconds <= rolling.WaitIntervalInSeconds!) {
    throw validation(`MaximumExecutionTimeoutInSeconds (${rolling.MaximumExecutionTimeoutInSeconds}) must be larger than WaitIntervalInSeconds (${rolling.WaitIntervalInSeconds}).`);
  }
}

/**
 * The guide's exclusions: an endpoint on Inf1 instances cannot use guardrails and falls back to a
 * blue/green deployment with all at once traffic shifting and no final baking period.
 */
export function withExclusions(dc: DeploymentConfig, next: ProductionVariant[]): DeploymentConfig {
  if (!next.some((v) => v.InstanceType?.startsWith('ml.inf1.'))) return dc;
  return { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 } } };
}

/** Why a deployment was rolled back, as DescribeEndpoint / DescribeInferenceComponent's FailureReason. */
export const rollbackReason = {
  alarms: (what: string, tripped: string[]) => `${what} was rolled back because the following alarm(s) went into ALARM state during the deployment: [${tripped.join(', ')}].`,
  timeout: (what: string, seconds: number) => `${what} was rolled back because the deployment did not complete within MaximumExecutionTimeoutInSeconds (${seconds} seconds).`,
  restart: (what: string) => `${what} was rolled back because localsage restarted during the deployment: the new fleet did not survive the restart and its alarms went unwatched.`,
};

/** How a baking period ended: it ran its course, the deployment was superseded, or it must roll back. */
export type BakeVerdict = 'ok' | 'gone' | { reason: string };

/**
 * A baking period of `ms`: the alarms are looked at every ALARM_POLL_MS and at its end; any that
 * was in ALARM since the period began trips it, and so does MaximumExecutionTimeoutInSeconds
 * counted from the deployment's start. `stillCurrent` says whether this deployment is still the
 * resource's (a delete or a newer update ends the wait as 'gone').
 */
export async function bake(opts: {
  clock: Clock;
  ms: number;
  what: string;
  alarms: AlarmWatch | undefined;
  scope: Scope;
  alarmNames: string[];
  startedAt: number;
  timeoutSeconds: number | undefined;
  stillCurrent: () => boolean;
}): Promise<BakeVerdict> {
  const { clock, alarms, scope, alarmNames: names, timeoutSeconds } = opts;
  const since = clock.now();
  const end = since + opts.ms;
  const deadline = timeoutSeconds === undefined ? Infinity : opts.startedAt + timeoutSeconds * 1000;
  for (;;) {
    if (!opts.stillCurrent()) return 'gone';
    const tripped = names.length ? (alarms?.tripped(scope, names, since) ?? []) : [];
    if (tripped.length) return { reason: rollbackReason.alarms(opts.what, tripped) };
    if (clock.now() >= deadline) return { reason: rollbackReason.timeout(opts.what, timeoutSeconds!) };
    if (clock.now() >= end) return 'ok';
    await clock.sleep(Math.min(ALARM_POLL_MS, end - clock.now(), Math.max(0, deadline - clock.now())));
  }
}
