import { randomBytes, randomUUID } from 'node:crypto';
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { validation, resourceNotFound } from '../../../protocol/errors.js';
import { sagemakerModel } from '../../../protocol/service-model.js';
import { validateInput } from '../../../protocol/validate.js';
import { readObject } from '../../../storage/object-store.js';
import type { Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { sagemakerArn } from '../arns.js';
import { listPage } from '../listing.js';
import { scopeOf } from '../scope.js';
import { bindParameters, planDefinition } from './definition.js';
import { sendCallback } from './callback.js';
import { PipelineExecutor } from './executor.js';
import { PipelineVersions } from './versions.js';
import {
  EXECUTION_KIND, parseExecutionArn, PIPELINE_KIND, publicExecution, publicStep,
  type ExecutionRecord, type PipelineRecord, withDates,
} from './records.js';

export const PIPELINE_OPERATIONS = [
  'CreatePipeline', 'UpdatePipeline', 'DescribePipeline', 'ListPipelines', 'DeletePipeline',
  'StartPipelineExecution', 'DescribePipelineExecution', 'ListPipelineExecutions', 'StopPipelineExecution',
  'RetryPipelineExecution', 'ListPipelineExecutionSteps', 'ListPipelineParametersForExecution',
  'DescribePipelineDefinitionForExecution',
];

/** Pipeline versions, execution updates and callbacks (versions.ts, callback.ts). */
export const PIPELINE_EXTRA_OPERATIONS = [
  'ListPipelineVersions', 'UpdatePipelineVersion', 'UpdatePipelineExecution',
  'SendPipelineExecutionStepSuccess', 'SendPipelineExecutionStepFailure',
];

/**
 * SageMaker Pipelines: pipelines (a stored definition) and their executions, which the executor
 * runs step by step through this emulator's own operations.
 */
export class PipelineService {
  private readonly executor: PipelineExecutor;
  private versions?: PipelineVersions;

  constructor(
    private readonly deps: ServiceDeps,
    operations: () => Record<string, OperationHandler>,
  ) {
    const model = sagemakerModel();
    const callIn = (scope: Scope) => async (op: string, input: Record<string, unknown>) => {
      const handler = operations()[op];
      const shape = model.operations[op]?.input?.shape;
      if (!handler || !shape) throw validation(`${op} is not served by localsage.`);
      const ctx: RequestContext = { identity: { accessKeyId: 'pipelines', region: scope.region, accountId: scope.accountId }, requestId: randomUUID() };
      return JSON.parse(JSON.stringify(await handler(validateInput(model, shape, input), ctx)));
    };
    this.executor = new PipelineExecutor(deps, callIn, (op) => op in operations());
  }

  operations(): Record<string, OperationHandler> {
    const base = this.baseOperations();
    const wake = (scope: Scope, id: string) => this.executor.wake(scope, id, 0);
    this.versions = new PipelineVersions(this.deps, base);
    return {
      ...base,
      ...this.versions.operations(),
      UpdatePipelineExecution: (i, c) => this.updateExecution(i, c),
      SendPipelineExecutionStepSuccess: (i, c) => sendCallback(this.deps, wake, true, i, c),
      SendPipelineExecutionStepFailure: (i, c) => sendCallback(this.deps, wake, false, i, c),
    };
  }

  private baseOperations(): Record<string, OperationHandler> {
    return {
      CreatePipeline: (i, c) => this.create(i, c),
      UpdatePipeline: (i, c) => this.update(i, c),
      DescribePipeline: (i, c) => this.describe(i, c),
      ListPipelines: (i, c) => this.list(i, c),
      DeletePipeline: (i, c) => this.delete(i, c),
      StartPipelineExecution: (i, c) => this.start(i, c),
      DescribePipelineExecution: (i, c) => publicExecution(this.execution(scopeOf(c), i.PipelineExecutionArn)),
      ListPipelineExecutions: (i, c) => this.listExecutions(i, c),
      StopPipelineExecution: (i, c) => this.stop(i, c),
      RetryPipelineExecution: (i, c) => this.retry(i, c),
      ListPipelineExecutionSteps: (i, c) => this.listSteps(i, c),
      ListPipelineParametersForExecution: (i, c) => this.listParameters(i, c),
      DescribePipelineDefinitionForExecution: (i, c) => {
        const e = this.execution(scopeOf(c), i.PipelineExecutionArn);
        return withDates({ PipelineDefinition: e.definition, CreationTime: e.CreationTime });
      },
    };
  }

  /** Executions that were running when the emulator stopped carry on from their stored state. */
  recover(): void {
    for (const r of this.deps.db.listEverywhere<ExecutionRecord>(EXECUTION_KIND)) {
      if (['Executing', 'Stopping'].includes(r.data.PipelineExecutionStatus)) this.executor.wake(r.scope, r.data.executionId);
    }
  }

  shutdown(): void {
    this.executor.shutdown();
  }

  private async definitionOf(req: any, scope: Scope): Promise<string> {
    if (req.PipelineDefinition !== undefined && req.PipelineDefinitionS3Location) {
      throw validation('Specify either PipelineDefinition or PipelineDefinitionS3Location, not both.');
    }
    let text = req.PipelineDefinition as string | undefined;
    const loc = req.PipelineDefinitionS3Location;
    if (loc) {
      try {
        text = (await readObject(this.deps.store, loc.Bucket, loc.ObjectKey)).toString('utf8');
      } catch {
        throw validation(`Unable to read the pipeline definition from s3://${loc.Bucket}/${loc.ObjectKey}.`);
      }
    }
    if (text === undefined) throw validation('Either PipelineDefinition or PipelineDefinitionS3Location must be specified.');
    planDefinition(text);
    void scope;
    return text;
  }

  private pipelineName(nameOrArn: string): string {
    const m = /^arn:aws[a-z-]*:sagemaker:[^:]*:\d{12}:pipeline\/(.+)$/.exec(nameOrArn);
    // Pipeline ARNs carry the name in lower case; the stored record knows its real spelling.
    return m ? (this.deps.db.byArn(nameOrArn)?.name ?? m[1]!) : nameOrArn;
  }

  private pipeline(scope: Scope, nameOrArn: string): PipelineRecord {
    const name = this.pipelineName(nameOrArn);
    const found = this.deps.db.get<PipelineRecord>(scope, PIPELINE_KIND, name)?.data;
    if (!found) throw resourceNotFound(`Pipeline '${sagemakerArn(scope, 'pipeline', name)}' does not exist.`);
    return found;
  }

  private async create(req: any, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const definition = await this.definitionOf(req, scope);
    const arn = sagemakerArn(scope, 'pipeline', req.PipelineName.toLowerCase());
    const now = new Date(this.deps.clock.now()).toISOString();
    const record: PipelineRecord = {
      PipelineArn: arn,
      PipelineName: req.PipelineName,
      PipelineDisplayName: req.PipelineDisplayName ?? req.PipelineName,
      PipelineDefinition: definition,
      PipelineDescription: req.PipelineDescription,
      RoleArn: req.RoleArn,
      PipelineStatus: 'Active',
      CreationTime: now,
      LastModifiedTime: now,
      ParallelismConfiguration: req.ParallelismConfiguration,
      PipelineVersionId: 1,
    };
    if (!this.deps.db.insert(scope, PIPELINE_KIND, req.PipelineName, arn, record)) {
      throw validation(`Pipeline names must be unique within an AWS account and region. Pipeline with name (${req.PipelineName}) already exists.`);
    }
    if (req.Tags?.length) this.deps.db.addTags(arn, req.Tags);
    return { PipelineArn: arn };
  }

  private async update(req: any, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const current = this.pipeline(scope, req.PipelineName);
    const definition = req.PipelineDefinition !== undefined || req.PipelineDefinitionS3Location ? await this.definitionOf(req, scope) : current.PipelineDefinition;
    const next: PipelineRecord = {
      ...current,
      PipelineDefinition: definition,
      PipelineDisplayName: req.PipelineDisplayName ?? current.PipelineDisplayName,
      PipelineDescription: req.PipelineDescription ?? current.PipelineDescription,
      RoleArn: req.RoleArn ?? current.RoleArn,
      ParallelismConfiguration: req.ParallelismConfiguration ?? current.ParallelismConfiguration,
      LastModifiedTime: new Date(this.deps.clock.now()).toISOString(),
      PipelineVersionId: (current.PipelineVersionId ?? 1) + 1,
    };
    this.deps.db.update(scope, PIPELINE_KIND, current.PipelineName, next);
    return { PipelineArn: current.PipelineArn, PipelineVersionId: next.PipelineVersionId };
  }

  private describe(req: any, ctx: RequestContext) {
    return withDates(this.pipeline(scopeOf(ctx), req.PipelineName));
  }

  private list(req: any, ctx: RequestContext) {
    const prefix: string = req.PipelineNamePrefix ?? '';
    const all = this.deps.db.list<PipelineRecord>(scopeOf(ctx), PIPELINE_KIND).map((r) => r.data).filter((p) => p.PipelineName.startsWith(prefix));
    const { page, NextToken } = listPage(all, { ...req, SortBy: req.SortBy === 'Name' ? 'Name' : undefined }, {
      name: (p) => p.PipelineName,
      creationTime: (p) => new Date(p.CreationTime),
      defaultOrder: 'Descending',
    });
    return {
      PipelineSummaries: page.map((p) => withDates({
        PipelineArn: p.PipelineArn, PipelineName: p.PipelineName, PipelineDisplayName: p.PipelineDisplayName, PipelineDescription: p.PipelineDescription,
        RoleArn: p.RoleArn, CreationTime: p.CreationTime, LastModifiedTime: p.LastModifiedTime, LastExecutionTime: p.LastRunTime,
      })),
      NextToken,
    };
  }

  private async delete(req: any, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const p = this.pipeline(scope, req.PipelineName);
    // AWS refuses to delete a pipeline while an execution of it is running (Executing or Stopping):
    // the SageMaker Python SDK's own integration tests stop the executions and retry on this message.
    const running = this.deps.db
      .list<ExecutionRecord>(scope, EXECUTION_KIND)
      .some((r) => r.data.PipelineArn === p.PipelineArn && (r.data.PipelineExecutionStatus === 'Executing' || r.data.PipelineExecutionStatus === 'Stopping'));
    if (running) throw validation('Pipelines with running executions cannot be deleted.');
    this.deps.db.delete(scope, PIPELINE_KIND, p.PipelineName);
    return { PipelineArn: p.PipelineArn };
  }

  private start(req: any, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const p = this.pipeline(scope, req.PipelineName);
    // ClientRequestToken makes the call idempotent: a retried request gets the same execution.
    const earlier = req.ClientRequestToken && this.deps.db.list<ExecutionRecord>(scope, EXECUTION_KIND).find((r) => r.data.PipelineArn === p.PipelineArn && r.data.clientToken === req.ClientRequestToken);
    if (earlier) return { PipelineExecutionArn: earlier.data.PipelineExecutionArn };
    // A PipelineVersionId runs that version's definition.
    const versionId = req.PipelineVersionId !== undefined ? Number(req.PipelineVersionId) : p.PipelineVersionId;
    const definition = req.PipelineVersionId !== undefined && this.versions ? this.versions.definitionOf(ctx, p, versionId!) : p.PipelineDefinition;
    const plan = planDefinition(definition);
    const parameters = bindParameters(plan.parameters, req.PipelineParameters);
    const id = randomBytes(6).toString('hex').replace(/^\d/, 'a');
    const now = new Date(this.deps.clock.now()).toISOString();
    const record: ExecutionRecord = {
      PipelineArn: p.PipelineArn,
      PipelineExecutionArn: `${p.PipelineArn}/execution/${id}`,
      PipelineExecutionDisplayName: req.PipelineExecutionDisplayName ?? `execution-${this.deps.clock.now()}`,
      PipelineExecutionDescription: req.PipelineExecutionDescription,
      PipelineExecutionStatus: 'Executing',
      CreationTime: now,
      LastModifiedTime: now,
      ParallelismConfiguration: req.ParallelismConfiguration ?? p.ParallelismConfiguration,
      PipelineVersionId: versionId,
      pipelineName: p.PipelineName,
      executionId: id,
      definition,
      parameters,
      steps: {},
      clientToken: req.ClientRequestToken,
      // ListPipelineParametersForExecution shows the values as they were given.
      parameterText: Object.fromEntries((req.PipelineParameters ?? []).map((g: { Name: string; Value: string }) => [g.Name, g.Value])),
    };
    this.deps.db.insert(scope, EXECUTION_KIND, id, record.PipelineExecutionArn, record);
    this.deps.db.update(scope, PIPELINE_KIND, p.PipelineName, { ...p, LastRunTime: now });
    this.executor.wake(scope, id, 0);
    return { PipelineExecutionArn: record.PipelineExecutionArn };
  }

  private execution(scope: Scope, arn: string): ExecutionRecord {
    const parsed = parseExecutionArn(arn);
    const found = parsed && this.deps.db.get<ExecutionRecord>(scope, EXECUTION_KIND, parsed.id)?.data;
    if (!found || found.PipelineExecutionArn !== arn) throw resourceNotFound(`Pipeline execution '${arn}' does not exist.`);
    return found;
  }

  private listExecutions(req: any, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const p = this.pipeline(scope, req.PipelineName);
    const all = this.deps.db.list<ExecutionRecord>(scope, EXECUTION_KIND).map((r) => r.data).filter((e) => e.PipelineArn === p.PipelineArn);
    const { page, NextToken } = listPage(all, { ...req, SortBy: req.SortBy === 'PipelineExecutionArn' ? 'Name' : undefined, CreationTimeAfter: req.CreatedAfter, CreationTimeBefore: req.CreatedBefore }, {
      name: (e) => e.PipelineExecutionArn,
      creationTime: (e) => new Date(e.CreationTime),
      defaultOrder: 'Descending',
    });
    return {
      PipelineExecutionSummaries: page.map((e) => withDates({
        PipelineExecutionArn: e.PipelineExecutionArn, StartTime: e.CreationTime, PipelineExecutionStatus: e.PipelineExecutionStatus,
        PipelineExecutionDescription: e.PipelineExecutionDescription, PipelineExecutionDisplayName: e.PipelineExecutionDisplayName,
        PipelineExecutionFailureReason: e.FailureReason,
      })),
      NextToken,
    };
  }

  private async stop(req: any, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const e = this.execution(scope, req.PipelineExecutionArn);
    if (e.PipelineExecutionStatus !== 'Executing') {
      throw validation(`Pipeline execution with ARN ${e.PipelineExecutionArn} is in ${e.PipelineExecutionStatus} status and cannot be stopped.`);
    }
    e.PipelineExecutionStatus = 'Stopping';
    for (const s of Object.values(e.steps)) if (s.job && ['Starting', 'Executing'].includes(s.StepStatus)) s.StepStatus = 'Stopping';
    e.LastModifiedTime = new Date(this.deps.clock.now()).toISOString();
    this.deps.db.update(scope, EXECUTION_KIND, e.executionId, e);
    await this.executor.stopSteps(scope, e);
    this.executor.wake(scope, e.executionId, 0);
    return { PipelineExecutionArn: e.PipelineExecutionArn };
  }

  /** A running or ended execution's display name, description, and (for what has yet to start) parallelism. */
  private updateExecution(req: any, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const e = this.execution(scope, req.PipelineExecutionArn);
    if (req.PipelineExecutionDisplayName !== undefined) e.PipelineExecutionDisplayName = req.PipelineExecutionDisplayName;
    if (req.PipelineExecutionDescription !== undefined) e.PipelineExecutionDescription = req.PipelineExecutionDescription;
    if (req.ParallelismConfiguration !== undefined) e.ParallelismConfiguration = req.ParallelismConfiguration;
    e.LastModifiedTime = new Date(this.deps.clock.now()).toISOString();
    this.deps.db.update(scope, EXECUTION_KIND, e.executionId, e);
    return { PipelineExecutionArn: e.PipelineExecutionArn };
  }

  private retry(req: any, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const e = this.execution(scope, req.PipelineExecutionArn);
    if (e.PipelineExecutionStatus !== 'Failed') {
      throw validation(`Pipeline execution with ARN ${e.PipelineExecutionArn} is in ${e.PipelineExecutionStatus} status. Only Failed executions can be retried.`);
    }
    // Succeeded steps keep their results; failed and stopped ones run again.
    for (const [name, s] of Object.entries(e.steps)) if (s.StepStatus !== 'Succeeded') delete e.steps[name];
    e.PipelineExecutionStatus = 'Executing';
    e.FailureReason = undefined;
    if (req.ParallelismConfiguration) e.ParallelismConfiguration = req.ParallelismConfiguration;
    e.LastModifiedTime = new Date(this.deps.clock.now()).toISOString();
    this.deps.db.update(scope, EXECUTION_KIND, e.executionId, e);
    this.executor.wake(scope, e.executionId, 0);
    return { PipelineExecutionArn: e.PipelineExecutionArn };
  }

  private listSteps(req: any, ctx: RequestContext) {
    const e = this.execution(scopeOf(ctx), req.PipelineExecutionArn);
    const { page, NextToken } = listPage(Object.values(e.steps), { MaxResults: req.MaxResults, NextToken: req.NextToken, SortOrder: req.SortOrder }, {
      name: (s) => s.StepName,
      creationTime: (s) => new Date(s.StartTime),
      defaultOrder: 'Descending',
      defaultMaxResults: 100,
    });
    return { PipelineExecutionSteps: page.map(publicStep), NextToken };
  }

  private listParameters(req: any, ctx: RequestContext) {
    const e = this.execution(scopeOf(ctx), req.PipelineExecutionArn);
    const all = Object.entries(e.parameters).map(([Name, v]) => ({ Name, Value: e.parameterText?.[Name] ?? String(v) }));
    const { page, NextToken } = listPage(all, { MaxResults: req.MaxResults, NextToken: req.NextToken }, {
      name: (p) => p.Name, creationTime: () => undefined, defaultOrder: 'Ascending', defaultMaxResults: 50,
    });
    return { PipelineParameters: page, NextToken };
  }
}
