import type { CreateHyperParameterTuningJobRequest, HyperParameterTuningJobStatus } from '@aws-sdk/client-sagemaker';
import { metricDefinitions } from '../../../../algorithms/index.js';
import { Rng, STREAM } from '../../../../core/random.js';
import type { Scope } from '../../../storage/database.js';
import { createSearcher, projectParentEvaluations, type ParentEvaluation } from '../../../tuning/search/index.js';
import type { Assignment, Evaluation, Searcher } from '../../../tuning/search/types.js';
import type { ServiceDeps } from '../../deps.js';
import type { TrainingJobService, TrainingObserver } from '../training-jobs.js';
import { evaluateCriteria } from './criteria.js';
import { childViews, counters, objectiveFor, type ChildView } from './describe.js';
import { isRetryable, TRAINING_KIND, TUNING_KIND, type ChildRecord, type TrainingJob, type TuningRecord } from './record.js';
import { EpochStopper } from './stopping.js';
import { planTuningJob, resourceConfigOf, type DefinitionPlan } from './validate.js';

interface Active {
  scope: Scope;
  name: string;
  plans: DefinitionPlan[];
  searchers: Searcher[];
  /** Per definition: the regex that finds the objective in a child's log, line by line. */
  objectiveRegex: (RegExp | undefined)[];
  stopper: EpochStopper;
  cancelTimers: (() => void)[];
}

/** Jobs that fail non-retryably before any succeeds, after which the tuning job gives up. */
const FAILURES_BEFORE_GIVING_UP = 3;

/**
 * Runs tuning jobs: asks the searcher for the next values whenever a slot under
 * MaxParallelTrainingJobs frees up, launches them as ordinary training jobs, follows their
 * per-epoch objective (early stopping, Hyperband) and ends the tuning job when its budget or a
 * completion criterion is reached. All decisions are taken from what SQLite holds, so a restarted
 * emulator resumes a tuning job where it was.
 */
export class TuningRunner implements TrainingObserver {
  private readonly active = new Map<string, Active>();
  /** Child training job -> its tuning job's key. */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly training: TrainingJobService,
  ) {
    training.observe(this);
  }

  private key(scope: Scope, name: string): string {
    return `${scope.accountId}/${scope.region}/${name.toLowerCase()}`;
  }

  private load(a: Active): TuningRecord {
    return this.deps.db.get<TuningRecord>(a.scope, TUNING_KIND, a.name)!.data;
  }

  private save(a: Active, record: TuningRecord, at = this.deps.clock.now()): void {
    record.describe.LastModifiedTime = new Date(at);
    this.deps.db.update(a.scope, TUNING_KIND, a.name, record);
  }

  /** Starts (or, after a restart, resumes) driving a stored tuning job. */
  run(scope: Scope, name: string): void {
    const record = this.deps.db.get<TuningRecord>(scope, TUNING_KIND, name)!.data;
    const d = record.describe;
    const plans = planTuningJob(d as CreateHyperParameterTuningJobRequest);
    const config = d.HyperParameterTuningJobConfig!;
    const a: Active = {
      scope,
      name,
      plans,
      // The suggestion index counts every launch of the job, so the budget is the job's whole one.
      searchers: plans.map((p) => createSearcher(config.Strategy!, p.space, record.seed, { budget: config.ResourceLimits?.MaxNumberOfTrainingJobs })),
      objectiveRegex: plans.map((p) => {
        const defs = [...metricDefinitions(p.algorithm), ...(p.definition.AlgorithmSpecification?.MetricDefinitions ?? [])];
        const regex = defs.find((m) => m.Name === p.objective.MetricName)?.Regex;
        try {
          return regex ? new RegExp(regex) : undefined;
        } catch {
          return undefined;
        }
      }),
      stopper: new EpochStopper(config, plans[0].objective.Type!, plans[0].definition.StaticHyperParameters),
      cancelTimers: [],
    };
    this.active.set(this.key(scope, name), a);
    for (const c of record.children) {
      this.owners.set(this.key(scope, c.name), this.key(scope, name));
      a.stopper.register(c.name, c.curve ?? []);
    }
    const maxRuntime = config.ResourceLimits?.MaxRuntimeInSeconds;
    if (maxRuntime !== undefined) {
      const left = Math.max(0, maxRuntime * 1000 - record.consumedBefore - (this.deps.clock.now() - record.runningSince));
      a.cancelTimers.push(
        this.deps.clock.schedule(left, () => this.end(a, 'Stopped', 'The tuning job reached MaxRuntimeInSeconds.')),
      );
    }
    this.pump(a);
  }

  /** StopHyperParameterTuningJob: Stopping now, Stopped once every child has ended. */
  stop(scope: Scope, name: string): void {
    const a = this.active.get(this.key(scope, name));
    if (a) this.end(a, 'Stopped');
  }

  onLogLine(scope: Scope, child: string, line: string): void {
    const a = this.ownerOf(scope, child);
    if (!a) return;
    const record = this.load(a);
    const c = record.children.find((x) => x.name.toLowerCase() === child.toLowerCase());
    if (!c || !line.includes('#')) return;
    const m = a.objectiveRegex[c.definition]?.exec(line);
    const value = m ? Number(m[1]) : NaN;
    if (!Number.isFinite(value)) return;
    // Built-ins number their epochs from 0 (`epoch=0`); lines without one are counted.
    const epoch = /\bepoch=(\d+)/.exec(line);
    const curve = [...(c.curve ?? [])];
    if (epoch) curve[Number(epoch[1])] = value;
    else curve.push(value);
    c.curve = Array.from(curve, (v) => v ?? NaN);
    this.save(a, record);
    if (record.describe.HyperParameterTuningJobStatus !== 'InProgress') return;
    const decision = a.stopper.observe(c.name, c.curve);
    if (!decision) return;
    // Hyperband's last rung is MaxResource: a job configured to end there just finishes.
    const epochs = Number(this.deps.db.get<TrainingJob>(a.scope, TRAINING_KIND, c.name)?.data.HyperParameters?.epochs);
    if (a.stopper.hyperband && c.curve.length >= a.stopper.hyperband.maxResource && !(epochs > a.stopper.hyperband.maxResource)) return;
    this.deps.log(`tuning job ${a.name}: stopping ${c.name} early: ${decision.reason}`);
    this.training.stopJob(a.scope, c.name);
  }

  onFinished(scope: Scope, child: string): void {
    const a = this.ownerOf(scope, child);
    // After the training service has written the final state.
    if (a) queueMicrotask(() => this.pump(a));
  }

  /** Ends every in-memory run (emulator shutdown); the stored state lets the next start resume. */
  shutdown(): void {
    for (const a of this.active.values()) a.cancelTimers.forEach((c) => c());
    this.active.clear();
  }

  private ownerOf(scope: Scope, child: string): Active | undefined {
    const owner = this.owners.get(this.key(scope, child));
    return owner ? this.active.get(owner) : undefined;
  }

  /** Decide to end: children still running are stopped; the job ends when the last has. */
  private end(a: Active, status: 'Completed' | 'Stopped' | 'Failed', reason?: string, details?: TuningRecord['describe']['TuningJobCompletionDetails']): void {
    const record = this.load(a);
    const d = record.describe;
    if (d.HyperParameterTuningJobStatus !== 'InProgress' || record.ending) return;
    record.ending = { status, reason };
    if (details) d.TuningJobCompletionDetails = { ...d.TuningJobCompletionDetails, ...details };
    if (status === 'Stopped') d.HyperParameterTuningJobStatus = 'Stopping';
    this.save(a, record);
    for (const c of record.children) this.training.stopJob(a.scope, c.name);
    this.pump(a);
  }

  private finalize(a: Active, record: TuningRecord, status: HyperParameterTuningJobStatus, reason?: string): void {
    const now = this.deps.clock.now();
    const d = record.describe;
    d.HyperParameterTuningJobStatus = status;
    d.HyperParameterTuningEndTime = new Date(now);
    if (status === 'Failed') d.FailureReason = reason;
    record.consumedBefore += now - record.runningSince;
    record.runningSince = now;
    // LastModifiedTime is the HyperParameterTuningEndTime, not a clock read made just after it.
    this.save(a, record, now);
    a.cancelTimers.forEach((c) => c());
    this.active.delete(this.key(a.scope, a.name));
    for (const c of record.children) this.owners.delete(this.key(a.scope, c.name));
  }

  /** One step of the loop: end, retry or launch, whatever the stored state calls for. */
  private pump(a: Active): void {
    if (!this.active.has(this.key(a.scope, a.name))) return;
    const record = this.load(a);
    const d = record.describe;
    const config = d.HyperParameterTuningJobConfig!;
    const views = childViews(this.deps.db, a.scope, record);
    const running = views.filter((v) => v.summary.TrainingJobStatus === 'InProgress' || v.summary.TrainingJobStatus === 'Stopping');
    const type = a.plans[0].objective.Type!;
    const verdict = evaluateCriteria(config.TuningJobCompletionCriteria, type, views, config.ResourceLimits!.MaxParallelTrainingJobs!, new Date(this.deps.clock.now()));
    d.TuningJobCompletionDetails = { ...d.TuningJobCompletionDetails, ...verdict.details };

    if (record.ending) {
      this.save(a, record);
      if (!running.length) this.finalize(a, record, record.ending.status, record.ending.reason);
      return;
    }
    if (verdict.complete) return this.end(a, 'Completed', verdict.complete, verdict.details);
    const { training, objective } = counters(views);
    if (objective.Succeeded === 0 && training.NonRetryableError >= Math.min(FAILURES_BEFORE_GIVING_UP, config.ResourceLimits?.MaxNumberOfTrainingJobs ?? Infinity)) {
      const example = views.find((v) => v.summary.TrainingJobStatus === 'Failed' && !isRetryable(v.job));
      return this.end(
        a,
        'Failed',
        `The tuning job failed because ${training.NonRetryableError} training jobs failed with non-retryable errors. For example, ${example?.child.name}: ${example?.summary.FailureReason ?? ''}`,
      );
    }
    this.save(a, record);

    const limits = config.ResourceLimits!;
    let slots = limits.MaxParallelTrainingJobs! - running.length;
    // Retryable failures (an emulator restart killed the job) are re-run with the same values.
    for (const v of views) {
      if (slots <= 0) break;
      if (!isRetryable(v.job) || record.children.some((c) => c.retryOf === v.child.name)) continue;
      if (!this.launch(a, record, v.child.definition, v.child.assignment, v.child.suggestion, v.child.name)) return;
      slots--;
    }
    let launched = record.children.filter((c) => !c.retryOf).length;
    let exhausted = false;
    // Jobs launched by this very step are pending too: parallel suggestions must not coincide.
    const justLaunched: ChildRecord[] = [];
    while (slots > 0 && (limits.MaxNumberOfTrainingJobs === undefined || launched < limits.MaxNumberOfTrainingJobs)) {
      const definition = launched % a.plans.length;
      const assignment = this.suggest(a, record, views, definition, launched, justLaunched);
      if (!assignment) {
        exhausted = true;
        break;
      }
      const child = this.launch(a, record, definition, assignment, launched);
      if (!child) return; // the tuning job is ending
      justLaunched.push(child);
      launched++;
      slots--;
    }
    const stillRunning = record.children.some((c) => {
      const s = this.deps.db.get<TrainingJob>(a.scope, TRAINING_KIND, c.name)?.data.TrainingJobStatus;
      return s === 'InProgress' || s === 'Stopping';
    });
    const budgetSpent = exhausted || (limits.MaxNumberOfTrainingJobs !== undefined && launched >= limits.MaxNumberOfTrainingJobs);
    if (!stillRunning && budgetSpent) this.finalize(a, this.load(a), 'Completed');
  }

  private suggest(a: Active, record: TuningRecord, views: ChildView[], definition: number, index: number, justLaunched: ChildRecord[]): Assignment | undefined {
    const completed: Evaluation[] = projectParentEvaluations(this.parentEvaluations(a, record), a.plans[definition].space);
    const pending: Assignment[] = justLaunched.filter((c) => c.definition === definition).map((c) => c.assignment);
    for (const v of views) {
      if (v.child.definition !== definition) continue;
      const s = v.summary.TrainingJobStatus;
      if (s === 'InProgress' || s === 'Stopping') pending.push(v.child.assignment);
      else if (!isRetryable(v.job)) completed.push({ assignment: v.child.assignment, objective: v.summary.FinalHyperParameterTuningJobObjectiveMetric?.Value });
    }
    return a.searchers[definition].suggest(completed, pending, index);
  }

  /** Warm start: every evaluation of the parent tuning jobs seeds the search. */
  private parentEvaluations(a: Active, record: TuningRecord): ParentEvaluation[] {
    const parents = record.describe.WarmStartConfig?.ParentHyperParameterTuningJobs ?? [];
    return parents.flatMap((p) => {
      const parent = this.deps.db.get<TuningRecord>(a.scope, TUNING_KIND, p.HyperParameterTuningJobName!)?.data;
      if (!parent) return [];
      return childViews(this.deps.db, a.scope, parent)
        .filter((v) => v.summary.TrainingJobStatus !== 'InProgress' && !isRetryable(v.job))
        .map((v) => ({
          assignment: v.child.assignment,
          objective: v.summary.FinalHyperParameterTuningJobObjectiveMetric?.Value,
          staticHyperParameters: v.job?.HyperParameters,
        }));
    });
  }

  private launch(a: Active, record: TuningRecord, definition: number, assignment: Assignment, suggestion: number, retryOf?: string): ChildRecord | undefined {
    const seq = record.children.length + 1;
    const hex = new Rng((record.seed + seq) >>> 0, STREAM.ids).u32().toString(16).padStart(8, '0');
    const name = `${a.name}-${String(seq).padStart(3, '0')}-${hex}`;
    const child: ChildRecord = { name, definition, assignment, suggestion, retryOf };
    record.children.push(child);
    this.save(a, record);
    this.owners.set(this.key(a.scope, name), this.key(a.scope, a.name));
    a.stopper.register(name);
    const plan = a.plans[definition];
    const def = plan.definition;
    const hyperParameters: Record<string, string> = {
      ...def.StaticHyperParameters,
      ...assignment,
      // Built-in algorithms learn the objective from this key (linear learner then trains one model).
      _tuning_objective_metric: plan.objective.MetricName!,
    };
    // Hyperband's resource is the epoch: a job without an epoch count trains up to MaxResource.
    if (a.stopper.hyperband && hyperParameters.epochs === undefined) hyperParameters.epochs = String(a.stopper.hyperband.maxResource);
    try {
      this.training.start(
        a.scope,
        {
          TrainingJobName: name,
          AlgorithmSpecification: { ...def.AlgorithmSpecification, TrainingInputMode: def.AlgorithmSpecification?.TrainingInputMode ?? 'File' },
          RoleArn: def.RoleArn,
          InputDataConfig: def.InputDataConfig,
          OutputDataConfig: def.OutputDataConfig,
          ResourceConfig: resourceConfigOf(def),
          StoppingCondition: def.StoppingCondition,
          HyperParameters: hyperParameters,
          VpcConfig: def.VpcConfig,
          EnableNetworkIsolation: def.EnableNetworkIsolation,
          EnableInterContainerTrafficEncryption: def.EnableInterContainerTrafficEncryption,
          EnableManagedSpotTraining: def.EnableManagedSpotTraining,
          CheckpointConfig: def.CheckpointConfig,
          RetryStrategy: def.RetryStrategy,
          Environment: def.Environment,
        },
        { TuningJobArn: record.describe.HyperParameterTuningJobArn },
      );
    } catch (e) {
      // Validated at create time, so this is unexpected: fail the tuning job rather than wait forever.
      record.children.pop();
      this.save(a, record);
      this.owners.delete(this.key(a.scope, name));
      this.end(a, 'Failed', `Could not start training job ${name}: ${(e as Error).message}`);
      return undefined;
    }
    return child;
  }
}

