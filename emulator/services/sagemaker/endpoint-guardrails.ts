import type { DeploymentConfig, PendingDeploymentSummary, ProductionVariantSummary, VariantStatus } from '@aws-sdk/client-sagemaker';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import type { ServingRegistry, ServingVariant } from '../runtime/serving-registry.js';
import { alarmNames, bake, rollbackReason, stepCount, trafficSteps, type AlarmWatch, type BakeVerdict } from './deployment-guardrails.js';
import type { EndpointConfigRecord } from './endpoint-configs.js';
import type { LoadedVariants } from './endpoint-deploy.js';
import type { EndpointRecord } from './endpoints.js';

/**
 * A guarded UpdateEndpoint under way, stored on the endpoint (never shown to a client: the
 * output shape drops it) so that a restart knows to roll it back.
 */
export interface GuardedDeployment {
  /** Tells this deployment's steps from a later one's: a step whose deployment is gone does nothing. */
  id: string;
  kind: 'blue-green' | 'rolling';
  /** The DeploymentConfig performed: the one asked for, unless an exclusion forced the fallback. */
  config: DeploymentConfig;
  /** The DeploymentConfig asked for: LastDeploymentConfig once the deployment ends. */
  requested: DeploymentConfig;
  /** The new (green) endpoint configuration. */
  configName: string;
  startedAt: number;
  /** The blue fleet as it was: what a rollback restores. */
  blue: ProductionVariantSummary[];
}

/** What the deployment needs from the endpoint service. */
export interface GuardedEndpointHost {
  get(scope: Scope, name: string): EndpointRecord | undefined;
  save(scope: Scope, ep: EndpointRecord): void;
  /** Loads every variant of a configuration (the green fleet's models). */
  load(scope: Scope, ep: EndpointRecord, configName: string): Promise<LoadedVariants>;
  /** Serves `loaded` as the endpoint's configuration; returns the record InService on it (not saved). */
  commit(scope: Scope, ep: EndpointRecord, configName: string, loaded: LoadedVariants): EndpointRecord;
  /** FailureReason for a green fleet that could not be loaded. */
  reason(e: unknown): string;
  /** One instance start-up, drawn from the timing profile. */
  warmup(): number;
  alarms(): AlarmWatch | undefined;
}

type Verdict = BakeVerdict;

let sequence = 0;

/**
 * UpdateEndpoint with a DeploymentConfig, performed on the emulator's clock (SageMaker developer
 * guide, "Blue/Green Deployments" and "Use rolling deployments"). The endpoint stays Updating on
 * its old EndpointConfigName while PendingDeploymentSummary shows the new one. Blue/green: the
 * whole green fleet starts (an instance warm-up, its models loading meanwhile), then traffic
 * moves to it in the policy's steps, each followed by a baking period of WaitIntervalInSeconds
 * during which the AutoRollbackConfiguration alarms are watched; after TerminationWaitInSeconds
 * the blue fleet goes and the endpoint is InService on the new configuration. Rolling: batches
 * of MaximumBatchSize instances start, take their share of traffic, bake, and then as many old
 * instances go. An alarm in ALARM (or MaximumExecutionTimeoutInSeconds passing) rolls traffic
 * back to the blue fleet: InService on the old configuration, with FailureReason and
 * LastDeploymentConfig set.
 */
export class GuardedEndpointDeployments {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly serving: ServingRegistry,
    private readonly host: GuardedEndpointHost,
  ) {}

  start(scope: Scope, ep: EndpointRecord, configName: string, config: EndpointConfigRecord, requested: DeploymentConfig, performed: DeploymentConfig): void {
    const now = this.deps.clock.now();
    const d: GuardedDeployment = {
      id: `${now}-${++sequence}`,
      kind: performed.RollingUpdatePolicy ? 'rolling' : 'blue-green',
      config: performed,
      requested,
      configName,
      startedAt: now,
      blue: ep.ProductionVariants ?? [],
    };
    this.host.save(scope, {
      ...ep,
      EndpointStatus: 'Updating',
      LastModifiedTime: new Date(now),
      GuardedDeployment: d,
      PendingDeploymentSummary: pendingSummary(configName, config, 'Creating', now, () => 0, new Date(now)),
    });
    const run = d.kind === 'rolling' ? this.rolling(scope, ep.EndpointName!, d, config) : this.blueGreen(scope, ep.EndpointName!, d, config);
    run.catch((e: Error) => this.deps.log(`endpoint ${ep.EndpointName}: deployment failed: ${e.message}`));
  }

  /**
   * After a restart: the deployment rolls back rather than resuming. The green fleet (its models,
   * containers and traffic split) lived in the process that stopped, and nobody watched the
   * alarms while it was down, so the guardrail can no longer vouch for the new fleet; the blue
   * fleet is the configuration known to have served. Returns the record to serve from.
   */
  interrupted(ep: EndpointRecord): EndpointRecord {
    const d = ep.GuardedDeployment!;
    return this.rolledBack(ep, d, rollbackReason.restart('Endpoint update'));
  }

  private async blueGreen(scope: Scope, name: string, d: GuardedDeployment, config: EndpointConfigRecord): Promise<void> {
    const policy = d.config.BlueGreenUpdatePolicy;
    const routing = policy?.TrafficRoutingConfiguration ?? { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 };
    const green = await this.provision(scope, name, d, this.host.warmup());
    if (green === 'gone') return;
    if ('reason' in green) return this.fail(scope, name, d, green.reason);
    const instances = (v: string) => config.ProductionVariants?.find((x) => x.VariantName === v)?.InitialInstanceCount ?? 1;
    for (const share of trafficSteps(routing, instances(config.ProductionVariants![0].VariantName!))) {
      this.stage(scope, name, d, config, 'ActivatingTraffic', instances);
      this.split(scope, name, green, share);
      this.stage(scope, name, d, config, 'Baking', instances);
      const verdict = await this.bake(scope, name, d, routing.WaitIntervalInSeconds! * 1000);
      if (verdict === 'gone') return stopAll(green);
      if (verdict !== 'ok') return this.rollBack(scope, name, d, green, verdict.reason);
    }
    await this.deps.clock.sleep((policy?.TerminationWaitInSeconds ?? 0) * 1000);
    if (!this.current(scope, name, d)) return stopAll(green);
    this.complete(scope, name, d, green);
  }

  private async rolling(scope: Scope, name: string, d: GuardedDeployment, config: EndpointConfigRecord): Promise<void> {
    const policy = d.config.RollingUpdatePolicy!;
    const variantName = config.ProductionVariants![0].VariantName!;
    const target = config.ProductionVariants![0].InitialInstanceCount ?? 1;
    const blueStart = d.blue.find((v) => v.VariantName === variantName)?.CurrentInstanceCount ?? 1;
    const batch = stepCount(policy.MaximumBatchSize, target);
    let green = 0;
    let blue = blueStart;
    let loaded: LoadedVariants | undefined;
    while (green < target) {
      const add = Math.min(batch, target - green);
      this.stage(scope, name, d, config, 'Creating', () => green);
      if (!loaded) {
        const first = await this.provision(scope, name, d, this.host.warmup());
        if (first === 'gone') return;
        if ('reason' in first) return this.fail(scope, name, d, first.reason);
        loaded = first;
      } else {
        await this.deps.clock.sleep(this.host.warmup());
        if (!this.current(scope, name, d)) return stopAll(loaded);
      }
      green += add;
      this.counts(scope, name, loaded, variantName, blue, green);
      this.stage(scope, name, d, config, 'Baking', () => green);
      const verdict = await this.bake(scope, name, d, policy.WaitIntervalInSeconds! * 1000);
      if (verdict === 'gone') return stopAll(loaded);
      if (verdict !== 'ok') {
        // Back to the old fleet in batches of RollbackMaximumBatchSize (all at once by default).
        const back = stepCount(policy.RollbackMaximumBatchSize, blueStart);
        while (blue < blueStart) {
          await this.deps.clock.sleep(this.host.warmup());
          if (!this.current(scope, name, d)) return stopAll(loaded);
          blue = Math.min(blueStart, blue + back);
          green = Math.max(0, green - back);
          this.counts(scope, name, loaded, variantName, blue, green);
        }
        return this.rollBack(scope, name, d, loaded, verdict.reason);
      }
      // The batch baked: as many old instances go (all of them once the new fleet is complete).
      blue = green >= target ? 0 : Math.max(0, blue - add);
      this.counts(scope, name, loaded, variantName, blue, green);
    }
    this.complete(scope, name, d, loaded!);
  }

  /** The green fleet's models load while its instances start; 'gone' when the deployment was superseded. */
  private async provision(scope: Scope, name: string, d: GuardedDeployment, warmupMs: number): Promise<LoadedVariants | 'gone' | { reason: string }> {
    const ep = this.current(scope, name, d);
    if (!ep) return 'gone';
    const loading = this.host.load(scope, ep, d.configName).then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    await this.deps.clock.sleep(warmupMs);
    const outcome = await loading;
    if (!this.current(scope, name, d)) {
      if (outcome.ok) stopAll(outcome.v);
      return 'gone';
    }
    return outcome.ok ? outcome.v : { reason: this.host.reason(outcome.e) };
  }

  private bake(scope: Scope, name: string, d: GuardedDeployment, ms: number): Promise<Verdict> {
    return bake({
      clock: this.deps.clock,
      ms,
      what: 'Endpoint update',
      alarms: this.host.alarms(),
      scope,
      alarmNames: alarmNames(d.config.AutoRollbackConfiguration),
      startedAt: d.startedAt,
      timeoutSeconds: d.config.BlueGreenUpdatePolicy?.MaximumExecutionTimeoutInSeconds ?? d.config.RollingUpdatePolicy?.MaximumExecutionTimeoutInSeconds,
      stillCurrent: () => !!this.current(scope, name, d),
    });
  }

  /** The blue variants' requests split: `share` of them to the green fleet. */
  private split(scope: Scope, name: string, green: LoadedVariants, share: number): void {
    for (const v of this.serving.get(scope, name)?.variants ?? []) {
      const g = green.variants.find((x) => x.name === v.name);
      if (g) v.shift = { green: g, greenShare: share, routed: 0, toGreen: 0 };
    }
  }

  /** A rolling step: instance counts of both fleets, in DescribeEndpoint and in serving; traffic in proportion. */
  private counts(scope: Scope, name: string, green: LoadedVariants, variantName: string, blue: number, greenCount: number): void {
    const ep = this.serving.get(scope, name);
    const b = ep?.variants.find((v) => v.name === variantName);
    const g = green.variants.find((v) => v.name === variantName);
    if (b && blue > 0) setInstances(b, blue);
    if (g && greenCount > 0) setInstances(g, greenCount);
    this.split(scope, name, green, greenCount / Math.max(1, blue + greenCount));
    const rec = this.host.get(scope, name);
    if (!rec) return;
    const variants = (rec.ProductionVariants ?? []).map((v) => (v.VariantName === variantName ? { ...v, CurrentInstanceCount: blue } : v));
    const pending = rec.PendingDeploymentSummary && {
      ...rec.PendingDeploymentSummary,
      ProductionVariants: rec.PendingDeploymentSummary.ProductionVariants?.map((v) => (v.VariantName === variantName ? { ...v, CurrentInstanceCount: greenCount } : v)),
    };
    this.host.save(scope, { ...rec, ProductionVariants: variants, PendingDeploymentSummary: pending });
  }

  private stage(scope: Scope, name: string, d: GuardedDeployment, config: EndpointConfigRecord, status: VariantStatus, current: (variant: string) => number): void {
    const ep = this.current(scope, name, d);
    if (ep) this.host.save(scope, { ...ep, PendingDeploymentSummary: pendingSummary(d.configName, config, status, this.deps.clock.now(), current, new Date(d.startedAt)) });
  }

  private complete(scope: Scope, name: string, d: GuardedDeployment, green: LoadedVariants): void {
    const ep = this.current(scope, name, d);
    if (!ep) return stopAll(green);
    const next = this.host.commit(scope, ep, d.configName, green);
    this.host.save(scope, { ...next, LastDeploymentConfig: d.requested, PendingDeploymentSummary: undefined, GuardedDeployment: undefined });
  }

  /** All traffic back to the blue fleet, the green fleet gone: InService on the old configuration. */
  private rollBack(scope: Scope, name: string, d: GuardedDeployment, green: LoadedVariants, reason: string): void {
    const ep = this.current(scope, name, d);
    for (const v of this.serving.get(scope, name)?.variants ?? []) {
      v.shift = undefined;
      const before = d.blue.find((b) => b.VariantName === v.name)?.CurrentInstanceCount;
      if (before) setInstances(v, before);
    }
    stopAll(green);
    if (ep) this.host.save(scope, this.rolledBack(ep, d, reason));
  }

  /** The green fleet never served: the blue one carries on, with the reason. */
  private fail(scope: Scope, name: string, d: GuardedDeployment, reason: string): void {
    const ep = this.current(scope, name, d);
    if (ep) this.host.save(scope, this.rolledBack(ep, d, reason));
  }

  private rolledBack(ep: EndpointRecord, d: GuardedDeployment, reason: string): EndpointRecord {
    return {
      ...ep,
      ProductionVariants: d.blue,
      EndpointStatus: 'InService',
      FailureReason: reason,
      LastDeploymentConfig: d.requested,
      PendingDeploymentSummary: undefined,
      GuardedDeployment: undefined,
      LastModifiedTime: new Date(this.deps.clock.now()),
    };
  }

  /** The endpoint while this deployment is still its deployment (not deleted, not superseded). */
  private current(scope: Scope, name: string, d: GuardedDeployment): EndpointRecord | undefined {
    const ep = this.host.get(scope, name);
    return ep?.EndpointStatus === 'Updating' && ep.GuardedDeployment?.id === d.id ? ep : undefined;
  }
}

function setInstances(v: ServingVariant, n: number): void {
  v.instanceCount = n;
  v.capacity?.setInstanceCount(n);
}

function stopAll(loaded: LoadedVariants): void {
  for (const d of loaded.deployed) void d.stop();
}

/** DescribeEndpoint's PendingDeploymentSummary: the new configuration's variants at one stage. */
export function pendingSummary(
  configName: string,
  config: EndpointConfigRecord,
  status: VariantStatus,
  now: number,
  current: (variant: string) => number,
  started: Date,
): PendingDeploymentSummary {
  return {
    EndpointConfigName: configName,
    StartTime: started,
    ProductionVariants: (config.ProductionVariants ?? []).map((v) => ({
      VariantName: v.VariantName,
      CurrentWeight: v.InitialVariantWeight ?? 1,
      DesiredWeight: v.InitialVariantWeight ?? 1,
      CurrentInstanceCount: current(v.VariantName!),
      DesiredInstanceCount: v.InitialInstanceCount ?? 1,
      InstanceType: v.InstanceType,
      VariantStatus: [{ Status: status, StartTime: new Date(now) }],
    })),
  };
}
