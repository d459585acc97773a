/**
 * Lineage artifacts (CreateArtifact ... DeleteArtifact). Unlike the engine's families an artifact
 * is named by an ARN the service assigns (artifact/<32 hex digits>, as AWS's look); its
 * ArtifactName is an optional label, so two artifacts may share one.
 */
import { Rng } from '../../../../core/random.js';
import type { RequestContext } from '../../../protocol/context.js';
import { resourceNotFound, validation } from '../../../protocol/errors.js';
import type { ServiceModel } from '../../../protocol/service-model.js';
import type { ServiceDeps } from '../../deps.js';
import { conform } from '../engine/shapes.js';
import { listPage } from '../listing.js';
import { scopeOf } from '../scope.js';
import { ARTIFACT_KIND, type StoredEntity } from './entities.js';

type Doc = Record<string, any>;

export class ArtifactService {
  /** For the ARN's id; seeded from the wall clock like the engine's assigned ids. */
  private readonly rng = new Rng(Date.now() % 2 ** 32, 7);

  constructor(
    private readonly deps: ServiceDeps,
    private readonly model: ServiceModel,
  ) {}

  private shaped(op: string, value: Doc): unknown {
    return conform(this.model, this.model.operations[op].output!.shape, value);
  }

  private newId(): string {
    let id = '';
    for (let i = 0; i < 4; i++) id += this.rng.u32().toString(16).padStart(8, '0');
    return id;
  }

  create(req: Doc, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { Tags, ...input } = req;
    const now = new Date(this.deps.clock.now());
    let id = this.newId();
    let arn = `arn:aws:sagemaker:${scope.region}:${scope.accountId}:artifact/${id}`;
    const record: StoredEntity = { input, arn, created: now, modified: now };
    while (!this.deps.db.insert(scope, ARTIFACT_KIND, id, arn, record)) {
      id = this.newId();
      arn = record.arn = `arn:aws:sagemaker:${scope.region}:${scope.accountId}:artifact/${id}`;
    }
    if (Array.isArray(Tags) && Tags.length) this.deps.db.addTags(arn, Tags);
    return { ArtifactArn: arn };
  }

  private load(ctx: RequestContext, arn: string): { id: string; record: StoredEntity } {
    const id = arn.slice(arn.lastIndexOf('/') + 1);
    const found = arn.startsWith('arn:') ? this.deps.db.get<StoredEntity>(scopeOf(ctx), ARTIFACT_KIND, id) : undefined;
    if (!found || found.arn !== arn) throw resourceNotFound(`Artifact ${arn} does not exist.`);
    return { id: found.name, record: found.data };
  }

  private view(r: StoredEntity): Doc {
    return { ...r.input, ArtifactArn: r.arn, CreationTime: r.created, LastModifiedTime: r.modified };
  }

  describe(req: Doc, ctx: RequestContext): unknown {
    return this.shaped('DescribeArtifact', this.view(this.load(ctx, String(req.ArtifactArn)).record));
  }

  list(req: Doc, ctx: RequestContext): unknown {
    const rows = this.deps.db
      .list<StoredEntity>(scopeOf(ctx), ARTIFACT_KIND)
      .map((r) => r.data)
      .filter((r) => req.SourceUri === undefined || (r.input.Source as Doc | undefined)?.SourceUri === req.SourceUri)
      .filter((r) => req.ArtifactType === undefined || r.input.ArtifactType === req.ArtifactType)
      .map((r) => this.view(r));
    const { page, NextToken } = listPage(rows, { ...req, CreationTimeAfter: req.CreatedAfter, CreationTimeBefore: req.CreatedBefore }, {
      name: (v) => String(v.ArtifactName ?? ''),
      creationTime: (v) => v.CreationTime as Date,
      defaultOrder: 'Descending',
    });
    const summary = 'ArtifactSummary';
    return this.shaped('ListArtifacts', { ArtifactSummaries: page.map((v) => conform(this.model, summary, v)), NextToken });
  }

  update(req: Doc, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { id, record } = this.load(ctx, String(req.ArtifactArn));
    if (req.ArtifactName !== undefined) record.input.ArtifactName = req.ArtifactName;
    const properties: Record<string, string> = { ...(record.input.Properties as Record<string, string> | undefined), ...req.Properties };
    for (const key of (req.PropertiesToRemove as string[] | undefined) ?? []) delete properties[key];
    if (req.Properties !== undefined || req.PropertiesToRemove !== undefined) record.input.Properties = properties;
    record.modified = new Date(this.deps.clock.now());
    this.deps.db.update(scope, ARTIFACT_KIND, id, record);
    return { ArtifactArn: record.arn };
  }

  /** By ArtifactArn, or by Source: the artifact whose SourceUri (and source types, where given) match. */
  delete(req: Doc, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    let arn = req.ArtifactArn as string | undefined;
    if (!arn && !req.Source) throw validation('Either ArtifactArn or Source must be specified.');
    if (!arn) {
      const wanted = req.Source as Doc;
      const same = (a: unknown, b: unknown) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
      const hit = this.deps.db
        .list<StoredEntity>(scope, ARTIFACT_KIND)
        .find((r) => (r.data.input.Source as Doc).SourceUri === wanted.SourceUri && (wanted.SourceTypes === undefined || same((r.data.input.Source as Doc).SourceTypes, wanted.SourceTypes)));
      if (!hit) throw resourceNotFound(`Artifact with source URI ${wanted.SourceUri} does not exist.`);
      arn = hit.arn;
    }
    const { id, record } = this.load(ctx, arn);
    this.deps.db.delete(scope, ARTIFACT_KIND, id);
    return { ArtifactArn: record.arn };
  }
}
