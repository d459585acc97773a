/**
 * Model card versions: the engine's ModelCard family counts versions (ModelCardVersion is 1 on
 * Create and one more on each Update); this keeps what each version said, so that
 * DescribeModelCard with a ModelCardVersion, ListModelCardVersions and the export jobs read the
 * card as it was. A deleted card's versions go with it.
 */
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { resourceNotFound } from '../../../protocol/errors.js';
import type { ServiceModel } from '../../../protocol/service-model.js';
import type { ServiceDeps } from '../../deps.js';
import { conform } from '../engine/shapes.js';
import { listPage } from '../listing.js';
import { scopeOf } from '../scope.js';

const VERSION_KIND = 'model-card:version';

type Doc = Record<string, any>;

export interface CardVersion {
  /** DescribeModelCard's answer for this version. */
  card: Doc;
  /** When this version was made (its Create or Update). */
  at: Date;
}

export class ModelCardVersions {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly model: ServiceModel,
    /** The engine's ModelCard operations. */
    private readonly ops: Record<string, OperationHandler>,
  ) {}

  private async snapshot(name: string, ctx: RequestContext): Promise<void> {
    const card = (await this.ops.DescribeModelCard({ ModelCardName: name }, ctx)) as Doc;
    const key = `${card.ModelCardName}/${card.ModelCardVersion}`;
    const record: CardVersion = { card, at: new Date(this.deps.clock.now()) };
    this.deps.db.insert(scopeOf(ctx), VERSION_KIND, key, `${card.ModelCardArn}/version/${card.ModelCardVersion}`, record);
  }

  operations(): Record<string, OperationHandler> {
    return {
      CreateModelCard: async (req, ctx) => {
        const out = await this.ops.CreateModelCard(req, ctx);
        await this.snapshot(String(req.ModelCardName), ctx);
        return out;
      },
      UpdateModelCard: async (req, ctx) => {
        const out = await this.ops.UpdateModelCard(req, ctx);
        await this.snapshot(String(req.ModelCardName), ctx);
        return out;
      },
      DeleteModelCard: async (req, ctx) => {
        const card = (await this.ops.DescribeModelCard({ ModelCardName: req.ModelCardName }, ctx)) as Doc;
        const out = await this.ops.DeleteModelCard(req, ctx);
        for (const v of this.all(String(card.ModelCardName), ctx)) this.deps.db.delete(scopeOf(ctx), VERSION_KIND, `${v.card.ModelCardName}/${v.card.ModelCardVersion}`);
        return out;
      },
      DescribeModelCard: async (req, ctx) => (req.ModelCardVersion === undefined ? this.ops.DescribeModelCard(req, ctx) : (await this.version(String(req.ModelCardName), req.ModelCardVersion, ctx)).card),
      ListModelCardVersions: (req, ctx) => this.list(req, ctx),
    };
  }

  /** Every version of a card, oldest first. */
  all(name: string, ctx: RequestContext): CardVersion[] {
    const prefix = `${name.toLowerCase()}/`;
    return this.deps.db
      .list<CardVersion>(scopeOf(ctx), VERSION_KIND)
      .filter((r) => r.name.toLowerCase().startsWith(prefix))
      .map((r) => r.data);
  }

  /** One version of a card (the latest when version is undefined); the card's not-found error when it is missing. */
  async version(nameOrArn: string, version: number | undefined, ctx: RequestContext): Promise<CardVersion> {
    const latest = (await this.ops.DescribeModelCard({ ModelCardName: nameOrArn }, ctx)) as Doc;
    const name = String(latest.ModelCardName);
    const wanted = version ?? latest.ModelCardVersion;
    const found = this.deps.db.get<CardVersion>(scopeOf(ctx), VERSION_KIND, `${name}/${wanted}`)?.data ?? (wanted === latest.ModelCardVersion ? this.unrecorded(latest) : undefined);
    if (!found) throw resourceNotFound(`Model card ${latest.ModelCardArn} version ${wanted} does not exist.`);
    return found;
  }

  /**
   * The latest version of a card whose versions were not recorded (one stored before versions
   * were kept): what Describe answers now, made when the card last changed.
   */
  private unrecorded(latest: Doc): CardVersion {
    return { card: latest, at: new Date(latest.LastModifiedTime ?? latest.CreationTime) };
  }

  private async list(req: Doc, ctx: RequestContext): Promise<unknown> {
    const latest = (await this.ops.DescribeModelCard({ ModelCardName: req.ModelCardName }, ctx)) as Doc;
    const versions = this.all(String(latest.ModelCardName), ctx);
    if (!versions.some((v) => v.card.ModelCardVersion === latest.ModelCardVersion)) versions.push(this.unrecorded(latest));
    const rows = versions
      .filter((v) => req.ModelCardStatus === undefined || v.card.ModelCardStatus === req.ModelCardStatus)
      .map((v): Doc => ({ ...v.card, CreationTime: v.at, LastModifiedTime: v.at }));
    // Sorted by version, which is creation order; newest first unless asked otherwise.
    const { page, NextToken } = listPage(rows, { ...req, SortBy: 'CreationTime' }, { name: (v) => String(v.ModelCardName), creationTime: (v) => v.CreationTime as Date, defaultOrder: 'Descending' });
    return conform(this.model, this.model.operations.ListModelCardVersions.output!.shape, {
      ModelCardVersionSummaryList: page.map((v) => conform(this.model, 'ModelCardVersionSummary', v)),
      NextToken,
    });
  }
}
