import type { InferenceComponentDeploymentConfig, InferenceComponentSpecification } from '@aws-sdk/client-sagemaker';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import type { ServingVariant } from '../runtime/serving-registry.js';
import { alarmNames, bake, rollbackReason, stepCount, type AlarmWatch, type BakeVerdict } from './deployment-guardrails.js';
import type { ComponentRecord } from './inference-components.js';

/** A rolling UpdateInferenceComponent under way, stored on the component so that a restart can roll it back. */
export interface ComponentRollingUpdate {
  id: string;
  startedAt: number;
  config: InferenceComponentDeploymentConfig;
  /** The component as it served before the update: what a rollback restores. */
  before: Pick<ComponentRecord, 'specification' | 'currentCopies' | 'deployedImage'>;
}

/** What the rolling update needs from the inference component service. */
export interface ComponentRollingHost {
  get(scope: Scope, name: string): ComponentRecord | undefined;
  save(scope: Scope, c: ComponentRecord): void;
  /** Loads the (new) specification's model. */
  loadModel(scope: Scope, c: ComponentRecord): Promise<ServingVariant>;
  /** The model serving the component now (the old copies). */
  serving(scope: Scope, name: string): ServingVariant | undefined;
  /** Serves `variant` (from loadModel) as the component with `copies` copies; the old copies go. */
  place(scope: Scope, c: ComponentRecord, variant: ServingVariant, copies: number): void;
  /** Stops what loadModel started for a variant that will not serve (a rollback). */
  discard(variant: ServingVariant): void;
  /** Why the component's copies would not fit on its variant, if they would not. */
  problem(scope: Scope, c: ComponentRecord): string | undefined;
  image(scope: Scope, c: ComponentRecord): string | undefined;
  reason(e: unknown): string;
  alarms(): AlarmWatch | undefined;
}

let sequence = 0;

/**
 * UpdateInferenceComponent with DeploymentConfig.RollingUpdatePolicy (SageMaker developer guide,
 * "Update inference components with rolling deployments"): the component is Updating while
 * batches of MaximumBatchSize copies of the new specification start (each on the timing
 * profile's update time), take their share of the component's requests, bake for
 * WaitIntervalInSeconds under the AutoRollbackConfiguration alarms, and then as many old copies
 * go. An alarm in ALARM, or MaximumExecutionTimeoutInSeconds passing, brings the old copies
 * back in batches of RollbackMaximumBatchSize (all at once by default): the component is
 * InService on its old specification with FailureReason set.
 */
export class ComponentRollingUpdates {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly host: ComponentRollingHost,
  ) {}

  start(scope: Scope, c: ComponentRecord, specification: InferenceComponentSpecification, copies: number, config: InferenceComponentDeploymentConfig): void {
    const now = this.deps.clock.now();
    const r: ComponentRollingUpdate = {
      id: `${now}-${++sequence}`,
      startedAt: now,
      config,
      before: { specification: c.specification, currentCopies: c.currentCopies, deployedImage: c.deployedImage },
    };
    this.host.save(scope, { ...c, specification, desiredCopies: copies, lastDeploymentConfig: config, status: 'Updating', failureReason: undefined, modified: new Date(now), rolling: r });
    this.run(scope, c.name, r).catch((e: Error) => this.deps.log(`inference component ${c.name}: rolling update failed: ${(e as Error).message}`));
  }

  /**
   * After a restart the update rolls back, as an endpoint's does: the new copies lived in the
   * process that stopped and the alarms went unwatched meanwhile.
   */
  interrupted(c: ComponentRecord): ComponentRecord {
    return this.rolledBack(c, c.rolling!, rollbackReason.restart('Inference component update'));
  }

  private async run(scope: Scope, name: string, r: ComponentRollingUpdate): Promise<void> {
    const clock = this.deps.clock;
    const c = this.current(scope, name, r);
    if (!c) return;
    const problem = this.host.problem(scope, c);
    if (problem) return this.rollBack(scope, name, r, problem);
    const loading = this.host.loadModel(scope, c).then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    const policy = r.config.RollingUpdatePolicy!;
    const target = c.desiredCopies;
    const oldCopies = r.before.currentCopies;
    const batch = stepCount(policy.MaximumBatchSize, target);
    let fresh = 0;
    let old = oldCopies;
    while (fresh < target) {
      const add = Math.min(batch, target - fresh);
      await clock.sleep(this.deps.timing.endpointUpdating);
      const loaded = await loading;
      if (!this.current(scope, name, r)) return loaded.ok ? this.host.discard(loaded.v) : undefined;
      if (!loaded.ok) return this.rollBack(scope, name, r, this.host.reason(loaded.e));
      fresh += add;
      this.split(scope, name, r, loaded.v, old, fresh);
      const verdict = await this.bake(scope, name, r, policy.WaitIntervalInSeconds! * 1000);
      if (verdict === 'gone') return this.host.discard(loaded.v);
      if (verdict !== 'ok') {
        const back = stepCount(policy.RollbackMaximumBatchSize, oldCopies);
        while (old < oldCopies) {
          await clock.sleep(this.deps.timing.endpointUpdating);
          if (!this.current(scope, name, r)) return this.host.discard(loaded.v);
          old = Math.min(oldCopies, old + back);
          fresh = Math.max(0, fresh - back);
          this.split(scope, name, r, loaded.v, old, fresh);
        }
        this.host.discard(loaded.v);
        return this.rollBack(scope, name, r, verdict.reason);
      }
      old = fresh >= target ? 0 : Math.max(0, old - add);
      this.split(scope, name, r, loaded.v, old, fresh);
    }
    const green = (await loading) as { ok: true; v: ServingVariant };
    const done = this.current(scope, name, r);
    if (!done) return this.host.discard(green.v);
    this.host.place(scope, done, green.v, target);
    const image = this.host.image(scope, done);
    const now = new Date(clock.now());
    this.host.save(scope, {
      ...done,
      status: 'InService',
      currentCopies: target,
      deployedImage: image ? { SpecifiedImage: image, ResolvedImage: image, ResolutionTime: now } : undefined,
      modified: now,
      rolling: undefined,
    });
  }

  /** Old and new copies serve side by side, requests in proportion to their copies. */
  private split(scope: Scope, name: string, r: ComponentRollingUpdate, fresh: ServingVariant, oldCopies: number, freshCopies: number): void {
    const blue = this.host.serving(scope, name);
    if (blue) blue.shift = { green: fresh, greenShare: freshCopies / Math.max(1, oldCopies + freshCopies), routed: 0, toGreen: 0 };
    const c = this.current(scope, name, r);
    if (c) this.host.save(scope, { ...c, currentCopies: oldCopies + freshCopies });
  }

  private bake(scope: Scope, name: string, r: ComponentRollingUpdate, ms: number): Promise<BakeVerdict> {
    return bake({
      clock: this.deps.clock,
      ms,
      what: 'Inference component update',
      alarms: this.host.alarms(),
      scope,
      alarmNames: alarmNames(r.config.AutoRollbackConfiguration),
      startedAt: r.startedAt,
      timeoutSeconds: r.config.RollingUpdatePolicy?.MaximumExecutionTimeoutInSeconds,
      stillCurrent: () => !!this.current(scope, name, r),
    });
  }

  private rollBack(scope: Scope, name: string, r: ComponentRollingUpdate, reason: string): void {
    const blue = this.host.serving(scope, name);
    if (blue) blue.shift = undefined;
    const c = this.current(scope, name, r);
    if (c) this.host.save(scope, this.rolledBack(c, r, reason));
  }

  private rolledBack(c: ComponentRecord, r: ComponentRollingUpdate, reason: string): ComponentRecord {
    return {
      ...c,
      specification: r.before.specification,
      desiredCopies: r.before.currentCopies,
      currentCopies: r.before.currentCopies,
      deployedImage: r.before.deployedImage,
      status: 'InService',
      failureReason: reason,
      lastDeploymentConfig: r.config,
      modified: new Date(this.deps.clock.now()),
      rolling: undefined,
    };
  }

  private current(scope: Scope, name: string, r: ComponentRollingUpdate): ComponentRecord | undefined {
    const c = this.host.get(scope, name);
    return c?.status === 'Updating' && c.rolling?.id === r.id ? c : undefined;
  }
}
