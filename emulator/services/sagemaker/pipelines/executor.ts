import type { Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { planDefinition, type Plan, type PlannedStep } from './definition.js';
import { evaluateCondition, ExpressionError, resolve, type EvalContext } from './expressions.js';
import { settleCallback, startCallback } from './callback.js';
import { propertyFileUri, readJson } from './property-files.js';
import { EXECUTION_KIND, type ExecutionRecord, type StepRun } from './records.js';
import { durationMs, failureTypeOfJob, JOB_STEPS, launchStep, pollJob, StepFailure, stopJob, type Call } from './steps.js';

const RUNNING = new Set(['Starting', 'Executing', 'Stopping']);

/**
 * Runs pipeline executions: on each tick of the emulator clock it follows the running steps'
 * jobs, then starts every step whose dependencies have succeeded. All state lives in the stored
 * execution record, so after a restart the next tick carries on where the last one stopped.
 */
export class PipelineExecutor {
  private readonly timers = new Map<string, () => void>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly callIn: (scope: Scope) => Call,
    private readonly hasOperation: (op: string) => boolean,
  ) {}

  private get interval(): number {
    return Math.min(this.deps.timing.controlPlaneTransition, 1000);
  }

  /** Arranges the next tick of an execution. */
  wake(scope: Scope, id: string, delay = this.interval): void {
    const key = `${scope.accountId}/${scope.region}/${id}`;
    if (this.timers.has(key)) return;
    const cancel = this.deps.clock.schedule(delay, () => {
      this.timers.delete(key);
      if (this.busy.has(key)) return this.wake(scope, id);
      this.busy.add(key);
      this.tick(scope, id)
        .catch((e) => this.abort(scope, id, e))
        .finally(() => this.busy.delete(key));
    });
    this.timers.set(key, cancel);
  }

  /** An execution whose tick broke ends Failed with the reason, never left Executing forever. */
  private abort(scope: Scope, id: string, e: unknown): void {
    this.deps.log(`pipeline execution ${id}: ${(e as Error)?.stack ?? e}`);
    const exec = this.load(scope, id);
    if (!exec || !['Executing', 'Stopping'].includes(exec.PipelineExecutionStatus)) return;
    exec.PipelineExecutionStatus = exec.PipelineExecutionStatus === 'Stopping' ? 'Stopped' : 'Failed';
    exec.FailureReason = `InternalServerError: ${(e as Error)?.message ?? String(e)}`;
    for (const run of Object.values(exec.steps)) if (RUNNING.has(run.StepStatus)) this.end(run, 'Failed');
    this.deps.db.update(scope, EXECUTION_KIND, id, exec);
  }

  shutdown(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  async stopSteps(scope: Scope, exec: ExecutionRecord): Promise<void> {
    const call = this.callIn(scope);
    for (const s of Object.values(exec.steps)) {
      if (s.job && RUNNING.has(s.StepStatus)) await stopJob(call, this.typeOf(exec, s.StepName), s.job);
    }
  }

  private typeOf(exec: ExecutionRecord, step: string): string {
    return planDefinition(exec.definition).steps.get(step)?.def.Type ?? '';
  }

  private load(scope: Scope, id: string): ExecutionRecord | undefined {
    return this.deps.db.get<ExecutionRecord>(scope, EXECUTION_KIND, id)?.data;
  }

  private save(scope: Scope, exec: ExecutionRecord): void {
    // A Stop request may have landed while this tick awaited a call: keep its status.
    const stored = this.load(scope, exec.executionId);
    if (stored?.PipelineExecutionStatus === 'Stopping' && exec.PipelineExecutionStatus === 'Executing') exec.PipelineExecutionStatus = 'Stopping';
    // UpdatePipelineExecution may also have landed: its members are the stored ones.
    if (stored) {
      exec.PipelineExecutionDisplayName = stored.PipelineExecutionDisplayName;
      exec.PipelineExecutionDescription = stored.PipelineExecutionDescription;
      exec.ParallelismConfiguration = stored.ParallelismConfiguration;
    }
    exec.LastModifiedTime = new Date(this.deps.clock.now()).toISOString();
    this.deps.db.update(scope, EXECUTION_KIND, exec.executionId, exec);
  }

  private now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  private async tick(scope: Scope, id: string): Promise<void> {
    let exec = this.load(scope, id);
    if (!exec || !['Executing', 'Stopping'].includes(exec.PipelineExecutionStatus)) return;
    const plan = planDefinition(exec.definition);
    const call = this.callIn(scope);
    const evalCtx = this.evalContext(exec, plan);
    // 1. Follow running jobs, and relaunch steps whose retry is due.
    for (const run of Object.values(exec.steps)) {
      if (!RUNNING.has(run.StepStatus)) continue;
      const step = plan.steps.get(run.StepName)!;
      if (run.retryAt !== undefined) {
        if (exec.PipelineExecutionStatus === 'Stopping') this.end(run, 'Stopped');
        else if (this.deps.clock.now() >= run.retryAt) {
          run.retryAt = undefined;
          run.AttemptCount += 1;
          await this.launch(scope, exec, step, run, evalCtx, call);
        }
        continue;
      }
      if (step.def.Type === 'Callback' && run.StepStatus === 'Executing') {
        if (exec.PipelineExecutionStatus === 'Stopping') this.end(run, 'Stopped');
        else if (settleCallback(this.deps, scope, run, (reason) => this.fail(run, step, new StepFailure(reason)), () => this.end(run, 'Succeeded'))) this.save(scope, exec);
        continue;
      }
      if (!run.job) {
        // Left Starting by a crash in the middle of its launch: nothing follows it any more.
        this.fail(run, step, new StepFailure('InternalServerError: The step was interrupted because the localsage emulator restarted while it was starting.', 'Step.SERVICE_FAULT'));
        continue;
      }
      const polled = await pollJob(call, step.def.Type, run.job).catch((e) => ({ status: 'Failed' as const, properties: undefined, reason: `InternalServerError: ${(e as Error).message}` }));
      if (polled.status === 'running') continue;
      run.properties = polled.properties;
      if (polled.status === 'Failed') this.fail(run, step, new StepFailure(polled.reason!, failureTypeOfJob(polled.reason!)));
      else this.end(run, polled.status);
      this.save(scope, exec);
    }
    exec = { ...exec, PipelineExecutionStatus: this.load(scope, id)?.PipelineExecutionStatus ?? exec.PipelineExecutionStatus };
    // 2. Start what is ready; instantaneous steps (Condition, Model, Fail) let the next ones start in the same tick.
    const anyFailed = () => Object.values(exec!.steps).some((s) => s.StepStatus === 'Failed' && s.retryAt === undefined);
    let progressed = true;
    while (progressed && exec.PipelineExecutionStatus === 'Executing' && !anyFailed()) {
      progressed = false;
      for (const [name, step] of plan.steps) {
        if (exec.steps[name] || !this.ready(exec, plan, step)) continue;
        // ParallelismConfiguration: at most MaxParallelExecutionSteps steps run at once.
        const max = exec.ParallelismConfiguration?.MaxParallelExecutionSteps;
        if (max && Object.values(exec.steps).filter((s) => RUNNING.has(s.StepStatus)).length >= max) break;
        const run: StepRun = { StepName: name, StepDisplayName: step.def.DisplayName, StepDescription: step.def.Description, StepStatus: 'Starting', StartTime: this.now(), AttemptCount: 1 };
        exec.steps[name] = run;
        await this.launch(scope, exec, step, run, evalCtx, call);
        progressed = true;
      }
    }
    // 3. End the execution once nothing runs any more.
    const runs = Object.values(exec.steps);
    if (!runs.some((s) => RUNNING.has(s.StepStatus))) {
      if (exec.PipelineExecutionStatus === 'Stopping') exec.PipelineExecutionStatus = 'Stopped';
      else if (anyFailed()) {
        exec.PipelineExecutionStatus = 'Failed';
        const failed = runs.filter((s) => s.StepStatus === 'Failed');
        exec.FailureReason = failed.length === 1 ? `Step failure: ${failed[0]!.StepName}: ${failed[0]!.FailureReason}` : 'Step failure: One or multiple steps failed.';
      } else if (runs.some((s) => s.StepStatus === 'Stopped')) exec.PipelineExecutionStatus = 'Stopped';
      else exec.PipelineExecutionStatus = 'Succeeded';
    }
    this.save(scope, exec);
    if (['Executing', 'Stopping'].includes(exec.PipelineExecutionStatus)) this.wake(scope, id);
  }

  /** A step can start once every step it depends on succeeded and, in a branch, its condition took that branch. */
  private ready(exec: ExecutionRecord, plan: Plan, step: PlannedStep): boolean {
    if (step.branch) {
      const cond = exec.steps[step.branch.condition];
      const outcome = (cond?.Metadata?.Condition as { Outcome?: string } | undefined)?.Outcome;
      if (cond?.StepStatus !== 'Succeeded' || outcome !== step.branch.outcome) return false;
    }
    return step.after.every((dep) => exec.steps[dep]?.StepStatus === 'Succeeded' && this.ready(exec, plan, plan.steps.get(dep)!));
  }

  private evalContext(exec: ExecutionRecord, plan: Plan): EvalContext {
    const { clock, store } = this.deps;
    const properties = (name: string) => {
      const run = exec.steps[name];
      if (!run || run.StepStatus !== 'Succeeded') throw new ExpressionError(`Step ${name} has not succeeded: its properties are not available.`);
      return run.properties ?? {};
    };
    return {
      parameters: exec.parameters,
      execution: {
        PipelineExecutionId: exec.executionId,
        PipelineExecutionArn: exec.PipelineExecutionArn,
        StartDateTime: exec.CreationTime,
        get CurrentDateTime() {
          return new Date(clock.now()).toISOString();
        },
        PipelineName: exec.pipelineName,
        PipelineExperimentName: exec.pipelineName,
        TrialName: exec.executionId,
      },
      properties,
      propertyFile: async (name, file) => {
        const def = plan.steps.get(name)?.def;
        if (!def) throw new ExpressionError(`Step ${name} is not in the pipeline definition.`);
        return readJson(store, propertyFileUri(def, properties(name), file));
      },
      readJson: (uri) => readJson(store, uri),
    };
  }

  private async launch(scope: Scope, exec: ExecutionRecord, step: PlannedStep, run: StepRun, evalCtx: EvalContext, call: Call): Promise<void> {
    const def = step.def;
    try {
      if (def.Type === 'Condition') {
        let outcome = true;
        for (const c of def.Arguments.Conditions as unknown[]) if (!(await evaluateCondition(c, evalCtx))) outcome = false;
        run.Metadata = { Condition: { Outcome: outcome ? 'True' : 'False' } };
        run.properties = { Outcome: outcome };
        return this.end(run, 'Succeeded');
      }
      if (def.Type === 'Fail') {
        const message = String(await resolve(def.Arguments?.ErrorMessage ?? '', evalCtx));
        run.Metadata = { Fail: { ErrorMessage: message } };
        return this.fail(run, step, new StepFailure(message));
      }
      const args = await resolve(def.Arguments ?? {}, evalCtx);
      if (def.CacheConfig?.Enabled && this.fromCache(scope, exec, step, run, args)) return;
      if (def.Type === 'Callback') {
        if (def.CacheConfig?.Enabled) run.cacheKey = cacheKey(def.Type, args);
        return startCallback(this.deps, scope, exec, def, run, args);
      }
      // A step's job carries the execution that ran it in the tag SageMaker sets, which the
      // SageMaker Python SDK's lineage reads (EndpointContext.pipeline_execution_arn).
      const jobArgs = args as { Tags?: unknown[] };
      const launchArgs = JOB_STEPS[def.Type] ? { ...jobArgs, Tags: [...(jobArgs.Tags ?? []), { Key: 'sagemaker:pipeline-execution-arn', Value: exec.PipelineExecutionArn }] } : args;
      const launched = await launchStep(call, this.hasOperation, def.Type, launchArgs, exec.executionId, def.Name);
      run.Metadata = launched.metadata;
      if (def.CacheConfig?.Enabled) run.cacheKey = cacheKey(def.Type, args);
      if (launched.job) {
        run.job = launched.job;
        run.StepStatus = 'Executing';
      } else {
        run.properties = launched.properties;
        this.end(run, 'Succeeded');
      }
    } catch (e) {
      this.fail(run, step, e instanceof ExpressionError ? new StepFailure(e.message) : e instanceof StepFailure ? e : new StepFailure(`InternalServerError: ${(e as Error)?.message ?? e}`, 'Step.SERVICE_FAULT'));
    } finally {
      this.save(scope, exec);
    }
  }

  /** CacheConfig: a step of an earlier execution of this pipeline, same type and arguments, succeeded within ExpireAfter. */
  private fromCache(scope: Scope, exec: ExecutionRecord, step: PlannedStep, run: StepRun, args: unknown): boolean {
    const key = cacheKey(step.def.Type, args);
    const expire = durationMs(step.def.CacheConfig?.ExpireAfter);
    const now = this.deps.clock.now();
    let best: { exec: ExecutionRecord; run: StepRun } | undefined;
    for (const r of this.deps.db.list<ExecutionRecord>(scope, EXECUTION_KIND)) {
      const other = r.data;
      if (other.executionId === exec.executionId || other.PipelineArn !== exec.PipelineArn) continue;
      const prior = other.steps[step.def.Name];
      if (prior?.StepStatus !== 'Succeeded' || prior.cacheKey !== key || !prior.EndTime) continue;
      if (expire !== undefined && now - Date.parse(prior.StartTime) > expire) continue;
      if (!best || Date.parse(prior.EndTime) > Date.parse(best.run.EndTime!)) best = { exec: other, run: prior };
    }
    if (!best) return false;
    run.Metadata = best.run.Metadata;
    run.properties = best.run.properties;
    run.cacheKey = key;
    run.CacheHitResult = { SourcePipelineExecutionArn: best.exec.PipelineExecutionArn };
    this.end(run, 'Succeeded');
    return true;
  }

  private end(run: StepRun, status: 'Succeeded' | 'Stopped' | 'Failed'): void {
    run.StepStatus = status;
    run.EndTime = this.now();
    run.job = status === 'Succeeded' ? undefined : run.job;
  }

  /** Fails a step, or arranges a retry when one of its RetryPolicies covers the failure type. */
  private fail(run: StepRun, step: PlannedStep, failure: StepFailure): void {
    const retries = run.retries ?? 0;
    const policy = failure.failureType ? step.def.RetryPolicies?.find((p) => p.ExceptionType?.includes(failure.failureType!)) : undefined;
    const expired = policy?.ExpireAfterMin !== undefined && this.deps.clock.now() - Date.parse(run.StartTime) > policy.ExpireAfterMin * 60_000;
    if (policy && retries < (policy.MaxAttempts ?? 5) && !expired) {
      run.retries = retries + 1;
      run.StepStatus = 'Executing';
      run.job = undefined;
      run.FailureReason = failure.message;
      run.retryAt = this.deps.clock.now() + (policy.IntervalSeconds ?? 1) * 1000 * (policy.BackoffRate ?? 2) ** retries;
      return;
    }
    run.FailureReason = failure.message;
    this.end(run, 'Failed');
  }
}

function cacheKey(type: string, args: unknown): string {
  return JSON.stringify([type, args]);
}

export { JOB_STEPS };
