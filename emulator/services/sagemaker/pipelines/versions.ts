/**
 * Pipeline versions: CreatePipeline makes version 1 and each UpdatePipeline the next (the
 * pipeline service numbers them); this keeps what each version was, for DescribePipeline with a
 * PipelineVersionId, ListPipelineVersions and UpdatePipelineVersion (a version's display name and
 * description). A deleted pipeline's versions go with it.
 */
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { resourceNotFound } from '../../../protocol/errors.js';
import type { ServiceDeps } from '../../deps.js';
import { listPage } from '../listing.js';
import { scopeOf } from '../scope.js';
import { EXECUTION_KIND, type ExecutionRecord } from './records.js';

const VERSION_KIND = 'pipeline-version';

interface VersionRecord {
  /** DescribePipeline's answer when the version was made. */
  pipeline: Doc;
  PipelineVersionId: number;
  CreationTime: Date;
  PipelineVersionDisplayName?: string;
  PipelineVersionDescription?: string;
}

type Doc = Record<string, any>;

export class PipelineVersions {
  constructor(
    private readonly deps: ServiceDeps,
    /** The pipeline service's own operations. */
    private readonly ops: Record<string, OperationHandler>,
  ) {}

  private key(pipelineName: string, version: number): string {
    return `${pipelineName}/${version}`;
  }

  private async snapshot(nameOrArn: string, ctx: RequestContext): Promise<void> {
    const pipeline = (await this.ops.DescribePipeline({ PipelineName: nameOrArn }, ctx)) as Doc;
    const version = Number(pipeline.PipelineVersionId ?? 1);
    const record: VersionRecord = { pipeline, PipelineVersionId: version, CreationTime: new Date(this.deps.clock.now()) };
    this.deps.db.insert(scopeOf(ctx), VERSION_KIND, this.key(pipeline.PipelineName, version), `${pipeline.PipelineArn}/version/${version}`, record);
  }

  private version(ctx: RequestContext, pipeline: Doc, version: number): VersionRecord {
    const found =
      this.deps.db.get<VersionRecord>(scopeOf(ctx), VERSION_KIND, this.key(pipeline.PipelineName, version))?.data ??
      (version === Number(pipeline.PipelineVersionId ?? 1) ? unrecorded(pipeline) : undefined);
    if (!found) throw resourceNotFound(`Pipeline version ${version} of pipeline '${pipeline.PipelineArn}' does not exist.`);
    return found;
  }

  private all(ctx: RequestContext, pipelineName: string): VersionRecord[] {
    const prefix = `${pipelineName.toLowerCase()}/`;
    return this.deps.db
      .list<VersionRecord>(scopeOf(ctx), VERSION_KIND)
      .filter((r) => r.name.toLowerCase().startsWith(prefix))
      .map((r) => r.data);
  }

  /**
   * What StartPipelineExecution runs for a PipelineVersionId: that version's definition
   * (ResourceNotFound for a version the pipeline never had).
   */
  definitionOf(ctx: RequestContext, pipeline: { PipelineName: string; PipelineArn: string; PipelineVersionId?: number; PipelineDefinition: string }, version: number): string {
    if (version === Number(pipeline.PipelineVersionId ?? 1)) return pipeline.PipelineDefinition;
    return String(this.version(ctx, pipeline, version).pipeline.PipelineDefinition);
  }

  operations(): Record<string, OperationHandler> {
    return {
      CreatePipeline: async (req, ctx) => {
        const out = (await this.ops.CreatePipeline(req, ctx)) as Doc;
        await this.snapshot(out.PipelineArn, ctx);
        return out;
      },
      UpdatePipeline: async (req, ctx) => {
        const out = (await this.ops.UpdatePipeline(req, ctx)) as Doc;
        await this.snapshot(out.PipelineArn, ctx);
        return out;
      },
      DeletePipeline: async (req, ctx) => {
        const pipeline = (await this.ops.DescribePipeline({ PipelineName: req.PipelineName }, ctx)) as Doc;
        const out = await this.ops.DeletePipeline(req, ctx);
        for (const v of this.all(ctx, pipeline.PipelineName)) this.deps.db.delete(scopeOf(ctx), VERSION_KIND, this.key(pipeline.PipelineName, v.PipelineVersionId));
        return out;
      },
      DescribePipeline: async (req, ctx) => {
        const current = (await this.ops.DescribePipeline({ PipelineName: req.PipelineName }, ctx)) as Doc;
        const id = req.PipelineVersionId ?? current.PipelineVersionId;
        const v = this.deps.db.get<VersionRecord>(scopeOf(ctx), VERSION_KIND, this.key(current.PipelineName, Number(id)))?.data;
        if (req.PipelineVersionId === undefined) return { ...current, PipelineVersionDisplayName: v?.PipelineVersionDisplayName, PipelineVersionDescription: v?.PipelineVersionDescription };
        const found = this.version(ctx, current, Number(id));
        // The version as it was, with the pipeline's current run and status.
        return {
          ...found.pipeline,
          PipelineStatus: current.PipelineStatus,
          LastRunTime: current.LastRunTime,
          PipelineVersionDisplayName: found.PipelineVersionDisplayName,
          PipelineVersionDescription: found.PipelineVersionDescription,
        };
      },
      ListPipelineVersions: async (req, ctx) => {
        const pipeline = (await this.ops.DescribePipeline({ PipelineName: req.PipelineName }, ctx)) as Doc;
        const executions = this.deps.db
          .list<ExecutionRecord>(scopeOf(ctx), EXECUTION_KIND)
          .map((r) => r.data)
          .filter((e) => e.PipelineArn === pipeline.PipelineArn);
        const versions = this.all(ctx, pipeline.PipelineName);
        if (!versions.some((v) => v.PipelineVersionId === Number(pipeline.PipelineVersionId ?? 1))) versions.push(unrecorded(pipeline));
        const rows = versions.map((v) => ({
          PipelineArn: pipeline.PipelineArn,
          PipelineVersionId: v.PipelineVersionId,
          CreationTime: new Date(v.CreationTime),
          PipelineVersionDisplayName: v.PipelineVersionDisplayName,
          PipelineVersionDescription: v.PipelineVersionDescription,
          // Executions are stored in start order: the last one started on this version.
          LastExecutionPipelineExecutionArn: executions.filter((e) => (e.PipelineVersionId ?? 1) === v.PipelineVersionId).at(-1)?.PipelineExecutionArn,
        }));
        const { page, NextToken } = listPage(rows, { ...req, CreationTimeAfter: req.CreatedAfter, CreationTimeBefore: req.CreatedBefore, SortBy: 'CreationTime' }, {
          name: (v) => String(v.PipelineVersionId),
          creationTime: (v) => v.CreationTime,
          defaultOrder: 'Descending',
        });
        return { PipelineVersionSummaries: page, NextToken };
      },
      UpdatePipelineVersion: async (req, ctx) => {
        const pipeline = (await this.ops.DescribePipeline({ PipelineName: req.PipelineArn }, ctx)) as Doc;
        const v = this.version(ctx, pipeline, Number(req.PipelineVersionId));
        if (req.PipelineVersionDisplayName !== undefined) v.PipelineVersionDisplayName = req.PipelineVersionDisplayName;
        if (req.PipelineVersionDescription !== undefined) v.PipelineVersionDescription = req.PipelineVersionDescription;
        const key = this.key(pipeline.PipelineName, v.PipelineVersionId);
        if (!this.deps.db.insert(scopeOf(ctx), VERSION_KIND, key, `${pipeline.PipelineArn}/version/${v.PipelineVersionId}`, v)) this.deps.db.update(scopeOf(ctx), VERSION_KIND, key, v);
        return { PipelineArn: pipeline.PipelineArn, PipelineVersionId: v.PipelineVersionId };
      },
    };
  }
}

/** The current version of a pipeline whose versions were not recorded (stored before they were kept). */
function unrecorded(pipeline: Doc): VersionRecord {
  return { pipeline, PipelineVersionId: Number(pipeline.PipelineVersionId ?? 1), CreationTime: new Date(pipeline.LastModifiedTime ?? pipeline.CreationTime) };
}
