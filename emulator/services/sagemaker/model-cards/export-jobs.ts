/**
 * Model card export jobs: CreateModelCardExportJob writes the card version, as a PDF, to
 * <S3OutputPath>/<card name>/<export job name>/<card name>-<version>.pdf in the emulator's S3, and
 * the job reports InProgress for the timing profile's control-plane transition, then Completed
 * (or Failed, with the reason, when the object could not be written: a missing bucket).
 */
import type { RequestContext } from '../../../protocol/context.js';
import { AwsError, resourceNotFound } from '../../../protocol/errors.js';
import type { ServiceModel } from '../../../protocol/service-model.js';
import { parseS3Uri } from '../../../storage/object-store.js';
import type { ServiceDeps } from '../../deps.js';
import { conform } from '../engine/shapes.js';
import { listPage } from '../listing.js';
import { scopeOf } from '../scope.js';
import { textPdf } from './pdf.js';
import type { CardVersion, ModelCardVersions } from './versions.js';

const EXPORT_KIND = 'model-card:export-job';

interface ExportJob {
  ModelCardExportJobName: string;
  ModelCardExportJobArn: string;
  ModelCardName: string;
  ModelCardVersion: number;
  OutputConfig: { S3OutputPath: string };
  CreatedAt: Date;
  /** When the job stops being InProgress. */
  doneAt: number;
  outcome: 'Completed' | 'Failed';
  FailureReason?: string;
  artifact?: string;
}

type Doc = Record<string, any>;

export class ModelCardExports {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly model: ServiceModel,
    private readonly versions: ModelCardVersions,
  ) {}

  async create(req: Doc, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const version = await this.versions.version(String(req.ModelCardName), req.ModelCardVersion, ctx);
    const card = version.card;
    const jobName = String(req.ModelCardExportJobName);
    const arn = `${card.ModelCardArn}/export-job/${jobName.toLowerCase()}`;
    const now = this.deps.clock.now();
    const job: ExportJob = {
      ModelCardExportJobName: jobName,
      ModelCardExportJobArn: arn,
      ModelCardName: card.ModelCardName,
      ModelCardVersion: card.ModelCardVersion,
      OutputConfig: { S3OutputPath: req.OutputConfig.S3OutputPath },
      CreatedAt: new Date(now),
      doneAt: now + this.deps.timing.controlPlaneTransition,
      outcome: 'Completed',
    };
    const key = `${card.ModelCardName}/${jobName}`;
    if (this.deps.db.get(scope, EXPORT_KIND, key)) throw new AwsError('ConflictException', `Model card export job ${arn} already exists.`);
    try {
      job.artifact = await this.write(job, version);
    } catch (e) {
      job.outcome = 'Failed';
      job.FailureReason = `Could not write the export to ${job.OutputConfig.S3OutputPath}: ${(e as Error).message}`;
    }
    if (!this.deps.db.insert(scope, EXPORT_KIND, key, arn, job)) throw new AwsError('ConflictException', `Model card export job ${arn} already exists.`);
    return { ModelCardExportJobArn: arn };
  }

  private async write(job: ExportJob, version: CardVersion): Promise<string> {
    const out = job.OutputConfig.S3OutputPath.replace(/^https:\/\/([^./]+)\.s3[^/]*\//, 's3://$1/');
    const { bucket, key } = parseS3Uri(out);
    const objectKey = [key.replace(/\/+$/, ''), job.ModelCardName, job.ModelCardExportJobName, `${job.ModelCardName}-${job.ModelCardVersion}.pdf`].filter(Boolean).join('/');
    if (!(await this.deps.store.bucketExists(bucket))) throw new Error(`the bucket ${bucket} does not exist`);
    const card = version.card;
    let content: string;
    try {
      content = JSON.stringify(JSON.parse(String(card.Content)), null, 2);
    } catch {
      content = String(card.Content);
    }
    const lines = [
      `Model card: ${card.ModelCardName}`,
      `Version: ${card.ModelCardVersion}`,
      `Status: ${card.ModelCardStatus}`,
      `ARN: ${card.ModelCardArn}`,
      `Created: ${new Date(card.CreationTime).toISOString()}`,
      `Version made: ${version.at.toISOString()}`,
      '',
      'Content:',
      ...content.split('\n'),
    ];
    await this.deps.store.putObject(bucket, objectKey, textPdf(`Model card ${card.ModelCardName}`, lines), { contentType: 'application/pdf' });
    return `s3://${bucket}/${objectKey}`;
  }

  private view(job: ExportJob): Doc {
    const done = this.deps.clock.now() >= job.doneAt;
    const status = done ? job.outcome : 'InProgress';
    return {
      ...job,
      Status: status,
      LastModifiedAt: new Date(done ? job.doneAt : job.CreatedAt.getTime()),
      ...(status === 'Completed' ? { ExportArtifacts: { S3ExportArtifacts: job.artifact } } : {}),
      ...(status !== 'Failed' ? { FailureReason: undefined } : {}),
    };
  }

  describe(req: Doc, ctx: RequestContext): unknown {
    const arn = String(req.ModelCardExportJobArn);
    const hit = this.deps.db.byArn(arn);
    const job = hit?.kind === EXPORT_KIND ? this.deps.db.get<ExportJob>(scopeOf(ctx), EXPORT_KIND, hit.name)?.data : undefined;
    if (!job) throw resourceNotFound(`Model card export job ${arn} does not exist.`);
    return conform(this.model, this.model.operations.DescribeModelCardExportJob.output!.shape, this.view(job));
  }

  list(req: Doc, ctx: RequestContext): unknown {
    const card = String(req.ModelCardName).toLowerCase();
    const rows = this.deps.db
      .list<ExportJob>(scopeOf(ctx), EXPORT_KIND)
      .map((r) => this.view(r.data))
      .filter((j) => String(j.ModelCardName).toLowerCase() === card)
      .filter((j) => req.ModelCardVersion === undefined || j.ModelCardVersion === req.ModelCardVersion);
    const { page, NextToken } = listPage(rows, { ...req, NameContains: req.ModelCardExportJobNameContains }, {
      name: (j) => String(j.ModelCardExportJobName),
      creationTime: (j) => j.CreatedAt as Date,
      status: (j) => String(j.Status),
      defaultOrder: 'Descending',
    });
    return conform(this.model, this.model.operations.ListModelCardExportJobs.output!.shape, {
      ModelCardExportJobSummaries: page.map((j) => conform(this.model, 'ModelCardExportJobSummary', j)),
      NextToken,
    });
  }
}
