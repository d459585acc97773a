import type { OperationHandler } from '../../../../protocol/aws-json.js';
import type { RequestContext } from '../../../../protocol/context.js';
import { AwsError, validation } from '../../../../protocol/errors.js';
import type { ServiceModel } from '../../../../protocol/service-model.js';
import type { Scope } from '../../../../storage/database.js';
import type { ServiceDeps } from '../../../deps.js';
import { pageByOffset } from '../../../page-token.js';
import { invalidNextToken } from '../../listing.js';
import { scopeOf } from '../../scope.js';
import { GONE, requestInstant, statusAt, transition, type StatusTimeline } from '../lifecycle.js';
import { conform } from '../shapes.js';

/**
 * Image versions on top of the engine's images (kind `engine:Image`): version N of an image is
 * numbered from 1 per image and never reused after a delete (CreateImageVersion API reference);
 * its ARN is image-version/<image>/<N>. A version can carry aliases, unique within the image,
 * and is addressed by Version or by Alias (neither: the latest). Deleting the image takes its
 * versions with it (DeleteImage: "Deletes a SageMaker AI image and all versions of the image").
 * Metadata only: no container image is pulled or copied; ContainerImage reports BaseImage.
 * A missing image is ResourceNotFound "Image with ARN <arn> does not exist", AWS's wording for
 * DescribeImage; a missing version is worded the same way.
 */
const IMAGE_KIND = 'engine:Image';
const VERSION_KIND = 'engine:ImageVersion';

interface ImageRecord {
  arn: string;
  created: Date;
  timeline?: StatusTimeline;
}

interface VersionRecord {
  input: Record<string, unknown>;
  image: string;
  imageArn: string;
  /** The image's creation time: versions of an image deleted and created again are not its versions. */
  imageCreated: number;
  version: number;
  aliases: string[];
  arn: string;
  created: Date;
  modified: Date;
  timeline: StatusTimeline;
}

export const IMAGE_VERSION_OPERATIONS = ['CreateImageVersion', 'DescribeImageVersion', 'ListImageVersions', 'UpdateImageVersion', 'DeleteImageVersion', 'ListAliases'];

export class ImageVersions {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly model: ServiceModel,
  ) {
    this.now = requestInstant(deps.clock);
  }
  /** One clock read per request (see requestInstant). */
  private readonly now: () => number;

  operations(): Record<string, OperationHandler> {
    return {
      CreateImageVersion: (i, c) => this.create(i, c),
      DescribeImageVersion: (i, c) => this.describe(i, c),
      ListImageVersions: (i, c) => this.list(i, c),
      UpdateImageVersion: (i, c) => this.update(i, c),
      DeleteImageVersion: (i, c) => this.delete(i, c),
      ListAliases: (i, c) => this.aliases(i, c),
    };
  }

  private shaped(op: string, value: Record<string, unknown>): unknown {
    const shape = this.model.operations[op].output?.shape;
    return shape ? conform(this.model, shape, value) : {};
  }

  /** The image, alive and not being deleted; else AWS's not-found error for the image. */
  private image(scope: Scope, name: string): { name: string; record: ImageRecord } {
    const found = this.deps.db.get<ImageRecord>(scope, IMAGE_KIND, name);
    if (!found || found.data.timeline?.to === GONE) {
      throw new AwsError('ResourceNotFound', `Image with ARN arn:aws:sagemaker:${scope.region}:${scope.accountId}:image/${name.toLowerCase()} does not exist`);
    }
    return { name: found.name, record: found.data };
  }

  /** The image's versions, oldest first; versions past their deletion are removed. */
  private versions(scope: Scope, image: { name: string; record: ImageRecord }): { key: string; record: VersionRecord }[] {
    const now = this.now();
    return this.deps.db
      .list<VersionRecord>(scope, VERSION_KIND)
      .filter((r) => r.data.image.toLowerCase() === image.name.toLowerCase())
      .filter((r) => {
        const current = r.data.imageCreated === new Date(image.record.created).getTime() && statusAt(r.data.timeline, now) !== GONE;
        if (!current) this.deps.db.delete(scope, VERSION_KIND, r.name);
        return current;
      })
      .map((r) => ({ key: r.name, record: r.data }))
      .sort((a, b) => a.record.version - b.record.version);
  }

  /** By Version, by Alias, or (neither) the latest version. */
  private select(scope: Scope, req: Record<string, any>): { key: string; record: VersionRecord } {
    if (req.Version !== undefined && req.Alias !== undefined) throw validation('Only one of Version and Alias can be specified.');
    const image = this.image(scope, String(req.ImageName));
    const all = this.versions(scope, image);
    const hit =
      req.Version !== undefined
        ? all.find((v) => v.record.version === req.Version)
        : req.Alias !== undefined
          ? all.find((v) => v.record.aliases.includes(String(req.Alias)))
          : all[all.length - 1];
    if (!hit) {
      const which = req.Version !== undefined ? `/${req.Version}` : req.Alias !== undefined ? ` alias ${req.Alias}` : '';
      throw new AwsError('ResourceNotFound', `ImageVersion with ARN arn:aws:sagemaker:${scope.region}:${scope.accountId}:image-version/${image.name.toLowerCase()}${which} does not exist`);
    }
    return hit;
  }

  private view(r: VersionRecord): Record<string, unknown> {
    return {
      ...r.input,
      ContainerImage: r.input.BaseImage,
      ImageArn: r.imageArn,
      ImageVersionArn: r.arn,
      ImageVersionStatus: statusAt(r.timeline, this.now()),
      Version: r.version,
      CreationTime: r.created,
      LastModifiedTime: r.modified,
    };
  }

  /** An alias names one version of an image. */
  private requireFreeAliases(scope: Scope, image: { name: string; record: ImageRecord }, aliases: string[], except?: string): void {
    const taken = this.versions(scope, image).filter((v) => v.key !== except);
    for (const a of aliases) {
      const holder = taken.find((v) => v.record.aliases.includes(a));
      if (holder) throw new AwsError('ResourceInUse', `Alias ${a} is already associated with ${holder.record.arn}.`);
    }
  }

  create(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const image = this.image(scope, String(req.ImageName));
    const { Aliases, ClientToken: _token, ImageName: _name, ...input } = req;
    const aliases = [...new Set<string>(Aliases ?? [])];
    this.requireFreeAliases(scope, image, aliases);
    // Numbered per image incarnation, never reused: deleting version 2 leaves the next one 3.
    const counter = `image-version:${image.record.arn}:${new Date(image.record.created).getTime()}`;
    const version = (this.deps.db.counter(counter) ?? 0) + 1;
    this.deps.db.setCounter(counter, version);
    const now = this.now();
    const record: VersionRecord = {
      input,
      image: image.name,
      imageArn: image.record.arn,
      imageCreated: new Date(image.record.created).getTime(),
      version,
      aliases,
      arn: `arn:aws:sagemaker:${scope.region}:${scope.accountId}:image-version/${image.name.toLowerCase()}/${version}`,
      created: new Date(now),
      modified: new Date(now),
      timeline: transition(['CREATING', 'CREATED'], now, this.deps.timing.controlPlaneTransition),
    };
    this.deps.db.insert(scope, VERSION_KIND, `${image.name}/${version}`, record.arn, record);
    return this.shaped('CreateImageVersion', { ImageVersionArn: record.arn });
  }

  describe(req: Record<string, any>, ctx: RequestContext): unknown {
    return this.shaped('DescribeImageVersion', this.view(this.select(scopeOf(ctx), req).record));
  }

  list(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const time = (d: unknown) => new Date(d as string).getTime();
    const rows = this.versions(scope, this.image(scope, String(req.ImageName)))
      .map((v) => v.record)
      .filter((r) => !req.CreationTimeAfter || r.created.getTime() > time(req.CreationTimeAfter))
      .filter((r) => !req.CreationTimeBefore || r.created.getTime() < time(req.CreationTimeBefore))
      .filter((r) => !req.LastModifiedTimeAfter || new Date(r.modified).getTime() > time(req.LastModifiedTimeAfter))
      .filter((r) => !req.LastModifiedTimeBefore || new Date(r.modified).getTime() < time(req.LastModifiedTimeBefore));
    const by = req.SortBy ?? 'CREATION_TIME';
    const key = (r: VersionRecord) => (by === 'VERSION' ? r.version : by === 'LAST_MODIFIED_TIME' ? new Date(r.modified).getTime() : new Date(r.created).getTime());
    // ListImageVersions sorts newest first unless told otherwise (its API reference's default).
    const dir = (req.SortOrder ?? 'DESCENDING') === 'DESCENDING' ? -1 : 1;
    rows.sort((a, b) => (key(a) - key(b)) * dir || (a.version - b.version) * dir);
    const { items, nextToken } = pageByOffset(rows, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    const summary = this.model.shapes[this.model.shapes[this.model.operations.ListImageVersions.output!.shape].members!.ImageVersions.shape].member!.shape;
    return this.shaped('ListImageVersions', { ImageVersions: items.map((r) => conform(this.model, summary, this.view(r))), NextToken: nextToken });
  }

  update(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { key, record } = this.select(scope, req);
    const { ImageName, Alias: _alias, Version: _version, AliasesToAdd, AliasesToDelete, ...changes } = req;
    const added = [...new Set<string>(AliasesToAdd ?? [])];
    this.requireFreeAliases(scope, this.image(scope, String(ImageName)), added, key);
    const removed = new Set<string>(AliasesToDelete ?? []);
    record.aliases = [...new Set([...record.aliases, ...added])].filter((a) => !removed.has(a));
    Object.assign(record.input, changes);
    record.modified = new Date(this.now());
    this.deps.db.update(scope, VERSION_KIND, key, record);
    return this.shaped('UpdateImageVersion', { ImageVersionArn: record.arn });
  }

  delete(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { key, record } = this.select(scope, req);
    const now = this.now();
    if (statusAt(record.timeline, now) !== 'DELETING') {
      // DELETING for the timing profile's transition, then gone; its aliases are free at once.
      record.timeline = { from: 'DELETING', to: GONE, at: now + this.deps.timing.controlPlaneTransition };
      record.aliases = [];
      this.deps.db.update(scope, VERSION_KIND, key, record);
    }
    return {};
  }

  aliases(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const image = this.image(scope, String(req.ImageName));
    const all =
      req.Version !== undefined || req.Alias !== undefined
        ? this.select(scope, req).record.aliases
        : this.versions(scope, image).flatMap((v) => v.record.aliases);
    const { items, nextToken } = pageByOffset(all, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    return this.shaped('ListAliases', { SageMakerImageVersionAliases: items, NextToken: nextToken });
  }
}
