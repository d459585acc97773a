/**
 * Feature metadata (DescribeFeatureMetadata, UpdateFeatureMetadata): a description and key-value
 * parameters per feature of a feature group. The feature group is the engine's record; the
 * metadata belongs to one incarnation of it (a group deleted and created again starts bare).
 */
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { resourceNotFound } from '../../../protocol/errors.js';
import type { ServiceModel } from '../../../protocol/service-model.js';
import type { ServiceDeps } from '../../deps.js';
import { conform } from '../engine/shapes.js';
import { scopeOf } from '../scope.js';

const METADATA_KIND = 'feature-group:feature-metadata';

interface StoredMetadata {
  groupCreated: number;
  Description?: string;
  Parameters: { Key: string; Value: string }[];
  modified: Date;
}

type Doc = Record<string, any>;

export class FeatureMetadata {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly model: ServiceModel,
    private readonly ops: Record<string, OperationHandler>,
  ) {}

  /** The group (its not-found error when missing), the feature's definition, and its metadata. */
  private async load(req: Doc, ctx: RequestContext) {
    const group = (await this.ops.DescribeFeatureGroup({ FeatureGroupName: req.FeatureGroupName }, ctx)) as Doc;
    const feature = ((group.FeatureDefinitions as Doc[] | undefined) ?? []).find((f) => f.FeatureName === req.FeatureName);
    if (!feature) throw resourceNotFound(`Feature ${req.FeatureName} does not exist in feature group ${group.FeatureGroupArn}.`);
    const key = `${group.FeatureGroupName}/${feature.FeatureName}`;
    const created = new Date(group.CreationTime).getTime();
    const stored = this.deps.db.get<StoredMetadata>(scopeOf(ctx), METADATA_KIND, key)?.data;
    return { group, feature, key, created, metadata: stored && stored.groupCreated === created ? stored : undefined };
  }

  async describe(req: Doc, ctx: RequestContext): Promise<unknown> {
    const { group, feature, created, metadata } = await this.load(req, ctx);
    return conform(this.model, this.model.operations.DescribeFeatureMetadata.output!.shape, {
      FeatureGroupArn: group.FeatureGroupArn,
      FeatureGroupName: group.FeatureGroupName,
      FeatureName: feature.FeatureName,
      FeatureType: feature.FeatureType,
      CreationTime: new Date(created),
      LastModifiedTime: metadata?.modified ?? new Date(created),
      Description: metadata?.Description,
      Parameters: metadata?.Parameters ?? [],
    });
  }

  async update(req: Doc, ctx: RequestContext): Promise<unknown> {
    const { key, created, metadata } = await this.load(req, ctx);
    const removals = new Set((req.ParameterRemovals as string[] | undefined) ?? []);
    const params = new Map((metadata?.Parameters ?? []).map((p) => [p.Key, p.Value]));
    for (const k of removals) params.delete(k);
    for (const p of (req.ParameterAdditions as { Key: string; Value: string }[] | undefined) ?? []) params.set(p.Key, p.Value);
    const record: StoredMetadata = {
      groupCreated: created,
      Description: req.Description ?? metadata?.Description,
      Parameters: [...params].map(([Key, Value]) => ({ Key, Value })),
      modified: new Date(this.deps.clock.now()),
    };
    const scope = scopeOf(ctx);
    if (!this.deps.db.insert(scope, METADATA_KIND, key, `feature-metadata:${scope.accountId}:${scope.region}:${key.toLowerCase()}`, record)) this.deps.db.update(scope, METADATA_KIND, key, record);
    return {};
  }
}
